import {
  addMarker,
  appendInteger,
  buildProperty,
  emptyData,
  getNodeByRef,
  getProperty,
  insertAtMarker,
  type LiveNode,
} from './build.js';
import { NodeIndex } from './node-index.js';

/**
 * Phandle allocation as livetree.c get_node_phandle does it: the lowest unused number counting up from a
 * counter that lives for the whole run, and a `phandle` property appended to the node (dtc's default -H
 * epapr writes only `phandle`; legacy/both add `linux,phandle`).
 */

export type PhandleFormat = 'legacy' | 'epapr' | 'both';

export class PhandleAllocator {
  private next = 1;
  /** Label and phandle lookups over the same tree, shared with the checks that run while allocating. */
  readonly index: NodeIndex;

  constructor(
    root: LiveNode,
    private readonly format: PhandleFormat = 'epapr',
  ) {
    this.index = new NodeIndex(root);
  }

  phandleOf(node: LiveNode): number {
    if (node.phandle !== 0 && node.phandle !== 0xffffffff) return node.phandle;
    while (this.index.byPhandle(this.next)) this.next++;
    node.phandle = this.next;
    this.index.assigned(node);
    if (this.format !== 'epapr') this.addProperty(node, 'linux,phandle');
    if (this.format !== 'legacy') this.addProperty(node, 'phandle');
    return node.phandle;
  }

  private addProperty(node: LiveNode, name: string): void {
    if (getProperty(node, name)) return;
    const d = emptyData();
    addMarker(d, 'type-u32');
    appendInteger(d, BigInt(node.phandle), 32);
    node.props.push(buildProperty(name, d));
  }
}

export const isValidPhandle = (p: number): boolean => p !== 0 && p !== 0xffffffff;

function writeCell(bytes: number[], offset: number, value: number): void {
  bytes[offset] = (value >>> 24) & 0xff;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}

/**
 * checks.c fixup_phandle_references for one node: patch each `&ref` cell with the target's phandle;
 * an unresolved ref is an error, except in a plugin where it becomes 0xffffffff for __fixups__.
 */
export function fixupPhandleReferences(
  root: LiveNode,
  node: LiveNode,
  plugin: boolean,
  alloc: PhandleAllocator,
  fail: (message: string, span?: import('../diagnostics/source.js').Span) => void,
): void {
  for (const prop of node.props) {
    if (prop.deleted) continue;
    for (const m of prop.data.markers) {
      if (m.kind !== 'ref-phandle' || m.ref === undefined) continue;
      const target = alloc.index.byRef(m.ref);
      if (!target) {
        if (!plugin) fail(`Reference to non-existent node or label "${m.ref}"`, m.span ?? prop.span);
        else writeCell(prop.data.bytes, m.offset, 0xffffffff);
        continue;
      }
      writeCell(prop.data.bytes, m.offset, alloc.phandleOf(target));
      target.referenced = true;
    }
  }
}

/** checks.c fixup_path_references: splice the target's full path (with its NUL) in at each path ref. */
export function fixupPathReferences(root: LiveNode, node: LiveNode, fail: (message: string, span?: import('../diagnostics/source.js').Span) => void): void {
  for (const prop of node.props) {
    if (prop.deleted) continue;
    for (const m of [...prop.data.markers]) {
      if (m.kind !== 'ref-path' || m.ref === undefined) continue;
      const target = getNodeByRef(root, m.ref);
      if (!target) {
        fail(`Reference to non-existent node or label "${m.ref}"`, m.span ?? prop.span);
        continue;
      }
      insertAtMarker(prop.data, m, [...Buffer.from(target.fullpath, 'latin1'), 0]);
      target.referenced = true;
    }
  }
}
