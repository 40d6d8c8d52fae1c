import { liveChildren, liveProperties, type DeviceTree, type DtNode } from './tree.js';

/**
 * Flattened device tree output laid out as dtc 1.6.1's flattree.c dt_to_blob does: header, memory reservation
 * block (8-aligned), structure block, strings block, then padding. Version 17 by default; dtc -V also writes
 * 16 and the pre-libfdt 1, 2 and 3 (full paths as node names, 8-aligned values of 8 bytes or more, `name`
 * properties, shorter headers), which bootloaders of that age read.
 */

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_END = 9;

/** flattree.c version_table. */
const FTF_FULLPATH = 0x1;
const FTF_VARALIGN = 0x2;
const FTF_NAMEPROPS = 0x4;
const FTF_BOOTCPUID = 0x8;
const FTF_STRTABSIZE = 0x10;
const FTF_STRUCTSIZE = 0x20;

export interface DtbVersionInfo {
  version: number;
  lastCompVersion: number;
  headerSize: number;
  flags: number;
}

const VERSION_TABLE: readonly DtbVersionInfo[] = [
  { version: 1, lastCompVersion: 1, headerSize: 28, flags: FTF_FULLPATH | FTF_VARALIGN | FTF_NAMEPROPS },
  { version: 2, lastCompVersion: 1, headerSize: 32, flags: FTF_FULLPATH | FTF_VARALIGN | FTF_NAMEPROPS | FTF_BOOTCPUID },
  { version: 3, lastCompVersion: 1, headerSize: 36, flags: FTF_FULLPATH | FTF_VARALIGN | FTF_NAMEPROPS | FTF_BOOTCPUID | FTF_STRTABSIZE },
  { version: 16, lastCompVersion: 16, headerSize: 36, flags: FTF_BOOTCPUID | FTF_STRTABSIZE },
  { version: 17, lastCompVersion: 16, headerSize: 40, flags: FTF_BOOTCPUID | FTF_STRTABSIZE | FTF_STRUCTSIZE },
];

/** The blob versions dtc -V accepts. */
export const DTB_VERSIONS: readonly number[] = VERSION_TABLE.map((v) => v.version);

export function dtbVersionInfo(version: number): DtbVersionInfo | undefined {
  return VERSION_TABLE.find((v) => v.version === version);
}

export const dtbFlags = { FTF_FULLPATH, FTF_VARALIGN, FTF_NAMEPROPS, FTF_BOOTCPUID, FTF_STRTABSIZE, FTF_STRUCTSIZE } as const;

export interface DtbWriteOptions {
  /** dtc -V: blob version, one of DTB_VERSIONS (default 17). */
  version?: number;
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

/** A growable big-endian byte buffer (doubling, so appends are amortised O(1)). */
class ByteSink {
  private buf = new Uint8Array(1024);
  length = 0;
  /** The bytes written so far (a view, valid until the next write). */
  get bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf.subarray(0, this.length));
    this.buf = grown;
  }
  u32(v: number): void {
    this.reserve(4);
    const b = this.buf;
    const at = this.length;
    b[at] = (v >>> 24) & 0xff;
    b[at + 1] = (v >>> 16) & 0xff;
    b[at + 2] = (v >>> 8) & 0xff;
    b[at + 3] = v & 0xff;
    this.length += 4;
  }
  u64(v: bigint): void {
    this.u32(Number((v >> 32n) & 0xffffffffn));
    this.u32(Number(v & 0xffffffffn));
  }
  raw(b: ArrayLike<number>): void {
    this.reserve(b.length);
    const out = this.buf;
    if (b instanceof Uint8Array) {
      out.set(b, this.length);
      this.length += b.length;
      return;
    }
    let at = this.length;
    for (let i = 0; i < b.length; i++) out[at++] = b[i] ?? 0;
    this.length = at;
  }
  /** Latin-1 text, one byte per character, then a NUL. */
  name(text: string): void {
    this.reserve(text.length + 1);
    const out = this.buf;
    let at = this.length;
    for (let i = 0; i < text.length; i++) out[at++] = text.charCodeAt(i) & 0xff;
    out[at++] = 0;
    this.length = at;
  }
  /** Zero bytes (the buffer is zero-filled and never rewound). */
  zeros(n: number): void {
    this.reserve(n);
    this.length += n;
  }
  align(n: number): void {
    this.zeros((n - (this.length % n)) % n);
  }
}

/** flattree.c stringtable_insert: reuse any earlier occurrence, including the tail of a longer name. */
/** Names up to this long are found through the suffix index; longer ones (never in real trees) by a scan. */
const INDEXED_NAME = 256;

export class StringTable {
  private text = '';
  /** The table only grows at its end, so a name's first occurrence never moves once found. */
  private readonly offsets = new Map<string, number>();
  /**
   * dtc shares a name with the tail of a longer one ("reg" inside "interrupt-reg"): the first occurrence of
   * `name\0` in the table is always a suffix of one entry, so every suffix of every entry (up to
   * INDEXED_NAME characters) maps to its first offset. A scan of the whole table per new name made 10^5
   * properties quadratic.
   */
  private readonly suffixes = new Map<string, number>();
  insert(name: string): number {
    const known = this.offsets.get(name);
    if (known !== undefined) return known;
    const key = `${name}\0`;
    const indexed = name.length <= INDEXED_NAME && !name.includes('\0');
    let offset = indexed ? (this.suffixes.get(name) ?? -1) : this.text.indexOf(key);
    if (offset < 0) {
      offset = this.text.length;
      this.text += key;
      this.index(name, offset);
    }
    this.offsets.set(name, offset);
    return offset;
  }
  /** Adds the suffixes of each NUL-terminated piece of a new entry starting at `at`. */
  private index(entry: string, at: number): void {
    let start = 0;
    for (const piece of entry.split('\0')) {
      for (let k = Math.max(0, piece.length - INDEXED_NAME); k <= piece.length; k++) {
        const suffix = piece.slice(k);
        if (!this.suffixes.has(suffix)) this.suffixes.set(suffix, at + start + k);
      }
      start += piece.length + 1;
    }
  }
  get bytes(): Uint8Array {
    return Uint8Array.from(Buffer.from(this.text, 'latin1'));
  }
  /** The NUL-terminated strings in table order (flattree.c dump_stringtable_asm). */
  entries(): string[] {
    return this.text.split('\0').slice(0, -1);
  }
}

function flattenNode(node: DtNode, out: ByteSink, strings: StringTable, flags: number, fullpath: string): void {
  out.u32(FDT_BEGIN_NODE);
  out.name(flags & FTF_FULLPATH ? fullpath || '/' : node.name);
  out.align(4);
  let seenName = false;
  for (const prop of liveProperties(node)) {
    if (prop.name === 'name') seenName = true;
    const nameoff = strings.insert(prop.name);
    out.u32(FDT_PROP);
    out.u32(prop.value.bytes.length);
    out.u32(nameoff);
    if (flags & FTF_VARALIGN && prop.value.bytes.length >= 8) out.align(8);
    out.raw(prop.value.bytes);
    out.align(4);
  }
  if (flags & FTF_NAMEPROPS && !seenName) {
    // The node name without its unit address, NUL-terminated.
    const at = node.name.indexOf('@');
    const base = at < 0 ? node.name : node.name.slice(0, at);
    out.u32(FDT_PROP);
    out.u32(base.length + 1);
    out.u32(strings.insert('name'));
    if (flags & FTF_VARALIGN && base.length + 1 >= 8) out.align(8);
    out.name(base);
    out.align(4);
  }
  for (const child of liveChildren(node)) flattenNode(child, out, strings, flags, `${fullpath}/${child.name}`);
  out.u32(FDT_END_NODE);
}

/** The reservation map as dtc -R lays it out: the tree's entries, then `slots` empty ones (not the terminator). */
export function reserveEntries(tree: DeviceTree, slots: number): { address: bigint; size: bigint }[] {
  return [...tree.memreserves, ...Array.from({ length: Math.max(0, slots) }, () => ({ address: 0n, size: 0n }))];
}

export function writeDtb(tree: DeviceTree, options: DtbWriteOptions = {}): Uint8Array {
  const vi = dtbVersionInfo(options.version ?? 17);
  if (!vi) throw new RangeError(`Unknown device tree blob version ${String(options.version)}`);
  const structure = new ByteSink();
  const strings = new StringTable();
  flattenNode(tree.root, structure, strings, vi.flags, '');
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

  const reserveOff = Math.ceil(vi.headerSize / 8) * 8;
  const structOff = reserveOff + reserve.length;
  const stringsOff = structOff + structure.length;
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
  // make_fdt_header fills the header with 0xff first; fields a version lacks are cut off by its size.
  const header = [FDT_MAGIC, totalSize, structOff, stringsOff, reserveOff, vi.version, vi.lastCompVersion];
  header.push(vi.flags & FTF_BOOTCPUID ? tree.bootCpuidPhys >>> 0 : 0xffffffff);
  header.push(vi.flags & FTF_STRTABSIZE ? stringBytes.length : 0xffffffff);
  header.push(vi.flags & FTF_STRUCTSIZE ? structure.length : 0xffffffff);
  for (const word of header.slice(0, vi.headerSize / 4)) out.u32(word);
  out.align(8);
  out.raw(reserve.bytes);
  out.raw(structure.bytes);
  out.raw(stringBytes);
  out.zeros(padLen);
  return out.bytes.slice();
}
