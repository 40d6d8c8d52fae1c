import test from 'ava';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createConnection } from 'node:net';
import { ErrorCode, FrameParser, decodeMessage, encodeFrame } from '../../src/protocol/index.js';
import { RawPeer, startLive, type Live } from './harness.js';

// Robustness against a live in-process server over a UNIX socket; every loop is bounded in count and time.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
}

/** The server still answers a well-behaved client correctly. */
async function healthy(t: { is: (a: unknown, b: unknown, m?: string) => void }, live: Live, after: string) {
  const c = await live.connect();
  t.is(await c.c22Read(0, 1, 2), 0x0141, `server answers after ${after}`);
  await c.close();
}

async function settle(live: Live, connections = 0, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (live.server.connectionCount > connections && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 10));
}

// A simple seeded generator (mulberry32) so the garbage is the same on every run.
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const hello = () =>
  encodeFrame(1, { kind: 'hello', version: 1, capabilities: 0, maxFrame: 65536, name: 'raw' });

test.serial(
  'size 0, size 11 and a huge size are fatal errors with tag 0, then the connection closes',
  async (t) => {
    const live = await startLive({ maxFrame: 8192 });
    for (const [size, code] of [
      [0, ErrorCode.BAD_SIZE],
      [11, ErrorCode.BAD_SIZE],
      [8193, ErrorCode.FRAME_TOO_LARGE],
      [0xffffffff, ErrorCode.FRAME_TOO_LARGE],
    ] as const) {
      const p = await RawPeer.ready(live.path);
      const b = Buffer.alloc(12);
      b.writeUInt32LE(size);
      p.send(b);
      await p.until((f, closed) => closed && f.length >= 1);
      const e = p.frames[0]?.message;
      t.true(e?.kind === 'error' && e.code === code, `size ${size}`);
      t.is(p.frames[0]?.tag, 0);
      await healthy(t, live, `size ${size}`);
    }
    await live.close();
  },
);

test.serial('handshake errors close the connection; unknown types and bad payloads do not', async (t) => {
  const live = await startLive();
  const noHello = await RawPeer.open(live.path);
  noHello.send(encodeFrame(3, { kind: 'c22-read', bus: 0, phy: 1, reg: 2 }));
  await noHello.until((f, closed) => closed && f.length === 1);
  t.true(
    noHello.frames[0]?.message.kind === 'error' &&
      noHello.frames[0].message.code === ErrorCode.HANDSHAKE_REQUIRED,
  );

  const badVersion = await RawPeer.open(live.path);
  badVersion.send(
    encodeFrame(1, { kind: 'hello', version: 2, capabilities: 0, maxFrame: 65536, name: 'future' }),
  );
  await badVersion.until((f, closed) => closed && f.length === 1);
  t.true(
    badVersion.frames[0]?.message.kind === 'error' &&
      badVersion.frames[0].message.code === ErrorCode.VERSION_MISMATCH,
  );

  const p = await RawPeer.ready(live.path);
  const unknown = Buffer.alloc(20);
  unknown.writeUInt32LE(20);
  unknown.writeUInt16LE(0x0999, 4);
  unknown.writeUInt32LE(77, 8);
  const short = Buffer.from(encodeFrame(78, { kind: 'c22-read', bus: 0, phy: 1, reg: 2 }).subarray(0, 14));
  short.writeUInt32LE(14);
  p.send(
    Buffer.concat([
      unknown,
      short,
      hello(),
      encodeFrame(80, { kind: 'pong', data: new Uint8Array() }),
      encodeFrame(79, { kind: 'c22-read', bus: 0, phy: 1, reg: 2 }),
    ]),
  );
  await p.until((f) => f.length === 5);
  const codes = p.frames.map((f) => (f.message.kind === 'error' ? f.message.code : f.message.kind));
  t.deepEqual(codes, [
    ErrorCode.UNKNOWN_TYPE,
    ErrorCode.MALFORMED,
    ErrorCode.UNEXPECTED,
    ErrorCode.UNEXPECTED,
    'c22-read-reply',
  ]);
  t.deepEqual(
    p.frames.map((f) => f.tag),
    [77, 78, 1, 80, 79],
  );
  t.false(p.closed);
  p.destroy();
  await live.close();
});

test.serial('truncated frames and clients that vanish mid-request leave the server healthy', async (t) => {
  const live = await startLive();
  for (let i = 0; i < 50; i++) {
    const p = await RawPeer.ready(live.path);
    const frame = encodeFrame(2, { kind: 'c22-write', bus: 0, phy: 1, reg: 4, value: 0x01e1 });
    p.send(frame.subarray(0, 1 + (i % (frame.length - 1))));
    p.destroy();
  }
  // Vanish with a thousand pipelined requests in flight.
  for (let i = 0; i < 20; i++) {
    const p = await RawPeer.ready(live.path);
    p.send(
      Buffer.concat(
        Array.from({ length: 1000 }, (_, k) =>
          encodeFrame(k + 2, { kind: 'c22-read', bus: 0, phy: 1, reg: 2 }),
        ),
      ),
    );
    p.destroy();
  }
  await settle(live);
  t.is(live.server.connectionCount, 0);
  await healthy(t, live, 'truncated frames and vanishing clients');
  await live.close();
});

test.serial('garbage bytes never crash the server', async (t) => {
  const live = await startLive();
  const random = rng(0x5eed);
  for (let i = 0; i < 100; i++) {
    const p = await RawPeer.open(live.path);
    const junk = Buffer.alloc(1 + Math.floor(random() * 2048));
    for (let k = 0; k < junk.length; k++) junk[k] = Math.floor(random() * 256);
    // Half of them after a valid handshake, so garbage reaches the request handlers too.
    p.send(i % 2 === 0 ? junk : Buffer.concat([hello(), junk]));
    await new Promise((r) => setTimeout(r, 2));
    p.destroy();
  }
  await settle(live);
  await healthy(t, live, 'garbage');
  t.is(live.server.connectionCount, 0);
  await live.close();
});

test.serial('a slow writer dribbling one byte at a time gets a correct reply', async (t) => {
  const live = await startLive();
  const p = await RawPeer.open(live.path);
  const bytes = Buffer.concat([hello(), encodeFrame(9, { kind: 'c22-read', bus: 0, phy: 1, reg: 3 })]);
  for (const b of bytes) {
    p.send(Uint8Array.of(b));
    await new Promise((r) => setTimeout(r, 2));
  }
  await p.until((f) => f.length === 2);
  const r = p.frames[1]?.message;
  t.true(r?.kind === 'c22-read-reply' && r.value === 0x0dd1);
  t.is(p.frames[1]?.tag, 9);
  p.destroy();
  await live.close();
});

test.serial('a client that never reads is throttled: server output stays bounded', async (t) => {
  const highWater = 256 * 1024;
  const live = await startLive({ outputHighWater: highWater });
  const socket = createConnection(live.path);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  socket.pause(); // never read replies
  socket.write(hello());
  const burst = Buffer.concat(
    Array.from({ length: 4096 }, (_, k) => encodeFrame(k + 2, { kind: 'ping', data: new Uint8Array(240) })),
  );
  // Offer ~64 MiB of requests (replies are as large), but only while the kernel takes them; stop after 3 s.
  let offered = 0;
  const deadline = Date.now() + 3000;
  while (offered < 64 * 2 ** 20 && Date.now() < deadline) {
    if (!socket.write(burst)) await new Promise((r) => setTimeout(r, 100));
    offered += burst.length;
  }
  const stats = live.server.stats();
  t.log(
    `offered ${(offered / 2 ** 20).toFixed(1)} MiB; server holds ${stats.queuedOutputBytes} output bytes`,
  );
  t.true(stats.queuedOutputBytes > 0, 'the client really is not reading');
  // One chunk of requests may be answered after the high-water mark is crossed: 64 KiB of requests → 64 KiB of replies.
  t.true(stats.queuedOutputBytes < highWater + 2 * 65536 + 4096, `queued ${stats.queuedOutputBytes}`);
  t.true(stats.bufferedInputBytes <= 65536);
  await healthy(t, live, 'a non-reading client');
  socket.destroy();
  await live.close();
});

test.serial('a thousand connects and disconnects: no leak of connections, listeners or heap', async (t) => {
  const live = await startLive();
  const before = heapMb();
  const started = Date.now();
  for (let i = 0; i < 1000 && Date.now() - started < 30_000; i++) {
    const socket = createConnection(live.path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    if (i % 3 === 0) socket.write(hello());
    if (i % 3 === 1)
      socket.write(Buffer.concat([hello(), encodeFrame(2, { kind: 'subscribe', mask: 0x1f })]));
    socket.destroy();
  }
  await settle(live);
  t.is(live.server.connectionCount, 0);
  t.is(live.backend.listenerCount, 0, 'every subscription was released');
  const after = heapMb();
  t.true(after - before < 16, `heap grew by ${(after - before).toFixed(1)} MiB`);
  await healthy(t, live, 'a thousand connects');
  await live.close();
});

test.serial('a connection that never says HELLO is closed after the handshake timeout', async (t) => {
  const live = await startLive({ handshakeTimeoutMs: 100 });
  const p = await RawPeer.open(live.path);
  await p.until((_f, closed) => closed, 2000);
  t.true(p.closed);
  await healthy(t, live, 'a silent client');
  await live.close();
});

test.serial(
  'events for a client that does not read are dropped, counted and reported with EV_LOST',
  async (t) => {
    const live = await startLive({ eventBacklogLimit: 16 * 1024 });
    const socket = createConnection(live.path);
    await new Promise<void>((resolve) => socket.once('connect', resolve));
    const chunks: Buffer[] = [];
    socket.on('data', (b: Buffer) => chunks.push(b));
    socket.write(Buffer.concat([hello(), encodeFrame(2, { kind: 'subscribe', mask: 0x10 })]));
    await new Promise((r) => setTimeout(r, 100));
    socket.pause();
    const actor = await live.connect();
    // Each read makes one trace event (~80 bytes on the wire); far more than the socket buffers and the limit hold.
    for (let round = 0; round < 20; round++)
      await Promise.all(Array.from({ length: 1000 }, () => actor.c22Read(0, 1, 2)));
    const held = live.server.stats().queuedOutputBytes;
    const frames: { kind: string; count?: number }[] = [];
    const parser = new FrameParser(
      (type, _tag, payload) => frames.push(decodeMessage(type, payload)),
      (e) => t.fail(e.message),
      1 << 20,
    );
    const parseAll = () => {
      for (const c of chunks.splice(0)) parser.push(c);
    };
    socket.resume();
    // Wait until the backlog has drained (the stream goes quiet), then make one more event: the first event
    // after the drain carries the loss report. Bounded: 5 s.
    const deadline = Date.now() + 5000;
    let seen = -1;
    while (Date.now() < deadline && seen !== frames.length) {
      seen = frames.length;
      await new Promise((r) => setTimeout(r, 100));
      parseAll();
    }
    await actor.c22Read(0, 1, 3);
    const accounted = () => ({
      lost: frames.filter((f) => f.kind === 'ev-lost').reduce((sum, f) => sum + (f.count ?? 0), 0),
      traces: frames.filter((f) => f.kind === 'ev-trace').length,
    });
    while (Date.now() < deadline && accounted().lost + accounted().traces < 20_001) {
      await new Promise((r) => setTimeout(r, 20));
      parseAll();
    }
    const { lost, traces } = accounted();
    t.true(lost > 0, 'EV_LOST was sent');
    t.is(lost + traces, 20_001, 'every event is either delivered or counted as lost');
    t.is(frames.at(-1)?.kind, 'ev-trace', 'the stream ends with the event that followed the loss report');
    t.true(held < 16 * 1024 + 65536, `server held ${held} bytes for the slow reader`);
    socket.destroy();
    await live.close();
  },
);
