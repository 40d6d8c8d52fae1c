import { DtsError, type Diagnostic } from './diagnostics.js';
import { createNode, type DeviceTree, type DtNode, type MemReserve } from './tree.js';

/**
 * Flattened device tree (DTB) reader, for FDT versions 16 and 17 as the Devicetree Specification v0.4
 * chapter 5 describes them and libfdt (fdt.c, fdt_ro.c) checks them. Every structural fault becomes a
 * DtsError whose diagnostic has a stable DTS4xxx code and a span of byte offsets into the blob; the walk
 * only moves forward through bounded blocks and keeps an explicit node stack, so garbage input can neither
 * hang nor overflow the call stack.
 */

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_BEGIN_NODE = 0x1;
export const FDT_END_NODE = 0x2;
export const FDT_PROP = 0x3;
export const FDT_NOP = 0x4;
export const FDT_END = 0x9;

/** Stable codes for malformed blobs. */
export const DtbErrorCode = {
  truncated: 'DTS4001',
  badMagic: 'DTS4002',
  unsupportedVersion: 'DTS4003',
  blockOutOfBounds: 'DTS4004',
  blocksOverlap: 'DTS4005',
  badStringOffset: 'DTS4006',
  unterminatedName: 'DTS4007',
  badToken: 'DTS4008',
  truncatedProperty: 'DTS4009',
  unterminatedReserveMap: 'DTS4010',
  missingEnd: 'DTS4011',
  badHeaderField: 'DTS4012',
} as const;

export interface FdtHeader {
  magic: number;
  totalSize: number;
  offDtStruct: number;
  offDtStrings: number;
  offMemRsvmap: number;
  version: number;
  lastCompVersion: number;
  bootCpuidPhys: number;
  sizeDtStrings: number;
  /** Only in version 17 headers; for version 16 the structure block runs until FDT_END. */
  sizeDtStruct: number | undefined;
}

/** The parts of a blob beyond the tree that a byte-exact rewriter (libfdt-style editing) needs. */
export interface DtbLayout {
  header: FdtHeader;
  /** The strings block exactly as stored, so appended names land where libfdt would put them. */
  strings: Uint8Array;
  /** Bytes from the structure block's start to just past FDT_END. */
  structureSize: number;
}

export interface ReadDtbOptions {
  /** Name used in diagnostic spans. */
  fileName?: string;
}

const V16_HEADER_SIZE = 36;
const V17_HEADER_SIZE = 40;
const RESERVE_ENTRY_SIZE = 16;

class BlobReader {
  private readonly view: DataView;

  constructor(
    readonly blob: Uint8Array,
    readonly fileName: string,
  ) {
    this.view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  }

  fail(code: string, message: string, start: number, end = start): never {
    const diagnostic: Diagnostic = { code, severity: 'error', message, span: { file: this.fileName, start, end } };
    throw new DtsError([diagnostic]);
  }

  u32(offset: number, limit: number, what: string): number {
    if (offset + 4 > limit) this.fail(DtbErrorCode.truncated, `${what} at offset ${offset} runs past the end of its block`, offset, limit);
    return this.view.getUint32(offset);
  }

  u64(offset: number): bigint {
    return this.view.getBigUint64(offset);
  }

  /** A NUL-terminated string starting at `start` that must end before `limit`. */
  cString(start: number, limit: number): string | undefined {
    const nul = this.blob.subarray(start, limit).indexOf(0);
    if (nul < 0) return undefined;
    return Buffer.from(this.blob.subarray(start, start + nul)).toString('latin1');
  }
}

function readHeader(r: BlobReader): FdtHeader {
  const size = r.blob.length;
  if (size < V16_HEADER_SIZE) r.fail(DtbErrorCode.truncated, `blob of ${size} bytes is shorter than an FDT header`, 0, size);
  const field = (offset: number): number => r.u32(offset, size, 'header field');
  const magic = field(0);
  if (magic !== FDT_MAGIC) r.fail(DtbErrorCode.badMagic, `bad magic 0x${magic.toString(16).padStart(8, '0')}, expected 0xd00dfeed`, 0, 4);
  const version = field(20);
  const lastCompVersion = field(24);
  // libfdt's fdt_check_header: readable if version >= 16 (the last format change) and the blob claims
  // backward compatibility with a version we know (last_comp_version <= 17).
  if (version < 16 || lastCompVersion > 17) {
    r.fail(DtbErrorCode.unsupportedVersion, `unsupported FDT version ${version} (last compatible ${lastCompVersion}); versions 16 and 17 are read`, 20, 28);
  }
  const headerSize = version >= 17 ? V17_HEADER_SIZE : V16_HEADER_SIZE;
  if (size < headerSize) r.fail(DtbErrorCode.truncated, `blob of ${size} bytes is shorter than a version ${version} header`, 0, size);
  return {
    magic,
    totalSize: field(4),
    offDtStruct: field(8),
    offDtStrings: field(12),
    offMemRsvmap: field(16),
    version,
    lastCompVersion,
    bootCpuidPhys: field(28),
    sizeDtStrings: field(32),
    sizeDtStruct: version >= 17 ? field(36) : undefined,
  };
}

interface Block {
  name: string;
  start: number;
  end: number;
  headerField: number;
}

function checkBlocks(r: BlobReader, h: FdtHeader): void {
  const headerSize = h.version >= 17 ? V17_HEADER_SIZE : V16_HEADER_SIZE;
  if (h.totalSize < headerSize) r.fail(DtbErrorCode.badHeaderField, `totalsize ${h.totalSize} is smaller than the header`, 4, 8);
  if (h.totalSize > r.blob.length) {
    r.fail(DtbErrorCode.truncated, `blob is truncated: header says ${h.totalSize} bytes, ${r.blob.length} present`, r.blob.length);
  }
  const blocks: Block[] = [
    { name: 'header', start: 0, end: headerSize, headerField: 0 },
    { name: 'strings block', start: h.offDtStrings, end: h.offDtStrings + h.sizeDtStrings, headerField: 12 },
  ];
  if (h.sizeDtStruct !== undefined) blocks.push({ name: 'structure block', start: h.offDtStruct, end: h.offDtStruct + h.sizeDtStruct, headerField: 8 });
  for (const b of blocks) {
    if (b.end > h.totalSize || b.start > h.totalSize) {
      r.fail(DtbErrorCode.blockOutOfBounds, `${b.name} [${b.start}, ${b.end}) lies outside the blob's ${h.totalSize} bytes`, b.headerField, b.headerField + 4);
    }
  }
  if (h.offDtStruct % 4 !== 0) r.fail(DtbErrorCode.badHeaderField, `structure block offset ${h.offDtStruct} is not 4-byte aligned`, 8, 12);
  if (h.offDtStruct < headerSize || h.offDtStruct >= h.totalSize) {
    r.fail(DtbErrorCode.blockOutOfBounds, `structure block offset ${h.offDtStruct} is outside [${headerSize}, ${h.totalSize})`, 8, 12);
  }
  if (h.offMemRsvmap < headerSize || h.offMemRsvmap + RESERVE_ENTRY_SIZE > h.totalSize) {
    r.fail(DtbErrorCode.blockOutOfBounds, `memory reservation block offset ${h.offMemRsvmap} is outside the blob`, 16, 20);
  }
  if (h.offMemRsvmap % 8 !== 0) r.fail(DtbErrorCode.badHeaderField, `memory reservation block offset ${h.offMemRsvmap} is not 8-byte aligned`, 16, 20);
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const a = blocks[i];
      const b = blocks[j];
      if (a && b && overlaps(a, b)) {
        r.fail(DtbErrorCode.blocksOverlap, `${a.name} [${a.start}, ${a.end}) overlaps ${b.name} [${b.start}, ${b.end})`, b.headerField, b.headerField + 4);
      }
    }
  }
}

function overlaps(a: { start: number; end: number }, b: { start: number; end: number }): boolean {
  return a.start < b.end && b.start < a.end && a.end > a.start && b.end > b.start;
}

function readReserveMap(r: BlobReader, h: FdtHeader, structEnd: number): MemReserve[] {
  const out: MemReserve[] = [];
  for (let off = h.offMemRsvmap; ; off += RESERVE_ENTRY_SIZE) {
    if (off + RESERVE_ENTRY_SIZE > h.totalSize) {
      r.fail(DtbErrorCode.unterminatedReserveMap, 'memory reservation block has no terminating (0, 0) entry', h.offMemRsvmap, h.totalSize);
    }
    const entry = { start: off, end: off + RESERVE_ENTRY_SIZE };
    const others = [
      { name: 'structure block', start: h.offDtStruct, end: structEnd },
      { name: 'strings block', start: h.offDtStrings, end: h.offDtStrings + h.sizeDtStrings },
    ];
    for (const o of others) {
      if (overlaps(entry, o)) r.fail(DtbErrorCode.blocksOverlap, `memory reservation entry at ${off} overlaps the ${o.name}`, off, off + RESERVE_ENTRY_SIZE);
    }
    const address = r.u64(off);
    const size = r.u64(off + 8);
    if (address === 0n && size === 0n) return out;
    out.push({ address, size, labels: [] });
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** Walks the structure block; returns the root and the offset just past FDT_END. */
function readStructure(r: BlobReader, h: FdtHeader): { root: DtNode; end: number } {
  const start = h.offDtStruct;
  const limit = h.sizeDtStruct !== undefined ? start + h.sizeDtStruct : h.totalSize;
  const stringsStart = h.offDtStrings;
  const stringsEnd = h.offDtStrings + h.sizeDtStrings;
  let off = start;
  let root: DtNode | undefined;
  const stack: DtNode[] = [];

  for (;;) {
    const tokenAt = off;
    const token = r.u32(off, limit, 'structure token');
    off += 4;
    switch (token) {
      case FDT_BEGIN_NODE: {
        const name = r.cString(off, limit);
        if (name === undefined) r.fail(DtbErrorCode.unterminatedName, `node name at offset ${off} is not NUL-terminated within the structure block`, off, limit);
        off = align4(off + name.length + 1);
        if (off > limit) r.fail(DtbErrorCode.truncated, `node name padding at ${tokenAt} runs past the structure block`, tokenAt, limit);
        const parent = stack.at(-1);
        if (!parent && root) r.fail(DtbErrorCode.badToken, 'a second root node follows the first', tokenAt, tokenAt + 4);
        const node = createNode(name, parent);
        if (parent) parent.children.push(node);
        else root = node;
        stack.push(node);
        break;
      }
      case FDT_END_NODE: {
        if (stack.length === 0) r.fail(DtbErrorCode.badToken, 'FDT_END_NODE without a matching FDT_BEGIN_NODE', tokenAt, tokenAt + 4);
        stack.pop();
        break;
      }
      case FDT_PROP: {
        const node = stack.at(-1);
        if (!node) r.fail(DtbErrorCode.badToken, 'property outside any node', tokenAt, tokenAt + 4);
        const len = r.u32(off, limit, 'property length');
        const nameOff = r.u32(off + 4, limit, 'property name offset');
        off += 8;
        if (len > limit - off) r.fail(DtbErrorCode.truncatedProperty, `property value of ${len} bytes at ${off} runs past the structure block`, tokenAt, limit);
        if (nameOff >= h.sizeDtStrings) {
          r.fail(DtbErrorCode.badStringOffset, `property name offset ${nameOff} is outside the ${h.sizeDtStrings}-byte strings block`, tokenAt + 8, tokenAt + 12);
        }
        const name = r.cString(stringsStart + nameOff, stringsEnd);
        if (name === undefined) r.fail(DtbErrorCode.badStringOffset, `property name at strings offset ${nameOff} is not NUL-terminated`, tokenAt + 8, tokenAt + 12);
        const bytes = r.blob.slice(off, off + len);
        off = align4(off + len);
        if (off > limit) r.fail(DtbErrorCode.truncatedProperty, `property padding at ${tokenAt} runs past the structure block`, tokenAt, limit);
        node.properties.push({ name, labels: [], value: { bytes, markers: [] }, deleted: false });
        break;
      }
      case FDT_NOP:
        break;
      case FDT_END: {
        if (stack.length > 0) r.fail(DtbErrorCode.missingEnd, `FDT_END inside node '${stack.at(-1)?.name ?? ''}'`, tokenAt, tokenAt + 4);
        if (!root) r.fail(DtbErrorCode.missingEnd, 'structure block has no root node', tokenAt, tokenAt + 4);
        return { root, end: off };
      }
      default:
        r.fail(DtbErrorCode.badToken, `invalid structure token 0x${token.toString(16).padStart(8, '0')} at offset ${tokenAt}`, tokenAt, tokenAt + 4);
    }
  }
}

/** dtc's check_explicit_phandles: `phandle` wins over `linux,phandle`; 0 and 0xffffffff are not phandles. */
function phandleOf(node: DtNode): number {
  for (const name of ['phandle', 'linux,phandle']) {
    const prop = node.properties.find((p) => p.name === name);
    if (prop && prop.value.bytes.length === 4) {
      const v = new DataView(prop.value.bytes.buffer, prop.value.bytes.byteOffset, 4).getUint32(0);
      if (v !== 0 && v !== 0xffffffff) return v;
    }
  }
  return 0;
}

function assignPhandles(root: DtNode): void {
  const stack = [root];
  for (let node = stack.pop(); node; node = stack.pop()) {
    node.phandle = phandleOf(node);
    stack.push(...node.children);
  }
}

/** Parses a DTB and also returns the header and raw strings block. */
export function readDtbWithLayout(blob: Uint8Array, options: ReadDtbOptions = {}): { tree: DeviceTree; layout: DtbLayout } {
  const r = new BlobReader(blob, options.fileName ?? '<dtb>');
  const header = readHeader(r);
  checkBlocks(r, header);
  const { root, end } = readStructure(r, header);
  const structBlock = { name: 'structure block', start: header.offDtStruct, end, headerField: 8 };
  const stringsBlock = { start: header.offDtStrings, end: header.offDtStrings + header.sizeDtStrings };
  if (header.sizeDtStruct === undefined && overlaps(structBlock, stringsBlock)) {
    r.fail(DtbErrorCode.blocksOverlap, `structure block [${structBlock.start}, ${end}) overlaps the strings block`, 8, 12);
  }
  const memreserves = readReserveMap(r, header, end);
  assignPhandles(root);
  // dtc -I dtb restores neither labels (from __symbols__) nor /plugin/: a blob does not record them.
  const tree: DeviceTree = { root, memreserves, plugin: false, bootCpuidPhys: header.bootCpuidPhys };
  return { tree, layout: { header, strings: blob.slice(stringsBlock.start, stringsBlock.end), structureSize: end - header.offDtStruct } };
}

/** Parses a flattened device tree blob (FDT version 16 or 17) into a DeviceTree. */
export function readDtb(blob: Uint8Array, options: ReadDtbOptions = {}): DeviceTree {
  return readDtbWithLayout(blob, options).tree;
}
