import {
  getNodeByPath,
  getProperty,
  getSubnode,
  deleteNode,
  liveChildren,
  nodeBasename,
  nodeUnitAddress,
  type LiveNode,
  type LiveProperty,
} from './build.js';
import { fixupPathReferences, fixupPhandleReferences, isValidPhandle, type PhandleAllocator } from './phandles.js';
import { features as featuresOf, type DtcCompat, type DtcFeatures } from './compat.js';
import type { Span } from '../diagnostics/source.js';
import type { Marker } from './tree.js';
import {
  avoidUnnecessaryAddrSize,
  busOf,
  i2cBusBridge,
  i2cBusReg,
  pciBridge,
  pciDeviceBusNum,
  pciDeviceReg,
  rawAddrCells,
  rawSizeCells,
  simpleBusBridge,
  simpleBusReg,
  spiBusBridge,
  spiBusReg,
} from './checks-buses.js';
import { uniqueUnitAddresses } from './checks-buses.js';
import { chosenNodeBootargs, chosenNodeStdoutPath, deprecatedGpioProperty } from './checks-chosen.js';
import { nodeNameCharsStrict, propertyNameCharsStrict, uniqueUnitAddressIfEnabled } from './checks-strict.js';
import { graphChildAddress, graphEndpoint, graphNodes, graphPort } from './checks-graph.js';
import { interruptMap, interruptProvider16, interruptProvider17, interruptsProperty } from './checks-interrupts.js';

/**
 * dtc's checks.c: a table of named checks run in order, each over every live node, with prerequisites.
 * ERROR checks fail compilation, WARNING checks only report; some "checks" are the reference fixups that
 * assign phandles, so the order here decides phandle numbers. Like dtc, once an error-level check has failed
 * the remaining checks are not run (`error = error || run_check(c)`).
 */

/**
 * dtc keeps two switches per check, warn and error (checks.c struct check): `-W`/`-E` set one each, and a
 * check with both prints and fails as an error, yet `-Eno-x` leaves it a warning; 'warning+error' is that state.
 */
export type CheckLevel = 'error' | 'warning' | 'warning+error' | 'off';

export interface CheckContext {
  root: LiveNode;
  plugin: boolean;
  /** -@: labelled nodes are kept by /omit-if-no-ref/ (they appear in __symbols__). */
  symbols: boolean;
  alloc: PhandleAllocator;
  features: DtcFeatures;
}

/** The check is compiled for dtc `compat` or later (compat strings order as their releases do). */
export const since = (ctx: CheckContext, compat: DtcCompat): boolean => ctx.features.compat >= compat;

/** A more precise place than the one dtc names (a reference, the offending property), shown alongside. */
export interface RelatedSpan {
  message: string;
  span: Span;
}

/** `full` is set once the check has reported MAX_CHECK_REPORTS findings: a check may stop looking then. */
export type Fail = ((message: string, span?: Span, related?: RelatedSpan) => void) & { full?: boolean };

/**
 * Findings one check reports before the rest are only counted (one closing line says how many). dtc prints
 * every one, which for n same-name siblings is n²/2 lines: 10^4 siblings would be 5·10^7 diagnostics.
 */
export const MAX_CHECK_REPORTS = 10_000;

export interface CheckFailure {
  check: string;
  level: 'error' | 'warning';
  message: string;
  /** Where dtc reports it: the property for FAIL_PROP, the node for FAIL. */
  span: Span | undefined;
  related?: RelatedSpan;
}

export interface CheckDef {
  name: string;
  level: CheckLevel;
  prereqs: readonly string[];
  run(ctx: CheckContext, node: LiveNode, fail: Fail): void;
}

/**
 * Stable diagnostic code of a check: its place in dtc 1.6.1's table, then the checks later releases added,
 * so DTS2001 is always duplicate_node_names whichever generation runs.
 */
export const checkCode = (name: string): string => {
  const i = CODE_ORDER.indexOf(name);
  return `DTS${2001 + (i < 0 ? 998 : i)}`;
};

const cellAt = (p: LiveProperty, i: number): number =>
  (((p.data.bytes[i * 4] ?? 0) << 24) | ((p.data.bytes[i * 4 + 1] ?? 0) << 16) | ((p.data.bytes[i * 4 + 2] ?? 0) << 8) | (p.data.bytes[i * 4 + 3] ?? 0)) >>> 0;

function isOneString(p: LiveProperty): boolean {
  const b = p.data.bytes;
  if (b.length === 0) return false;
  for (let i = 0; i < b.length - 1; i++) if (b[i] === 0) return false;
  return b[b.length - 1] === 0;
}

function isStringList(p: LiveProperty): boolean {
  const b = p.data.bytes;
  return b.length === 0 || b[b.length - 1] === 0;
}

const propString = (p: LiveProperty): string => {
  const nul = p.data.bytes.indexOf(0);
  return String.fromCharCode(...p.data.bytes.slice(0, nul < 0 ? p.data.bytes.length : nul));
};

const at = (node: LiveNode, prop?: LiveProperty): string => (prop ? `${node.fullpath}:${prop.name}: ` : `${node.fullpath}: `);

function isStringCheck(name: string, propName: string, level: CheckLevel): CheckDef {
  return {
    name,
    level,
    prereqs: [],
    run: (_ctx, node, fail) => {
      const p = getProperty(node, propName);
      if (p && !isOneString(p)) fail(`${at(node, p)}property is not a string`, p.span);
    },
  };
}

function isCellCheck(name: string, propName: string): CheckDef {
  return {
    name,
    level: 'warning',
    prereqs: [],
    run: (_ctx, node, fail) => {
      const p = getProperty(node, propName);
      if (p && p.data.bytes.length !== 4) fail(`${at(node, p)}property is not a single cell`, p.span);
    },
  };
}

function stringListCheck(p: LiveProperty | undefined, node: LiveNode, fail: Fail): void {
  if (p && !isStringList(p)) fail(`${at(node, p)}property is not a string list`, p.span);
}

const NODECHARS = /^[a-zA-Z0-9,._+\-@]*/;
const PROPCHARS = /^[a-zA-Z0-9,._+*#?\-]*/;

/** #address-cells / #size-cells as dtc's addr_size_cells fixup reads them, with the 2/1 defaults. */
const addrCells = (n: LiveNode): number => {
  const p = getProperty(n, '#address-cells');
  return p ? cellAt(p, 0) : 2;
};
const sizeCells = (n: LiveNode): number => {
  const p = getProperty(n, '#size-cells');
  return p ? cellAt(p, 0) : 1;
};

function findPropertyByLabel(tree: LiveNode, label: string): { node: LiveNode; prop: LiveProperty } | undefined {
  for (const p of tree.props) {
    if (!p.deleted && p.labels.some((l) => !l.deleted && l.name === label)) return { node: tree, prop: p };
  }
  for (const c of tree.children) {
    if (c.deleted) continue;
    const found = findPropertyByLabel(c, label);
    if (found) return found;
  }
  return undefined;
}

function findMarkerLabel(tree: LiveNode, label: string): { node: LiveNode; prop: LiveProperty; marker: Marker } | undefined {
  for (const p of tree.props) {
    if (p.deleted) continue;
    const m = p.data.markers.find((mk) => mk.kind === 'label' && mk.ref === label);
    if (m) return { node: tree, prop: p, marker: m };
  }
  for (const c of tree.children) {
    if (c.deleted) continue;
    const found = findMarkerLabel(c, label);
    if (found) return found;
  }
  return undefined;
}

function duplicateLabel(
  ctx: CheckContext,
  label: string,
  node: LiveNode,
  prop: LiveProperty | undefined,
  mark: Marker | undefined,
  fail: Fail,
): void {
  let other: { node: LiveNode; prop?: LiveProperty | undefined; marker?: Marker | undefined } | undefined;
  const n = ctx.alloc.index.byLabel(label);
  if (n) other = { node: n };
  else other = findPropertyByLabel(ctx.root, label) ?? findMarkerLabel(ctx.root, label);
  if (!other) return;
  if (other.node !== node || other.prop !== prop || other.marker !== mark) {
    const desc = (nd: LiveNode, p?: LiveProperty, m?: Marker): string => `${m ? 'value of ' : ''}${p ? `'${p.name}' in ` : ''}${nd.fullpath}`;
    const related = prop?.span ? { message: `the labelled property ${prop.name}`, span: prop.span } : undefined;
    fail(`${at(node)}Duplicate label '${label}' on ${desc(node, prop, mark)} and ${desc(other.node, other.prop, other.marker)}`, node.span, related);
  }
}

function phandleProp(ctx: CheckContext, node: LiveNode, name: string, fail: Fail): number {
  const p = getProperty(node, name);
  if (!p) return 0;
  if (p.data.bytes.length !== 4) {
    fail(`${at(node, p)}bad length (${p.data.bytes.length}) ${name} property`, p.span);
    return 0;
  }
  const ref = p.data.markers.find((m) => m.kind === 'ref-phandle');
  if (ref) {
    if (ref.ref === undefined || ctx.alloc.index.byRef(ref.ref) !== node) {
      fail(`${at(node)}${name} is a reference to another node`, node.span, p.span ? { message: `the property ${name}`, span: p.span } : undefined);
    }
    return 0;
  }
  const v = cellAt(p, 0);
  if (!isValidPhandle(v)) {
    fail(`${at(node, p)}bad value (0x${v.toString(16)}) in ${name} property`, p.span);
    return 0;
  }
  return v;
}

interface Provider {
  prop: string;
  cells: string;
  optional?: boolean;
}

/**
 * checks.c check_property_phandle_args. dtc 1.6.1 counts cells in C ints, so a #...-cells of 0xffffffff is -1
 * and the walk never advances (dtc hangs; here it stops); from 1.7 the counts are unsigned 32-bit, a sum that
 * wraps or runs past the value is "too small" and ends the walk.
 */
function phandleArgs(ctx: CheckContext, node: LiveNode, prop: LiveProperty, provider: Provider, fail: Fail): void {
  const len = prop.data.bytes.length;
  if (len % 4 !== 0) {
    fail(`${at(node, prop)}property size (${len}) is invalid, expected multiple of 4`, prop.span);
    return;
  }
  const unsigned = since(ctx, '1.7');
  const ncells = len / 4;
  let cellsize = 0;
  for (let cell = 0; cell < ncells; ) {
    const phandle = cellAt(prop, cell);
    if (!isValidPhandle(phandle)) {
      if (ctx.plugin) break;
      cellsize = 0;
      cell += 1;
      continue;
    }
    // "If we have markers": a value read from a DTB has none, and then any cell may be a phandle.
    if (prop.data.markers.length > 0 && !prop.data.markers.some((m) => m.kind === 'ref-phandle' && m.offset === cell * 4)) {
      fail(`${at(node, prop)}cell ${cell} is not a phandle reference`, prop.span);
    }
    const providerNode = ctx.alloc.index.byPhandle(phandle);
    if (!providerNode) {
      fail(`${at(node, prop)}Could not get phandle node for (cell ${cell})`, prop.span);
      break;
    }
    const cellProp = getProperty(providerNode, provider.cells);
    if (cellProp) cellsize = cellAt(cellProp, 0);
    else if (provider.optional) cellsize = 0;
    else {
      fail(`${at(node)}Missing property '${provider.cells}' in node ${providerNode.fullpath} or bad phandle (referred from ${prop.name}[${cell}])`, node.span, prop.span ? { message: `the property ${prop.name}`, span: prop.span } : undefined);
      break;
    }
    let next: number;
    if (unsigned) {
      const expected = ((cell + cellsize + 1) * 4) % 2 ** 32;
      if (expected <= cell || len < expected) {
        fail(`${at(node, prop)}property size (${len}) too small for cell size ${cellsize}`, prop.span);
        break;
      }
      next = (cell + cellsize + 1) % 2 ** 32;
    } else {
      const signed = cellsize | 0;
      // (cell + cellsize + 1) * sizeof(cell_t) is size_t arithmetic: a negative sum is huge, hence too small.
      const needed = cell + signed + 1;
      if (needed < 0 || len < needed * 4) fail(`${at(node, prop)}property size (${len}) too small for cell size ${signed}`, prop.span);
      next = needed;
    }
    // The C loop would spin on here (or go back); dtc 1.6.1 hangs, which nobody wants reproduced.
    if (next <= cell) break;
    cell = next;
  }
}

/** checks.c WARNING_PROPERTY_PHANDLE_CELLS: `clocks_property` depends on `clocks_is_cell` (#clock-cells is one cell). */
const providerCellsCheck = (propertyCheck: string): string => `${propertyCheck.replace(/_property$/, '')}_is_cell`;

function providerCheck(name: string, provider: Provider): CheckDef {
  return {
    name,
    level: 'warning',
    prereqs: [providerCellsCheck(name), 'phandle_references'],
    run: (ctx, node, fail) => {
      const p = getProperty(node, provider.prop);
      if (p) phandleArgs(ctx, node, p, provider, fail);
    },
  };
}

/** checks.c prop_is_gpio: only the vendor-prefixed ",nr-gpios" is a known false match (a bare "nr-gpios" is checked). */
const isGpioProp = (name: string): boolean => {
  if (name.endsWith(',nr-gpios')) return false;
  return name.endsWith('-gpios') || name === 'gpios' || name.endsWith('-gpio') || name === 'gpio';
};

/** Every check of every generation, in table order; checksFor() picks and adjusts a generation's. */
const ALL_CHECKS: readonly CheckDef[] = [
  {
    name: 'duplicate_node_names',
    level: 'error',
    prereqs: [],
    run: (_ctx, node, fail) => {
      // Siblings grouped by name first: every later namesake of each child, in dtc's order, without n² scans.
      const byName = new Map<string, number[]>();
      const place: number[] = [];
      node.children.forEach((child, i) => {
        let group = byName.get(child.name);
        if (!group) byName.set(child.name, (group = []));
        place.push(group.length);
        group.push(i);
      });
      node.children.forEach((child, i) => {
        if (child.deleted) return;
        const group = byName.get(child.name) ?? [];
        for (let k = (place[i] ?? group.length) + 1; k < group.length && !fail.full; k++) {
          const other = node.children[group[k] ?? -1];
          if (other) fail(`${other.fullpath || `${node.fullpath}/${other.name}`}: Duplicate node name`, other.span);
        }
      });
    },
  },
  {
    name: 'duplicate_property_names',
    level: 'error',
    prereqs: [],
    run: (_ctx, node, fail) => {
      // Grouped by name first, as duplicate_node_names: the same findings in dtc's order without n² scans.
      const byName = new Map<string, number[]>();
      const place: number[] = [];
      node.props.forEach((p, i) => {
        let group = byName.get(p.name);
        if (!group) byName.set(p.name, (group = []));
        place.push(group.length);
        group.push(i);
      });
      node.props.forEach((p, i) => {
        if (p.deleted) return;
        const group = byName.get(p.name) ?? [];
        for (let k = (place[i] ?? group.length) + 1; k < group.length && !fail.full; k++) {
          const other = node.props[group[k] ?? -1];
          if (other && !other.deleted) {
            fail(`${at(node, p)}Duplicate property name`, p.span ?? node.span, other.span ? { message: 'the duplicate', span: other.span } : undefined);
          }
        }
      });
    },
  },
  {
    name: 'node_name_chars',
    level: 'error',
    prereqs: [],
    run: (_ctx, node, fail) => {
      const ok = NODECHARS.exec(node.name)?.[0].length ?? 0;
      if (ok < node.name.length) fail(`${at(node)}Bad character '${node.name[ok] ?? ''}' in node name`, node.span);
    },
  },
  {
    name: 'node_name_format',
    level: 'error',
    prereqs: ['node_name_chars'],
    run: (_ctx, node, fail) => {
      if (nodeUnitAddress(node).includes('@')) fail(`${at(node)}multiple '@' characters in node name`, node.span);
    },
  },
  {
    name: 'property_name_chars',
    level: 'error',
    prereqs: [],
    run: (_ctx, node, fail) => {
      for (const p of node.props) {
        if (p.deleted) continue;
        const ok = PROPCHARS.exec(p.name)?.[0].length ?? 0;
        if (ok < p.name.length) fail(`${at(node, p)}Bad character '${p.name[ok] ?? ''}' in property name`, p.span);
      }
    },
  },
  isStringCheck('name_is_string', 'name', 'error'),
  {
    name: 'name_properties',
    level: 'error',
    prereqs: ['name_is_string'],
    run: (_ctx, node, fail) => {
      const i = node.props.findIndex((p) => p.name === 'name');
      const p = node.props[i];
      if (!p) return;
      const base = nodeBasename(node);
      const bytes = p.data.bytes;
      // Node names are ASCII (dtc's lexer), so one UTF-16 unit per byte, as the length test already assumes.
      let matches = bytes.length === base.length + 1;
      for (let k = 0; matches && k < base.length; k++) matches = bytes[k] === base.charCodeAt(k);
      // A correct "name" is redundant and dtc drops it from the output.
      if (matches) node.props.splice(i, 1);
      else fail(`${at(node)}"name" property is incorrect ("${propString(p)}" instead of base node name)`, node.span, p.span ? { message: 'the "name" property', span: p.span } : undefined);
    },
  },
  {
    // dtc 1.8 (7c78c85).
    name: 'node_name_not_empty',
    level: 'error',
    prereqs: ['node_name_chars'],
    run: (_ctx, node, fail) => {
      if (node.parent && nodeBasename(node) === '') fail(`${at(node)}Empty node name`, node.span);
    },
  },
  {
    name: 'node_name_vs_property_name',
    level: 'warning',
    prereqs: ['node_name_chars'],
    run: (_ctx, node, fail) => {
      if (node.parent && getProperty(node.parent, node.name)) fail(`${at(node)}node name and property name conflict`, node.span);
    },
  },
  {
    name: 'duplicate_label',
    level: 'error',
    prereqs: [],
    run: (ctx, node, fail) => {
      for (const l of node.labels) if (!l.deleted) duplicateLabel(ctx, l.name, node, undefined, undefined, fail);
      for (const p of node.props) {
        if (p.deleted) continue;
        for (const l of p.labels) if (!l.deleted) duplicateLabel(ctx, l.name, node, p, undefined, fail);
        for (const m of p.data.markers) if (m.kind === 'label' && m.ref !== undefined) duplicateLabel(ctx, m.ref, node, p, m, fail);
      }
    },
  },
  {
    name: 'explicit_phandles',
    level: 'error',
    prereqs: [],
    run: (ctx, node, fail) => {
      const phandle = phandleProp(ctx, node, 'phandle', fail);
      const linux = phandleProp(ctx, node, 'linux,phandle', fail);
      if (!phandle && !linux) return;
      if (linux && phandle && phandle !== linux) fail(`${at(node)}mismatching 'phandle' and 'linux,phandle' properties`, node.span);
      const value = phandle || linux;
      const other = ctx.alloc.index.byPhandle(value);
      if (other && other !== node) {
        fail(`${at(node)}duplicated phandle 0x${value.toString(16)} (seen before at ${other.fullpath})`, node.span);
        return;
      }
      node.phandle = value;
      ctx.alloc.index.assigned(node);
    },
  },
  {
    name: 'phandle_references',
    level: 'error',
    prereqs: ['duplicate_node_names', 'explicit_phandles'],
    // checks.c FAIL()s these at the node; the reference itself goes along as the related place.
    run: (ctx, node, fail) => fixupPhandleReferences(ctx.root, node, ctx.plugin, ctx.alloc, (m, s) => fail(`${at(node)}${m}`, node.span, s ? { message: 'the reference', span: s } : undefined)),
  },
  {
    name: 'path_references',
    level: 'error',
    prereqs: ['duplicate_node_names'],
    run: (ctx, node, fail) => fixupPathReferences(ctx.root, node, (m, s) => fail(`${at(node)}${m}`, node.span, s ? { message: 'the reference', span: s } : undefined), ctx.features),
  },
  {
    name: 'omit_unused_nodes',
    level: 'error',
    prereqs: ['phandle_references', 'path_references'],
    run: (ctx, node) => {
      if (ctx.symbols && node.labels.length > 0) return;
      if (node.omitIfUnused && !node.referenced) deleteNode(node, undefined, 'omitted');
    },
  },
  isCellCheck('address_cells_is_cell', '#address-cells'),
  isCellCheck('size_cells_is_cell', '#size-cells'),
  isStringCheck('device_type_is_string', 'device_type', 'warning'),
  isStringCheck('model_is_string', 'model', 'warning'),
  isStringCheck('status_is_string', 'status', 'warning'),
  isStringCheck('label_is_string', 'label', 'warning'),
  {
    name: 'compatible_is_string_list',
    level: 'warning',
    prereqs: [],
    run: (_ctx, node, fail) => stringListCheck(getProperty(node, 'compatible'), node, fail),
  },
  {
    name: 'names_is_string_list',
    level: 'warning',
    prereqs: [],
    run: (_ctx, node, fail) => {
      for (const p of node.props) if (!p.deleted && p.name.endsWith('-names')) stringListCheck(p, node, fail);
    },
  },
  propertyNameCharsStrict,
  nodeNameCharsStrict,
  {
    name: 'addr_size_cells',
    level: 'warning',
    prereqs: ['address_cells_is_cell', 'size_cells_is_cell'],
    run: () => undefined,
  },
  {
    name: 'reg_format',
    level: 'warning',
    prereqs: ['addr_size_cells'],
    run: (_ctx, node, fail) => {
      const p = getProperty(node, 'reg');
      if (!p) return;
      if (!node.parent) {
        fail(`${at(node)}Root node has a "reg" property`, node.span, p.span ? { message: 'the "reg" property', span: p.span } : undefined);
        return;
      }
      if (p.data.bytes.length === 0) fail(`${at(node, p)}property is empty`, p.span);
      const ac = addrCells(node.parent);
      const sc = sizeCells(node.parent);
      const entry = (ac + sc) * 4;
      const len = p.data.bytes.length;
      if (entry === 0 ? len !== 0 : len % entry !== 0) {
        fail(`${at(node, p)}property has invalid length (${len} bytes) (#address-cells == ${ac}, #size-cells == ${sc})`, p.span);
      }
    },
  },
  ...(['ranges', 'dma-ranges'] as const).map(
    (ranges): CheckDef => ({
      name: ranges === 'ranges' ? 'ranges_format' : 'dma_ranges_format',
      level: 'warning',
      prereqs: ['addr_size_cells'],
      run: (_ctx, node, fail) => {
        const p = getProperty(node, ranges);
        if (!p) return;
        if (!node.parent) {
          fail(`${at(node, p)}Root node has a "${ranges}" property`, p.span);
          return;
        }
        const pac = addrCells(node.parent);
        const psc = sizeCells(node.parent);
        const cac = addrCells(node);
        const csc = sizeCells(node);
        const len = p.data.bytes.length;
        const entry = (pac + cac + csc) * 4;
        if (len === 0) {
          if (pac !== cac) fail(`${at(node, p)}empty "${ranges}" property but its #address-cells (${cac}) differs from ${node.parent.fullpath} (${pac})`, p.span);
          if (psc !== csc) fail(`${at(node, p)}empty "${ranges}" property but its #size-cells (${csc}) differs from ${node.parent.fullpath} (${psc})`, p.span);
        } else if (entry === 0 ? len !== 0 : len % entry !== 0) {
          fail(`${at(node, p)}"${ranges}" property has invalid length (${len} bytes) (parent #address-cells == ${pac}, child #address-cells == ${cac}, #size-cells == ${csc})`, p.span);
        }
      },
    }),
  ),
  {
    name: 'unit_address_vs_reg',
    level: 'warning',
    prereqs: [],
    run: (ctx, node, fail) => {
      if (getSubnode(node, '__overlay__', ctx.features)) return;
      let p = getProperty(node, 'reg');
      if (!p) {
        p = getProperty(node, 'ranges');
        if (p && p.data.bytes.length === 0) p = undefined;
      }
      const unit = nodeUnitAddress(node);
      if (p && !unit) fail(`${at(node)}node has a reg or ranges property, but no unit name`, node.span);
      if (!p && unit) fail(`${at(node)}node has a unit name, but no reg or ranges property`, node.span);
    },
  },
  {
    name: 'unit_address_format',
    level: 'warning',
    prereqs: ['node_name_format', 'pci_bridge', 'simple_bus_bridge'],
    run: (_ctx, node, fail) => {
      // A bus's own reg check (pci_device_reg, simple_bus_reg, ...) owns its children's unit addresses.
      if (node.parent && busOf(node.parent)) return;
      let unit = nodeUnitAddress(node);
      if (!unit) return;
      if (unit.startsWith('0x')) {
        fail(`${at(node)}unit name should not have leading "0x"`, node.span);
        unit = unit.slice(2);
      }
      if (unit[0] === '0' && /^[0-9a-fA-F]$/.test(unit[1] ?? '')) fail(`${at(node)}unit name should not have leading 0s`, node.span);
    },
  },
  pciBridge,
  pciDeviceReg,
  pciDeviceBusNum,
  simpleBusBridge,
  simpleBusReg,
  i2cBusBridge,
  i2cBusReg,
  spiBusBridge,
  spiBusReg,
  {
    name: 'avoid_default_addr_size',
    level: 'warning',
    prereqs: ['addr_size_cells'],
    run: (_ctx, node, fail) => {
      if (!node.parent || !getProperty(node, 'reg') && !getProperty(node, 'ranges')) return;
      if (!getProperty(node.parent, '#address-cells')) fail(`${at(node)}Relying on default #address-cells value`, node.span);
      if (!getProperty(node.parent, '#size-cells')) fail(`${at(node)}Relying on default #size-cells value`, node.span);
    },
  },
  avoidUnnecessaryAddrSize,
  {
    name: 'unique_unit_address',
    level: 'warning',
    prereqs: ['avoid_default_addr_size'],
    run: (_ctx, node, fail) => {
      // checks.c: only a node that states both #address-cells and #size-cells has comparable unit addresses.
      if (rawAddrCells(node) < 0 || rawSizeCells(node) < 0) return;
      uniqueUnitAddresses(liveChildren(node), fail);
    },
  },
  uniqueUnitAddressIfEnabled,
  {
    name: 'obsolete_chosen_interrupt_controller',
    level: 'warning',
    prereqs: [],
    run: (ctx, node, fail) => {
      if (node.parent) return;
      const chosen = getSubnode(node, 'chosen', ctx.features);
      const p = chosen && getProperty(chosen, 'interrupt-controller');
      // dtc names the root node with the /chosen property.
      if (p) fail(`${at(node, p)}/chosen has obsolete "interrupt-controller" property`, p.span);
    },
  },
  {
    name: 'chosen_node_is_root',
    level: 'warning',
    prereqs: [],
    run: (_ctx, node, fail) => {
      if (node.name === 'chosen' && node.parent?.parent) fail(`${at(node)}chosen node must be at root node`, node.span);
    },
  },
  chosenNodeBootargs,
  chosenNodeStdoutPath,
  ...(
    [
      ['clocks_property', { prop: 'clocks', cells: '#clock-cells' }],
      ['cooling_device_property', { prop: 'cooling-device', cells: '#cooling-cells' }],
      ['dmas_property', { prop: 'dmas', cells: '#dma-cells' }],
      ['hwlocks_property', { prop: 'hwlocks', cells: '#hwlock-cells' }],
      ['interrupts_extended_property', { prop: 'interrupts-extended', cells: '#interrupt-cells' }],
      ['io_channels_property', { prop: 'io-channels', cells: '#io-channel-cells' }],
      ['iommus_property', { prop: 'iommus', cells: '#iommu-cells' }],
      ['mboxes_property', { prop: 'mboxes', cells: '#mbox-cells' }],
      ['msi_parent_property', { prop: 'msi-parent', cells: '#msi-cells', optional: true }],
      ['mux_controls_property', { prop: 'mux-controls', cells: '#mux-control-cells' }],
      ['phys_property', { prop: 'phys', cells: '#phy-cells' }],
      ['power_domains_property', { prop: 'power-domains', cells: '#power-domain-cells' }],
      ['pwms_property', { prop: 'pwms', cells: '#pwm-cells' }],
      ['resets_property', { prop: 'resets', cells: '#reset-cells' }],
      ['sound_dai_property', { prop: 'sound-dai', cells: '#sound-dai-cells' }],
      ['thermal_sensors_property', { prop: 'thermal-sensors', cells: '#thermal-sensor-cells' }],
    ] as const
  ).flatMap(([name, provider]) => [providerCheck(name, provider), isCellCheck(providerCellsCheck(name), provider.cells)]),
  deprecatedGpioProperty,
  {
    name: 'gpios_property',
    level: 'warning',
    prereqs: ['phandle_references'],
    run: (ctx, node, fail) => {
      // A gpio-hog's "gpios" holds the hogged line's cells, no phandle (bindings/gpio/gpio.txt).
      if (getProperty(node, 'gpio-hog')) return;
      for (const p of node.props) if (!p.deleted && isGpioProp(p.name)) phandleArgs(ctx, node, p, { prop: p.name, cells: '#gpio-cells' }, fail);
    },
  },
  interruptsProperty,
  interruptProvider16,
  interruptMap,
  {
    name: 'alias_paths',
    level: 'warning',
    prereqs: [],
    run: (ctx, node, fail) => {
      if (node.name !== 'aliases') return;
      for (const p of node.props) {
        if (p.deleted || p.name === 'phandle' || p.name === 'linux,phandle') continue;
        // dtc 1.8 (9197f1c): an overlay's aliases may name paths of the base tree.
        // An empty value has no buffer in dtc (val.val is NULL), which printf shows as "(null)".
        const empty = p.data.bytes.length === 0;
        if (!(ctx.plugin && since(ctx, '1.8')) && (empty || !getNodeByPath(ctx.root, propString(p)))) {
          fail(`${at(node, p)}aliases property is not a valid node (${empty ? '(null)' : propString(p)})`, p.span);
          continue;
        }
        // checks.c FAIL()s the node here (not the property), so dtc prints the node's position.
        if (!/^[a-z0-9-]*$/.test(p.name)) fail(`${at(node)}aliases property name must include only lowercase and '-'`, node.span, p.span ? { message: `the alias ${p.name}`, span: p.span } : undefined);
      }
    },
  },
  graphNodes,
  graphChildAddress,
  graphPort,
  graphEndpoint,
  {
    // CHECK(): off unless asked for, fails on every node (dtc's own test of the check machinery).
    name: 'always_fail',
    level: 'off',
    prereqs: [],
    run: (_ctx, node, fail) => fail(`${at(node)}always_fail check`, node.span),
  },
];

/** The names in diagnostic-code order: dtc 1.6.1's table, then what later releases added. */
const CODE_ORDER: readonly string[] = [
  ...ALL_CHECKS.map((c) => c.name).filter((n) => !['node_name_not_empty', 'interrupt_map', 'always_fail'].includes(n)),
  'node_name_not_empty',
  'interrupt_map',
  'always_fail',
];

function buildTable(compat: DtcCompat): readonly CheckDef[] {
  const out: CheckDef[] = [];
  for (const c of ALL_CHECKS) {
    switch (c.name) {
      case 'node_name_not_empty':
        if (compat >= '1.8') out.push(c);
        break;
      case 'interrupt_map':
        if (compat >= '1.7') out.push(c);
        break;
      case 'interrupt_provider':
        out.push(compat >= '1.7' ? interruptProvider17 : c);
        break;
      case 'interrupts_property':
        // dtc 1.8.1 (2164019) makes the phandle fixup a real prerequisite.
        out.push(compat >= '1.8' ? { ...c, prereqs: ['phandle_references'] } : c);
        break;
      case 'graph_child_address':
        if (compat === '1.7') out.push({ ...c, prereqs: ['graph_nodes', 'graph_port', 'graph_endpoint'] });
        else if (compat < '1.7') out.push(c);
        break;
      default:
        out.push(c);
    }
  }
  return out;
}

const TABLES = new Map<DtcCompat, readonly CheckDef[]>();

/** A generation's check table, in the order dtc runs it. */
export function checksFor(compat: DtcCompat): readonly CheckDef[] {
  let table = TABLES.get(compat);
  if (!table) {
    table = buildTable(compat);
    TABLES.set(compat, table);
  }
  return table;
}

/** The newest generation's checks. */
export const CHECKS: readonly CheckDef[] = checksFor(featuresOf().compat);

export interface CheckSwitches {
  warn: boolean;
  error: boolean;
}

export function switchesOf(level: CheckLevel): CheckSwitches {
  return { warn: level === 'warning' || level === 'warning+error', error: level === 'error' || level === 'warning+error' };
}

export function levelOfSwitches(s: CheckSwitches): CheckLevel {
  return s.warn ? (s.error ? 'warning+error' : 'warning') : s.error ? 'error' : 'off';
}

/**
 * checks.c parse_checks_option: `-W`/`-E name` raises the check and, if it was lower, its prerequisites;
 * `no-name` (or `no_name`) lowers it and every check that has it as a prerequisite. Returns false for a
 * name this generation does not have. dtc spells names with underscores; dashes are accepted as well.
 */
export function applyCheckSwitch(levels: Map<string, CheckLevel>, flag: 'W' | 'E', arg: string, compat: DtcCompat): boolean {
  const off = arg.startsWith('no-') || arg.startsWith('no_');
  const name = (off ? arg.slice(3) : arg).replace(/-/g, '_');
  const table = checksFor(compat);
  const byName = new Map(table.map((c) => [c.name, c]));
  const check = byName.get(name);
  if (!check) return false;
  const get = (c: CheckDef): CheckSwitches => switchesOf(levels.get(c.name) ?? c.level);
  const set = (c: CheckDef, s: CheckSwitches): void => {
    levels.set(c.name, levelOfSwitches(s));
  };
  const warn = flag === 'W';
  const error = flag === 'E';
  const enable = (c: CheckDef): void => {
    const s = get(c);
    if ((warn && !s.warn) || (error && !s.error)) for (const p of c.prereqs) enable(byName.get(p) ?? c);
    set(c, { warn: s.warn || warn, error: s.error || error });
  };
  const disable = (c: CheckDef): void => {
    const s = get(c);
    if ((warn && s.warn) || (error && s.error)) for (const cc of table) if (cc.prereqs.includes(c.name)) disable(cc);
    set(c, { warn: s.warn && !warn, error: s.error && !error });
  };
  if (off) disable(check);
  else enable(check);
  return true;
}

type Status = 'unchecked' | 'prereq' | 'passed' | 'failed';

/**
 * checks.c process_checks and run_check: run the enabled checks in order and report whether an error-level
 * one failed. As in dtc, once an error is known the remaining checks and prerequisites are not run (C's
 * `error = error || run_check(...)`), and a prerequisite left unchecked counts as failed.
 */
export function runChecks(ctx: CheckContext, levels: ReadonlyMap<string, CheckLevel>, report: (f: CheckFailure) => void): boolean {
  const table = checksFor(ctx.features.compat);
  const status = new Map<string, Status>();
  const switchesFor = (c: CheckDef): CheckSwitches => switchesOf(levels.get(c.name) ?? c.level);
  const byName = new Map(table.map((c) => [c.name, c]));

  const run = (c: CheckDef): boolean => {
    let error = false;
    const sw = switchesFor(c);
    // check_msg: printed as ERROR when the error switch is on, else as a warning when the warn switch is.
    const level: 'error' | 'warning' | undefined = sw.error ? 'error' : sw.warn ? 'warning' : undefined;
    if ((status.get(c.name) ?? 'unchecked') === 'unchecked') {
      for (const name of c.prereqs) {
        const prq = byName.get(name);
        if (!prq) continue;
        error = error || run(prq);
        if (status.get(name) !== 'passed') {
          status.set(c.name, 'prereq');
          if (level) report({ check: c.name, level, message: `Failed prerequisite '${name}'`, span: undefined });
        }
      }
      if ((status.get(c.name) ?? 'unchecked') === 'unchecked') {
        let reported = 0;
        let unreported = 0;
        const fail: Fail = (message, span, related) => {
          status.set(c.name, 'failed');
          if (!level) return;
          if (reported >= MAX_CHECK_REPORTS) {
            unreported++;
            fail.full = true;
            return;
          }
          reported++;
          report(related ? { check: c.name, level, message, span, related } : { check: c.name, level, message, span });
        };
        const visit = (node: LiveNode): void => {
          c.run(ctx, node, fail);
          // Children appended by the check itself are not visited (the list only ever grows at its end).
          const children = node.children;
          for (let i = 0, n = children.length; i < n; i++) {
            const child = children[i];
            if (child && !child.deleted) visit(child);
          }
        };
        visit(ctx.root);
        if (unreported > 0 && level)
          report({ check: c.name, level, message: `more findings not shown (the first ${MAX_CHECK_REPORTS} are)`, span: undefined });
        if ((status.get(c.name) ?? 'unchecked') === 'unchecked') status.set(c.name, 'passed');
      }
    }
    if (status.get(c.name) !== 'passed' && sw.error) error = true;
    return error;
  };

  let error = false;
  for (const c of table) {
    const sw = switchesFor(c);
    if (!sw.warn && !sw.error) continue;
    error = error || run(c);
  }
  return error;
}
