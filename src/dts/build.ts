import type { Marker, MarkerKind } from './tree.js';
import type { Span } from '../diagnostics/source.js';

/**
 * The tree while it is being built, as dtc's livetree.c keeps it: deleted properties, nodes and labels stay
 * in their lists (a later definition can bring them back in place), labels are prepended, and every list
 * keeps source order otherwise. The public DeviceTree (tree.ts) is exported from this at the end.
 */

export interface Label {
  name: string;
  deleted: boolean;
}

export interface Data {
  bytes: number[];
  markers: Marker[];
}

export interface LiveProperty {
  name: string;
  labels: Label[];
  data: Data;
  deleted: boolean;
  span: Span | undefined;
}

export interface LiveNode {
  name: string;
  labels: Label[];
  props: LiveProperty[];
  children: LiveNode[];
  parent: LiveNode | undefined;
  deleted: boolean;
  omitIfUnused: boolean;
  referenced: boolean;
  phandle: number;
  fullpath: string;
  span: Span | undefined;
}

export interface LiveReserve {
  address: bigint;
  size: bigint;
  labels: Label[];
}

export const emptyData = (): Data => ({ bytes: [], markers: [] });

export function addMarker(d: Data, kind: MarkerKind, ref?: string, span?: Span): Data {
  const m: Marker = { kind, offset: d.bytes.length };
  if (ref !== undefined) m.ref = ref;
  if (span !== undefined) m.span = span;
  d.markers.push(m);
  return d;
}

export function mergeData(a: Data, b: Data): Data {
  const base = a.bytes.length;
  for (const byte of b.bytes) a.bytes.push(byte);
  for (const m of b.markers) a.markers.push({ ...m, offset: m.offset + base });
  return a;
}

/** dtc data_append_integer: big-endian, `bits` wide, value already truncated by the caller's mask. */
export function appendInteger(d: Data, value: bigint, bits: number): Data {
  for (let shift = bits - 8; shift >= 0; shift -= 8) d.bytes.push(Number((value >> BigInt(shift)) & 0xffn));
  return d;
}

export function appendBytes(d: Data, bytes: ArrayLike<number>): Data {
  for (let i = 0; i < bytes.length; i++) d.bytes.push(bytes[i] ?? 0);
  return d;
}

/** dtc data_insert_at_marker: insert at the marker and move every later marker along. */
export function insertAtMarker(d: Data, m: Marker, bytes: ArrayLike<number>): void {
  const insert = Array.from(bytes);
  d.bytes.splice(m.offset, 0, ...insert);
  const index = d.markers.indexOf(m);
  for (let i = index + 1; i < d.markers.length; i++) {
    const later = d.markers[i];
    if (later) later.offset += insert.length;
  }
}

export function addLabel(labels: Label[], name: string): void {
  const existing = labels.find((l) => l.name === name);
  if (existing) {
    existing.deleted = false;
    return;
  }
  labels.unshift({ name, deleted: false });
}

export const liveLabels = (labels: readonly Label[]): string[] => labels.filter((l) => !l.deleted).map((l) => l.name);

export function buildProperty(name: string, data: Data, span?: Span): LiveProperty {
  return { name, labels: [], data, deleted: false, span };
}

export function buildPropertyDelete(name: string): LiveProperty {
  return { name, labels: [], data: emptyData(), deleted: true, span: undefined };
}

export function buildNode(props: LiveProperty[], children: LiveNode[], span?: Span): LiveNode {
  const node: LiveNode = {
    name: '',
    labels: [],
    props,
    children,
    parent: undefined,
    deleted: false,
    omitIfUnused: false,
    referenced: false,
    phandle: 0,
    fullpath: '',
    span,
  };
  for (const c of children) c.parent = node;
  return node;
}

export function buildNodeDelete(span?: Span): LiveNode {
  const node = buildNode([], [], span);
  node.deleted = true;
  return node;
}

export function addChild(parent: LiveNode, child: LiveNode): void {
  child.parent = parent;
  parent.children.push(child);
}

export function deleteProperty(prop: LiveProperty): void {
  prop.deleted = true;
  for (const l of prop.labels) l.deleted = true;
}

export function deleteNode(node: LiveNode): void {
  node.deleted = true;
  for (const c of node.children) if (!c.deleted) deleteNode(c);
  for (const p of node.props) if (!p.deleted) deleteProperty(p);
  for (const l of node.labels) l.deleted = true;
}

/** livetree.c merge_nodes: labels, then properties (replace in place), then children (merge recursively). */
export function mergeNodes(oldNode: LiveNode, newNode: LiveNode): LiveNode {
  oldNode.deleted = false;
  for (const l of newNode.labels) addLabel(oldNode.labels, l.name);
  for (const newProp of newNode.props) {
    if (newProp.deleted) {
      const victim = oldNode.props.find((p) => p.name === newProp.name);
      if (victim) deleteProperty(victim);
      continue;
    }
    const oldProp = oldNode.props.find((p) => p.name === newProp.name);
    if (oldProp) {
      for (const l of newProp.labels) addLabel(oldProp.labels, l.name);
      oldProp.data = newProp.data;
      oldProp.deleted = false;
      oldProp.span = newProp.span;
    } else oldNode.props.push(newProp);
  }
  for (const newChild of newNode.children) {
    if (newChild.deleted) {
      const victim = oldNode.children.find((c) => c.name === newChild.name);
      if (victim) deleteNode(victim);
      continue;
    }
    const oldChild = oldNode.children.find((c) => c.name === newChild.name);
    if (oldChild) mergeNodes(oldChild, newChild);
    else addChild(oldNode, newChild);
  }
  return oldNode;
}

/** livetree.c add_orphan_node: a `/plugin/` `&ref { }` becomes /fragment@N/__overlay__. */
export function addOrphanNode(root: LiveNode, overlay: LiveNode, ref: string, fragmentIndex: number): void {
  const d = emptyData();
  let prop: LiveProperty;
  if (ref.startsWith('/')) {
    addMarker(d, 'type-string', ref);
    appendBytes(d, [...Buffer.from(ref, 'latin1'), 0]);
    prop = buildProperty('target-path', d);
  } else {
    addMarker(d, 'ref-phandle', ref);
    appendInteger(d, 0xffffffffn, 32);
    prop = buildProperty('target', d);
  }
  overlay.name = '__overlay__';
  const fragment = buildNode([prop], [overlay]);
  fragment.name = `fragment@${fragmentIndex}`;
  addChild(root, fragment);
}

export const liveChildren = (n: LiveNode): LiveNode[] => n.children.filter((c) => !c.deleted);
export const liveProps = (n: LiveNode): LiveProperty[] => n.props.filter((p) => !p.deleted);

export function getProperty(node: LiveNode, name: string): LiveProperty | undefined {
  return node.props.find((p) => !p.deleted && p.name === name);
}

export function getSubnode(node: LiveNode, name: string): LiveNode | undefined {
  return node.children.find((c) => !c.deleted && c.name === name);
}

/** livetree.c get_node_by_path: exact component match, deleted nodes skipped. */
export function getNodeByPath(tree: LiveNode, path: string): LiveNode | undefined {
  let node = tree;
  let rest = path;
  for (;;) {
    if (rest === '') return node.deleted ? undefined : node;
    rest = rest.replace(/^\/+/, '');
    const slash = rest.indexOf('/');
    const part = slash < 0 ? rest : rest.slice(0, slash);
    const child = node.children.find((c) => !c.deleted && c.name === part);
    if (!child) return undefined;
    if (slash < 0) return child;
    node = child;
    rest = rest.slice(slash + 1);
  }
}

export function getNodeByLabel(tree: LiveNode, label: string): LiveNode | undefined {
  if (tree.labels.some((l) => !l.deleted && l.name === label)) return tree;
  for (const c of tree.children) {
    if (c.deleted) continue;
    const found = getNodeByLabel(c, label);
    if (found) return found;
  }
  return undefined;
}

/** livetree.c get_node_by_ref: `/` is the root, `/path` a path, anything else a label. */
export function getNodeByRef(tree: LiveNode, ref: string): LiveNode | undefined {
  if (ref === '/') return tree;
  if (ref.startsWith('/')) return getNodeByPath(tree, ref);
  return getNodeByLabel(tree, ref);
}

export function getNodeByPhandle(tree: LiveNode, phandle: number): LiveNode | undefined {
  if (tree.phandle === phandle) return tree.deleted ? undefined : tree;
  for (const c of tree.children) {
    if (c.deleted) continue;
    const found = getNodeByPhandle(c, phandle);
    if (found) return found;
  }
  return undefined;
}

/** livetree.c fill_fullpaths, with util.c join_path's slash rule: the root is `/`. */
export function fillFullpaths(node: LiveNode, prefix: string): void {
  node.fullpath = (prefix.endsWith('/') ? prefix : `${prefix}/`) + node.name;
  for (const c of node.children) if (!c.deleted) fillFullpaths(c, node.fullpath);
}

export function nodeBasename(node: LiveNode): string {
  const at = node.name.indexOf('@');
  return at < 0 ? node.name : node.name.slice(0, at);
}

export function nodeUnitAddress(node: LiveNode): string {
  const at = node.name.indexOf('@');
  return at < 0 ? '' : node.name.slice(at + 1);
}
