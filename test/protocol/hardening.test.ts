import test from 'ava';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../../emulator/daemon.js';
import { MdioClient } from '../../src/protocol/client.js';
import { ErrorCode, RemoteError, TraceFetchFlag } from '../../src/protocol/index.js';
import { FrameEncoder } from '../../src/protocol/codec/encode.js';
import type { BatchAccess } from '../../src/protocol/codec/messages.js';
import { parseTrace } from '../../src/replay/format.js';

// Issue 12 (wire half): replies that can be large are bounded before they are built, paged with a flag,
// and refused with a typed error rather than INTERNAL. Each test names the failure it guards.

async function withDaemon(body: (c: MdioClient, d: Daemon, dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-harden-'));
  const d = await startDaemon({ unix: join(dir, 'emu.sock') });
  const c = await MdioClient.connect({ unix: join(dir, 'emu.sock') });
  try {
    await body(c, d, dir);
  } finally {
    await c.close();
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const reads = (n: number): BatchAccess[] =>
  Array.from({ length: n }, (_, i) => ({ op: 'c22-read' as const, bus: 0, phy: 1, reg: i % 32 }));

test('issue 12 #1: TRACE_FETCH max=65535 on a full ring pages within max_frame (flag MORE), no INTERNAL', async (t) => {
  await withDaemon(async (c) => {
    // 10,000 MDIO frames: more than the ring's 8192 records.
    await c.batch(reads(5000));
    await c.batch(reads(5000));
    const first = await c.traceFetch(0, 65535);
    t.true(first.records.length > 0);
    t.is(first.flags & TraceFetchFlag.MORE, TraceFetchFlag.MORE, 'the reply was cut to fit');
    t.is(first.next, (first.records.at(-1)?.seq ?? -1) + 1, 'next continues after the last record sent');
    // Page through the ring: every record exactly once, in order, each page within the default frame.
    const seqs = first.records.map((r) => r.seq);
    let { next, flags } = first;
    let pages = 1;
    while (flags & TraceFetchFlag.MORE) {
      const page = await c.traceFetch(next, 65535);
      seqs.push(...page.records.map((r) => r.seq));
      ({ next, flags } = page);
      pages++;
    }
    t.true(pages > 1);
    t.is(seqs.length, 8192, 'the whole ring');
    t.deepEqual(
      seqs,
      Array.from({ length: 8192 }, (_, i) => (seqs[0] ?? 0) + i),
    );
  });
});

test('issue 12 #1: a BATCH whose reply exceeds the client max_frame is refused before any access runs', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-harden-'));
  // The server accepts 1 MiB frames; this client accepts only 4096-byte replies.
  const d = await startDaemon({ unix: join(dir, 'emu.sock'), maxFrame: 1 << 20 });
  const c = await MdioClient.connect({ unix: join(dir, 'emu.sock') }, { maxFrame: 4096 });
  try {
    const writes: BatchAccess[] = Array.from({ length: 2000 }, () => ({
      op: 'c22-write' as const,
      bus: 0,
      phy: 1,
      reg: 4,
      value: 0x0001,
    }));
    const before = await c.c22Read(0, 1, 4);
    const err = await t.throwsAsync(c.batch(writes), { instanceOf: RemoteError });
    t.is(err.status, ErrorCode.REPLY_TOO_LARGE);
    t.is(await c.c22Read(0, 1, 4), before, 'no write of the refused batch ran');
    const pong = await t.throwsAsync(c.ping(new Uint8Array(8000)), { instanceOf: RemoteError });
    t.is(pong.status, ErrorCode.REPLY_TOO_LARGE);
    t.is(await c.c22Read(0, 1, 2), 0x0141, 'the connection keeps working');
  } finally {
    await c.close();
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('issue 12 #1: the frame encoder grows geometrically (O(log n) buffers for one large frame)', (t) => {
  const enc = new FrameEncoder(1 << 30);
  const records = Array.from({ length: 20_000 }, (_, i) => ({
    seq: i,
    timeNs: BigInt(i),
    json: '{"type":"mdio.read","bus":"/mdio@ff0d0000","addr":1,"reg":2}',
  }));
  const original = Buffer.allocUnsafe.bind(Buffer);
  let allocations = 0;
  Buffer.allocUnsafe = (size: number) => {
    allocations++;
    return original(size);
  };
  try {
    enc.frame(1, { kind: 'trace-fetch-reply', next: 20_000, flags: 0, records });
  } finally {
    Buffer.allocUnsafe = original;
  }
  // 1.4 MB from a 64 KiB slab: doubling needs ~5 buffers; growing by exact size needed one per write.
  t.true(allocations <= 8, `${allocations} buffers`);
  const frame = enc.take();
  t.is(frame?.readUInt32LE(0), frame?.length);
});

test('issue 12 #1: a frame over the peer limit is refused after at most max_frame bytes of work', (t) => {
  const enc = new FrameEncoder(65536);
  const original = Buffer.allocUnsafe.bind(Buffer);
  let largest = 0;
  Buffer.allocUnsafe = (size: number) => {
    largest = Math.max(largest, size);
    return original(size);
  };
  try {
    const err = t.throws(() => {
      enc.frame(1, { kind: 'pong', data: new Uint8Array(8 << 20) });
    });
    t.is((err as { status?: number }).status, ErrorCode.FRAME_TOO_LARGE);
  } finally {
    Buffer.allocUnsafe = original;
  }
  t.true(largest <= 2 * 65536, `largest buffer ${largest} bytes for a refused 8 MiB frame`);
  t.is(enc.pending, 0, 'nothing of the refused frame is left to send');
  enc.frame(2, { kind: 'pong', data: new Uint8Array(4) });
  t.is(enc.take()?.length, 16, 'the encoder carries on');
});

test('issue 12 #1: TRACE_FETCH with a record too large for any reply sends a stub (flag TRUNCATED)', async (t) => {
  await withDaemon(async (c) => {
    // An I2C write of 40,000 bytes to the TPS23881 is traced as a JSON array of its bytes: far more than 65535 bytes.
    await c.i2cTransfer(0, 0x20, new Uint8Array(40_000).fill(0x00), 0).catch(() => undefined);
    await c.c22Read(0, 1, 2);
    const r = await c.traceFetch(0, 1000);
    t.is(r.flags & TraceFetchFlag.TRUNCATED, TraceFetchFlag.TRUNCATED);
    const events = r.records.map((x) => JSON.parse(x.json) as { type: string; bytes?: number });
    const stub = events.find((e) => e.type === 'trace.oversize');
    t.truthy(stub);
    t.true((stub?.bytes ?? 0) > 65535);
    t.true(
      events.some((e) => e.type === 'mdio.read'),
      'records after it still arrive',
    );
  });
});

test('issue 12 #5: RECORDING_FETCH advances through a line longer than the fetch size (65 kB HELLO name)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-harden-'));
  const record = join(dir, 'rec.trace');
  const d = await startDaemon({ unix: join(dir, 'emu.sock'), recordFile: record });
  const name = `q${'é'.repeat(4000)}${'n'.repeat(56_000)}`;
  const long = await MdioClient.connect({ unix: join(dir, 'emu.sock') }, { name });
  const c = await MdioClient.connect({ unix: join(dir, 'emu.sock') });
  try {
    await long.c22Read(0, 1, 2);
    await c.c22Read(0, 1, 3);
    const onDisk = readFileSync(record, 'utf8');
    t.true(
      onDisk.split('\n').some((l) => l.length > 60_000),
      'a line longer than one fetch',
    );
    // Small pieces too: the cut must fall between characters, never inside 'é'.
    for (const max of [60_000, 4097, 4098, 4099]) {
      const parts: string[] = [];
      let at = 0;
      for (let i = 0; i < 1000; i++) {
        const r = await c.recordingFetch(at, max);
        parts.push(r.text);
        if (r.next >= r.size) break;
        t.true(r.next > at, `progress at ${at} with max ${max}`);
        at = r.next;
      }
      t.is(parts.join(''), onDisk, `pieces of ${max} bytes concatenate to the file`);
    }
    t.is((await c.recordingText(0)).text, onDisk);
    const parsed = parseTrace(onDisk);
    t.deepEqual(
      parsed.records.map((r) => r.client),
      [name, 'mdio-emu-client'],
    );
  } finally {
    await long.close();
    await c.close();
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('issue 12 #8: CLOCK past 2^53 - 1 ns is refused (OUT_OF_RANGE), never rounded, stopped or wrapped to 0', async (t) => {
  await withDaemon(async (c) => {
    const max = BigInt(Number.MAX_SAFE_INTEGER);
    const big = await t.throwsAsync(c.clock('run', 1n << 63n), { instanceOf: RemoteError });
    t.is(big.status, ErrorCode.OUT_OF_RANGE);
    t.is((await c.clock('get')).nowNs, 0n, 'a refused run leaves the clock alone');
    t.is((await c.clock('run', max - 3n)).nowNs, max - 3n);
    // Every nanosecond up to the limit still counts.
    for (const expected of [max - 2n, max - 1n, max]) t.is((await c.clock('run', 1n)).nowNs, expected);
    const past = await t.throwsAsync(c.clock('run', 1n), { instanceOf: RemoteError });
    t.is(past.status, ErrorCode.OUT_OF_RANGE);
    t.is((await c.clock('get')).nowNs, max);
    await c.clock('step');
    t.is((await c.clock('get')).nowNs, max, 'STEP at the limit stays there');
    t.is(await c.c22Read(0, 1, 2), 0x0141, 'the board still answers');
  });
});
