import { formatPropertyValue } from './print.js';
import { liveChildren, liveProperties, nodePath, type DeviceTree, type DtNode, type Marker, type Property } from './tree.js';

/**
 * `mdio-emu dts diff A B`: two trees compared by meaning, not bytes. Nodes pair up by name at each level and
 * properties by name (order ignored); `phandle`/`linux,phandle` values are numbering, so they are left out,
 * and every cell that holds a reference compares as the path of the node it points at and prints as
 * `&label` (or `&{/path}`). A tree compiled from source knows its references exactly (dtc's markers); for a
 * blob they are found where the bindings put them: phandle-and-arguments lists sized by the provider's
 * `#...-cells` (as dtc's checks walk them), single and listed phandles such as `interrupt-parent`,
 * `*-handle`, `pinctrl-N`, `*-supply`.
 */

export interface DiffLine {
  sign: '-' | '+';
  text: string;
}

export interface DiffHunk {
  path: string;
  /** The node is in one tree only. */
  only?: 'a' | 'b';
  lines: DiffLine[];
}

export interface TreeDiff {
  equal: boolean;
  hunks: DiffHunk[];
}

/** Properties whose every cell is a phandle. */
const PHANDLE_LISTS =
  /^(pinctrl-\d+|memory-region|cpu-idle-states|operating-points-v2|nvmem-cells|next-level-cache|.*-supply|interrupt-parent|interrupt-affinity|phy-handle|phy|.*-handle|remote-endpoint|cpu|cpus|trip|sram|ethernet|pse|mdio-parent-bus|i2c-bus|i2c-parent|ddc-i2c-bus|ddc|power-supplies|mmc-pwrseq|firmware|syscon|.*,syscon)$/;

/** A phandle followed by a fixed number of cells, repeated (gpio-ranges: pin controller, offset, pin, count). */
const PHANDLE_THEN: readonly [RegExp, number][] = [[/^gpio-ranges$/, 3]];

/** phandle-and-arguments lists and the provider property that sizes the arguments (checks.c's table, and more). */
const PROVIDER_CELLS: readonly [RegExp, string][] = [
  [/^(clocks|assigned-clocks|assigned-clock-parents)$/, '#clock-cells'],
  [/^resets$/, '#reset-cells'],
  [/^dmas$/, '#dma-cells'],
  [/^power-domains$/, '#power-domain-cells'],
  [/^phys$/, '#phy-cells'],
  [/^pwms$/, '#pwm-cells'],
  [/^iommus$/, '#iommu-cells'],
  [/^mboxes$/, '#mbox-cells'],
  [/^io-channels$/, '#io-channel-cells'],
  [/^interrupts-extended$/, '#interrupt-cells'],
  [/^hwlocks$/, '#hwlock-cells'],
  [/^thermal-sensors$/, '#thermal-sensor-cells'],
  [/^sound-dai$/, '#sound-dai-cells'],
  [/^mux-controls$/, '#mux-control-cells'],
  [/^cooling-device$/, '#cooling-cells'],
  [/^interconnects$/, '#interconnect-cells'],
  [/^pses$/, '#pse-cells'],
  [/^msi-parent$/, '#msi-cells'],
  [/^(.*-gpios?|gpios?)$/, '#gpio-cells'],
];

const u32 = (b: Uint8Array, at: number): number => (((b[at] ?? 0) << 24) | ((b[at + 1] ?? 0) << 16) | ((b[at + 2] ?? 0) << 8) | (b[at + 3] ?? 0)) >>> 0;

interface TreeIndex {
  byPhandle: Map<number, DtNode>;
  labelOf: Map<DtNode, string>;
}

function indexTree(tree: DeviceTree): TreeIndex {
  const byPhandle = new Map<number, DtNode>();
  const labelOf = new Map<DtNode, string>();
  const visit = (n: DtNode): void => {
    for (const name of ['phandle', 'linux,phandle']) {
      const p = n.properties.find((x) => !x.deleted && x.name === name);
      if (p && p.value.bytes.length === 4) {
        const v = u32(p.value.bytes, 0);
        if (v !== 0 && v !== 0xffffffff && !byPhandle.has(v)) byPhandle.set(v, n);
      }
    }
    if (n.phandle !== 0 && n.phandle !== 0xffffffff && !byPhandle.has(n.phandle)) byPhandle.set(n.phandle, n);
    const label = n.labels[0];
    if (label !== undefined) labelOf.set(n, label);
    for (const c of liveChildren(n)) visit(c);
  };
  visit(tree.root);
  return { byPhandle, labelOf };
}

/** Offsets of the cells of `prop` that are references, and the node each points at. */
function references(node: DtNode, prop: Property, index: TreeIndex): Map<number, DtNode> {
  const out = new Map<number, DtNode>();
  const bytes = prop.value.bytes;
  const fromSource = prop.value.markers.some((m) => m.kind.startsWith('type-'));
  const add = (at: number): boolean => {
    const target = index.byPhandle.get(u32(bytes, at));
    if (target) out.set(at, target);
    return target !== undefined;
  };
  if (fromSource || prop.value.markers.some((m) => m.kind === 'ref-phandle')) {
    for (const m of prop.value.markers) if (m.kind === 'ref-phandle') add(m.offset);
    return out;
  }
  if (bytes.length % 4 !== 0 || bytes.length === 0) return out;
  if (PHANDLE_LISTS.test(prop.name)) {
    for (let at = 0; at < bytes.length; at += 4) add(at);
    return out;
  }
  const fixed = PHANDLE_THEN.find(([re]) => re.test(prop.name));
  if (fixed) {
    for (let at = 0; at < bytes.length; at += 4 * (fixed[1] + 1)) add(at);
    return out;
  }
  const provider = PROVIDER_CELLS.find(([re]) => re.test(prop.name));
  if (!provider || prop.name.endsWith(',nr-gpios') || (prop.name === 'gpios' && node.properties.some((p) => p.name === 'gpio-hog'))) return out;
  for (let at = 0; at < bytes.length; ) {
    if (!add(at)) {
      // 0 (or an unknown number) skips one optional entry, as dtc's check_property_phandle_args does.
      at += 4;
      continue;
    }
    const target = out.get(at);
    const cells = target?.properties.find((p) => !p.deleted && p.name === provider[1]);
    at += 4 + (cells && cells.value.bytes.length === 4 ? u32(cells.value.bytes, 0) * 4 : 0);
  }
  return out;
}

interface Rendered {
  /** What compares: the bytes with reference cells replaced by their targets' paths. */
  key: string;
  /** What prints: the value as DTS with references by label or path. */
  text: string;
}

/**
 * `hints` are offsets the other tree knows to be references (a source tree's markers against a blob): a cell
 * there that is a phandle of this tree is a reference too.
 */
function render(node: DtNode, prop: Property, index: TreeIndex, hints: Iterable<number> = []): Rendered {
  const refs = references(node, prop, index);
  for (const at of hints) {
    if (refs.has(at) || at % 4 !== 0 || at + 4 > prop.value.bytes.length) continue;
    const target = index.byPhandle.get(u32(prop.value.bytes, at));
    if (target) refs.set(at, target);
  }
  const bytes = prop.value.bytes;
  let key = '';
  for (let at = 0; at < bytes.length; ) {
    const target = at % 4 === 0 ? refs.get(at) : undefined;
    if (target) {
      key += `&{${nodePath(target)}}`;
      at += 4;
    } else key += (bytes[at++] ?? 0).toString(16).padStart(2, '0');
  }
  // Print with reference markers naming each target (its first label, else its path), the way dtc 1.8 does.
  const markers: Marker[] = prop.value.markers.filter((m) => m.kind !== 'ref-phandle' && m.kind !== 'label' && m.kind !== 'ref-path');
  const refMarkers: Marker[] = [...refs].map(([offset, target]) => ({ kind: 'ref-phandle', offset, ref: index.labelOf.get(target) ?? nodePath(target) }));
  const all = [...markers, ...refMarkers].sort((a, b) => a.offset - b.offset || (a.kind.startsWith('type-') ? -1 : 1));
  const text = formatPropertyValue({ name: prop.name, labels: [], value: { bytes, markers: all }, deleted: false }, { compat: '1.8' }).replace(/\n$/, '');
  return { key, text };
}

const IGNORED = new Set(['phandle', 'linux,phandle']);

/** Compares two trees by meaning; `hunks` lists, node by node in tree order, what differs. */
export function diffTrees(a: DeviceTree, b: DeviceTree): TreeDiff {
  const ia = indexTree(a);
  const ib = indexTree(b);
  const hunks: DiffHunk[] = [];

  const reserves = (t: DeviceTree): string[] => t.memreserves.map((r) => `/memreserve/ 0x${r.address.toString(16)} 0x${r.size.toString(16)};`);
  const ra = reserves(a);
  const rb = reserves(b);
  const reserveLines = [...ra.filter((r) => !rb.includes(r)).map((text) => ({ sign: '-' as const, text })), ...rb.filter((r) => !ra.includes(r)).map((text) => ({ sign: '+' as const, text }))];
  if (reserveLines.length > 0) hunks.push({ path: '/memreserve/', lines: reserveLines });

  const whole = (node: DtNode, index: TreeIndex, sign: '-' | '+', only: 'a' | 'b'): void => {
    const lines = liveProperties(node)
      .filter((p) => !IGNORED.has(p.name))
      .map((p) => ({ sign, text: `${p.name}${render(node, p, index).text}` }));
    hunks.push({ path: nodePath(node), only, lines });
    for (const c of liveChildren(node)) whole(c, index, sign, only);
  };

  const visit = (na: DtNode, nb: DtNode): void => {
    const lines: DiffLine[] = [];
    const pa = new Map(liveProperties(na).filter((p) => !IGNORED.has(p.name)).map((p) => [p.name, p]));
    const pb = new Map(liveProperties(nb).filter((p) => !IGNORED.has(p.name)).map((p) => [p.name, p]));
    for (const [name, p] of pa) {
      const q = pb.get(name);
      if (!q) {
        lines.push({ sign: '-', text: `${name}${render(na, p, ia).text}` });
        continue;
      }
      const ra2 = render(na, p, ia, references(nb, q, ib).keys());
      const rq = render(nb, q, ib, references(na, p, ia).keys());
      if (ra2.key !== rq.key) lines.push({ sign: '-', text: `${name}${ra2.text}` }, { sign: '+', text: `${name}${rq.text}` });
    }
    for (const [name, q] of pb) if (!pa.has(name)) lines.push({ sign: '+', text: `${name}${render(nb, q, ib).text}` });
    if (lines.length > 0) hunks.push({ path: nodePath(na), lines });
    const ca = new Map(liveChildren(na).map((c) => [c.name, c]));
    const cb = new Map(liveChildren(nb).map((c) => [c.name, c]));
    for (const [name, c] of ca) {
      const d = cb.get(name);
      if (d) visit(c, d);
      else whole(c, ia, '-', 'a');
    }
    for (const [name, d] of cb) if (!ca.has(name)) whole(d, ib, '+', 'b');
  };
  visit(a.root, b.root);
  return { equal: hunks.length === 0, hunks };
}

/** diff -u style: a header, then per node `@@ path @@` and its `-`/`+` property lines. */
export function formatDiff(diff: TreeDiff, nameA: string, nameB: string): string {
  if (diff.equal) return '';
  const out = [`--- ${nameA}`, `+++ ${nameB}`];
  for (const h of diff.hunks) {
    const tag = h.only === 'a' ? ` (only in ${nameA})` : h.only === 'b' ? ` (only in ${nameB})` : '';
    out.push(`@@ ${h.path} @@${tag}`);
    for (const l of h.lines) out.push(`${l.sign}\t${l.text}`);
  }
  return `${out.join('\n')}\n`;
}
