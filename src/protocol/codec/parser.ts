import { DEFAULT_MAX_FRAME, ErrorCode, HEADER_SIZE } from './constants.js';
import { ProtocolError } from './errors.js';

/** Receives one complete frame. `payload` is a view valid only during the call. */
export type FrameCallback = (type: number, tag: number, payload: Buffer) => void;

/**
 * Incremental frame splitter: push bytes as they arrive, in any chunking; complete frames come out through
 * the callback in order. Frames wholly inside one chunk are delivered as views of it without copying; only a
 * frame split across chunks is assembled in a reusable buffer, which never grows beyond `maxFrame`.
 * A size field below 12 or above `maxFrame` cannot be skipped safely, so it stops the parser for good and is
 * reported once through `onFatal`.
 */
export class FrameParser {
  private acc: Buffer = Buffer.alloc(0);
  private accLen = 0;
  private accSize = 0;
  private stopped = false;

  constructor(
    private readonly onFrame: FrameCallback,
    private readonly onFatal: (err: ProtocolError) => void,
    readonly maxFrame = DEFAULT_MAX_FRAME,
  ) {}

  /** Bytes held back waiting for the rest of a frame. */
  get buffered(): number {
    return this.accLen;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /** Stops delivery, including frames remaining in the chunk being pushed. */
  stop(): void {
    this.stopped = true;
    this.acc = Buffer.alloc(0);
    this.accLen = 0;
  }

  push(chunk: Buffer): void {
    if (this.stopped) return;
    let off = 0;
    if (this.accLen > 0) {
      off = this.fillPending(chunk);
      if (off < 0 || this.halted()) return;
    }
    const len = chunk.length;
    while (!this.halted() && len - off >= 4) {
      const size = chunk.readUInt32LE(off);
      if (!this.sizeOk(size)) return;
      if (len - off < size) break;
      this.deliver(chunk, off, size);
      off += size;
    }
    if (!this.halted() && off < len) this.keep(chunk, off);
  }

  /** A delivered frame's handler may call stop(): the flag is re-read after every delivery. */
  private halted(): boolean {
    return this.stopped;
  }

  /** Completes a frame split across chunks; returns how much of `chunk` it used, or -1 if it needs more. */
  private fillPending(chunk: Buffer): number {
    let off = 0;
    if (this.accLen < 4) {
      const n = Math.min(4 - this.accLen, chunk.length);
      chunk.copy(this.acc, this.accLen, 0, n);
      this.accLen += n;
      off = n;
      if (this.accLen < 4) return -1;
      const size = this.acc.readUInt32LE(0);
      if (!this.sizeOk(size)) return -1;
      this.accSize = size;
      if (this.acc.length < size) {
        const bigger = Buffer.allocUnsafe(Math.max(size, 4096));
        this.acc.copy(bigger, 0, 0, this.accLen);
        this.acc = bigger;
      }
    }
    const n = Math.min(this.accSize - this.accLen, chunk.length - off);
    chunk.copy(this.acc, this.accLen, off, off + n);
    this.accLen += n;
    off += n;
    if (this.accLen < this.accSize) return -1;
    this.accLen = 0;
    this.deliver(this.acc, 0, this.accSize);
    return off;
  }

  private keep(chunk: Buffer, off: number): void {
    const rest = chunk.length - off;
    const size = rest >= 4 ? chunk.readUInt32LE(off) : 0;
    const want = Math.max(rest, size, 4096);
    if (this.acc.length < want) this.acc = Buffer.allocUnsafe(want);
    chunk.copy(this.acc, 0, off);
    this.accLen = rest;
    this.accSize = size;
  }

  private sizeOk(size: number): boolean {
    if (size < HEADER_SIZE) {
      this.fail(new ProtocolError(ErrorCode.BAD_SIZE, `frame size ${size} is below the 12-byte header`, 0));
      return false;
    }
    if (size > this.maxFrame) {
      this.fail(
        new ProtocolError(
          ErrorCode.FRAME_TOO_LARGE,
          `frame size ${size} exceeds the maximum ${this.maxFrame}`,
          0,
        ),
      );
      return false;
    }
    return true;
  }

  private fail(err: ProtocolError): void {
    this.stop();
    this.onFatal(err);
  }

  private deliver(buf: Buffer, off: number, size: number): void {
    const type = buf.readUInt16LE(off + 4);
    const tag = buf.readUInt32LE(off + 8);
    this.onFrame(type, tag, buf.subarray(off + HEADER_SIZE, off + size));
  }
}
