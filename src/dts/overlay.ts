import { DEFAULT_COMPAT, type DtcCompat } from './compat.js';
import { DtsError } from './diagnostics.js';
import { readDtb, readDtbWithLayout } from './dtb-read.js';
import { createNode, nodePath, type DeviceTree, type DtNode, type Property } from './tree.js';

/**
 * Device tree overlay application as libfdt's fdt_overlay_apply (libfdt/fdt_overlay.c of dtc 1.6.1, 1.7.2 or
 * 1.8.1: `compat`) does it,
 * on DeviceTree values instead of an in-place blob. The order of operations, the lookups (libfdt matches a
 * node name without unit address against `name@addr`) and the placement of new items (libfdt inserts a new
 * property before a node's existing ones and a new subnode before its existing subnodes) are libfdt's, so a
 * blob written from the result matches `fdtoverlay` byte for byte (see applyOverlayBlobs).
 */

/** libfdt error codes surfaced by overlay application, as stable diagnostic codes. */
export const OverlayErrorCode = {
  FDT_ERR_NOTFOUND: 'DTS4201',
  FDT_ERR_BADOVERLAY: 'DTS4202',
  FDT_ERR_BADPHANDLE: 'DTS4203',
  FDT_ERR_NOPHANDLES: 'DTS4204',
  FDT_ERR_BADVALUE: 'DTS4205',
  FDT_ERR_BADPATH: 'DTS4206',
  FDT_ERR_NOSPACE: 'DTS4207',
  FDT_ERR_BADOFFSET: 'DTS4208',
} as const;

type FdtErr = keyof typeof OverlayErrorCode;

function fail(err: FdtErr, message: string): never {
  throw new DtsError([{ code: OverlayErrorCode[err], severity: 'error', message: `${message} (${err})` }]);
}

/**
 * Mirrors each edit of the base in libfdt's order, before the tree changes (see FdtBlobEditor); `source` is
 * the overlay's property or node that caused it (for provenance: `mdio-emu dts why`).
 */
export interface BaseEditObserver {
  setProperty(node: DtNode, name: string, bytes: Uint8Array, source?: Property): void;
  addSubnode(parent: DtNode, name: string, source?: DtNode): void;
}

export interface ApplyOverlayOptions {
  observer?: BaseEditObserver;
  /** The libfdt generation to reproduce (fdtoverlay of dtc 1.6, 1.7 or 1.8); the newest when absent. */
  compat?: DtcCompat;
}

// ---- libfdt-equivalent lookups on the live tree ----

/** fdt_nodename_eq_: `name` also matches `name@unit` when the searched name has no unit address. */
function nodeNameMatches(nodeName: string, wanted: string): boolean {
  if (nodeName === wanted) return true;
  return !wanted.includes('@') && nodeName.startsWith(wanted) && nodeName[wanted.length] === '@';
}

function liveKids(node: DtNode): DtNode[] {
  return node.children.filter((c) => !c.deleted);
}

/** fdt_subnode_offset: the first matching child in document order. */
function subnode(node: DtNode, name: string): DtNode | undefined {
  return liveKids(node).find((c) => nodeNameMatches(c.name, name));
}

/** fdt_getprop: the first property of that name. */
function getProp(node: DtNode, name: string): Property | undefined {
  return node.properties.find((p) => !p.deleted && p.name === name);
}

function u32(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset);
}

function setU32(bytes: Uint8Array, offset: number, value: number): void {
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).setUint32(offset, value >>> 0);
}

/** A property value read as a C string (up to its first NUL). */
function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return Buffer.from(nul < 0 ? bytes : bytes.subarray(0, nul)).toString('latin1');
}

/** fdt_get_phandle: `phandle`, else `linux,phandle`, each only if exactly 4 bytes; 0 when neither. */
function getPhandle(node: DtNode): number {
  for (const name of ['phandle', 'linux,phandle']) {
    const p = getProp(node, name);
    if (p && p.value.bytes.length === 4) return u32(p.value.bytes);
  }
  return 0;
}

function preorder(root: DtNode): DtNode[] {
  const out: DtNode[] = [];
  const stack = [root];
  for (let n = stack.pop(); n; n = stack.pop()) {
    out.push(n);
    const kids = liveKids(n);
    for (let i = kids.length - 1; i >= 0; i--) {
      const k = kids[i];
      if (k) stack.push(k);
    }
  }
  return out;
}

/** fdt_path_offset: absolute paths, or an alias from /aliases as the first component. */
function pathLookup(root: DtNode, path: string, aliasDepth = 0): DtNode {
  let node = root;
  let rest = path;
  if (!path.startsWith('/')) {
    const slash = path.indexOf('/');
    const alias = slash < 0 ? path : path.slice(0, slash);
    const aliases = pathLookupOrUndefined(root, '/aliases');
    const target = aliases ? getProp(aliases, alias) : undefined;
    // libfdt would recurse forever on an alias naming itself; stop after a few hops.
    if (!target || aliasDepth > 8) fail('FDT_ERR_BADPATH', `'${path}' is neither an absolute path nor a known alias`);
    node = pathLookup(root, cString(target.value.bytes), aliasDepth + 1);
    rest = slash < 0 ? '' : path.slice(slash);
  }
  for (const part of rest.split('/')) {
    if (part === '') continue;
    const next = subnode(node, part);
    if (!next) fail('FDT_ERR_NOTFOUND', `no node '${part}' under '${nodePath(node)}' (looking up '${path}')`);
    node = next;
  }
  return node;
}

function pathLookupOrUndefined(root: DtNode, path: string): DtNode | undefined {
  try {
    return pathLookup(root, path);
  } catch (e) {
    if (e instanceof DtsError) return undefined;
    throw e;
  }
}

/** fdt_node_offset_by_phandle. */
function nodeByPhandle(root: DtNode, phandle: number): DtNode {
  if (phandle === 0 || phandle === 0xffffffff) fail('FDT_ERR_BADPHANDLE', `0x${phandle.toString(16)} is not a valid phandle`);
  const found = preorder(root).find((n) => getPhandle(n) === phandle);
  if (!found) fail('FDT_ERR_NOTFOUND', `no node has phandle 0x${phandle.toString(16)}`);
  return found;
}

// ---- libfdt-equivalent edits ----

/** fdt_setprop: replace an existing value in place, or insert a new property first in the node. */
function setProp(node: DtNode, name: string, bytes: Uint8Array, options: ApplyOverlayOptions, source?: Property): void {
  options.observer?.setProperty(node, name, bytes, source);
  const existing = getProp(node, name);
  if (existing) {
    existing.value = { bytes: Uint8Array.from(bytes), markers: [] };
    return;
  }
  node.properties.unshift({ name, labels: [], value: { bytes: Uint8Array.from(bytes), markers: [] }, deleted: false });
}

/** fdt_add_subnode, falling back to the existing node as overlay_apply_node does on FDT_ERR_EXISTS. */
function addOrGetSubnode(parent: DtNode, name: string, options: ApplyOverlayOptions, source?: DtNode): DtNode {
  const existing = subnode(parent, name);
  if (existing) return existing;
  options.observer?.addSubnode(parent, name, source);
  const node = createNode(name, parent);
  // fdt_add_subnode_namelen places the new node right after the parent's properties, before older subnodes.
  parent.children.unshift(node);
  return node;
}

// ---- the steps of fdt_overlay_apply ----

function maxPhandle(root: DtNode): number {
  return preorder(root).reduce((max, n) => Math.max(max, getPhandle(n)), 0);
}

/** overlay_adjust_local_phandles: shift every phandle the overlay defines above the base's. */
function adjustLocalPhandles(overlayRoot: DtNode, delta: number): void {
  for (const node of preorder(overlayRoot)) {
    for (const name of ['phandle', 'linux,phandle']) {
      const p = getProp(node, name);
      if (!p) continue;
      if (p.value.bytes.length !== 4) fail('FDT_ERR_BADPHANDLE', `${nodePath(node)}:${name} is not 4 bytes`);
      const adjusted = u32(p.value.bytes) + delta;
      if (adjusted > 0xffffffff || adjusted === 0xffffffff) fail('FDT_ERR_NOPHANDLES', `${nodePath(node)}:${name} overflows when shifted by ${delta}`);
      setU32(p.value.bytes, 0, adjusted);
    }
  }
}

/** overlay_update_local_references: __local_fixups__ mirrors the overlay and lists offsets of local phandles. */
function updateLocalReferences(overlayRoot: DtNode, delta: number): void {
  const fixupsRoot = pathLookupOrUndefined(overlayRoot, '/__local_fixups__');
  if (!fixupsRoot) return;
  const pairs: [DtNode, DtNode][] = [[overlayRoot, fixupsRoot]];
  for (let pair = pairs.pop(); pair; pair = pairs.pop()) {
    const [treeNode, fixupNode] = pair;
    for (const fixup of fixupNode.properties.filter((p) => !p.deleted)) {
      const offsets = fixup.value.bytes;
      if (offsets.length % 4 !== 0) fail('FDT_ERR_BADOVERLAY', `__local_fixups__ entry ${nodePath(fixupNode)}:${fixup.name} is not a list of cells`);
      const target = getProp(treeNode, fixup.name);
      if (!target) fail('FDT_ERR_BADOVERLAY', `local fixup names ${nodePath(treeNode)}:${fixup.name}, which does not exist`);
      for (let i = 0; i < offsets.length; i += 4) {
        const at = u32(offsets, i);
        if (at + 4 > target.value.bytes.length) fail('FDT_ERR_BADOVERLAY', `local fixup offset ${at} is past the end of ${nodePath(treeNode)}:${fixup.name}`);
        setU32(target.value.bytes, at, (u32(target.value.bytes, at) + delta) >>> 0);
      }
    }
    for (const fixupChild of liveKids(fixupNode)) {
      const treeChild = subnode(treeNode, fixupChild.name);
      if (!treeChild) fail('FDT_ERR_NOTFOUND', `__local_fixups__ names ${nodePath(treeNode)}/${fixupChild.name}, which does not exist`);
      pairs.push([treeChild, fixupChild]);
    }
  }
}

interface FixupSite {
  path: string;
  property: string;
  offset: number;
}

/** overlay_fixup_phandle's parsing of one `path:property:offset` entry. */
function parseFixupEntries(label: string, bytes: Uint8Array): FixupSite[] {
  const sites: FixupSite[] = [];
  let rest = bytes;
  do {
    const nul = rest.indexOf(0);
    if (nul < 0) fail('FDT_ERR_BADOVERLAY', `__fixups__/${label} entry is not NUL-terminated`);
    const entry = Buffer.from(rest.subarray(0, nul)).toString('latin1');
    rest = rest.subarray(nul + 1);
    const first = entry.indexOf(':');
    if (first < 0 || first === entry.length - 1) fail('FDT_ERR_BADOVERLAY', `__fixups__/${label} entry '${entry}' is not path:property:offset`);
    const second = entry.indexOf(':', first + 1);
    if (second < 0 || second === first + 1) fail('FDT_ERR_BADOVERLAY', `__fixups__/${label} entry '${entry}' is not path:property:offset`);
    const offsetText = entry.slice(second + 1);
    // libfdt parses with strtoul; a plain decimal number is what dtc writes and all we accept.
    if (!/^[0-9]+$/.test(offsetText)) fail('FDT_ERR_BADOVERLAY', `__fixups__/${label} entry '${entry}' has a bad offset`);
    sites.push({ path: entry.slice(0, first), property: entry.slice(first + 1, second), offset: Number(offsetText) });
  } while (rest.length > 0);
  return sites;
}

/** overlay_fixup_phandles: point references to base labels at the base nodes, via the base's __symbols__. */
function resolveExternalFixups(baseRoot: DtNode, overlayRoot: DtNode, compat: DtcCompat): void {
  const fixups = pathLookupOrUndefined(overlayRoot, '/__fixups__');
  if (!fixups) return;
  const symbols = pathLookupOrUndefined(baseRoot, '/__symbols__');
  /** The base's phandle for a label, via its __symbols__ path. */
  const lookup = (label: string): number => {
    // libfdt 1.7+ reads the symbol with a negative node offset when there is no __symbols__: FDT_ERR_BADOFFSET.
    if (!symbols) fail(compat >= '1.7' ? 'FDT_ERR_BADOFFSET' : 'FDT_ERR_NOTFOUND', `the base has no /__symbols__ to resolve '${label}' (compile it with dtc -@)`);
    const symbol = getProp(symbols, label);
    if (!symbol) fail('FDT_ERR_NOTFOUND', `label '${label}' is not in the base's __symbols__`);
    const phandle = getPhandle(pathLookup(baseRoot, cString(symbol.value.bytes)));
    if (phandle === 0) fail('FDT_ERR_NOTFOUND', `base node for label '${label}' has no phandle`);
    return phandle;
  };
  for (const fixup of fixups.properties.filter((p) => !p.deleted)) {
    const label = fixup.name;
    // libfdt 1.7 (ae26223) looks the label up once, before the entries; 1.6 per entry, after parsing it.
    const early = compat >= '1.7' ? lookup(label) : undefined;
    for (const site of parseFixupEntries(label, fixup.value.bytes)) {
      const phandle = early ?? lookup(label);
      let holder: DtNode;
      try {
        holder = pathLookup(overlayRoot, site.path);
      } catch (e) {
        if (e instanceof DtsError && e.diagnostics[0]?.code === OverlayErrorCode.FDT_ERR_NOTFOUND) fail('FDT_ERR_BADOVERLAY', `fixup path '${site.path}' is not in the overlay`);
        throw e;
      }
      const prop = getProp(holder, site.property);
      if (!prop) fail('FDT_ERR_NOTFOUND', `fixup names ${site.path}:${site.property}, which does not exist`);
      if (site.offset + 4 > prop.value.bytes.length) fail('FDT_ERR_NOSPACE', `fixup offset ${site.offset} is past the end of ${site.path}:${site.property}`);
      setU32(prop.value.bytes, site.offset, phandle);
    }
  }
}

/** overlay_update_node_conflicting_references: local references to `from` now point at `to`. */
function replaceLocalReferences(overlayRoot: DtNode, from: number, to: number): void {
  const fixupsRoot = pathLookupOrUndefined(overlayRoot, '/__local_fixups__');
  if (!fixupsRoot) return;
  const pairs: [DtNode, DtNode][] = [[overlayRoot, fixupsRoot]];
  for (let pair = pairs.pop(); pair; pair = pairs.pop()) {
    const [treeNode, fixupNode] = pair;
    for (const fixup of fixupNode.properties.filter((p) => !p.deleted)) {
      const offsets = fixup.value.bytes;
      if (offsets.length % 4 !== 0) fail('FDT_ERR_BADOVERLAY', `__local_fixups__ entry ${nodePath(fixupNode)}:${fixup.name} is not a list of cells`);
      const target = getProp(treeNode, fixup.name);
      if (!target) fail('FDT_ERR_BADOVERLAY', `local fixup names ${nodePath(treeNode)}:${fixup.name}, which does not exist`);
      for (let i = 0; i < offsets.length; i += 4) {
        const at = u32(offsets, i);
        // libfdt does not check the offset here; overlay_update_local_references already refused bad ones.
        if (at + 4 <= target.value.bytes.length && u32(target.value.bytes, at) === from) setU32(target.value.bytes, at, to);
      }
    }
    for (const fixupChild of liveKids(fixupNode)) {
      const treeChild = subnode(treeNode, fixupChild.name);
      if (!treeChild) fail('FDT_ERR_BADOVERLAY', `__local_fixups__ names ${nodePath(treeNode)}/${fixupChild.name}, which does not exist`);
      pairs.push([treeChild, fixupChild]);
    }
  }
}

/**
 * overlay_prevent_phandle_overwrite (libfdt 1.7: 1fad065, 61e88fd): an overlay node that lands on a base
 * node which already has a phandle takes the base's number (and the overlay's own references follow), so
 * applying the overlay never renumbers a base node.
 */
function preventPhandleOverwrite(baseRoot: DtNode, overlayRoot: DtNode): void {
  const visit = (base: DtNode, over: DtNode): void => {
    const fdtPhandle = getPhandle(base);
    const fdtoPhandle = getPhandle(over);
    if (fdtPhandle && fdtoPhandle) {
      for (const name of ['phandle', 'linux,phandle']) {
        const p = getProp(over, name);
        if (p && p.value.bytes.length === 4) setU32(p.value.bytes, 0, fdtPhandle);
      }
      replaceLocalReferences(overlayRoot, fdtoPhandle, fdtPhandle);
    }
    for (const child of liveKids(over)) {
      const baseChild = subnode(base, child.name);
      // A node the base lacks is new: nothing of the base can be overwritten below it.
      if (baseChild) visit(baseChild, child);
    }
  };
  for (const fragment of liveKids(overlayRoot)) {
    const body = subnode(fragment, '__overlay__');
    if (!body) continue;
    let target: DtNode;
    try {
      target = fragmentTarget(baseRoot, fragment).node;
    } catch (e) {
      // The subtree does not exist in the base, so nothing will be overwritten (overlay_merge reports it).
      if (e instanceof DtsError && e.diagnostics[0]?.code === OverlayErrorCode.FDT_ERR_NOTFOUND) continue;
      throw e;
    }
    visit(target, body);
  }
}

/** overlay_get_target: `target` (a phandle) first, then `target-path`. Also returns the path text if used. */
function fragmentTarget(baseRoot: DtNode, fragment: DtNode): { node: DtNode; targetPath: string | undefined } {
  const target = getProp(fragment, 'target');
  if (target) {
    const bytes = target.value.bytes;
    if (bytes.length !== 4 || u32(bytes) === 0xffffffff) fail('FDT_ERR_BADPHANDLE', `${nodePath(fragment)}:target is not a resolved phandle`);
    const phandle = u32(bytes);
    if (phandle !== 0) return { node: nodeByPhandle(baseRoot, phandle), targetPath: undefined };
  }
  const targetPath = getProp(fragment, 'target-path');
  if (!targetPath) fail('FDT_ERR_BADOVERLAY', `${nodePath(fragment)} has neither target nor target-path`);
  const path = cString(targetPath.value.bytes);
  return { node: pathLookup(baseRoot, path), targetPath: path };
}

/** overlay_apply_node, depth first in overlay order, without recursion. */
function applyNode(target: DtNode, overlayNode: DtNode, options: ApplyOverlayOptions): void {
  const work: { parent: DtNode | undefined; source: DtNode; existing: DtNode | undefined }[] = [{ parent: undefined, source: overlayNode, existing: target }];
  for (let item = work.pop(); item; item = work.pop()) {
    const node = item.existing ?? addOrGetSubnode(item.parent as DtNode, item.source.name, options, item.source);
    for (const p of item.source.properties) if (!p.deleted) setProp(node, p.name, p.value.bytes, options, p);
    const kids = liveKids(item.source);
    for (let i = kids.length - 1; i >= 0; i--) {
      const k = kids[i];
      if (k) work.push({ parent: node, source: k, existing: undefined });
    }
  }
}

/** overlay_merge: every root child with an __overlay__ subnode is a fragment. */
function mergeFragments(baseRoot: DtNode, overlayRoot: DtNode, options: ApplyOverlayOptions): void {
  for (const fragment of liveKids(overlayRoot)) {
    const body = subnode(fragment, '__overlay__');
    if (!body) continue;
    applyNode(fragmentTarget(baseRoot, fragment).node, body, options);
  }
}

/** overlay_symbol_update: copy the overlay's labels into the base's __symbols__, rewritten to base paths. */
function updateSymbols(baseRoot: DtNode, overlayRoot: DtNode, options: ApplyOverlayOptions): void {
  const overlaySymbols = subnode(overlayRoot, '__symbols__');
  if (!overlaySymbols) return;
  const baseSymbols = addOrGetSubnode(baseRoot, '__symbols__', options);
  for (const symbol of overlaySymbols.properties.filter((p) => !p.deleted)) {
    const bytes = symbol.value.bytes;
    if (bytes.length < 1 || bytes.indexOf(0) !== bytes.length - 1) fail('FDT_ERR_BADVALUE', `__symbols__/${symbol.name} is not a single string`);
    const path = cString(bytes);
    if (!path.startsWith('/')) fail('FDT_ERR_BADVALUE', `__symbols__/${symbol.name} is not an absolute path`);
    const slash = path.indexOf('/', 1);
    // Symbols outside /<fragment>/__overlay__ do not end up in the base tree.
    if (slash < 0) continue;
    const afterFragment = path.slice(slash);
    let relative: string;
    if (afterFragment.startsWith('/__overlay__/')) relative = afterFragment.slice('/__overlay__/'.length);
    else if (afterFragment === '/__overlay__') relative = '';
    else continue;
    const fragment = subnode(overlayRoot, path.slice(1, slash));
    if (!fragment || !subnode(fragment, '__overlay__')) fail('FDT_ERR_BADOVERLAY', `__symbols__/${symbol.name} names fragment '${path.slice(1, slash)}', which has no __overlay__`);
    const { node, targetPath } = fragmentTarget(baseRoot, fragment);
    const base = targetPath ?? nodePath(node);
    const value = `${base.length > 1 ? base : ''}/${relative}\0`;
    setProp(baseSymbols, symbol.name, Buffer.from(value, 'latin1'), options);
  }
}

function cloneNode(source: DtNode, parent: DtNode | undefined): DtNode {
  const root: DtNode = { ...source, parent, labels: [...source.labels], properties: [], children: [] };
  const work: [DtNode, DtNode][] = [[source, root]];
  for (let pair = work.pop(); pair; pair = work.pop()) {
    const [from, to] = pair;
    to.properties = from.properties.map((p) => ({ ...p, labels: [...p.labels], value: { bytes: Uint8Array.from(p.value.bytes), markers: [...p.value.markers] } }));
    for (const child of from.children) {
      const copy: DtNode = { ...child, parent: to, labels: [...child.labels], properties: [], children: [] };
      to.children.push(copy);
      work.push([child, copy]);
    }
  }
  return root;
}

export function cloneTree(tree: DeviceTree): DeviceTree {
  return { ...tree, root: cloneNode(tree.root, undefined), memreserves: tree.memreserves.map((r) => ({ ...r, labels: [...r.labels] })) };
}

/**
 * Applies a compiled overlay (a /plugin/ tree with fragments, __fixups__, __local_fixups__, __symbols__) to a
 * base tree, returning a new tree; neither input is modified. Throws DtsError (DTS42xx) where libfdt fails.
 */
export function applyOverlay(base: DeviceTree, overlay: DeviceTree, options: ApplyOverlayOptions = {}): DeviceTree {
  const result = cloneTree(base);
  const fdto = cloneTree(overlay);
  adjustLocalPhandles(fdto.root, maxPhandle(result.root));
  updateLocalReferences(fdto.root, maxPhandle(result.root));
  const compat = options.compat ?? DEFAULT_COMPAT;
  resolveExternalFixups(result.root, fdto.root, compat);
  if (compat >= '1.7') preventPhandleOverwrite(result.root, fdto.root);
  mergeFragments(result.root, fdto.root, options);
  updateSymbols(result.root, fdto.root, options);
  for (const node of preorder(result.root)) node.phandle = getPhandle(node);
  return result;
}

// ---- fdtoverlay's output blob ----

const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;

function tagAlign(n: number): number {
  return (n + 3) & ~3;
}

/**
 * The structure and strings blocks as libfdt edits them in place (fdt_rw.c): every insertion is a memmove
 * of everything after it (fdt_splice_), new strings go at the end of the strings block, and padding after
 * a value is not cleared, so it keeps whatever bytes sat there before. Replaying the same edits in the
 * same order is the only way to get fdtoverlay's bytes exactly.
 */
export class FdtBlobEditor implements BaseEditObserver {
  private buf: Uint8Array;
  private structSize: number;
  private stringsSize: number;

  constructor(structure: Uint8Array, strings: Uint8Array, trailing: Uint8Array = new Uint8Array(0)) {
    this.structSize = structure.length;
    this.stringsSize = strings.length;
    this.buf = new Uint8Array(Math.max(1024, 2 * (structure.length + strings.length + trailing.length)));
    this.buf.set(structure, 0);
    this.buf.set(strings, structure.length);
    this.buf.set(trailing, structure.length + strings.length);
  }

  get structure(): Uint8Array {
    return this.buf.slice(0, this.structSize);
  }

  get strings(): Uint8Array {
    return this.buf.slice(this.structSize, this.structSize + this.stringsSize);
  }

  private u32(at: number): number {
    return ((this.buf[at] ?? 0) << 24 | (this.buf[at + 1] ?? 0) << 16 | (this.buf[at + 2] ?? 0) << 8 | (this.buf[at + 3] ?? 0)) >>> 0;
  }

  private put32(at: number, v: number): void {
    this.buf[at] = (v >>> 24) & 0xff;
    this.buf[at + 1] = (v >>> 16) & 0xff;
    this.buf[at + 2] = (v >>> 8) & 0xff;
    this.buf[at + 3] = v & 0xff;
  }

  /** fdt_splice_: memmove the data after `at`; the vacated bytes keep their old contents. */
  private splice(at: number, oldLen: number, newLen: number): void {
    const dataEnd = this.structSize + this.stringsSize;
    const needed = dataEnd - oldLen + newLen;
    if (needed > this.buf.length) {
      const bigger = new Uint8Array(2 * needed);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf.copyWithin(at + newLen, at + oldLen, dataEnd);
  }

  private spliceStruct(at: number, oldLen: number, newLen: number): void {
    this.splice(at, oldLen, newLen);
    this.structSize += newLen - oldLen;
  }

  /** Offset just past a tag and its payload (fdt_next_tag). */
  private nextTag(at: number): { tag: number; next: number } {
    const tag = this.u32(at);
    switch (tag) {
      case FDT_BEGIN_NODE: {
        let end = at + 4;
        while (this.buf[end] !== 0) end++;
        return { tag, next: tagAlign(end + 1) };
      }
      case FDT_PROP:
        return { tag, next: tagAlign(at + 12 + this.u32(at + 4)) };
      default:
        return { tag, next: at + 4 };
    }
  }

  /** Offset of the first token inside a node, past its BEGIN_NODE and name. */
  private bodyOf(nodeAt: number): number {
    return this.nextTag(nodeAt).next;
  }

  /** Offset just past a node's END_NODE. */
  private skipNode(nodeAt: number): number {
    let depth = 0;
    let at = nodeAt;
    for (;;) {
      const { tag, next } = this.nextTag(at);
      if (tag === FDT_BEGIN_NODE) depth++;
      else if (tag === FDT_END_NODE && --depth === 0) return next;
      at = next;
    }
  }

  /** Offset of the first subnode tag (or END_NODE) of a node: past its properties and NOPs. */
  private afterProperties(nodeAt: number): number {
    let at = this.bodyOf(nodeAt);
    for (;;) {
      const { tag, next } = this.nextTag(at);
      if (tag !== FDT_PROP && tag !== FDT_NOP) return at;
      at = next;
    }
  }

  /** The blob offset of a tree node, found by its child indices from the root (tree order is blob order). */
  private offsetOf(node: DtNode): number {
    const indices: number[] = [];
    for (let n = node; n.parent; n = n.parent) indices.unshift(n.parent.children.indexOf(n));
    let at = 0;
    for (const index of indices) {
      at = this.afterProperties(at);
      for (let i = 0; ; ) {
        const { tag, next } = this.nextTag(at);
        if (tag === FDT_NOP) {
          at = next;
          continue;
        }
        if (i === index) break;
        at = this.skipNode(at);
        i++;
      }
    }
    return at;
  }

  private stringAt(offset: number): string {
    const start = this.structSize + offset;
    const end = this.buf.indexOf(0, start);
    return Buffer.from(this.buf.subarray(start, end)).toString('latin1');
  }

  /** fdt_find_add_string_: the first occurrence of `name\0` in the strings block, else appended. */
  private findAddString(name: string): number {
    const wanted = Buffer.from(`${name}\0`, 'latin1');
    const found = Buffer.from(this.strings).indexOf(wanted);
    if (found >= 0) return found;
    const at = this.stringsSize;
    this.splice(this.structSize + at, 0, wanted.length);
    this.buf.set(wanted, this.structSize + at);
    this.stringsSize += wanted.length;
    return at;
  }

  /** fdt_setprop: resize an existing property in place, or insert a new one first in the node. */
  setProperty(node: DtNode, name: string, bytes: Uint8Array): void {
    const nodeAt = this.offsetOf(node);
    for (let at = this.bodyOf(nodeAt); ; ) {
      const { tag, next } = this.nextTag(at);
      if (tag === FDT_PROP && this.stringAt(this.u32(at + 8)) === name) {
        this.spliceStruct(at + 12, tagAlign(this.u32(at + 4)), tagAlign(bytes.length));
        this.put32(at + 4, bytes.length);
        this.buf.set(bytes, at + 12);
        return;
      }
      if (tag !== FDT_PROP && tag !== FDT_NOP) break;
      at = next;
    }
    const nameOff = this.findAddString(name);
    const at = this.bodyOf(nodeAt);
    this.spliceStruct(at, 0, 12 + tagAlign(bytes.length));
    this.put32(at, FDT_PROP);
    this.put32(at + 4, bytes.length);
    this.put32(at + 8, nameOff);
    this.buf.set(bytes, at + 12);
  }

  /** fdt_add_subnode: a new empty node right after the parent's properties; its name padding is zeroed. */
  addSubnode(parent: DtNode, name: string): void {
    const at = this.afterProperties(this.offsetOf(parent));
    const nameBytes = Buffer.from(name, 'latin1');
    const nameLen = tagAlign(nameBytes.length + 1);
    this.spliceStruct(at, 0, 4 + nameLen + 4);
    this.put32(at, FDT_BEGIN_NODE);
    this.buf.fill(0, at + 4, at + 4 + nameLen);
    this.buf.set(nameBytes, at + 4);
    this.put32(at + 4 + nameLen, FDT_END_NODE);
  }
}

/** fdt_pack's layout: 40-byte header, reservation map, structure block, strings block. */
function packBlob(tree: DeviceTree, editor: FdtBlobEditor, lastCompVersion: number): Uint8Array {
  const structure = editor.structure;
  const strings = editor.strings;
  const rsv = Buffer.alloc((tree.memreserves.length + 1) * 16);
  tree.memreserves.forEach((r, i) => {
    rsv.writeBigUInt64BE(r.address, i * 16);
    rsv.writeBigUInt64BE(r.size, i * 16 + 8);
  });
  const header = Buffer.alloc(40);
  const offStruct = 40 + rsv.length;
  const offStrings = offStruct + structure.length;
  const total = offStrings + strings.length;
  [0xd00dfeed, total, offStruct, offStrings, 40, 17, lastCompVersion, tree.bootCpuidPhys, strings.length, structure.length].forEach((v, i) =>
    header.writeUInt32BE(v >>> 0, i * 4),
  );
  return Buffer.concat([header, rsv, structure, strings]);
}

/**
 * `fdtoverlay -i base.dtb -o out.dtb overlay.dtb...`: applies the overlays in order and returns the packed
 * blob, byte-identical to fdtoverlay's: the edits are replayed on the base's own blocks as libfdt makes them.
 */
export function applyOverlayBlobs(baseBlob: Uint8Array, overlayBlobs: readonly Uint8Array[], options: { compat?: DtcCompat } = {}): Uint8Array {
  const { tree, layout } = readDtbWithLayout(baseBlob, { fileName: 'base' });
  const { header } = layout;
  const structure = baseBlob.subarray(header.offDtStruct, header.offDtStruct + layout.structureSize);
  // fdt_open_into copies an in-order blob as is (fdt_move), free space after the strings included.
  const inOrder = header.offDtStrings === header.offDtStruct + layout.structureSize;
  const trailing = inOrder ? baseBlob.subarray(header.offDtStrings + header.sizeDtStrings, header.totalSize) : new Uint8Array(0);
  const editor = new FdtBlobEditor(structure, layout.strings, trailing);
  let result = tree;
  overlayBlobs.forEach((blob, i) => {
    result = applyOverlay(result, readDtb(blob, { fileName: `overlay ${i + 1}` }), { observer: editor, ...(options.compat ? { compat: options.compat } : {}) });
  });
  return packBlob(result, editor, header.lastCompVersion);
}
