import test from 'ava';
import {
  ErrorCode,
  FrameEncoder,
  FrameParser,
  ProtocolError,
  TYPE_OF_KIND,
  decodeMessage,
  encodeFrame,
  type Message,
} from '../../src/protocol/codec/index.js';
import { SAMPLES } from './samples.js';

function roundTrip(tag: number, m: Message): { type: number; tag: number; message: Message } {
  const bytes = encodeFrame(tag, m);
  const frames: { type: number; tag: number; message: Message }[] = [];
  const parser = new FrameParser(
    (type, t, payload) => frames.push({ type, tag: t, message: decodeMessage(type, payload) }),
    (err) => {
      throw err;
    },
  );
  parser.push(bytes);
  const [only, ...more] = frames;
  if (only === undefined || more.length > 0) throw new Error(`expected one frame, got ${frames.length}`);
  return only;
}

for (const [kind, sample] of Object.entries(SAMPLES)) {
  test(`${kind} encodes and decodes to the same message`, (t) => {
    const out = roundTrip(0xdeadbeef, sample);
    t.is(out.tag, 0xdeadbeef);
    t.is(out.type, TYPE_OF_KIND[sample.kind]);
    t.deepEqual(out.message, sample);
  });
}

test('every frame type in the table has a sample', (t) => {
  t.deepEqual(Object.keys(SAMPLES).sort(), Object.keys(TYPE_OF_KIND).sort());
});

test('reply types are request types with bit 15 set', (t) => {
  for (const [kind, type] of Object.entries(TYPE_OF_KIND)) {
    if (!kind.endsWith('-reply') && kind !== 'pong') continue;
    const request = kind === 'pong' ? 'ping' : kind.slice(0, -'-reply'.length);
    t.is(type, TYPE_OF_KIND[request as keyof typeof TYPE_OF_KIND] | 0x8000, kind);
  }
});

// Byte layouts written out by hand from docs/protocol.md, not from the encoder.
test('C22_READ has the documented 16-byte layout', (t) => {
  const bytes = encodeFrame(0x11223344, { kind: 'c22-read', bus: 0x0102, phy: 31, reg: 2 });
  t.deepEqual([...bytes], [0x10, 0, 0, 0, 0x10, 0x00, 0, 0, 0x44, 0x33, 0x22, 0x11, 0x02, 0x01, 0x1f, 0x02]);
});

test('C45_WRITE has the documented 20-byte layout', (t) => {
  const bytes = encodeFrame(5, { kind: 'c45-write', bus: 1, port: 2, devad: 3, reg: 0xa00b, value: 0xcafe });
  t.deepEqual([...bytes], [0x14, 0, 0, 0, 0x13, 0, 0, 0, 5, 0, 0, 0, 1, 0, 2, 3, 0x0b, 0xa0, 0xfe, 0xca]);
});

test('ERROR has the documented layout with a length-prefixed UTF-8 message', (t) => {
  const bytes = encodeFrame(9, { kind: 'error', code: 0x0100, requestType: 0x0010, message: 'no' });
  t.deepEqual(
    [...bytes],
    [20, 0, 0, 0, 0xff, 0x7f, 0, 0, 9, 0, 0, 0, 0x00, 0x01, 0x10, 0x00, 2, 0, 0x6e, 0x6f],
  );
});

test('the parser reassembles frames split at every byte boundary', (t) => {
  const stream = Buffer.concat(Object.values(SAMPLES).map((m, i) => encodeFrame(i + 1, m)));
  for (const step of [1, 2, 3, 5, 7, 13, 64]) {
    const tags: number[] = [];
    const parser = new FrameParser(
      (type, tag, payload) => {
        decodeMessage(type, payload);
        tags.push(tag);
      },
      (err) => t.fail(err.message),
    );
    for (let i = 0; i < stream.length; i += step) parser.push(stream.subarray(i, i + step));
    t.deepEqual(
      tags,
      Object.values(SAMPLES).map((_, i) => i + 1),
      `chunk size ${step}`,
    );
    t.is(parser.buffered, 0);
  }
});

test('a size below the header is fatal BAD_SIZE and stops the parser', (t) => {
  const errors: ProtocolError[] = [];
  let frames = 0;
  const parser = new FrameParser(
    () => frames++,
    (e) => errors.push(e),
  );
  const bad = Buffer.from([0, 0, 0, 0, 1, 0, 0, 0]);
  parser.push(Buffer.concat([bad, encodeFrame(1, SAMPLES.ping)]));
  t.is(errors.length, 1);
  t.is(errors[0]?.status, ErrorCode.BAD_SIZE);
  t.is(frames, 0);
  parser.push(encodeFrame(2, SAMPLES.ping));
  t.is(frames, 0, 'a stopped parser delivers nothing more');
});

test('a size above the maximum is fatal FRAME_TOO_LARGE before the body arrives', (t) => {
  const errors: ProtocolError[] = [];
  const parser = new FrameParser(
    () => t.fail(),
    (e) => errors.push(e),
    4096,
  );
  const header = Buffer.alloc(4);
  header.writeUInt32LE(4097);
  parser.push(header.subarray(0, 2));
  t.is(errors.length, 0);
  parser.push(header.subarray(2));
  t.is(errors[0]?.status, ErrorCode.FRAME_TOO_LARGE);
  t.is(parser.buffered, 0, 'nothing is held for a refused frame');
});

test('an unknown type is UNKNOWN_TYPE, not fatal to the parser', (t) => {
  const err = t.throws(() => decodeMessage(0x1234, Buffer.alloc(0)), { instanceOf: ProtocolError });
  t.is(err.status, ErrorCode.UNKNOWN_TYPE);
  t.is(err.frameType, 0x1234);
});

test('a short payload is MALFORMED with the offset of the missing field', (t) => {
  // C22_READ needs bus(2) phy(1) reg(1); give only the bus: the phy at frame offset 14 is missing.
  const err = t.throws(() => decodeMessage(0x0010, Buffer.from([0, 0])), { instanceOf: ProtocolError });
  t.is(err.status, ErrorCode.MALFORMED);
  t.is(err.offset, 14);
});

test('trailing bytes are MALFORMED', (t) => {
  const err = t.throws(() => decodeMessage(0x0010, Buffer.from([0, 0, 1, 2, 3])), {
    instanceOf: ProtocolError,
  });
  t.is(err.status, ErrorCode.MALFORMED);
  t.is(err.offset, 16);
});

test('a string length running past the payload is MALFORMED', (t) => {
  const err = t.throws(() => decodeMessage(0x0043, Buffer.from([10, 0, 0x61])), {
    instanceOf: ProtocolError,
  });
  t.is(err.status, ErrorCode.MALFORMED);
});

test('an unknown batch op is MALFORMED at that access', (t) => {
  const payload = Buffer.alloc(4 + 12 * 2);
  payload.writeUInt16LE(2, 0);
  payload[4 + 12] = 9;
  const err = t.throws(() => decodeMessage(0x0014, payload), { instanceOf: ProtocolError });
  t.is(err.status, ErrorCode.MALFORMED);
  t.is(err.offset, 12 + 4 + 12);
});

test('the encoder refuses a frame over the peer maximum and keeps earlier frames intact', (t) => {
  const enc = new FrameEncoder(4096);
  enc.frame(1, SAMPLES.ping);
  const err = t.throws(
    () => {
      enc.frame(2, { kind: 'ping', data: new Uint8Array(5000) });
    },
    { instanceOf: ProtocolError },
  );
  t.is(err.status, ErrorCode.FRAME_TOO_LARGE);
  t.deepEqual(enc.take(), encodeFrame(1, SAMPLES.ping));
});

test('the encoder never rewrites bytes it has handed out', (t) => {
  const enc = new FrameEncoder(65536, 64);
  enc.frame(1, SAMPLES['c22-read']);
  const first = enc.take() ?? Buffer.alloc(0);
  t.is(first.length, 16);
  const copy = Buffer.from(first);
  for (let i = 0; i < 100; i++) enc.frame(i + 2, SAMPLES['trace-fetch-reply']);
  enc.take();
  t.deepEqual(first, copy);
});
