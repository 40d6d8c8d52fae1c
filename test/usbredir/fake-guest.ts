import { Negotiation } from '../../src/usbredir/codec/caps.js';
import { Decoder } from '../../src/usbredir/codec/decoder.js';
import { encodePacket } from '../../src/usbredir/codec/encoder.js';
import type { Packet } from '../../src/usbredir/codec/packets.js';
import type { ProtocolError } from '../../src/usbredir/errors.js';

/**
 * A scripted usbredir guest, speaking as QEMU 7.2's usb-redir does (hw/usb/redirect.c): it
 * advertises capabilities 0xff, and sends requests we script. Everything it receives is decoded
 * with the guest-side codec into `received`; decode errors land in `errors`.
 */
export class FakeGuest {
  readonly neg: Negotiation;
  readonly received: Packet[] = [];
  readonly errors: ProtocolError[] = [];
  private readonly decoder: Decoder;
  constructor(
    private readonly write: (bytes: Uint8Array) => void,
    caps: number[] = [0xff],
  ) {
    this.neg = new Negotiation(caps);
    this.decoder = new Decoder(this.neg, 'guest', {
      packet: (p) => this.received.push(p),
      error: (e) => this.errors.push(e),
    });
  }
  feed(bytes: Uint8Array): void {
    this.decoder.push(bytes);
  }
  send(packet: Packet): void {
    this.write(encodePacket(packet, this.neg, 'guest'));
  }
  hello(): void {
    this.send({
      type: 'hello',
      id: 0n,
      version: 'qemu usb-redir guest 7.2.0',
      capabilities: [...this.neg.ours],
    });
  }
  /** Everything received since the last call. */
  take(): Packet[] {
    return this.received.splice(0);
  }
  controlIn(
    id: bigint,
    requestType: number,
    request: number,
    value: number,
    index: number,
    length: number,
  ): void {
    this.send({
      type: 'control_packet',
      id,
      endpoint: 0x80,
      request,
      requestType,
      status: 0,
      value,
      index,
      length,
      data: new Uint8Array(0),
    });
  }
  /** A control transfer with an OUT (or no) data stage, e.g. SET_FEATURE / CLEAR_FEATURE. */
  controlOut(
    id: bigint,
    requestType: number,
    request: number,
    value: number,
    index: number,
    data: Uint8Array = new Uint8Array(0),
  ): void {
    this.send({
      type: 'control_packet',
      id,
      endpoint: 0x00,
      request,
      requestType,
      status: 0,
      value,
      index,
      length: data.length,
      data,
    });
  }
  bulkOut(id: bigint, endpoint: number, data: Uint8Array): void {
    this.send({ type: 'bulk_packet', id, endpoint, status: 0, length: data.length, streamId: 0, data });
  }
  bulkIn(id: bigint, endpoint: number, length: number): void {
    this.send({ type: 'bulk_packet', id, endpoint, status: 0, length, streamId: 0, data: new Uint8Array(0) });
  }
}

/** Wires a session and a fake guest back to back, synchronously. */
export function only<T extends Packet['type']>(packets: Packet[], type: T): Extract<Packet, { type: T }>[] {
  return packets.filter((p): p is Extract<Packet, { type: T }> => p.type === type);
}
