import { liveChildren, liveProperties, type DeviceTree, type DtNode } from './tree.js';

/**
 * Flattened device tree output laid out as dtc 1.6.1's flattree.c dt_to_blob does for version 17: header,
 * memory reservation block at offset 40 (8-aligned), structure block, strings block, then padding.
 */

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_END = 9;
const HEADER_SIZE_V17 = 40;

export interface DtbWriteOptions {
  /** dtc -R: extra empty reservation slots. */
  reserveSlots?: number;
  /** dtc -S: minimum total size. */
  minSize?: number;
  /** dtc -p: padding bytes added at the end. */
  padSize?: number;
  /** dtc -a: total size rounded up to this power of two. */
  alignSize?: number;
  /** Reported when -S is smaller than the blob, as dtc warns. */
  warn?: (message: string) => void;
}

class ByteSink {
  bytes: number[] = [];
  u32(v: number): void {
    this.bytes.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  }
  u64(v: bigint): void {
    this.u32(Number((v >> 32n) & 0xffffffffn));
    this.u32(Number(v & 0xffffffffn));
  }
  raw(b: ArrayLike<number>): void {
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i] ?? 0);
  }
  align(n: number): void {
    while (this.bytes.length % n !== 0) this.bytes.push(0);
  }
}

/** flattree.c stringtable_insert: reuse any earlier occurrence, including the tail of a longer name. */
class StringTable {
  private text = '';
  insert(name: string): number {
    const key = `${name}\0`;
    const found = this.text.indexOf(key);
    if (found >= 0) return found;
    const offset = this.text.length;
    this.text += key;
    return offset;
  }
  get bytes(): Uint8Array {
    return Uint8Array.from(Buffer.from(this.text, 'latin1'));
  }
}

function flattenNode(node: DtNode, out: ByteSink, strings: StringTable): void {
  out.u32(FDT_BEGIN_NODE);
  out.raw(Buffer.from(node.name, 'latin1'));
  out.raw([0]);
  out.align(4);
  for (const prop of liveProperties(node)) {
    const nameoff = strings.insert(prop.name);
    out.u32(FDT_PROP);
    out.u32(prop.value.bytes.length);
    out.u32(nameoff);
    out.raw(prop.value.bytes);
    out.align(4);
  }
  for (const child of liveChildren(node)) flattenNode(child, out, strings);
  out.u32(FDT_END_NODE);
}

export function writeDtb(tree: DeviceTree, options: DtbWriteOptions = {}): Uint8Array {
  const structure = new ByteSink();
  const strings = new StringTable();
  flattenNode(tree.root, structure, strings);
  structure.u32(FDT_END);
  const stringBytes = strings.bytes;

  const reserve = new ByteSink();
  for (const r of tree.memreserves) {
    reserve.u64(r.address);
    reserve.u64(r.size);
  }
  for (let i = 0; i < (options.reserveSlots ?? 0); i++) {
    reserve.u64(0n);
    reserve.u64(0n);
  }
  // The map always ends in an all-zero entry, and the structure block offset counts it.
  reserve.u64(0n);
  reserve.u64(0n);

  const reserveOff = HEADER_SIZE_V17;
  const structOff = reserveOff + reserve.bytes.length;
  const stringsOff = structOff + structure.bytes.length;
  let totalSize = stringsOff + stringBytes.length;

  let padLen = 0;
  if (options.minSize !== undefined && options.minSize > 0) {
    padLen = options.minSize - totalSize;
    if (padLen < 0) {
      padLen = 0;
      options.warn?.(`Warning: blob size ${totalSize} >= minimum size ${options.minSize}`);
    }
  }
  if (options.padSize !== undefined && options.padSize > 0) padLen = options.padSize;
  if (options.alignSize !== undefined && options.alignSize > 0) {
    const a = options.alignSize;
    padLen = Math.ceil((totalSize + padLen) / a) * a - totalSize;
  }
  totalSize += padLen;

  const out = new ByteSink();
  out.u32(FDT_MAGIC);
  out.u32(totalSize);
  out.u32(structOff);
  out.u32(stringsOff);
  out.u32(reserveOff);
  out.u32(17);
  out.u32(16);
  out.u32(tree.bootCpuidPhys >>> 0);
  out.u32(stringBytes.length);
  out.u32(structure.bytes.length);
  out.raw(reserve.bytes);
  out.raw(structure.bytes);
  out.raw(stringBytes);
  for (let i = 0; i < padLen; i++) out.bytes.push(0);
  return Uint8Array.from(out.bytes);
}
