import test from 'ava';
import { Negotiation } from '../../src/usbredir/codec/caps.js';
import { MAX_BULK_TRANSFER_SIZE } from '../../src/usbredir/codec/constants.js';
import { Decoder } from '../../src/usbredir/codec/decoder.js';
import { encodePacket } from '../../src/usbredir/codec/encoder.js';
import type { Packet } from '../../src/usbredir/codec/packets.js';

// Issue 12 #6: a large bulk packet arriving in socket-sized chunks must cost O(size) copying, not
// O(size^2 / chunk) (the decoder once copied its whole pending buffer on every chunk: under 0.5 MiB/s
// for a legal 32 MiB packet in 64 KiB chunks).

function negotiated(): Negotiation {
  const n = new Negotiation([0xff]);
  n.setPeer([0xff]);
  return n;
}

function bulk(id: bigint, size: number): Packet & { type: 'bulk_packet' } {
  const pattern = Uint8Array.from({ length: 256 }, (_, i) => (i * 31 + Number(id)) & 0xff);
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i += 256) data.set(pattern.subarray(0, Math.min(256, size - i)), i);
  return { type: 'bulk_packet', id, endpoint: 0x02, status: 0, length: size, streamId: 0, data };
}

function stream(packets: Packet[]): Uint8Array {
  const parts = packets.map((p) => encodePacket(p, negotiated(), 'guest'));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function decode(bytes: Uint8Array, chunk: number): Packet[] {
  const packets: Packet[] = [];
  const d = new Decoder(negotiated(), 'host', {
    packet: (p) => packets.push(p),
    error: (e) => {
      throw e;
    },
  });
  for (let i = 0; i < bytes.length; i += chunk) d.push(bytes.subarray(i, Math.min(i + chunk, bytes.length)));
  if (d.buffered !== 0) throw new Error(`${d.buffered} bytes left over`);
  return packets;
}

/** Runs `body` counting the bytes copied by TypedArray.prototype.set (how the decoder moves bytes). */
function countingCopies<T>(body: () => T): { result: T; copied: number } {
  const proto = Uint8Array.prototype;
  // The prototype's own method, restored unchanged afterwards; it is only ever called with `this` bound.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  const set = proto.set;
  let copied = 0;
  proto.set = function (this: Uint8Array, array: ArrayLike<number>, offset?: number) {
    copied += array.length;
    set.call(this, array, offset);
  };
  try {
    return { result: body(), copied };
  } finally {
    proto.set = set;
  }
}

test('issue 12 #6: a 4 MiB bulk packet in 64 KiB chunks is copied about once, not once per chunk', (t) => {
  const big = bulk(1n, 4 << 20);
  const bytes = stream([big, bulk(2n, 100)]);
  const { result: packets, copied } = countingCopies(() => decode(bytes, 64 * 1024));
  t.deepEqual(
    packets.map((p) => p.id),
    [1n, 2n],
  );
  const got = packets[0] as typeof big;
  t.is(got.length, big.length);
  t.true(Buffer.from(got.data).equals(Buffer.from(big.data)), 'the data arrives intact');
  // Appending each chunk once is 4 MiB; re-copying the pending buffer per chunk was 64 times that.
  t.true(copied >= bytes.length - 64 * 1024, 'the counter sees the assembly');
  t.true(copied <= 2 * bytes.length, `${(copied / bytes.length).toFixed(1)}x the stream copied`);
});

test('issue 12 #6: the 32 MiB bulk packet of the report, in 64 KiB chunks, decodes with linear copying', (t) => {
  t.true(32 << 20 <= MAX_BULK_TRANSFER_SIZE, 'a legal bulk transfer');
  const big = bulk(7n, 32 << 20);
  const bytes = stream([big]);
  const { result: packets, copied } = countingCopies(() => decode(bytes, 64 * 1024));
  t.is(packets.length, 1);
  t.is((packets[0] as typeof big).data.length, 32 << 20);
  t.true(copied >= bytes.length - 64 * 1024, 'the counter sees the assembly');
  t.true(copied <= 2 * bytes.length, `${(copied / bytes.length).toFixed(1)}x the stream copied`);
});

test('issue 12 #6: any chunking gives the same packets (buffer reuse never corrupts a packet)', (t) => {
  const packets = [bulk(1n, 70_000), bulk(2n, 3), bulk(3n, 65_536), bulk(4n, 0), bulk(5n, 200_001)];
  const bytes = stream(packets);
  const whole = decode(bytes, bytes.length);
  for (const chunk of [1, 7, 13, 4096, 65_535, 65_536, 65_537, 100_000]) {
    const step = chunk === 1 ? decode(bytes.subarray(0), 1) : decode(bytes, chunk);
    t.is(step.length, packets.length, `chunk ${chunk}`);
    step.forEach((p, i) => {
      const w = whole[i] as Packet & { data: Uint8Array };
      const q = p as Packet & { data: Uint8Array };
      t.is(q.id, w.id, `chunk ${chunk} packet ${i}`);
      t.true(Buffer.from(q.data).equals(Buffer.from(w.data)), `chunk ${chunk} packet ${i} data`);
    });
  }
});

test('chunks read into one reused buffer, as a socket with onread delivers them, decode the same', (t) => {
  const packets = [bulk(1n, 6), bulk(2n, 0), bulk(3n, 700), bulk(4n, 2)];
  const bytes = stream(packets);
  for (const size of [1, 5, 17, 26, 64, 4096]) {
    const reused = new Uint8Array(size);
    const got: Packet[] = [];
    const d = new Decoder(negotiated(), 'host', {
      packet: (p) => got.push(p),
      error: (e) => {
        throw e;
      },
    });
    for (let i = 0; i < bytes.length; i += size) {
      const n = Math.min(size, bytes.length - i);
      reused.set(bytes.subarray(i, i + n));
      d.push(reused.subarray(0, n));
      // What the next read would do to the buffer before the decoder sees it again.
      reused.fill(0xee);
    }
    t.deepEqual(got, packets, `chunks of ${size}`);
  }
});
