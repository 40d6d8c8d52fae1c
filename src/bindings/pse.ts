import type { Diagnostic } from '../dts/diagnostics.js';
import type { Span } from '../diagnostics/source.js';
import {
  cellsOf,
  getProperty,
  liveChildren,
  nodePath,
  stringsOf,
  walk,
  type DtNode,
  type Property,
} from '../dts/tree.js';

/**
 * The PSE bindings as Linux defines them (Documentation/devicetree/bindings/net/pse-pd/: pse-controller.yaml,
 * podl-pse-regulator.yaml, ti,tps23881.yaml, microchip,pd692x0.yaml) and as drivers/net/pse-pd/pse_core.c
 * reads them (of_load_pse_pis, of_pse_control_get), checked on a compiled tree, plus the resolved map
 * PHY -> PSE controller -> PI -> pairsets.
 */

export const PseCode = {
  /** `pses` phandle points at no node. */
  DANGLING: 'PSE1001',
  /** `pses` cell count does not match the target's `#pse-cells`, or the index is out of range. */
  ARITY: 'PSE1002',
  /** Two PHYs reference the same PI. */
  PI_SHARED: 'PSE1003',
  /** `pses` resolves to a node that is not a (usable) PSE controller or PI: the PHY would defer forever. */
  PSE_MISSING: 'PSE1004',
  /** A PSE controller no PHY references. */
  UNUSED: 'PSE1005',
  /** `pse-pis` container shape (#address-cells/#size-cells). */
  PIS_CONTAINER: 'PSE1010',
  /** `pse-pi@N` reg missing, duplicated or out of range. */
  PI_REG: 'PSE1011',
  /** `pse-pi@N` `#pse-cells` must be 0. */
  PI_CELLS: 'PSE1012',
  /** `pairset-names` / `pairsets` disagree or hold invalid values. */
  PAIRSETS: 'PSE1013',
  /** `polarity-supported` holds a value outside MDI-X, MDI, X, S. */
  POLARITY: 'PSE1014',
  /** A supply phandle (`vpwr-supply`, `pse-supply`) missing or dangling. */
  SUPPLY: 'PSE1015',
  /** Controller must have exactly one of `#pse-cells` and `pse-pis` (pse-controller.yaml oneOf). */
  CONTROLLER_SHAPE: 'PSE1016',
  /** Controller-specific rules (tps23881 channels, pd692x0 managers, podl cells). */
  DEVICE_RULE: 'PSE1017',
  /** Node name does not match `ethernet-pse(@...|-N)`. */
  NODE_NAME: 'PSE1018',
} as const;

export type PseCodeValue = (typeof PseCode)[keyof typeof PseCode];

export interface PseDiagnostic extends Diagnostic {
  readonly code: PseCodeValue;
  /** The node the finding is about. */
  readonly path: string;
  /** Other nodes involved (the first PHY of a shared PI, the target of a reference). */
  readonly relatedPaths?: readonly string[];
}

export type PseControllerKind = 'podl-pse-regulator' | 'ti,tps23881' | 'microchip,pd692x0' | 'generic';

export type PairsetName = 'alternative-a' | 'alternative-b';

export interface PsePairset {
  name: string;
  /** Path of the node the `pairsets` phandle points at (a tps23881 `channel@N`, a pd692x0 `port@N`, a supply). */
  path: string;
  /** Physical channel of that node on its controller, when the controller binding defines one. */
  channel?: number;
}

export interface PsePi {
  index: number;
  /** The `pse-pi@N` node, or undefined for a PI that exists only as a `#pse-cells` index. */
  path?: string;
  pairsets: PsePairset[];
  polarity: string[];
  vpwrSupply?: string;
}

export interface PseController {
  path: string;
  compatible: string[];
  kind: PseControllerKind;
  /** `#pse-cells` of the controller node, if present. */
  pseCells?: number;
  /** Number of lines the driver registers (pcdev->nr_lines); undefined when not fixed by a driver. */
  nrLines?: number;
  pis: PsePi[];
  pseSupply?: string;
  enabled: boolean;
}

export interface PhyPseLink {
  phy: string;
  controller: string;
  pi: number;
  piPath?: string;
  pairsets: PsePairset[];
}

export interface PseBindingReport {
  controllers: PseController[];
  links: PhyPseLink[];
  diagnostics: PseDiagnostic[];
}

const PD692X0_COMPATIBLES = ['microchip,pd69200', 'microchip,pd69210', 'microchip,pd69220'];
/** drivers/net/pse-pd/tps23881.c TPS23881_MAX_CHANS; pd692x0.c PD692X0_MAX_PIS. */
const TPS23881_MAX_CHANS = 8;
const PD692X0_MAX_PIS = 48;
const ETHERNET_PSE_NAME = /^ethernet-pse(@.*|-([0-9]|[1-9][0-9]+))?$/;
const PAIRSET_NAMES: readonly string[] = ['alternative-a', 'alternative-b'];
const POLARITIES: readonly string[] = ['MDI-X', 'MDI', 'X', 'S'];

class Collector {
  readonly list: PseDiagnostic[] = [];
  error(code: PseCodeValue, node: DtNode, message: string, prop?: Property, relatedPaths?: string[]): void {
    this.add('error', code, node, message, prop, relatedPaths);
  }
  warning(code: PseCodeValue, node: DtNode, message: string, prop?: Property): void {
    this.add('warning', code, node, message, prop);
  }
  private add(
    severity: 'error' | 'warning',
    code: PseCodeValue,
    node: DtNode,
    message: string,
    prop?: Property,
    relatedPaths?: string[],
  ): void {
    const path = nodePath(node);
    const span: Span | undefined = prop?.span ?? node.span;
    this.list.push({
      code,
      severity,
      message: `${path}: ${message}`,
      path,
      ...(span ? { span } : {}),
      ...(relatedPaths && relatedPaths.length > 0 ? { relatedPaths } : {}),
    });
  }
}

/** Builds phandle -> node from the node's assigned phandle or its `phandle`/`linux,phandle` property. */
export function phandleIndex(root: DtNode): Map<number, DtNode> {
  const map = new Map<number, DtNode>();
  walk(root, (n) => {
    const prop = getProperty(n, 'phandle') ?? getProperty(n, 'linux,phandle');
    const fromProp = prop ? cellsOf(prop.value)[0] : undefined;
    const ph = n.phandle || fromProp || 0;
    if (ph !== 0 && ph !== 0xffffffff) map.set(ph, n);
  });
  return map;
}

function u32(node: DtNode, name: string): number | undefined {
  const p = getProperty(node, name);
  if (!p || p.value.bytes.length !== 4) return undefined;
  return cellsOf(p.value)[0];
}

function compatibles(node: DtNode): string[] {
  const p = getProperty(node, 'compatible');
  return p ? stringsOf(p.value) : [];
}

function isEnabled(node: DtNode): boolean {
  const p = getProperty(node, 'status');
  if (!p) return true;
  const s = stringsOf(p.value)[0];
  return s === 'okay' || s === 'ok';
}

function baseName(node: DtNode): string {
  return node.name.split('@')[0] ?? node.name;
}

function kindOf(node: DtNode): PseControllerKind | undefined {
  const compat = compatibles(node);
  if (compat.includes('podl-pse-regulator')) return 'podl-pse-regulator';
  if (compat.includes('ti,tps23881') || compat.includes('ti,tps23881b')) return 'ti,tps23881';
  if (compat.some((c) => PD692X0_COMPATIBLES.includes(c))) return 'microchip,pd692x0';
  if (baseName(node) === 'pse-pi') return undefined;
  // Another vendor's controller: pse-controller.yaml names it ethernet-pse and gives it #pse-cells or pse-pis.
  const hasPis = liveChildren(node).some((c) => c.name === 'pse-pis');
  if (hasPis || (getProperty(node, '#pse-cells') && ETHERNET_PSE_NAME.test(node.name))) return 'generic';
  return undefined;
}

function nrLinesOf(kind: PseControllerKind): number | undefined {
  switch (kind) {
    case 'podl-pse-regulator':
      return 1;
    case 'ti,tps23881':
      return TPS23881_MAX_CHANS;
    case 'microchip,pd692x0':
      return PD692X0_MAX_PIS;
    case 'generic':
      return undefined;
  }
}

/** Channel numbers of the nodes a controller's PI pairsets may point at, as its driver numbers them. */
function channelMap(controller: DtNode, kind: PseControllerKind, diags: Collector): Map<DtNode, number> {
  const map = new Map<DtNode, number>();
  if (kind === 'ti,tps23881') {
    // tps23881_get_of_channels(): children of `channels` named `channel`, `reg` < 8, each once.
    const channels = liveChildren(controller).find((c) => c.name === 'channels');
    if (!channels) return map;
    const seen = new Map<number, DtNode>();
    for (const ch of liveChildren(channels)) {
      if (baseName(ch) !== 'channel') continue;
      const reg = u32(ch, 'reg');
      if (reg === undefined) {
        diags.error(PseCode.DEVICE_RULE, ch, 'channel has no single-cell reg (tps23881_get_of_channels)');
        continue;
      }
      if (reg >= TPS23881_MAX_CHANS || seen.has(reg)) {
        diags.error(
          PseCode.DEVICE_RULE,
          ch,
          `wrong channel number ${reg}: must be 0-7 and unique`,
          getProperty(ch, 'reg'),
        );
        continue;
      }
      seen.set(reg, ch);
      map.set(ch, reg);
    }
  } else if (kind === 'microchip,pd692x0') {
    // pd692x0 binding: managers in chip-select order, every physical port listed in order; ports count on.
    const managers = liveChildren(controller).find((c) => c.name === 'managers');
    if (!managers) return map;
    let next = 0;
    for (const mgr of liveChildren(managers)) {
      if (baseName(mgr) !== 'manager') continue;
      for (const port of liveChildren(mgr)) if (baseName(port) === 'port') map.set(port, next++);
    }
  }
  return map;
}

function loadPis(
  controller: DtNode,
  kind: PseControllerKind,
  nrLines: number | undefined,
  byPhandle: Map<number, DtNode>,
  diags: Collector,
): PsePi[] {
  const pisNode = liveChildren(controller).find((c) => c.name === 'pse-pis');
  if (!pisNode) return [];
  if (u32(pisNode, '#address-cells') !== 1 || u32(pisNode, '#size-cells') !== 0) {
    diags.error(PseCode.PIS_CONTAINER, pisNode, 'pse-pis needs #address-cells = <1> and #size-cells = <0>');
  }
  const channels = channelMap(controller, kind, diags);
  const pis: PsePi[] = [];
  const byIndex = new Map<number, DtNode>();
  const channelOwner = new Map<number, DtNode>();
  for (const node of liveChildren(pisNode)) {
    // of_load_pse_pis() skips children not named pse-pi.
    if (baseName(node) !== 'pse-pi') continue;
    const regProp = getProperty(node, 'reg');
    const reg = u32(node, 'reg');
    if (reg === undefined) {
      diags.error(PseCode.PI_REG, node, "can't get reg property", regProp);
      continue;
    }
    if (nrLines !== undefined && reg >= nrLines) {
      diags.error(PseCode.PI_REG, node, `reg value (${reg}) is out of range (${nrLines})`, regProp);
      continue;
    }
    const other = byIndex.get(reg);
    if (other) {
      diags.error(
        PseCode.PI_REG,
        node,
        `other node with same reg value ${reg} was already registered`,
        regProp,
        [nodePath(other)],
      );
      continue;
    }
    byIndex.set(reg, node);
    const cellsProp = getProperty(node, '#pse-cells');
    if (u32(node, '#pse-cells') !== 0)
      diags.error(PseCode.PI_CELLS, node, '#pse-cells must be <0> on a pse-pi', cellsProp);

    const pi: PsePi = { index: reg, path: nodePath(node), pairsets: [], polarity: [] };
    const namesProp = getProperty(node, 'pairset-names');
    const setsProp = getProperty(node, 'pairsets');
    const names = namesProp ? stringsOf(namesProp.value) : [];
    const sets = setsProp ? cellsOf(setsProp.value) : [];
    if (setsProp && (sets.length < 1 || sets.length > 2)) {
      diags.error(
        PseCode.PAIRSETS,
        node,
        `wrong number of pairsets: should be 1 or 2, got ${sets.length}`,
        setsProp,
      );
    } else if (setsProp) {
      if (names.length !== sets.length) {
        diags.error(
          PseCode.PAIRSETS,
          node,
          `amount of pairsets and pairset-names is not equal ${sets.length} != ${names.length}`,
          namesProp ?? setsProp,
        );
      }
      for (const [i, ph] of sets.entries()) {
        const name = names[i] ?? '';
        if (names[i] !== undefined && !PAIRSET_NAMES.includes(name)) {
          diags.error(PseCode.PAIRSETS, node, `wrong pairset-names value ${name}`, namesProp);
        }
        const target = byPhandle.get(ph);
        if (!target) {
          diags.error(
            PseCode.PAIRSETS,
            node,
            `pairsets[${i}] phandle 0x${ph.toString(16)} points at no node`,
            setsProp,
          );
          continue;
        }
        const channel = channels.get(target);
        pi.pairsets.push({ name, path: nodePath(target), ...(channel !== undefined ? { channel } : {}) });
      }
      if (names.length === 2 && names[0] === names[1]) {
        diags.error(PseCode.PAIRSETS, node, 'two PI pairsets can not have identical pinout', namesProp);
      }
    } else if (namesProp) {
      diags.error(PseCode.PAIRSETS, node, 'pairset-names without pairsets', namesProp);
    }

    if (kind === 'ti,tps23881') checkTps23881Pairsets(node, pi, channelOwner, diags);

    const polProp = getProperty(node, 'polarity-supported');
    if (polProp) {
      pi.polarity = stringsOf(polProp.value);
      const bad = pi.polarity.filter((p) => !POLARITIES.includes(p));
      if (bad.length > 0 || pi.polarity.length < 1 || pi.polarity.length > 4) {
        diags.error(
          PseCode.POLARITY,
          node,
          `polarity-supported must hold 1-4 of MDI-X, MDI, X, S; got ${pi.polarity.join(', ')}`,
          polProp,
        );
      }
    }
    const vpwr = supplyTarget(node, 'vpwr-supply', byPhandle, diags, false);
    if (vpwr) pi.vpwrSupply = vpwr;
    pis.push(pi);
  }
  return pis.sort((a, b) => a.index - b.index);
}

/** tps23881_match_port_matrix(): each channel used once; the two pairsets of a 4-pair PI in one 4-channel group. */
function checkTps23881Pairsets(node: DtNode, pi: PsePi, owner: Map<number, DtNode>, diags: Collector): void {
  for (const ps of pi.pairsets) {
    if (ps.channel === undefined) {
      diags.error(
        PseCode.DEVICE_RULE,
        node,
        `pairset ${ps.path} is not a channel of this tps23881; probe fails with -ENODEV`,
      );
      continue;
    }
    const prev = owner.get(ps.channel);
    if (prev)
      diags.error(PseCode.DEVICE_RULE, node, `channel ${ps.channel} already used`, undefined, [
        nodePath(prev),
      ]);
    else owner.set(ps.channel, node);
  }
  const [a, b] = pi.pairsets;
  if (
    a?.channel !== undefined &&
    b?.channel !== undefined &&
    Math.floor(a.channel / 4) !== Math.floor(b.channel / 4)
  ) {
    diags.error(PseCode.DEVICE_RULE, node, '4-pair PSE can only be set within the same 4 ports group');
  }
}

function supplyTarget(
  node: DtNode,
  name: string,
  byPhandle: Map<number, DtNode>,
  diags: Collector,
  required: boolean,
): string | undefined {
  const prop = getProperty(node, name);
  if (!prop) {
    if (required) diags.error(PseCode.SUPPLY, node, `${name} is required`);
    return undefined;
  }
  const ph = cellsOf(prop.value)[0];
  const target = ph === undefined ? undefined : byPhandle.get(ph);
  if (!target) {
    diags.error(PseCode.SUPPLY, node, `${name} points at no node`, prop);
    return undefined;
  }
  return nodePath(target);
}

function loadController(
  node: DtNode,
  kind: PseControllerKind,
  byPhandle: Map<number, DtNode>,
  diags: Collector,
): PseController {
  const cellsProp = getProperty(node, '#pse-cells');
  const pseCells = u32(node, '#pse-cells');
  const hasPis = liveChildren(node).some((c) => c.name === 'pse-pis');
  const nrLines = nrLinesOf(kind);
  if (!ETHERNET_PSE_NAME.test(node.name)) {
    diags.warning(PseCode.NODE_NAME, node, `node name should match ethernet-pse(@...|-N), got ${node.name}`);
  }
  if (cellsProp && pseCells === undefined)
    diags.error(PseCode.CONTROLLER_SHAPE, node, '#pse-cells must be one cell', cellsProp);
  if (pseCells !== undefined && pseCells > 1)
    diags.error(PseCode.CONTROLLER_SHAPE, node, `#pse-cells must be 0 or 1, got ${pseCells}`, cellsProp);
  if ((cellsProp !== undefined) === hasPis) {
    diags.error(
      PseCode.CONTROLLER_SHAPE,
      node,
      'a PSE controller needs exactly one of #pse-cells and pse-pis (pse-controller.yaml oneOf)',
      cellsProp,
    );
  }
  const controller: PseController = {
    path: nodePath(node),
    compatible: compatibles(node),
    kind,
    ...(pseCells !== undefined ? { pseCells } : {}),
    ...(nrLines !== undefined ? { nrLines } : {}),
    pis: loadPis(node, kind, nrLines, byPhandle, diags),
    enabled: isEnabled(node),
  };
  switch (kind) {
    case 'podl-pse-regulator': {
      if (pseCells !== 0)
        diags.error(PseCode.DEVICE_RULE, node, 'podl-pse-regulator needs #pse-cells = <0>', cellsProp);
      const supply = supplyTarget(node, 'pse-supply', byPhandle, diags, true);
      if (supply) controller.pseSupply = supply;
      break;
    }
    case 'ti,tps23881':
      if (u32(node, 'reg') === undefined)
        diags.error(PseCode.DEVICE_RULE, node, 'ti,tps23881 needs a reg (its I2C address)');
      if (pseCells !== undefined && pseCells !== 1)
        diags.error(PseCode.DEVICE_RULE, node, 'ti,tps23881 #pse-cells must be <1>', cellsProp);
      break;
    case 'microchip,pd692x0':
      if (u32(node, 'reg') === undefined)
        diags.error(PseCode.DEVICE_RULE, node, 'microchip,pd692x0 needs a reg (its I2C address)');
      if (!hasPis) diags.error(PseCode.DEVICE_RULE, node, 'microchip,pd692x0 requires pse-pis');
      break;
    case 'generic':
      break;
  }
  // A controller without pse-pis exposes its lines as #pse-cells indices (psec_id_xlate).
  if (!hasPis) {
    const lines = pseCells === 0 ? 1 : (nrLines ?? 0);
    for (let i = 0; i < lines; i++) controller.pis.push({ index: i, pairsets: [], polarity: [] });
  }
  return controller;
}

interface PiRef {
  controller: PseController;
  controllerNode: DtNode;
  pi: number;
  piNode?: DtNode;
}

/** Where a `pses` target lands: a pse-pi of a controller with pse-pis, or a controller without them. */
function resolveTarget(
  phy: DtNode,
  prop: Property,
  target: DtNode,
  args: number[],
  controllers: Map<DtNode, PseController>,
  diags: Collector,
): PiRef | undefined {
  const targetPath = nodePath(target);
  const pisParent = target.parent;
  if (baseName(target) === 'pse-pi' && pisParent?.name === 'pse-pis' && pisParent.parent) {
    const controllerNode = pisParent.parent;
    const controller = controllers.get(controllerNode);
    const pi = u32(target, 'reg');
    if (!controller || pi === undefined || !controller.pis.some((p) => p.path === targetPath)) {
      diags.error(
        PseCode.PSE_MISSING,
        phy,
        `pses points at ${targetPath}, which no PSE controller registers as a PI`,
        prop,
        [targetPath],
      );
      return undefined;
    }
    if (!controller.enabled) {
      diags.error(
        PseCode.PSE_MISSING,
        phy,
        `pses points at a PI of ${controller.path}, which is disabled: the PHY defers forever`,
        prop,
        [controller.path],
      );
      return undefined;
    }
    return { controller, controllerNode, pi, piNode: target };
  }
  const controller = controllers.get(target);
  if (!controller) {
    diags.error(
      PseCode.PSE_MISSING,
      phy,
      `pses points at ${targetPath}, which is not a PSE controller`,
      prop,
      [targetPath],
    );
    return undefined;
  }
  if (!controller.enabled) {
    diags.error(
      PseCode.PSE_MISSING,
      phy,
      `pses points at ${targetPath}, which is disabled: the PHY defers forever`,
      prop,
      [targetPath],
    );
    return undefined;
  }
  if (liveChildren(target).some((c) => c.name === 'pse-pis')) {
    // of_pse_control_get() matches only PI nodes against a controller that has pse-pis: no match, -EPROBE_DEFER.
    diags.error(
      PseCode.PSE_MISSING,
      phy,
      `pses points at controller ${targetPath}, which describes its PIs in pse-pis: reference a pse-pi node`,
      prop,
      [targetPath],
    );
    return undefined;
  }
  const pi = args[0] ?? 0;
  const lines = controller.pis.length;
  if (args.length === 1 && pi >= lines) {
    diags.error(
      PseCode.ARITY,
      phy,
      `pses index ${pi} is out of range: ${targetPath} has ${lines} line(s)`,
      prop,
      [targetPath],
    );
    return undefined;
  }
  return { controller, controllerNode: target, pi };
}

/** Checks every PSE binding in the tree and resolves each PHY's `pses`. */
export function checkPseBindings(root: DtNode): PseBindingReport {
  const diags = new Collector();
  const byPhandle = phandleIndex(root);
  const controllers = new Map<DtNode, PseController>();
  walk(root, (n) => {
    const kind = kindOf(n);
    if (kind) controllers.set(n, loadController(n, kind, byPhandle, diags));
  });

  const links: PhyPseLink[] = [];
  const piUsers = new Map<string, string>();
  const usedControllers = new Set<PseController>();
  walk(root, (phy) => {
    const prop = getProperty(phy, 'pses');
    if (!prop) return;
    const cells = cellsOf(prop.value);
    const ph = cells[0];
    if (ph === undefined || prop.value.bytes.length % 4 !== 0) {
      diags.error(PseCode.ARITY, phy, 'pses must hold a phandle and its #pse-cells arguments', prop);
      return;
    }
    const target = byPhandle.get(ph);
    if (!target) {
      diags.error(PseCode.DANGLING, phy, `pses phandle 0x${ph.toString(16)} points at no node`, prop);
      return;
    }
    const targetPath = nodePath(target);
    const n = u32(target, '#pse-cells');
    if (n === undefined) {
      diags.error(PseCode.ARITY, phy, `pses target ${targetPath} has no #pse-cells`, prop, [targetPath]);
      return;
    }
    // ethernet-phy.yaml: pses maxItems 1, so exactly one specifier of 1 + #pse-cells cells.
    if (cells.length !== 1 + n) {
      diags.error(
        PseCode.ARITY,
        phy,
        `pses has ${cells.length - 1} argument cell(s) but ${targetPath} has #pse-cells = <${n}>`,
        prop,
        [targetPath],
      );
      return;
    }
    const ref = resolveTarget(phy, prop, target, cells.slice(1), controllers, diags);
    if (!ref) return;
    usedControllers.add(ref.controller);
    const key = `${ref.controller.path}#${ref.pi}`;
    const phyPath = nodePath(phy);
    const first = piUsers.get(key);
    if (first !== undefined) {
      diags.error(
        PseCode.PI_SHARED,
        phy,
        `PI ${ref.pi} of ${ref.controller.path} is already referenced by ${first}`,
        prop,
        [first],
      );
      return;
    }
    piUsers.set(key, phyPath);
    const pi = ref.controller.pis.find((p) => p.index === ref.pi);
    links.push({
      phy: phyPath,
      controller: ref.controller.path,
      pi: ref.pi,
      ...(pi?.path !== undefined ? { piPath: pi.path } : {}),
      pairsets: pi?.pairsets ?? [],
    });
  });

  for (const [node, c] of controllers) {
    if (!usedControllers.has(c)) diags.warning(PseCode.UNUSED, node, 'no PHY references this PSE controller');
  }
  return { controllers: [...controllers.values()], links, diagnostics: diags.list };
}

export function hasErrors(report: PseBindingReport): boolean {
  return report.diagnostics.some((d) => d.severity === 'error');
}

/** One line per PHY: `phy -> controller pi N [pairsets]`, the text `mdio-emu pse map` prints. */
export function formatPseMap(report: PseBindingReport): string[] {
  return report.links.map((l) => {
    const sets = l.pairsets
      .map((p) => `${p.name}=${p.path}${p.channel !== undefined ? `(ch${p.channel})` : ''}`)
      .join(', ');
    const pi = l.piPath ? `pi ${l.pi} (${l.piPath})` : `pi ${l.pi}`;
    return `${l.phy} -> ${l.controller} ${pi}${sets ? ` pairsets ${sets}` : ''}`;
  });
}
