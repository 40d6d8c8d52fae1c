import fc from 'fast-check';
import { Negotiation } from '../../src/usbredir/codec/caps.js';
import { Decoder } from '../../src/usbredir/codec/decoder.js';
import { encodePacket } from '../../src/usbredir/codec/encoder.js';
import type { Packet } from '../../src/usbredir/codec/packets.js';
import { ProtocolError } from '../../src/usbredir/errors.js';
import { check, type FuzzTarget } from './target.js';

/** What a guest (QEMU's usb-redir) sends the host side, hello first so the header size is negotiated. */
const GUEST: Packet[] = [
  { type: 'hello', id: 0n, version: 'qemu usb-redir guest 7.2.0', capabilities: [0xff] },
  { type: 'reset', id: 0n },
  {
    type: 'start_bulk_receiving',
    id: 0n,
    streamId: 0,
    bytesPerTransfer: 512,
    endpoint: 0x82,
    noTransfers: 5,
  },
  { type: 'stop_bulk_receiving', id: 0n, streamId: 0, endpoint: 0x82 },
  {
    type: 'control_packet',
    id: 1n,
    endpoint: 0x80,
    request: 6,
    requestType: 0x80,
    status: 0,
    value: 0x100,
    index: 0,
    length: 64,
    data: new Uint8Array(0),
  },
  {
    type: 'bulk_packet',
    id: 2n,
    endpoint: 0x02,
    status: 0,
    length: 3,
    streamId: 0,
    data: Uint8Array.of(1, 2, 3),
  },
];

function encodeGuest(packets: Packet[]): Uint8Array {
  // The guest encodes with both sides' capabilities once its hello is out (the host advertises all).
  const neg = new Negotiation([0xff]);
  neg.setPeer([0xff]);
  const parts = packets.map((p, i) => encodePacket(p, i === 0 ? new Negotiation([0xff]) : neg, 'guest'));
  return Buffer.concat(parts.map((p) => Buffer.from(p)));
}
const STREAM = encodeGuest(GUEST);

/** Decodes as the host does; anything but packets and typed, located ProtocolErrors is a bug. */
function decode(stream: Uint8Array, cuts: number[] = []): string[] {
  const out: string[] = [];
  const d = new Decoder(new Negotiation([0xff]), 'host', {
    packet: (p) => out.push(JSON.stringify(p, big)),
    error: (e) => {
      if (!(e instanceof ProtocolError)) throw new Error(`untyped decoder error ${String(e)}`);
      if (e.offset < 0 || e.offset >= stream.length)
        throw new Error(`error offset ${e.offset} outside the stream`);
      out.push(`${e.code}@${e.offset}`);
    },
  });
  let at = 0;
  for (const c of cuts.map((x) => x % (stream.length + 1)).sort((a, b) => a - b)) {
    d.push(stream.subarray(at, c));
    at = c;
  }
  d.push(stream.subarray(at));
  return out;
}

export const usbredirCodec: FuzzTarget = {
  name: 'usbredir-codec',
  properties: () => ({
    'the decoder resumes on any chunking and reports the same packets and errors': check(
      fc.property(
        fc.array(fc.constantFrom(...GUEST.slice(1)), { maxLength: 10 }),
        fc.uint8Array({ maxLength: 48 }),
        fc.array(fc.nat(), { maxLength: 16 }),
        (packets, garbage, cuts) => {
          const stream = Buffer.concat([
            Buffer.from(encodeGuest([GUEST[0] as Packet, ...packets])),
            Buffer.from(garbage),
          ]);
          const whole = decode(stream);
          if (JSON.stringify(decode(stream, cuts)) !== JSON.stringify(whole))
            throw new Error('chunking changed the result');
          if (whole.length < packets.length + 1) throw new Error('a packet was lost');
        },
      ),
    ),
    'arbitrary bytes after a hello give packets or typed errors, never a throw': check(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        decode(Buffer.concat([Buffer.from(STREAM.subarray(0, 80)), Buffer.from(bytes)]));
      }),
    ),
  }),
  bytes: {
    seeds: () => [STREAM],
    run: (input) => {
      decode(input, [7, 100]);
    },
    cover: ['/src/usbredir/codec/'],
  },
};

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
}
