import test from 'ava';
import fc from 'fast-check';
import { Negotiation, capsFrom } from '../../src/usbredir/codec/caps.js';
import { MAX_BULK_TRANSFER_SIZE, PacketType } from '../../src/usbredir/codec/constants.js';
import {
  BULK_PACKET_HEAD,
  dataPathNegotiated,
  readBulkPacket,
  writeBulkPacket,
} from '../../src/usbredir/codec/data-path.js';
import { Decoder } from '../../src/usbredir/codec/decoder.js';
import { encodePacket } from '../../src/usbredir/codec/encoder.js';
import { compiledLayout } from '../../src/usbredir/codec/layout.js';
import type { BulkPacket, Packet, Role } from '../../src/usbredir/codec/packets.js';
import { verifyPacket } from '../../src/usbredir/codec/verify.js';

// The data path is a hand transcription of one row of the layout table: these tests hold it to the table's
// encoder and reader (the generic path every other packet takes), on any bytes.

const QEMU_XHCI = capsFrom(['64bits_ids', '32bits_bulk_length', 'ep_info_max_packet_size']);

function negotiated(): Negotiation {
  const n = new Negotiation([0xff]);
  n.setPeer(QEMU_XHCI);
  return n;
}

/** The generic path's reading of a bulk_packet: the compiled layout reader, then usbredirparser's checks. */
function generic(bytes: Uint8Array, receiver: Role): Record<string, unknown> | undefined {
  const neg = negotiated();
  const layout = compiledLayout('bulk_packet', neg);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(4, true);
  if (length < layout.headerLength) return undefined;
  const rec: Record<string, unknown> = { type: 'bulk_packet', id: view.getBigUint64(8, true) };
  layout.read(view, 16, rec);
  const data = bytes.slice(16 + layout.headerLength, 16 + length);
  if (verifyPacket('bulk_packet', rec, data, neg, receiver, false)) return undefined;
  return { ...rec, data };
}

const bulk = (maxData: number, maxLength: number) =>
  fc.record({
    id: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
    endpoint: fc.integer({ min: 0, max: 255 }),
    status: fc.integer({ min: 0, max: 255 }),
    length: fc.oneof(fc.integer({ min: 0, max: 0xffff }), fc.integer({ min: 0, max: maxLength })),
    streamId: fc.integer({ min: 0, max: 0xffff_ffff }),
    data: fc.uint8Array({ maxLength: maxData }),
  });

test('writeBulkPacket writes the bytes the layout table encodes', (t) => {
  const neg = negotiated();
  fc.assert(
    fc.property(bulk(64, MAX_BULK_TRANSFER_SIZE), (f) => {
      // What the host may send: data only on IN endpoints, and then as long as the header says.
      const isIn = (f.endpoint & 0x80) !== 0;
      const data = isIn ? f.data : new Uint8Array(0);
      const length = isIn ? data.length : f.length;
      const p: BulkPacket = { type: 'bulk_packet', ...f, length, data };
      const expected = encodePacket(p, neg, 'host');
      const out = new Uint8Array(BULK_PACKET_HEAD + data.length + 5);
      const end = writeBulkPacket(
        out,
        new DataView(out.buffer),
        5,
        p.id,
        p.endpoint,
        p.status,
        p.length,
        p.streamId,
        p.data,
      );
      t.is(end, 5 + expected.length);
      t.deepEqual([...out.subarray(5, end)], [...expected]);
    }),
    { seed: 17, numRuns: 500 },
  );
});

test('readBulkPacket reads what the generic path reads, and leaves it what the generic path refuses', (t) => {
  // Any header fields and any data length, so lengths that disagree with the data (and IN requests carrying
  // data) come up as often as good packets.
  const packet = fc.record({
    f: bulk(40, 2 * MAX_BULK_TRANSFER_SIZE),
    receiver: fc.constantFrom<Role>('host', 'guest'),
    // Mostly a whole type header; sometimes one cut short.
    typeHeader: fc.oneof(
      { arbitrary: fc.constant(10), weight: 4 },
      { arbitrary: fc.integer({ min: 0, max: 9 }), weight: 1 },
    ),
    // A data transfer (length = data), a request (no data) or the fields as drawn.
    shape: fc.constantFrom('data', 'request', 'any'),
  });
  let read = 0;
  let refused = 0;
  fc.assert(
    fc.property(packet, ({ f: drawn, receiver, typeHeader, shape }) => {
      const f =
        shape === 'data'
          ? { ...drawn, length: drawn.data.length }
          : shape === 'request'
            ? { ...drawn, data: new Uint8Array(0) }
            : drawn;
      const length = typeHeader < 10 ? typeHeader : 10 + f.data.length;
      const bytes = new Uint8Array(26 + f.data.length);
      const view = new DataView(bytes.buffer);
      view.setUint32(0, PacketType.bulk_packet, true);
      view.setUint32(4, length, true);
      view.setBigUint64(8, f.id, true);
      bytes[16] = f.endpoint;
      bytes[17] = f.status;
      view.setUint16(18, f.length & 0xffff, true);
      view.setUint32(20, f.streamId, true);
      view.setUint16(24, f.length >>> 16, true);
      bytes.set(f.data, 26);
      const fast = readBulkPacket(view, 0, length, receiver);
      const slow = generic(bytes.subarray(0, 16 + length), receiver);
      if (slow === undefined) refused++;
      else read++;
      t.deepEqual(fast === undefined ? undefined : { ...fast }, slow);
    }),
    { seed: 17, numRuns: 2000 },
  );
  t.true(read > 100 && refused > 100, `read ${read}, refused ${refused}`);
});

test('the decoder takes the data path only once both hellos agree on 64-bit ids and 32-bit lengths', (t) => {
  const host = new Negotiation([0xff]);
  t.false(dataPathNegotiated(host));
  host.setPeer(capsFrom(['64bits_ids']));
  t.false(dataPathNegotiated(host));
  host.setPeer(QEMU_XHCI);
  t.true(dataPathNegotiated(host));
});

test('a bulk packet the data path leaves alone is still reported with its offset and type', (t) => {
  // An OUT transfer whose data is shorter than its header says, between two good ones: the decoder must
  // report it like the generic path always did, and go on.
  const neg = negotiated();
  const good = (id: bigint): Packet => ({
    type: 'bulk_packet',
    id,
    endpoint: 0x02,
    status: 0,
    length: 2,
    streamId: 0,
    data: Uint8Array.of(1, 2),
  });
  const bad = encodePacket(good(2n), neg, 'guest');
  new DataView(bad.buffer).setUint16(18, 3, true);
  const stream = Buffer.concat([
    encodePacket(good(1n), neg, 'guest'),
    bad,
    encodePacket(good(3n), neg, 'guest'),
  ]);
  const packets: Packet[] = [];
  const errors: { code: string; offset: number; type: number }[] = [];
  const d = new Decoder(negotiated(), 'host', {
    packet: (p) => packets.push(p),
    error: (e) => errors.push({ code: e.code, offset: e.offset, type: e.packetType }),
  });
  d.push(stream);
  t.deepEqual(
    packets.map((p) => p.id),
    [1n, 3n],
  );
  t.is(errors.length, 1);
  t.is(errors[0]?.offset, 28);
  t.is(errors[0]?.type, PacketType.bulk_packet);
});
