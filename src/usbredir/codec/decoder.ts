import { ProtocolError, type ProtocolErrorCode, UsbredirErrorCode } from '../errors.js';
import type { Negotiation } from './caps.js';
import {
  HEADER_SIZE_32BIT_ID,
  HEADER_SIZE_64BIT_ID,
  MAX_PACKET_LENGTH,
  PacketType,
  packetTypeName,
  type PacketTypeName,
} from './constants.js';
import { dataPathNegotiated, readBulkPacket } from './data-path.js';
import { compiledLayout, layouts, receivable, type CompiledLayout } from './layout.js';
import type { Packet, Role } from './packets.js';
import { verifyPacket } from './verify.js';

const EMPTY = new Uint8Array(0);

export interface DecoderSink {
  packet(packet: Packet): void;
  /** A packet that was skipped; decoding continues with the next one. */
  error(error: ProtocolError): void;
}

/** Header size for the current negotiation: 64-bit ids only once both peers advertised them. */
export function headerSize(neg: Negotiation): number {
  return neg.both('64bits_ids') ? HEADER_SIZE_64BIT_ID : HEADER_SIZE_32BIT_ID;
}

/**
 * Incremental usbredir decoder for the `receiver` side. Feed it whatever the socket delivers; it
 * resumes on partial input, reports every complete packet in order, and never throws: a malformed
 * packet is skipped by its header length (usbredirparser's to_skip) and reported as a ProtocolError.
 * A hello records the peer's capabilities in `neg` before the next header is read, since header
 * and field sizes change right after it.
 */
export class Decoder {
  private pending: Uint8Array = EMPTY;
  /** Stream offset of pending[0]. */
  private base = 0;
  /** Bytes still to discard from a rejected packet. */
  private toSkip = 0;
  /**
   * The decoder's own buffer while a packet is split across chunks: `pending` is then a view of it that
   * ends at its fill mark, and later chunks are appended in place. Sized for the whole packet once its
   * header is known, so a packet of N bytes costs O(N) copying however finely it arrives.
   */
  private store: Uint8Array = EMPTY;
  /** Total bytes (header + body) of the incomplete packet at pending[0], once its header has arrived. */
  private want = 0;
  /**
   * Header size and whether bulk packets take the data path (data-path.ts), both fixed by the negotiation:
   * recomputed when a hello changes it, not per packet. `peerSeen` is the peer word array they were
   * computed for.
   */
  private hlen = HEADER_SIZE_32BIT_ID;
  private fastBulk = false;
  private peerSeen: Negotiation['peer'];

  constructor(
    private readonly neg: Negotiation,
    private readonly receiver: Role,
    private readonly sink: DecoderSink,
  ) {}

  /** Bytes held waiting for the rest of a packet. */
  get buffered(): number {
    return this.pending.length;
  }

  /** Decodes what `chunk` completes. The decoder keeps no reference to `chunk` once push returns. */
  push(chunk: Uint8Array): void {
    let input = chunk;
    if (this.toSkip > 0) {
      const n = Math.min(this.toSkip, input.length);
      this.toSkip -= n;
      this.base += n;
      input = input.subarray(n);
    }
    if (input.length === 0) return;
    this.pending = this.pending.length === 0 ? input : this.append(input);
    this.drain();
  }

  /** pending + input, appended in place when pending already lives at the end of the decoder's buffer. */
  private append(input: Uint8Array): Uint8Array {
    const have = this.pending.length;
    const need = have + input.length;
    const owned = this.pending.buffer === this.store.buffer;
    const start = owned ? this.pending.byteOffset - this.store.byteOffset : 0;
    if (!owned || start + need > this.store.length) {
      // Room for the whole packet being assembled, or at least double: never regrown chunk by chunk.
      const next = new Uint8Array(Math.max(need, this.want, 2 * have));
      next.set(this.pending);
      this.store = next;
      next.set(input, have);
      return next.subarray(0, need);
    }
    this.store.set(input, start + have);
    return this.store.subarray(start, start + need);
  }

  private drain(): void {
    this.want = 0;
    let at = 0;
    const buf = this.pending;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (;;) {
      if (this.peerSeen !== this.neg.peer) this.renegotiated();
      const hlen = this.hlen;
      if (buf.length - at < hlen) break;
      const type = view.getUint32(at, true);
      const length = view.getUint32(at + 4, true);
      if (this.fastBulk && type === PacketType.bulk_packet && buf.length - at - hlen >= length) {
        const packet = readBulkPacket(view, at, length, this.receiver);
        if (packet) {
          at += hlen + length;
          this.sink.packet(packet);
          continue;
        }
      }
      const offset = this.base + at;
      const layout = this.checkHeader(type, length, offset);
      if (!layout) {
        // Skip the whole packet body, possibly beyond what has arrived so far.
        const available = buf.length - at - hlen;
        if (length <= available) {
          at += hlen + length;
          continue;
        }
        this.toSkip = length - available;
        at = buf.length;
        break;
      }
      if (buf.length - at - hlen < length) {
        this.want = hlen + length;
        break;
      }
      const id =
        hlen === HEADER_SIZE_64BIT_ID
          ? view.getBigUint64(at + 8, true)
          : BigInt(view.getUint32(at + 8, true));
      const name = packetTypeName(type) as PacketTypeName; // checkHeader rejected unknown types
      this.decodeBody(name, layout, type, id, view, at + hlen, length, offset);
      at += hlen + length;
    }
    this.base += at;
    if (at === buf.length) {
      // Nothing held (the usual case: a chunk ends on a packet boundary): let a buffer grown for a large
      // packet go.
      this.pending = EMPTY;
      this.store = EMPTY;
      this.want = 0;
    } else if (buf.buffer === this.store.buffer) {
      this.pending = buf.subarray(at);
    } else {
      // The rest of a packet that began in the caller's chunk: keep a copy, never the chunk, so a transport
      // may read every chunk into the same buffer (docs/latency.md: socket reads without an allocation).
      this.store = new Uint8Array(Math.max(this.want, buf.length - at));
      this.store.set(buf.subarray(at));
      this.pending = this.store.subarray(0, buf.length - at);
    }
  }

  private renegotiated(): void {
    this.peerSeen = this.neg.peer;
    this.hlen = headerSize(this.neg);
    this.fastBulk = dataPathNegotiated(this.neg);
  }

  /** The packet's layout, or null (after reporting) when the packet must be skipped unread. */
  private checkHeader(type: number, length: number, offset: number): CompiledLayout | null {
    const name = packetTypeName(type);
    if (name === undefined)
      return this.fail(UsbredirErrorCode.UNKNOWN_TYPE, `unknown packet type ${type}`, offset, type);
    const layout = layouts[name];
    if (!receivable(layout.sender, this.receiver)) {
      return this.fail(
        UsbredirErrorCode.WRONG_DIRECTION,
        `${name} is never sent to the usbredir ${this.receiver}`,
        offset,
        type,
      );
    }
    if (length > MAX_PACKET_LENGTH)
      return this.fail(UsbredirErrorCode.PACKET_TOO_LONG, `packet length ${length} too large`, offset, type);
    const compiled = compiledLayout(name, this.neg);
    const thl = compiled.headerLength;
    if (length < thl || (length > thl && !layout.extraData)) {
      return this.fail(
        UsbredirErrorCode.BAD_LENGTH,
        `invalid ${name} length ${length} (type header is ${thl})`,
        offset,
        type,
      );
    }
    return compiled;
  }

  private fail(code: ProtocolErrorCode, message: string, offset: number, type: number): null {
    this.sink.error(new ProtocolError(code, message, offset, type));
    return null;
  }

  private decodeBody(
    name: PacketTypeName,
    layout: CompiledLayout,
    type: number,
    id: bigint,
    view: DataView,
    start: number,
    length: number,
    offset: number,
  ): void {
    const { read, headerLength: thl } = layout;
    // Copy the data out so the packet never aliases the decoder's buffer (empty data needs no copy).
    const data =
      length === thl
        ? EMPTY
        : new Uint8Array(view.buffer, view.byteOffset + start + thl, length - thl).slice();
    const rec: Record<string, unknown> = { type: name, id };
    read(view, start, rec);
    const violation = verifyPacket(name, rec, data, this.neg, this.receiver, false);
    if (violation) {
      this.sink.error(new ProtocolError(violation.code, violation.message, offset, type));
      return;
    }
    switch (name) {
      case 'hello': {
        if (this.neg.peerHelloSeen) {
          this.sink.error(
            new ProtocolError(UsbredirErrorCode.SECOND_HELLO, 'second hello ignored', offset, type),
          );
          return;
        }
        const words: number[] = [];
        const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
        for (let i = 0; i + 4 <= data.length; i += 4) words.push(dv.getUint32(i, true));
        rec['capabilities'] = words;
        this.neg.setPeer(words);
        break;
      }
      case 'device_connect':
        rec['deviceVersionBcd'] ??= 0;
        break;
      case 'ep_info':
        rec['maxPacketSize'] ??= new Array<number>(32).fill(0);
        rec['maxStreams'] ??= new Array<number>(32).fill(0);
        break;
      case 'filter_filter':
        rec['rules'] = new TextDecoder('latin1').decode(data.subarray(0, data.length - 1));
        break;
      case 'control_packet':
      case 'bulk_packet':
      case 'iso_packet':
      case 'interrupt_packet':
      case 'buffered_bulk_packet':
        rec['data'] = data;
        break;
      default:
        break;
    }
    // The record was filled from this type's layout, so it has exactly the fields of its interface.
    this.sink.packet(rec as unknown as Packet);
  }
}
