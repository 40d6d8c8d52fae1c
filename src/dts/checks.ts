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
import { chosenNodeBootargs, chosenNodeStdoutPath, deprecatedGpioProperty } from './checks-chosen.js';
import { nodeNameCharsStrict, propertyNameCharsStrict, uniqueUnitAddressIfEnabled } from './checks-strict.js';
import { graphChildAddress, graphEndpoint, graphNodes, graphPort } from './checks-graph.js';
import { interruptProvider, interruptsProperty } from './checks-interrupts.js';

/**
 * dtc's checks.c: a table of named checks run in order, each over every live node, with prerequisites.
 * ERROR checks fail compilation, WARNING checks only report; some "checks" are the reference fixups that
 * assign phandles, so the order here decides phandle numbers. Like dtc, once an error-level check has failed
 * the remaining checks are not run (`error = error || run_check(c)`).
 */

export type CheckLevel = 'error' | 'warning' | 'off';

export interface CheckContext {
  root: LiveNode;
  plugin: boolean;
  /** -@: labelled nodes are kept by /omit-if-no-ref/ (they appear in __symbols__). */
  symbols: boolean;
  alloc: PhandleAllocator;
}

export interface CheckFailure {
  check: string;
  level: 'error' | 'warning';
  message: string;
  span: Span | undefined;
}

export interface CheckDef {
  name: string;
  level: CheckLevel;
  prereqs: readonly string[];
  run(ctx: CheckContext, node: LiveNode, fail: (message: string, span?: Span) => void): void;
}

/** Stable diagnostic code of a check: its place in this table, so DTS2001 is always duplicate_node_names. */
export const checkCode = (name: string): string => {
  const i = CHECKS.findIndex((c) => c.name === name);
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

function stringListCheck(p: LiveProperty | undefined, node: LiveNode, fail: (m: string, s?: Span) => void): void {
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
  fail: (m: string, s?: Span) => void,
): void {
  let other: { node: LiveNode; prop?: LiveProperty | undefined; marker?: Marker | undefined } | undefined;
  const n = ctx.alloc.index.byLabel(label);
  if (n) other = { node: n };
  else other = findPropertyByLabel(ctx.root, label) ?? findMarkerLabel(ctx.root, label);
  if (!other) return;
  if (other.node !== node || other.prop !== prop || other.marker !== mark) {
    const desc = (nd: LiveNode, p?: LiveProperty, m?: Marker): string => `${m ? 'value of ' : ''}${p ? `'${p.name}' in ` : ''}${nd.fullpath}`;
    fail(`${at(node)}Duplicate label '${label}' on ${desc(node, prop, mark)} and ${desc(other.node, other.prop, other.marker)}`, prop?.span ?? node.span);
  }
}

function phandleProp(ctx: CheckContext, node: LiveNode, name: string, fail: (m: string, s?: Span) => void): number {
  const p = getProperty(node, name);
  if (!p) return 0;
  if (p.data.bytes.length !== 4) {
    fail(`${at(node, p)}bad length (${p.data.bytes.length}) ${name} property`, p.span);
    return 0;
  }
  const ref = p.data.markers.find((m) => m.kind === 'ref-phandle');
  if (ref) {
    if (ref.ref === undefined || ctx.alloc.index.byRef(ref.ref) !== node) fail(`${at(node)}${name} is a reference to another node`, p.span);
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

/** checks.c check_property_phandle_args, with the loop guarded: dtc 1.6.1 spins forever on #...-cells = -1. */
function phandleArgs(ctx: CheckContext, node: LiveNode, prop: LiveProperty, provider: Provider, fail: (m: string, s?: Span) => void): void {
  const len = prop.data.bytes.length;
  if (len % 4 !== 0) {
    fail(`${at(node, prop)}property size (${len}) is invalid, expected multiple of 4`, prop.span);
    return;
  }
  const ncells = len / 4;
  let cellsize = 0;
  for (let cell = 0; cell < ncells; cell += cellsize + 1) {
    const phandle = cellAt(prop, cell);
    if (!isValidPhandle(phandle)) {
      if (ctx.plugin) break;
      cellsize = 0;
      continue;
    }
    if (!prop.data.markers.some((m) => m.kind === 'ref-phandle' && m.offset === cell * 4)) {
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
      fail(`${at(node)}Missing property '${provider.cells}' in node ${providerNode.fullpath} or bad phandle (referred from ${prop.name}[${cell}])`, prop.span);
      break;
    }
    if (len < (cell + cellsize + 1) * 4) {
      fail(`${at(node, prop)}property size (${len}) too small for cell size ${cellsize}`, prop.span);
    }
    if (cellsize >= ncells) break;
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

export const CHECKS: readonly CheckDef[] = [
  {
    name: 'duplicate_node_names',
    level: 'error',
    prereqs: [],
    run: (_ctx, node, fail) => {
      node.children.forEach((child, i) => {
        if (child.deleted) return;
        for (const other of node.children.slice(i + 1)) {
          if (other.name === child.name) fail(`${other.fullpath || `${node.fullpath}/${other.name}`}: Duplicate node name`, other.span);
        }
      });
    },
  },
  {
    name: 'duplicate_property_names',
    level: 'error',
    prereqs: [],
    run: (_ctx, node, fail) => {
      node.props.forEach((p, i) => {
        if (p.deleted) return;
        for (const other of node.props.slice(i + 1)) {
          if (!other.deleted && other.name === p.name) fail(`${at(node, p)}Duplicate property name`, other.span ?? p.span);
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
      else fail(`${at(node)}"name" property is incorrect ("${propString(p)}" instead of base node name)`, p.span);
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
    run: (ctx, node, fail) => fixupPhandleReferences(ctx.root, node, ctx.plugin, ctx.alloc, (m, s) => fail(`${at(node)}${m}`, s)),
  },
  {
    name: 'path_references',
    level: 'error',
    prereqs: ['duplicate_node_names'],
    run: (ctx, node, fail) => fixupPathReferences(ctx.root, node, (m, s) => fail(`${at(node)}${m}`, s)),
  },
  {
    name: 'omit_unused_nodes',
    level: 'error',
    prereqs: ['phandle_references', 'path_references'],
    run: (ctx, node) => {
      if (ctx.symbols && node.labels.length > 0) return;
      if (node.omitIfUnused && !node.referenced) deleteNode(node);
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
        fail(`${at(node)}Root node has a "reg" property`, p.span);
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
    run: (_ctx, node, fail) => {
      if (getSubnode(node, '__overlay__')) return;
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
      const kids = liveChildren(node);
      kids.forEach((a, i) => {
        const ua = nodeUnitAddress(a);
        if (!ua) return;
        for (const b of kids.slice(i + 1)) {
          if (nodeUnitAddress(b) === ua && nodeBasename(a) !== nodeBasename(b)) fail(`${at(a)}duplicate unit-address (also used in node ${b.fullpath})`, a.span);
        }
      });
    },
  },
  uniqueUnitAddressIfEnabled,
  {
    name: 'obsolete_chosen_interrupt_controller',
    level: 'warning',
    prereqs: [],
    run: (_ctx, node, fail) => {
      if (node.parent) return;
      const chosen = getSubnode(node, 'chosen');
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
  interruptProvider,
  {
    name: 'alias_paths',
    level: 'warning',
    prereqs: [],
    run: (ctx, node, fail) => {
      if (node.name !== 'aliases') return;
      for (const p of node.props) {
        if (p.deleted || p.name === 'phandle' || p.name === 'linux,phandle') continue;
        if (!getNodeByPath(ctx.root, propString(p))) {
          fail(`${at(node, p)}aliases property is not a valid node (${propString(p)})`, p.span);
          continue;
        }
        if (!/^[a-z0-9-]*$/.test(p.name)) fail(`${at(node)}aliases property name must include only lowercase and '-'`, p.span);
      }
    },
  },
  graphNodes,
  graphChildAddress,
  graphPort,
  graphEndpoint,
];

type Status = 'unchecked' | 'prereq' | 'passed' | 'failed';

/** checks.c process_checks: run the enabled checks in order and report whether an error-level one failed. */
export function runChecks(ctx: CheckContext, levels: ReadonlyMap<string, CheckLevel>, report: (f: CheckFailure) => void): boolean {
  const status = new Map<string, Status>();
  const levelOf = (c: CheckDef): CheckLevel => levels.get(c.name) ?? c.level;
  const byName = new Map(CHECKS.map((c) => [c.name, c]));

  const run = (c: CheckDef): boolean => {
    let error = false;
    const level = levelOf(c);
    if ((status.get(c.name) ?? 'unchecked') === 'unchecked') {
      for (const name of c.prereqs) {
        const prq = byName.get(name);
        if (!prq) continue;
        error = run(prq) || error;
        if (status.get(name) !== 'passed') {
          status.set(c.name, 'prereq');
          if (level !== 'off') report({ check: c.name, level, message: `Failed prerequisite '${name}'`, span: undefined });
        }
      }
      if ((status.get(c.name) ?? 'unchecked') === 'unchecked') {
        const fail = (message: string, span: Span | undefined): void => {
          status.set(c.name, 'failed');
          if (level !== 'off') report({ check: c.name, level, message, span });
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
        if ((status.get(c.name) ?? 'unchecked') === 'unchecked') status.set(c.name, 'passed');
      }
    }
    if (status.get(c.name) !== 'passed' && level === 'error') error = true;
    return error;
  };

  let error = false;
  for (const c of CHECKS) {
    if (levelOf(c) === 'off') continue;
    error = error || run(c);
  }
  return error;
}
