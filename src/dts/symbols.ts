import {
  addChild,
  addMarker,
  appendBytes,
  appendInteger,
  buildNode,
  buildProperty,
  emptyData,
  getNodeByRef,
  getProperty,
  getSubnode,
  type LiveNode,
  type LiveProperty,
} from './build.js';
import type { PhandleAllocator } from './phandles.js';

/**
 * The generated trees of dtc 1.6.1's livetree.c: `__symbols__` (-@, and `aliases` for -A), and for
 * `/plugin/` the `__fixups__` (references this overlay cannot resolve) and `__local_fixups__` (where its
 * own phandles sit, so the loader can renumber them). dtc 1.6.1 appends every entry, duplicates included.
 */

const bytesOf = (s: string): number[] => [...Buffer.from(s, 'latin1'), 0];

/** livetree.c build_root_node: reuse an existing live child of that name or append a new one. */
function rootChild(parent: LiveNode, name: string): LiveNode {
  const existing = getSubnode(parent, name);
  if (existing) return existing;
  const node = buildNode([], []);
  node.name = name;
  addChild(parent, node);
  return node;
}

function appendToProperty(node: LiveNode, name: string, kind: 'type-string' | 'type-u32', bytes: number[]): void {
  let p: LiveProperty | undefined = getProperty(node, name);
  if (!p) {
    p = buildProperty(name, emptyData());
    node.props.push(p);
  }
  addMarker(p.data, kind, name);
  appendBytes(p.data, bytes);
}

const anyNode = (node: LiveNode, pred: (n: LiveNode) => boolean): boolean =>
  pred(node) || node.children.some((c) => !c.deleted && anyNode(c, pred));

/** generate_label_tree: one property per live label, value the node's path; -@ also allocates phandles. */
export function generateLabelTree(root: LiveNode, name: string, alloc: PhandleAllocator | undefined, warn: (m: string) => void): void {
  // dtc tests the label list head, so a node whose labels were all deleted still counts.
  if (!anyNode(root, (n) => n.labels.length > 0)) return;
  const an = rootChild(root, name);
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
        an.props.push(buildProperty(l.name, d));
      }
      if (alloc) alloc.phandleOf(node);
    }
    for (const c of node.children) if (!c.deleted) visit(c);
  };
  visit(root);
}

function forEachPhandleRef(root: LiveNode, visit: (node: LiveNode, prop: LiveProperty, offset: number, ref: string) => void): void {
  const walk = (node: LiveNode): void => {
    for (const prop of node.props) {
      if (prop.deleted) continue;
      for (const m of prop.data.markers) if (m.kind === 'ref-phandle' && m.ref !== undefined) visit(node, prop, m.offset, m.ref);
    }
    for (const c of node.children) if (!c.deleted) walk(c);
  };
  walk(root);
}

export class FixupError extends Error {
  override readonly name = 'FixupError';
}

/** generate_fixups_tree: `label = "/path/of/node:property:offset"` for each unresolved reference. */
export function generateFixups(root: LiveNode): void {
  const unresolved: [LiveNode, LiveProperty, number, string][] = [];
  forEachPhandleRef(root, (node, prop, offset, ref) => {
    if (!getNodeByRef(root, ref)) unresolved.push([node, prop, offset, ref]);
  });
  if (unresolved.length === 0) return;
  const fn = rootChild(root, '__fixups__');
  for (const [node, prop, offset, ref] of unresolved) {
    if (node.fullpath.includes(':') || prop.name.includes(':')) throw new FixupError("arguments should not contain ':'");
    appendToProperty(fn, ref, 'type-string', bytesOf(`${node.fullpath}:${prop.name}:${offset}`));
  }
}

/** generate_local_fixups_tree: mirror the path of each resolved reference and list its offsets. */
export function generateLocalFixups(root: LiveNode): void {
  const resolved: [LiveNode, LiveProperty, number][] = [];
  forEachPhandleRef(root, (node, prop, offset, ref) => {
    if (getNodeByRef(root, ref)) resolved.push([node, prop, offset]);
  });
  if (resolved.length === 0) return;
  const lfn = rootChild(root, '__local_fixups__');
  for (const [node, prop, offset] of resolved) {
    const names: string[] = [];
    for (let n = node; n.parent; n = n.parent) names.unshift(n.name);
    let wn = lfn;
    for (const part of names) wn = rootChild(wn, part);
    appendToProperty(wn, prop.name, 'type-u32', appendInteger(emptyData(), BigInt(offset), 32).bytes);
  }
}
