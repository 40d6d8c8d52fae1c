import {
  addChild,
  addLabel,
  addMarker,
  appendBytes,
  appendInteger,
  buildNode,
  buildProperty,
  emptyData,
  getNodeByPath,
  getProperty,
  getSubnode,
  recordEvent,
  type Data,
  type LiveNode,
  type LiveProperty,
} from './build.js';
import type { DtcFeatures } from './compat.js';
import type { NodeIndex } from './node-index.js';
import type { PhandleAllocator } from './phandles.js';
import type { Marker, MarkerKind } from './tree.js';

/**
 * The generated trees of dtc's livetree.c: `__symbols__` (-@, and `aliases` for -A), and for `/plugin/` the
 * `__fixups__` (references this overlay cannot resolve) and `__local_fixups__` (where its own phandles sit,
 * so the loader can renumber them). dtc 1.6 and 1.7 append every entry, duplicates included; 1.8 adds only
 * entries a node lacks, and reads the generated trees back (labels from __symbols__, references from the
 * fixups) for every input, which is how a DTB prints with its labels and `&refs` again.
 */

const bytesOf = (s: string): number[] => [...Buffer.from(s, 'latin1'), 0];

/** livetree.c build_root_node: reuse an existing child of that name (before 1.8 even a deleted one) or append one. */
function rootChild(parent: LiveNode, name: string, f: DtcFeatures): LiveNode {
  const existing = getSubnode(parent, name, f);
  if (existing) return existing;
  const node = buildNode([], []);
  node.name = name;
  addChild(parent, node);
  return node;
}

const generated = (prop: LiveProperty, note: string): LiveProperty => {
  recordEvent(prop, { kind: 'generated', span: undefined, note });
  return prop;
};

/** livetree.c append_to_property (dtc 1.6, 1.7): a marker and the bytes, whatever is there already. */
function appendToProperty(node: LiveNode, name: string, kind: 'type-string' | 'type-u32', bytes: number[], note: string): void {
  let p: LiveProperty | undefined = getProperty(node, name);
  if (!p) {
    p = generated(buildProperty(name, emptyData()), note);
    node.props.push(p);
  }
  addMarker(p.data, kind, name);
  appendBytes(p.data, bytes);
}

/** livetree.c append_unique_str_to_property / append_unique_u32_to_property (dtc 1.8); false when malformed. */
function appendUnique(node: LiveNode, name: string, kind: 'type-string' | 'type-u32', bytes: number[], note: string): boolean {
  let p: LiveProperty | undefined = getProperty(node, name);
  if (p) {
    const v = p.data.bytes;
    if (kind === 'type-string') {
      if (v.length > 0 && v[v.length - 1] !== 0) return false;
      const wanted = bytes.slice(0, -1);
      for (let s = 0; s < v.length; ) {
        let e = v.indexOf(0, s);
        if (e < 0) e = v.length;
        if (e - s === wanted.length && wanted.every((b, i) => v[s + i] === b)) return true;
        s = e + 1;
      }
    } else {
      if (v.length % 4 !== 0) return false;
      for (let i = 0; i < v.length; i += 4) if (bytes.every((b, k) => v[i + k] === b)) return true;
    }
  } else {
    p = generated(buildProperty(name, emptyData()), note);
    node.props.push(p);
  }
  addMarker(p.data, kind, name);
  appendBytes(p.data, bytes);
  return true;
}

const anyNode = (node: LiveNode, pred: (n: LiveNode) => boolean): boolean =>
  pred(node) || node.children.some((c) => !c.deleted && anyNode(c, pred));

/** generate_label_tree: one property per live label, value the node's path; -@ also allocates phandles. */
export function generateLabelTree(root: LiveNode, name: string, alloc: PhandleAllocator | undefined, warn: (m: string) => void, f: DtcFeatures): void {
  // dtc tests the label list head, so a node whose labels were all deleted still counts.
  if (!anyNode(root, (n) => n.labels.length > 0)) return;
  const an = rootChild(root, name, f);
  const visit = (node: LiveNode): void => {
    if (node.labels.length > 0) {
      for (const l of node.labels) {
        if (l.deleted) continue;
        if (getProperty(an, l.name)) {
          warn(`WARNING: label ${l.name} already exists in /${an.name}`);
          continue;
        }
        const d = emptyData();
        addMarker(d, 'type-string');
        appendBytes(d, bytesOf(node.fullpath));
        an.props.push(generated(buildProperty(l.name, d), `label ${l.name} of ${node.fullpath} (${alloc ? '-@' : '-A'})`));
      }
      if (alloc) alloc.phandleOf(node, { note: `phandle allocated for the label ${node.labels[0]?.name ?? ''} in __symbols__ (-@)` });
    }
    for (const c of node.children) if (!c.deleted) visit(c);
  };
  visit(root);
}

function forEachPhandleRef(root: LiveNode, visit: (node: LiveNode, prop: LiveProperty, m: Marker, ref: string) => void): void {
  const walk = (node: LiveNode): void => {
    for (const prop of node.props) {
      if (prop.deleted) continue;
      for (const m of prop.data.markers) if (m.kind === 'ref-phandle' && m.ref !== undefined) visit(node, prop, m, m.ref);
    }
    for (const c of node.children) if (!c.deleted) walk(c);
  };
  walk(root);
}

export class FixupError extends Error {
  override readonly name = 'FixupError';
}

/** generate_fixups_tree: `label = "/path/of/node:property:offset"` for each unresolved reference. */
export function generateFixups(root: LiveNode, index: NodeIndex, f: DtcFeatures, warn: (m: string) => void): void {
  const unresolved: [LiveNode, LiveProperty, Marker, string][] = [];
  forEachPhandleRef(root, (node, prop, m, ref) => {
    if (!index.byRef(ref)) unresolved.push([node, prop, m, ref]);
  });
  if (unresolved.length === 0) return;
  const fn = rootChild(root, '__fixups__', f);
  let malformed = false;
  for (const [node, prop, m, ref] of unresolved) {
    // dtc 1.7 (e37c256): a fixup names a label in a property name, where '/' cannot go.
    if (f.pathFixupFatal && ref.includes('/')) throw new FixupError(`Can't generate fixup for reference to path &{${ref}}`);
    if (node.fullpath.includes(':') || prop.name.includes(':')) throw new FixupError("arguments should not contain ':'");
    const entry = bytesOf(`${node.fullpath}:${prop.name}:${m.offset}`);
    const note = `fixup for the unresolved reference &${ref}`;
    if (f.uniqueFixups) malformed = !appendUnique(fn, ref, 'type-string', entry, note) || malformed;
    else appendToProperty(fn, ref, 'type-string', entry, note);
  }
  if (malformed) warn('Warning: Preexisting data in __fixups__ malformed, some content could not be added.');
}

/** generate_local_fixups_tree: mirror the path of each resolved reference and list its offsets. */
export function generateLocalFixups(root: LiveNode, index: NodeIndex, f: DtcFeatures, warn: (m: string) => void): void {
  const resolved: [LiveNode, LiveProperty, Marker][] = [];
  forEachPhandleRef(root, (node, prop, m, ref) => {
    if (index.byRef(ref)) resolved.push([node, prop, m]);
  });
  if (resolved.length === 0) return;
  const lfn = rootChild(root, '__local_fixups__', f);
  let malformed = false;
  for (const [node, prop, m] of resolved) {
    const names: string[] = [];
    for (let n = node; n.parent; n = n.parent) names.unshift(n.name);
    let wn = lfn;
    for (const part of names) wn = rootChild(wn, part, f);
    const cell = appendInteger(emptyData(), BigInt(m.offset), 32).bytes;
    const note = `local fixup for the reference at ${node.fullpath}:${prop.name}`;
    if (f.uniqueFixups) malformed = !appendUnique(wn, prop.name, 'type-u32', cell, note) || malformed;
    else appendToProperty(wn, prop.name, 'type-u32', cell, note);
  }
  if (malformed) warn('Warning: Preexisting data in __local_fixups__ malformed, some content could not be added.');
}

// ---- dtc 1.8: reading the generated trees back ----

/**
 * treesource.c add_marker: insert keeping offsets ascending, at most one type marker per offset, a type
 * marker before the others at its offset, no repeat of a marker of the same type at the same offset.
 * Returns the index just past the inserted (or found) marker, as dtc returns the `next` slot.
 */
export function insertMarker(markers: Marker[], from: number, kind: MarkerKind, offset: number, ref?: string): number {
  let i = from;
  while (i < markers.length && (markers[i]?.offset ?? 0) < offset) i++;
  const isType = (k: MarkerKind): boolean => k.startsWith('type-');
  const at = markers[i];
  if (at && at.offset === offset && isType(at.kind)) {
    if (isType(kind)) return i;
    i++;
  }
  const here = markers[i];
  if (here && here.offset === offset && here.kind === kind) return i;
  const m: Marker = { kind, offset };
  if (ref !== undefined) m.ref = ref;
  markers.splice(i, 0, m);
  return i + 1;
}

/** A C string at the start of a value, as dtc passes prop->val.val to string functions. */
const cString = (d: Data): string => {
  const nul = d.bytes.indexOf(0);
  return String.fromCharCode(...d.bytes.slice(0, nul < 0 ? d.bytes.length : nul));
};

/** livetree.c generate_labels_from_tree: each __symbols__ property labels the node at its path. */
export function labelsFromSymbols(root: LiveNode, f: DtcFeatures, warn: (m: string) => void): void {
  const an = getSubnode(root, '__symbols__', f);
  if (!an) return;
  for (const p of an.props) {
    if (p.deleted) continue;
    const path = cString(p.data);
    const node = getNodeByPath(root, path);
    if (node) addLabel(node.labels, p.name);
    // dtc prints this one without a newline.
    else warn(`Warning: Path ${path} referenced in property __symbols__/${p.name} missing`);
  }
}

/** livetree.c fixup_phandles: each `path:property:offset` entry of __fixups__ marks a reference to its label. */
export function referencesFromFixups(root: LiveNode, f: DtcFeatures, warn: (m: string) => void): void {
  const an = getSubnode(root, '__fixups__', f);
  if (!an) return;
  for (const fp of an.props) {
    if (fp.deleted) continue;
    const v = fp.data.bytes;
    for (let start = 0; start < v.length; ) {
      const end = v.indexOf(0, start);
      if (end < 0) {
        warn(`Warning: Malformed fixup entry for label ${fp.name}`);
        break;
      }
      const entry = String.fromCharCode(...v.slice(start, end));
      start = end + 1;
      const c1 = entry.indexOf(':');
      const c2 = c1 < 0 ? -1 : entry.indexOf(':', c1 + 1);
      if (c2 < 0) {
        warn(`Warning: Malformed fixup entry for label ${fp.name}`);
        continue;
      }
      const nodePath = entry.slice(0, c1);
      const node = getNodeByPath(root, nodePath);
      if (!node) {
        warn(`Warning: Label ${fp.name} references non-existing node ${nodePath}`);
        continue;
      }
      const propName = entry.slice(c1 + 1, c2);
      const p = getProperty(node, propName);
      if (!p) {
        // dtc swaps the two names in this message.
        warn(`Warning: Label ${fp.name} references non-existing property ${node.fullpath} in node ${propName}`);
        continue;
      }
      const offset = strtol(entry.slice(c2 + 1));
      if (offset < 0 || offset + 4 > p.data.bytes.length) {
        warn(`Warning: Label ${fp.name} contains invalid offset for property ${p.name} in node ${node.fullpath}`);
        continue;
      }
      insertMarker(p.data.markers, 0, 'ref-phandle', offset, fp.name);
    }
  }
}

/** strtol(s, NULL, 0) for the digits dtc writes (and what C makes of anything else). */
function strtol(text: string): number {
  const m = /^\s*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)/.exec(text);
  if (!m?.[2]) return 0;
  const digits = m[2];
  const v = /^0[xX]/.test(digits) ? parseInt(digits, 16) : digits.length > 1 && digits.startsWith('0') ? parseInt(digits, 8) : parseInt(digits, 10);
  return m[1] === '-' ? -v : v;
}

/** livetree.c local_fixup_phandles: each offset in __local_fixups__ marks a reference to the node it numbers. */
export function referencesFromLocalFixups(root: LiveNode, index: NodeIndex, f: DtcFeatures, warn: (m: string) => void): void {
  const an = getSubnode(root, '__local_fixups__', f);
  if (!an) return;
  const walk = (lf: LiveNode, n: LiveNode): void => {
    for (const lfp of lf.props) {
      if (lfp.deleted) continue;
      const p = getProperty(n, lfp.name);
      if (!p) {
        warn(`Warning: Property ${lfp.name} in ${n.fullpath} referenced in __local_fixups__ missing`);
        continue;
      }
      const offsets = lfp.data.bytes;
      if (offsets.length % 4 !== 0) {
        warn(`Warning: property ${lfp.name} in /__local_fixups__${n.fullpath} malformed`);
        continue;
      }
      for (let i = 0; i < offsets.length; i += 4) {
        const offset = (((offsets[i] ?? 0) << 24) | ((offsets[i + 1] ?? 0) << 16) | ((offsets[i + 2] ?? 0) << 8) | (offsets[i + 3] ?? 0)) >>> 0;
        addPhandleMarker(p, offset, index, warn);
      }
    }
    for (const sub of lf.children) {
      if (sub.deleted) continue;
      const child = getSubnode(n, sub.name, f);
      if (!child) {
        // dtc prints the two names the other way round.
        warn(`Warning: node ${sub.name}/${n.fullpath} referenced in __local_fixups__ missing`);
        continue;
      }
      walk(sub, child);
    }
  };
  walk(an, root);
}

/** treesource.c add_phandle_marker: the reference is the target's first label, else its path. */
function addPhandleMarker(p: LiveProperty, offset: number, index: NodeIndex, warn: (m: string) => void): void {
  const b = p.data.bytes;
  if (b.length < offset + 4) {
    warn(`Warning: property ${p.name} too short to contain a phandle at offset ${offset}`);
    return;
  }
  const phandle = (((b[offset] ?? 0) << 24) | ((b[offset + 1] ?? 0) << 16) | ((b[offset + 2] ?? 0) << 8) | (b[offset + 3] ?? 0)) >>> 0;
  const target = phandle !== 0 && phandle !== 0xffffffff ? index.byPhandle(phandle) : undefined;
  if (!target) {
    warn(`Warning: node referenced by phandle 0x${phandle.toString(16)} in property ${p.name} not found`);
    return;
  }
  insertMarker(p.data.markers, 0, 'ref-phandle', offset, target.labels[0]?.name ?? target.fullpath);
}
