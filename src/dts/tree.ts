import type { Span } from '../diagnostics/source.js';

/**
 * The device tree as dtc's livetree.c holds it. Values keep dtc's markers (labels inside values, unresolved
 * references, the type each chunk was written as) because the DTS printer, `-@` symbols and overlay fixups
 * all need them; the DTB writer only needs the bytes.
 */

export type MarkerKind =
  | 'label' // a label inside a value: `prop = <1 lbl: 2>`
  | 'ref-phandle' // `&label` or `&{/path}` inside cells: 4 bytes to patch with the target's phandle
  | 'ref-path' // `&label` outside cells: the target's full path as a string
  | 'type-u8'
  | 'type-u16'
  | 'type-u32'
  | 'type-u64'
  | 'type-string';

export interface Marker {
  kind: MarkerKind;
  /** Byte offset into the property value. */
  offset: number;
  /** Label name, or the reference text (`label` or `/path`) for refs. */
  ref?: string;
  span?: Span;
}

export interface PropertyValue {
  bytes: Uint8Array;
  markers: Marker[];
}

/**
 * A definition's place as dtc's srcpos keeps it, for `-T` annotations: the file as named when read (a cpp
 * line marker's name), 1-based lines and byte columns of the text dtc scanned, the last column one past the
 * end.
 */
export interface SourcePosition {
  file: string;
  firstLine: number;
  firstColumn: number;
  lastLine: number;
  lastColumn: number;
}

export interface Property {
  name: string;
  labels: string[];
  value: PropertyValue;
  deleted: boolean;
  span?: Span;
  /** With CompileOptions.annotate: where it was last defined (none when the compiler generated it). */
  sources?: SourcePosition[];
}

export interface DtNode {
  /** Full node name including unit address; '' for the root. */
  name: string;
  labels: string[];
  properties: Property[];
  children: DtNode[];
  parent: DtNode | undefined;
  deleted: boolean;
  /** dtc's `/omit-if-no-ref/`: dropped at the end unless something references it. */
  omitIfNoRef: boolean;
  referenced: boolean;
  /** 0 until assigned or read from a `phandle`/`linux,phandle` property. */
  phandle: number;
  span?: Span;
  /** With CompileOptions.annotate: every definition that made or extended it, in order (dtc's srcpos chain). */
  sources?: SourcePosition[];
}

export interface MemReserve {
  address: bigint;
  size: bigint;
  labels: string[];
}

export interface DeviceTree {
  root: DtNode;
  memreserves: MemReserve[];
  /** `/plugin/` seen: an overlay. */
  plugin: boolean;
  /** Value of `boot_cpuid_phys` for the DTB header (dtc `-b`, or from the tree). */
  bootCpuidPhys: number;
}

export function createNode(name: string, parent?: DtNode): DtNode {
  return {
    name,
    labels: [],
    properties: [],
    children: [],
    parent,
    deleted: false,
    omitIfNoRef: false,
    referenced: false,
    phandle: 0,
  };
}

export function nodePath(node: DtNode): string {
  if (!node.parent) return '/';
  const parentPath = nodePath(node.parent);
  return parentPath === '/' ? `/${node.name}` : `${parentPath}/${node.name}`;
}

export function liveChildren(node: DtNode): DtNode[] {
  return node.children.filter((c) => !c.deleted);
}

export function liveProperties(node: DtNode): Property[] {
  return node.properties.filter((p) => !p.deleted);
}

export function getProperty(node: DtNode, name: string): Property | undefined {
  return node.properties.find((p) => !p.deleted && p.name === name);
}

/** Finds a node by absolute path; unit addresses may be omitted when unambiguous, as dtc allows. */
export function findNodeByPath(root: DtNode, path: string): DtNode | undefined {
  if (path === '/' || path === '') return root;
  let node: DtNode | undefined = root;
  for (const part of path.split('/').filter((s) => s.length > 0)) {
    if (!node) return undefined;
    const kids = liveChildren(node);
    node = kids.find((c) => c.name === part) ?? (part.includes('@') ? undefined : kids.find((c) => c.name.split('@')[0] === part));
  }
  return node;
}

export function walk(node: DtNode, visit: (n: DtNode) => void): void {
  visit(node);
  for (const child of liveChildren(node)) walk(child, visit);
}

/** Big-endian cell helpers: DT values are always big-endian. */
export function cellsOf(value: PropertyValue): number[] {
  const out: number[] = [];
  const view = new DataView(value.bytes.buffer, value.bytes.byteOffset, value.bytes.byteLength);
  for (let i = 0; i + 4 <= value.bytes.length; i += 4) out.push(view.getUint32(i));
  return out;
}

export function stringsOf(value: PropertyValue): string[] {
  const text = Buffer.from(value.bytes).toString('latin1');
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}
