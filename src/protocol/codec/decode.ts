import { BatchOp, ErrorCode, HEADER_SIZE } from './constants.js';
import { ProtocolError } from './errors.js';
import { KIND_OF_TYPE } from './kinds.js';
import type { BatchAccess, Message, TraceRecord } from './messages.js';

/**
 * Reads one payload with bounds checks. Every failure is a MALFORMED ProtocolError carrying the byte offset
 * from the start of the frame, so a peer can say exactly which field was short.
 */
class PayloadReader {
  pos = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly type: number,
  ) {}

  private need(n: number, what: string): void {
    if (this.pos + n > this.buf.length)
      throw new ProtocolError(
        ErrorCode.MALFORMED,
        `payload too short for ${what}`,
        HEADER_SIZE + this.pos,
        this.type,
      );
  }
  u8(what: string): number {
    this.need(1, what);
    return this.buf[this.pos++] as number;
  }
  u16(what: string): number {
    this.need(2, what);
    const v = this.buf.readUInt16LE(this.pos);
    this.pos += 2;
    return v;
  }
  u32(what: string): number {
    this.need(4, what);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(what: string): bigint {
    this.need(8, what);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = new Uint8Array(n);
    out.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return out;
  }
  str16(what: string): string {
    const n = this.u16(`${what} length`);
    this.need(n, what);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  str32(what: string): string {
    const n = this.u32(`${what} length`);
    this.need(n, what);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  rest(): Uint8Array {
    return this.bytes(this.buf.length - this.pos, 'data');
  }
  end(): void {
    if (this.pos !== this.buf.length)
      throw new ProtocolError(
        ErrorCode.MALFORMED,
        `${this.buf.length - this.pos} trailing byte(s)`,
        HEADER_SIZE + this.pos,
        this.type,
      );
  }
  trace(): TraceRecord {
    const seq = this.u32('seq');
    const timeNs = this.u64('time');
    const json = this.str16('record');
    return { seq, timeNs, json };
  }
}

/**
 * Decodes one frame's payload (the bytes after the 12-byte header). Throws ProtocolError UNKNOWN_TYPE for a
 * type this version does not define and MALFORMED for a payload of the wrong shape; never anything else.
 */
export function decodeMessage(type: number, payload: Buffer): Message {
  const kind = KIND_OF_TYPE.get(type);
  if (kind === undefined)
    throw new ProtocolError(ErrorCode.UNKNOWN_TYPE, `unknown frame type 0x${type.toString(16)}`, 4, type);
  const r = new PayloadReader(payload, type);
  const m = decodeKind(kind, r, type);
  r.end();
  return m;
}

function decodeKind(kind: Message['kind'], r: PayloadReader, type: number): Message {
  switch (kind) {
    case 'hello':
    case 'hello-reply': {
      const version = r.u16('version');
      r.skip(2, 'reserved');
      const capabilities = r.u32('capabilities');
      const maxFrame = r.u32('max frame');
      const name = r.str16('name');
      return { kind, version, capabilities, maxFrame, name };
    }
    case 'ping':
    case 'pong':
      return { kind, data: r.rest() };
    case 'c22-read': {
      const bus = r.u16('bus');
      const phy = r.u8('phy');
      const reg = r.u8('reg');
      return { kind, bus, phy, reg };
    }
    case 'c22-write': {
      const bus = r.u16('bus');
      const phy = r.u8('phy');
      const reg = r.u8('reg');
      const value = r.u16('value');
      r.skip(2, 'reserved');
      return { kind, bus, phy, reg, value };
    }
    case 'c45-read': {
      const bus = r.u16('bus');
      const port = r.u8('port');
      const devad = r.u8('devad');
      const reg = r.u16('reg');
      r.skip(2, 'reserved');
      return { kind, bus, port, devad, reg };
    }
    case 'c45-write': {
      const bus = r.u16('bus');
      const port = r.u8('port');
      const devad = r.u8('devad');
      const reg = r.u16('reg');
      const value = r.u16('value');
      return { kind, bus, port, devad, reg, value };
    }
    case 'c22-read-reply':
    case 'c45-read-reply': {
      const value = r.u16('value');
      r.skip(2, 'reserved');
      return { kind, value };
    }
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
      return { kind };
    case 'batch': {
      const count = r.u16('count');
      r.skip(2, 'reserved');
      const accesses: BatchAccess[] = [];
      for (let i = 0; i < count; i++) accesses.push(decodeBatchAccess(r, type));
      return { kind, accesses };
    }
    case 'batch-reply': {
      const count = r.u16('count');
      r.skip(2, 'reserved');
      const results = [];
      for (let i = 0; i < count; i++) {
        const value = r.u16('value');
        const status = r.u16('status');
        results.push({ value, status });
      }
      return { kind, results };
    }
    case 'i2c-xfer': {
      const bus = r.u16('bus');
      const addr = r.u8('addr');
      r.skip(1, 'reserved');
      const writeLength = r.u16('write length');
      const readLength = r.u16('read length');
      const write = r.bytes(writeLength, 'write data');
      return { kind, bus, addr, write, readLength };
    }
    case 'i2c-xfer-reply': {
      const result = r.u8('result');
      r.skip(1, 'reserved');
      const n = r.u16('read count');
      return { kind, result, data: r.bytes(n, 'read data') };
    }
    case 'pse-list-reply': {
      const count = r.u16('count');
      r.skip(2, 'reserved');
      const controllers = [];
      for (let i = 0; i < count; i++) {
        const id = r.u16('id');
        const state = r.u8('state');
        r.skip(1, 'reserved');
        const piCount = r.u16('PI count');
        const path = r.str16('path');
        const compatible = r.str16('compatible');
        controllers.push({ id, state, piCount, path, compatible });
      }
      return { kind, controllers };
    }
    case 'pse-status': {
      const controller = r.u16('controller');
      const pi = r.u16('pi');
      return { kind, controller, pi };
    }
    case 'pse-status-reply': {
      const adminState = r.u8('admin state');
      const powerStatus = r.u8('power status');
      const powerClass = r.u8('power class');
      r.skip(1, 'reserved');
      const actualPowerMw = r.u32('actual power');
      const powerLimitMw = r.u32('power limit');
      return { kind, adminState, powerStatus, powerClass, actualPowerMw, powerLimitMw };
    }
    case 'pse-admin': {
      const controller = r.u16('controller');
      const pi = r.u16('pi');
      const enable = r.u8('enable') !== 0;
      r.skip(3, 'reserved');
      return { kind, controller, pi, enable };
    }
    case 'topology-reply':
      return { kind, json: r.str32('json') };
    case 'subscribe':
    case 'subscribe-reply':
      return { kind, mask: r.u32('mask') };
    case 'scenario-load': {
      const sourceKind = r.u8('source kind');
      r.skip(1, 'reserved');
      const name = r.str16('name');
      const text = r.str32('text');
      return { kind, sourceKind, name, text };
    }
    case 'scenario-trigger':
      return { kind, event: r.str16('event') };
    case 'clock': {
      const op = r.u8('op');
      r.skip(3, 'reserved');
      return { kind, op, ns: r.u64('ns') };
    }
    case 'clock-reply': {
      const nowNs = r.u64('now');
      const realtime = r.u8('realtime') !== 0;
      r.skip(3, 'reserved');
      return { kind, nowNs, realtime };
    }
    case 'trace-fetch': {
      const since = r.u32('since');
      const max = r.u16('max');
      r.skip(2, 'reserved');
      return { kind, since, max };
    }
    case 'trace-fetch-reply': {
      const next = r.u32('next');
      const count = r.u16('count');
      const flags = r.u16('flags');
      const records = [];
      for (let i = 0; i < count; i++) records.push(r.trace());
      return { kind, next, flags, records };
    }
    case 'recording-fetch': {
      const offset = r.u32('offset');
      return { kind, offset, max: r.u32('max') };
    }
    case 'recording-fetch-reply': {
      const next = r.u32('next');
      const size = r.u32('size');
      return { kind, next, size, text: r.str32('text') };
    }
    case 'replay-status-reply':
      return { kind, json: r.str32('json') };
    case 'error': {
      const code = r.u16('code');
      const requestType = r.u16('request type');
      return { kind, code, requestType, message: r.str16('message') };
    }
    case 'ev-pse-lifecycle': {
      const controller = r.u16('controller');
      const state = r.u8('state');
      r.skip(1, 'reserved');
      const timeNs = r.u64('time');
      return { kind, controller, state, timeNs, path: r.str16('path') };
    }
    case 'ev-phy-irq': {
      const bus = r.u16('bus');
      const phy = r.u8('phy');
      const asserted = r.u8('asserted') !== 0;
      return { kind, bus, phy, asserted, timeNs: r.u64('time') };
    }
    case 'ev-link': {
      const bus = r.u16('bus');
      const phy = r.u8('phy');
      const up = r.u8('up') !== 0;
      const speed = r.u32('speed');
      const duplex = r.u8('duplex');
      r.skip(3, 'reserved');
      return { kind, bus, phy, up, speed, duplex, timeNs: r.u64('time') };
    }
    case 'ev-scenario-step': {
      const index = r.u32('index');
      const timeNs = r.u64('time');
      return { kind, index, timeNs, name: r.str16('name') };
    }
    case 'ev-trace':
      return { kind, record: r.trace() };
    case 'ev-lost':
      return { kind, count: r.u32('count') };
  }
}

function decodeBatchAccess(r: PayloadReader, type: number): BatchAccess {
  const at = r.pos;
  const op = r.u8('batch op');
  const addr = r.u8('batch address');
  const devad = r.u8('batch devad');
  r.skip(1, 'reserved');
  const bus = r.u16('batch bus');
  const reg = r.u16('batch reg');
  const value = r.u16('batch value');
  r.skip(2, 'reserved');
  switch (op) {
    case BatchOp.C22_READ:
      return { op: 'c22-read', bus, phy: addr, reg };
    case BatchOp.C22_WRITE:
      return { op: 'c22-write', bus, phy: addr, reg, value };
    case BatchOp.C45_READ:
      return { op: 'c45-read', bus, port: addr, devad, reg };
    case BatchOp.C45_WRITE:
      return { op: 'c45-write', bus, port: addr, devad, reg, value };
    default:
      throw new ProtocolError(ErrorCode.MALFORMED, `unknown batch op ${op}`, HEADER_SIZE + at, type);
  }
}
