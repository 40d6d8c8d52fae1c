import fc from 'fast-check';
import { HEADER_SIZE } from '../../src/protocol/codec/constants.js';
import { decodeMessage } from '../../src/protocol/codec/decode.js';
import { encodeFrame, FrameEncoder } from '../../src/protocol/codec/encode.js';
import { ProtocolError } from '../../src/protocol/codec/errors.js';
import { TYPE_OF_KIND } from '../../src/protocol/codec/kinds.js';
import { FrameParser } from '../../src/protocol/codec/parser.js';
import { ServerSession } from '../../src/protocol/session/server-session.js';
import type { FrameSink } from '../../src/protocol/session/sink.js';
import { FakeBackend } from '../protocol/fake-backend.js';
import { SAMPLES } from '../protocol/samples.js';
import { check, type FuzzTarget } from './target.js';

const SAMPLE_FRAMES = Object.values(SAMPLES).map((m, i) => encodeFrame(i + 1, m));
const KNOWN_TYPES = [...new Set(Object.values(TYPE_OF_KIND))];
const u8 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength);

/** Decoding one payload: a Message, or a ProtocolError saying where; never any other throw. */
function decodeOrTyped(type: number, payload: Buffer): ReturnType<typeof decodeMessage> | ProtocolError {
  try {
    return decodeMessage(type, payload);
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    if (err.frameType !== type) throw new Error(`error names frame type ${err.frameType}, not ${type}`);
    if (err.offset < 0 || err.offset > HEADER_SIZE + payload.length)
      throw new Error(`offset ${err.offset} outside the frame (${HEADER_SIZE + payload.length} bytes)`);
    return err;
  }
}

/** Every frame the parser delivers from a byte stream pushed in the given pieces. */
function split(stream: Uint8Array, cuts: number[], maxFrame = 1 << 20) {
  const frames: string[] = [];
  let fatal: ProtocolError | undefined;
  const p = new FrameParser(
    (type, tag, payload) => frames.push(`${type}:${tag}:${payload.toString('hex')}`),
    (err) => {
      fatal = err;
    },
    maxFrame,
  );
  let at = 0;
  for (const c of [...cuts.map((x) => x % (stream.length + 1))].sort((a, b) => a - b)) {
    p.push(u8(stream.subarray(at, c)));
    at = c;
  }
  p.push(u8(stream.subarray(at)));
  return { frames, fatal };
}

/** A hostile client on a server session: whatever bytes arrive, the session answers with valid frames. */
function serve(stream: Uint8Array): void {
  const encoder = new FrameEncoder(65536);
  const sink: FrameSink = { encoder, flush: () => undefined, close: () => undefined, backlog: () => 0 };
  const session = new ServerSession(new FakeBackend(), sink, {
    serverName: 'fuzz',
    maxFrame: 65536,
    eventBacklogLimit: 1 << 20,
  });
  const parser = new FrameParser(
    (type, tag, payload) => {
      session.onFrame(type, tag, payload);
    },
    (err) => {
      session.onFatal(err);
    },
    65536,
  );
  parser.push(u8(stream));
  const out = encoder.take();
  if (!out) return;
  // Every reply the session wrote is a whole, decodable frame within the client's limit.
  const back = new FrameParser(
    (type, _tag, payload) => {
      decodeMessage(type, payload);
    },
    (err) => {
      throw err;
    },
    65536,
  );
  back.push(out);
  if (back.buffered !== 0) throw new Error('a reply frame was left incomplete');
}

const HELLO = encodeFrame(1, { kind: 'hello', version: 1, capabilities: 0x1ff, maxFrame: 65536, name: 'f' });

export const wireCodec: FuzzTarget = {
  name: 'wire-codec',
  properties: () => ({
    'decode is total: a message or a typed ProtocolError with its offset': check(
      fc.property(
        fc.constantFrom(...KNOWN_TYPES, 0x0003, 0x7ffe, 0xffff),
        fc.uint8Array({ maxLength: 300 }),
        (type, payload) => {
          decodeOrTyped(type, Buffer.from(payload));
        },
      ),
    ),
    'decode, encode, decode gives the same message (reserved bytes aside)': check(
      fc.property(
        fc.constantFrom(...SAMPLE_FRAMES),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        (frame, pokes) => {
          const bytes = Buffer.from(frame);
          for (const [at, v] of pokes)
            if (bytes.length > HEADER_SIZE) bytes[HEADER_SIZE + (at % (bytes.length - HEADER_SIZE))] = v;
          const type = bytes.readUInt16LE(4);
          const first = decodeOrTyped(type, bytes.subarray(HEADER_SIZE));
          if (first instanceof ProtocolError) return;
          const again = encodeFrame(7, first);
          const second = decodeMessage(again.readUInt16LE(4), again.subarray(HEADER_SIZE));
          if (JSON.stringify(second, big) !== JSON.stringify(first, big))
            throw new Error(`${JSON.stringify(first, big)} came back as ${JSON.stringify(second, big)}`);
        },
      ),
    ),
    'the incremental parser gives the same frames however the stream is cut': check(
      fc.property(
        fc.array(fc.constantFrom(...SAMPLE_FRAMES), { minLength: 1, maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 20 }),
        fc.uint8Array({ maxLength: 40 }),
        (frames, cuts, tail) => {
          const stream = Buffer.concat([...frames, Buffer.from(tail)]);
          const whole = split(stream, []);
          const pieces = split(stream, cuts);
          if (JSON.stringify(whole) !== JSON.stringify(pieces))
            throw new Error('chunking changed the frames');
          if (whole.frames.length < frames.length) throw new Error('a whole frame was lost');
        },
      ),
    ),
    'a server session survives any byte stream after HELLO and answers in valid frames': check(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom(...SAMPLE_FRAMES), fc.uint8Array({ maxLength: 64 })), {
          maxLength: 10,
        }),
        (parts) => {
          serve(Buffer.concat([HELLO, ...parts.map((p) => Buffer.from(p))]));
        },
      ),
    ),
  }),
  bytes: {
    seeds: () => [Buffer.concat([HELLO, ...SAMPLE_FRAMES])],
    run: (input) => {
      serve(input);
      split(input, [3, 17, 40]);
    },
    cover: ['/src/protocol/'],
  },
};

function big(_k: string, v: unknown): unknown {
  return typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v;
}
