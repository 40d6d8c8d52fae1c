import { BatchOp, DEFAULT_MAX_FRAME, ErrorCode, FrameType, HEADER_SIZE } from './constants.js';
import { ProtocolError } from './errors.js';
import { TYPE_OF_KIND } from './kinds.js';
import type { BatchAccess, Message, TraceRecord } from './messages.js';

const SLAB_SIZE = 64 * 1024;

/**
 * Appends frames to a preallocated slab and hands out the bytes written since the last `take()` as one view,
 * so a transport does one socket write per tick and no allocation per frame. A view handed out is never
 * written again: when the slab fills up, the encoder starts a fresh one (the way Node's Buffer pool works).
 */
export class FrameEncoder {
  private slab: Buffer;
  private start = 0;
  private pos = 0;
  private frameStart = 0;
  /** A frame is being built: its size is checked against `maxFrame` on every write, not at the end. */
  private open = false;

  constructor(
    /** The peer's maximum frame size: a larger frame is refused with FRAME_TOO_LARGE and nothing is appended. */
    public maxFrame = DEFAULT_MAX_FRAME,
    private readonly slabSize = SLAB_SIZE,
  ) {
    this.slab = Buffer.allocUnsafe(slabSize);
  }

  /** Bytes appended and not yet taken. */
  get pending(): number {
    return this.pos - this.start;
  }

  take(): Buffer | undefined {
    if (this.pos === this.start) return undefined;
    const out = this.slab.subarray(this.start, this.pos);
    this.start = this.pos;
    // Small leftovers are not worth keeping: the next frame would likely not fit anyway. A slab grown for one
    // large frame is not kept either, so a connection holds a large buffer only while it sends a large frame.
    if (this.slab.length - this.pos < 256 || this.slab.length > this.slabSize) this.fresh(0);
    return out;
  }

  /** Appends one frame with any message. */
  frame(tag: number, message: Message): void {
    this.begin(TYPE_OF_KIND[message.kind], tag);
    try {
      writePayload(this, message);
    } catch (err) {
      this.pos = this.frameStart;
      this.open = false;
      throw err;
    }
    this.end(TYPE_OF_KIND[message.kind]);
  }

  /** Hot path: C22_READ_REPLY / C45_READ_REPLY without building a message object. */
  valueReply(type: number, tag: number, value: number): void {
    this.begin(type, tag);
    this.u16(value);
    this.u16(0);
    this.end(type);
  }

  /** Hot path: C22_READ without building a message object. */
  c22Read(tag: number, bus: number, phy: number, reg: number): void {
    this.begin(FrameType.C22_READ, tag);
    this.u16(bus);
    this.u8(phy);
    this.u8(reg);
    this.end(FrameType.C22_READ);
  }

  /** Hot path: a reply with no payload (writes, admin, reset...). */
  emptyReply(type: number, tag: number): void {
    this.begin(type, tag);
    this.end(type);
  }

  // --- primitive writers, used by writePayload -------------------------------------------------------------

  u8(v: number): void {
    this.ensure(1);
    this.slab[this.pos++] = v & 0xff;
  }
  u16(v: number): void {
    this.ensure(2);
    this.slab.writeUInt16LE(v & 0xffff, this.pos);
    this.pos += 2;
  }
  u32(v: number): void {
    this.ensure(4);
    this.slab.writeUInt32LE(v >>> 0, this.pos);
    this.pos += 4;
  }
  u64(v: bigint): void {
    // Refused rather than wrapped: a time of 2^64 ns must not go out as 0.
    if (v < 0n || v > 0xffff_ffff_ffff_ffffn)
      throw new ProtocolError(ErrorCode.MALFORMED, `${v} does not fit in a u64`, -1, this.frameType());
    this.ensure(8);
    this.slab.writeBigUInt64LE(BigInt.asUintN(64, v), this.pos);
    this.pos += 8;
  }
  zeros(n: number): void {
    this.ensure(n);
    this.slab.fill(0, this.pos, this.pos + n);
    this.pos += n;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.slab.set(b, this.pos);
    this.pos += b.length;
  }
  /** u16 length, then UTF-8 bytes. */
  str16(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    if (n > 0xffff) throw new ProtocolError(ErrorCode.MALFORMED, `string of ${n} bytes exceeds 65535`);
    this.u16(n);
    this.ensure(n);
    this.pos += this.slab.write(s, this.pos, 'utf8');
  }
  /** u32 length, then UTF-8 bytes. */
  str32(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.u32(n);
    this.ensure(n);
    this.pos += this.slab.write(s, this.pos, 'utf8');
  }

  private begin(type: number, tag: number): void {
    this.ensure(HEADER_SIZE);
    this.frameStart = this.pos;
    this.open = true;
    this.slab.writeUInt16LE(type, this.pos + 4);
    this.slab.writeUInt16LE(0, this.pos + 6);
    this.slab.writeUInt32LE(tag >>> 0, this.pos + 8);
    this.pos += HEADER_SIZE;
  }

  private end(type: number): void {
    const size = this.pos - this.frameStart;
    this.open = false;
    if (size > this.maxFrame) {
      this.pos = this.frameStart;
      throw new ProtocolError(
        ErrorCode.FRAME_TOO_LARGE,
        `frame of ${size} bytes exceeds ${this.maxFrame}`,
        -1,
        type,
      );
    }
    this.slab.writeUInt32LE(size, this.frameStart);
  }

  /** The type of the frame under construction (its header is written first). */
  private frameType(): number {
    return this.open ? this.slab.readUInt16LE(this.frameStart + 4) : -1;
  }

  private ensure(n: number): void {
    // The limit is checked before the bytes are written: a frame too large for the peer costs at most
    // `maxFrame` bytes of work and memory, however large the message it was built from.
    if (this.open && this.pos + n - this.frameStart > this.maxFrame) {
      const type = this.frameType();
      const size = this.pos + n - this.frameStart;
      this.pos = this.frameStart;
      this.open = false;
      throw new ProtocolError(
        ErrorCode.FRAME_TOO_LARGE,
        `frame of at least ${size} bytes exceeds ${this.maxFrame}`,
        -1,
        type,
      );
    }
    if (this.pos + n <= this.slab.length) return;
    this.fresh(n);
  }

  /**
   * Moves the untaken bytes (including a frame under construction) to a new slab with room for `n` more.
   * A slab that must hold a growing frame at least doubles, so a frame of N bytes costs O(N) copying.
   */
  private fresh(n: number): void {
    const keep = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(this.slabSize, keep + n, 2 * keep));
    this.slab.copy(next, 0, this.start, this.pos);
    this.frameStart -= this.start;
    this.slab = next;
    this.start = 0;
    this.pos = keep;
  }
}

/** One frame as a fresh buffer: for tests, docs and the rare caller off the hot path. */
export function encodeFrame(tag: number, message: Message, maxFrame = 0xffffffff): Buffer {
  const enc = new FrameEncoder(maxFrame, 256);
  enc.frame(tag, message);
  return Buffer.from(enc.take() ?? Buffer.alloc(0));
}

function writeTraceRecord(e: FrameEncoder, r: TraceRecord): void {
  e.u32(r.seq);
  e.u64(r.timeNs);
  e.str16(r.json);
}

function writeBatchAccess(e: FrameEncoder, a: BatchAccess): void {
  switch (a.op) {
    case 'c22-read':
      e.u8(BatchOp.C22_READ);
      e.u8(a.phy);
      e.u8(0);
      e.u8(0);
      e.u16(a.bus);
      e.u16(a.reg);
      e.u32(0);
      return;
    case 'c22-write':
      e.u8(BatchOp.C22_WRITE);
      e.u8(a.phy);
      e.u8(0);
      e.u8(0);
      e.u16(a.bus);
      e.u16(a.reg);
      e.u16(a.value);
      e.u16(0);
      return;
    case 'c45-read':
      e.u8(BatchOp.C45_READ);
      e.u8(a.port);
      e.u8(a.devad);
      e.u8(0);
      e.u16(a.bus);
      e.u16(a.reg);
      e.u32(0);
      return;
    case 'c45-write':
      e.u8(BatchOp.C45_WRITE);
      e.u8(a.port);
      e.u8(a.devad);
      e.u8(0);
      e.u16(a.bus);
      e.u16(a.reg);
      e.u16(a.value);
      e.u16(0);
      return;
  }
}

function writePayload(e: FrameEncoder, m: Message): void {
  switch (m.kind) {
    case 'hello':
    case 'hello-reply':
      e.u16(m.version);
      e.u16(0);
      e.u32(m.capabilities);
      e.u32(m.maxFrame);
      e.str16(m.name);
      return;
    case 'ping':
    case 'pong':
      e.bytes(m.data);
      return;
    case 'c22-read':
      e.u16(m.bus);
      e.u8(m.phy);
      e.u8(m.reg);
      return;
    case 'c22-write':
      e.u16(m.bus);
      e.u8(m.phy);
      e.u8(m.reg);
      e.u16(m.value);
      e.u16(0);
      return;
    case 'c45-read':
      e.u16(m.bus);
      e.u8(m.port);
      e.u8(m.devad);
      e.u16(m.reg);
      e.u16(0);
      return;
    case 'c45-write':
      e.u16(m.bus);
      e.u8(m.port);
      e.u8(m.devad);
      e.u16(m.reg);
      e.u16(m.value);
      return;
    case 'c22-read-reply':
    case 'c45-read-reply':
      e.u16(m.value);
      e.u16(0);
      return;
    case 'c22-write-reply':
    case 'c45-write-reply':
    case 'pse-admin-reply':
    case 'scenario-load-reply':
    case 'scenario-trigger-reply':
    case 'reset-reply':
    case 'pse-list':
    case 'topology':
    case 'reset':
    case 'replay-status':
      return;
    case 'batch':
      e.u16(m.accesses.length);
      e.u16(0);
      for (const a of m.accesses) writeBatchAccess(e, a);
      return;
    case 'batch-reply':
      e.u16(m.results.length);
      e.u16(0);
      for (const r of m.results) {
        e.u16(r.value);
        e.u16(r.status);
      }
      return;
    case 'i2c-xfer':
      e.u16(m.bus);
      e.u8(m.addr);
      e.u8(0);
      e.u16(m.write.length);
      e.u16(m.readLength);
      e.bytes(m.write);
      return;
    case 'i2c-xfer-reply':
      e.u8(m.result);
      e.u8(0);
      e.u16(m.data.length);
      e.bytes(m.data);
      return;
    case 'pse-list-reply':
      e.u16(m.controllers.length);
      e.u16(0);
      for (const c of m.controllers) {
        e.u16(c.id);
        e.u8(c.state);
        e.u8(0);
        e.u16(c.piCount);
        e.str16(c.path);
        e.str16(c.compatible);
      }
      return;
    case 'pse-status':
      e.u16(m.controller);
      e.u16(m.pi);
      return;
    case 'pse-status-reply':
      e.u8(m.adminState);
      e.u8(m.powerStatus);
      e.u8(m.powerClass);
      e.u8(0);
      e.u32(m.actualPowerMw);
      e.u32(m.powerLimitMw);
      return;
    case 'pse-admin':
      e.u16(m.controller);
      e.u16(m.pi);
      e.u8(m.enable ? 1 : 0);
      e.zeros(3);
      return;
    case 'topology-reply':
      e.str32(m.json);
      return;
    case 'subscribe':
    case 'subscribe-reply':
      e.u32(m.mask);
      return;
    case 'scenario-load':
      e.u8(m.sourceKind);
      e.u8(0);
      e.str16(m.name);
      e.str32(m.text);
      return;
    case 'scenario-trigger':
      e.str16(m.event);
      return;
    case 'clock':
      e.u8(m.op);
      e.zeros(3);
      e.u64(m.ns);
      return;
    case 'clock-reply':
      e.u64(m.nowNs);
      e.u8(m.realtime ? 1 : 0);
      e.zeros(3);
      return;
    case 'trace-fetch':
      e.u32(m.since);
      e.u16(m.max);
      e.u16(0);
      return;
    case 'trace-fetch-reply':
      e.u32(m.next);
      e.u16(m.records.length);
      e.u16(m.flags);
      for (const r of m.records) writeTraceRecord(e, r);
      return;
    case 'recording-fetch':
      e.u32(m.offset);
      e.u32(m.max);
      return;
    case 'recording-fetch-reply':
      e.u32(m.next);
      e.u32(m.size);
      e.str32(m.text);
      return;
    case 'replay-status-reply':
      e.str32(m.json);
      return;
    case 'error':
      e.u16(m.code);
      e.u16(m.requestType);
      e.str16(m.message);
      return;
    case 'ev-pse-lifecycle':
      e.u16(m.controller);
      e.u8(m.state);
      e.u8(0);
      e.u64(m.timeNs);
      e.str16(m.path);
      return;
    case 'ev-phy-irq':
      e.u16(m.bus);
      e.u8(m.phy);
      e.u8(m.asserted ? 1 : 0);
      e.u64(m.timeNs);
      return;
    case 'ev-link':
      e.u16(m.bus);
      e.u8(m.phy);
      e.u8(m.up ? 1 : 0);
      e.u32(m.speed);
      e.u8(m.duplex);
      e.zeros(3);
      e.u64(m.timeNs);
      return;
    case 'ev-scenario-step':
      e.u32(m.index);
      e.u64(m.timeNs);
      e.str16(m.name);
      return;
    case 'ev-trace':
      writeTraceRecord(e, m.record);
      return;
    case 'ev-lost':
      e.u32(m.count);
      return;
  }
}
