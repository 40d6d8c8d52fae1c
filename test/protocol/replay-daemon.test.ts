import test from 'ava';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../../emulator/daemon.js';
import { MdioClient } from '../../src/protocol/client.js';
import { RemoteError } from '../../src/protocol/codec/errors.js';
import { verifyThroughClient } from '../../src/protocol/verify.js';
import { parseTrace } from '../../src/replay/format.js';

// Recording through the daemon, and replaying that recording through the daemon (docs/protocol.md 7.1).

/** docs/protocol.md section 6: the replay error code, and NOT_SUPPORTED. */
const UNFORESEEN = 0x0109;
const NOT_SUPPORTED = 0x0105;
/** dts/default-board.dts: PHY 1 is "ethernet-phy-id0141.0dd0" on the first MDIO bus; nothing sits at 7. */
const BUS = '/mdio@ff0d0000';

type Step = { client: 'alpha' | 'beta' } & (
  { op: 'r'; phy: number; reg: number } | { op: 'w'; phy: number; reg: number; value: number }
);

/** Two clients taking turns: ID registers, a BMCR write, BMSR, an empty address. */
const SCRIPT: Step[] = [
  { client: 'alpha', op: 'r', phy: 1, reg: 2 },
  { client: 'beta', op: 'r', phy: 1, reg: 3 },
  { client: 'alpha', op: 'w', phy: 1, reg: 0, value: 0x1140 },
  { client: 'beta', op: 'r', phy: 1, reg: 1 },
  { client: 'alpha', op: 'r', phy: 7, reg: 2 },
  { client: 'beta', op: 'r', phy: 1, reg: 0 },
  { client: 'alpha', op: 'r', phy: 1, reg: 1 },
];

async function play(sock: string): Promise<(number | undefined)[]> {
  const clients = {
    alpha: await MdioClient.connect({ unix: sock }, { name: 'alpha' }),
    beta: await MdioClient.connect({ unix: sock }, { name: 'beta' }),
  };
  const answers: (number | undefined)[] = [];
  try {
    for (const s of SCRIPT) {
      const c = clients[s.client];
      if (s.op === 'r') answers.push(await c.c22Read(0, s.phy, s.reg));
      else {
        await c.c22Write(0, s.phy, s.reg, s.value);
        answers.push(undefined);
      }
    }
  } finally {
    await clients.alpha.close();
    await clients.beta.close();
  }
  return answers;
}

function tempDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-replay-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test.serial(
  'a recording made through the daemon by two clients replays with the recorded answers',
  async (t) => {
    const dir = tempDir(t);
    const rec = join(dir, 'two-clients.trace');
    const recorder = await startDaemon({ unix: join(dir, 'rec.sock'), recordFile: rec });
    let recorded: (number | undefined)[];
    let fetched: string;
    try {
      recorded = await play(join(dir, 'rec.sock'));
      const c = await MdioClient.connect({ unix: join(dir, 'rec.sock') }, { name: 'fetcher' });
      fetched = (await c.recordingText()).text;
      await c.close();
    } finally {
      await recorder.stop();
    }
    // The ID registers say what the DT compatible says; an empty address reads all ones (802.3 22.2.4).
    t.is(recorded[0], 0x0141);
    t.is(recorded[1], 0x0dd0);
    t.is(recorded[4], 0xffff);

    const onDisk = readFileSync(rec, 'utf8');
    t.is(fetched, onDisk, 'RECORDING_FETCH returns the record file byte for byte');
    const { records, truncated } = parseTrace(onDisk);
    t.false(truncated);
    t.is(records.length, SCRIPT.length, 'one line per transaction');
    records.forEach((r, i) => {
      const s = SCRIPT[i];
      if (!s) return;
      t.is(r.client, s.client, `record ${i} names its client`);
      t.is(r.bus, BUS);
      t.is(r.op, s.op === 'r' ? 'read' : 'write');
      t.is(r.addr, s.phy);
      t.is(r.reg, s.reg);
      t.is(r.value, s.op === 'r' ? (recorded[i] ?? -1) : s.value);
    });
    t.is(records[4]?.result, 'no-response');

    const replayer = await startDaemon({
      unix: join(dir, 'replay.sock'),
      replay: { file: rec, mode: 'strict' },
    });
    try {
      const replayed = await play(join(dir, 'replay.sock'));
      t.deepEqual(replayed, recorded);
      const c = await MdioClient.connect({ unix: join(dir, 'replay.sock') });
      const status = await c.replayStatus();
      const topology = await c.topology();
      await c.close();
      t.deepEqual(status.unforeseen, []);
      t.is(status.served, SCRIPT.length);
      t.is(status.remaining, 0);
      t.deepEqual(
        topology.buses.map((b) => [b.path, b.phys.map((p) => [p.addr, p.phyId])]),
        [[BUS, [[1, 0x01410dd0]]]],
        'TOPOLOGY shows the recorded bus and the PHY that answered, with the ID it reported',
      );
    } finally {
      await replayer.stop();
    }
  },
);

/** A hand-written recording: BMSR read three times, link coming up on the third (0x7949 -> 0x796d). */
const BMSR_TRACE = [
  'mdio-emu-trace 1',
  `bus 0 ${BUS}`,
  '0 - - 0 r 1 0x01 0x7949 ok',
  '0 - - 0 r 1 0x01 0x7949 ok',
  '0 - - 0 r 1 0x02 0x0141 ok',
  '0 - - 0 r 1 0x01 0x796d ok',
  '0 - - 0 w 1 0x00 0x1200 ok',
  '',
].join('\n');

test.serial('unforeseen requests get ERROR UNFORESEEN and the connection keeps working', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'bmsr.trace'), BMSR_TRACE);
  const d = await startDaemon({
    unix: join(dir, 's.sock'),
    replay: { file: join(dir, 'bmsr.trace'), mode: 'per-register' },
  });
  try {
    const c = await MdioClient.connect({ unix: join(dir, 's.sock') }, { name: 'probe' });
    const err = await t.throwsAsync(c.c22Read(0, 1, 9), { instanceOf: RemoteError });
    t.is(err.status, UNFORESEEN);
    t.is(err.requestType, 0x0010, 'the error answers the C22_READ');
    const wrongWrite = await t.throwsAsync(c.c22Write(0, 1, 0, 0x8000), { instanceOf: RemoteError });
    t.is(wrongWrite.status, UNFORESEEN, 'a write of a value the recording never wrote');
    // Same connection, still answered.
    t.is(await c.c22Read(0, 1, 2), 0x0141);
    await c.c22Write(0, 1, 0, 0x1200);
    // A BATCH carries the code per access and runs the rest.
    const results = await c.batch([
      { op: 'c22-read', bus: 0, phy: 3, reg: 1 },
      { op: 'c22-read', bus: 0, phy: 1, reg: 2 },
    ]);
    t.deepEqual(results, [
      { value: 0, status: UNFORESEEN },
      { value: 0x0141, status: 0 },
    ]);
    const pse = await t.throwsAsync(c.pseStatus(0, 0), { instanceOf: RemoteError });
    t.is(pse.status, NOT_SUPPORTED);
    const status = await c.replayStatus();
    t.deepEqual(
      status.unforeseen.map((u) => [u.client, u.description]),
      [
        ['probe', `read ${BUS} phy 1 reg 0x09`],
        ['probe', `write ${BUS} phy 1 reg 0x00 <- 0x8000`],
        ['probe', `read ${BUS} phy 3 reg 0x01`],
      ],
    );
    t.deepEqual(
      d.replay?.report().map((l) => l.startsWith('request 1 from probe: read')),
      [true, false, false],
    );
    await c.close();
  } finally {
    await d.stop();
  }
});

test.serial(
  'strict replays in recorded order; per-register gives each register its value changes',
  async (t) => {
    const dir = tempDir(t);
    writeFileSync(join(dir, 'bmsr.trace'), BMSR_TRACE);
    const file = join(dir, 'bmsr.trace');

    const strict = await startDaemon({ unix: join(dir, 'strict.sock'), replay: { file, mode: 'strict' } });
    try {
      const c = await MdioClient.connect({ unix: join(dir, 'strict.sock') });
      // Every recorded read, duplicates included, in order.
      t.is(await c.c22Read(0, 1, 1), 0x7949);
      t.is(await c.c22Read(0, 1, 1), 0x7949);
      // Out of order: the recording expects PHYSID1 now, not BMSR; the cursor stays put.
      const err = await t.throwsAsync(c.c22Read(0, 1, 1), { instanceOf: RemoteError });
      t.is(err.status, UNFORESEEN);
      t.regex(err.remoteMessage, /expects read \/mdio@ff0d0000 phy 1 reg 0x02 = 0x0141 \(line 5\)/);
      t.is(await c.c22Read(0, 1, 2), 0x0141);
      t.is(await c.c22Read(0, 1, 1), 0x796d);
      await c.c22Write(0, 1, 0, 0x1200);
      const ended = await t.throwsAsync(c.c22Read(0, 1, 1), { instanceOf: RemoteError });
      t.is(ended.status, UNFORESEEN, 'past the end of the recording');
      const status = await c.replayStatus();
      t.is(status.mode, 'strict');
      t.is(status.remaining, 0);
      t.is(status.unforeseen.length, 2);
      // RESET starts the recording over.
      await c.reset();
      t.is(await c.c22Read(0, 1, 1), 0x7949);
      t.is((await c.replayStatus()).remaining, 4);
      await c.close();
    } finally {
      await strict.stop();
    }

    const perRegister = await startDaemon({
      unix: join(dir, 'reg.sock'),
      replay: { file, mode: 'per-register' },
    });
    try {
      const c = await MdioClient.connect({ unix: join(dir, 'reg.sock') });
      // Any order across registers; BMSR's run of 0x7949 collapses, so a driver polling less often still sees the change.
      t.is(await c.c22Read(0, 1, 2), 0x0141);
      t.is(await c.c22Read(0, 1, 1), 0x7949);
      t.is(await c.c22Read(0, 1, 1), 0x796d);
      t.is(await c.c22Read(0, 1, 1), 0x796d, 'the last value sticks');
      t.is(await c.c22Read(0, 1, 2), 0x0141);
      const status = await c.replayStatus();
      t.is(status.mode, 'per-register');
      t.deepEqual(status.unforeseen, []);
      await c.close();
    } finally {
      await perRegister.stop();
    }
  },
);

test.serial(
  'verify drives the served models with a recording and reports the reads that differ',
  async (t) => {
    const dir = tempDir(t);
    const rec = join(dir, 'rec.trace');
    const d = await startDaemon({ unix: join(dir, 's.sock'), recordFile: rec });
    try {
      await play(join(dir, 's.sock'));
      const good = parseTrace(readFileSync(rec, 'utf8')).records;
      // The same recording with PHYSID2 (record 2) claiming another model revision.
      const tampered = good.map((r, i) => (i === 1 ? { ...r, value: 0x0dd1 } : r));
      const c = await MdioClient.connect({ unix: join(dir, 's.sock') }, { name: 'verifier' });
      const same = await verifyThroughClient(c, good);
      t.deepEqual(same.differences, []);
      t.is(same.reads, SCRIPT.filter((s) => s.op === 'r').length);
      const differs = await verifyThroughClient(c, tampered);
      t.deepEqual(
        differs.differences.map((x) => [x.index, x.got, x.gotResult]),
        [[1, 0x0dd0, 'ok']],
      );
      await c.close();
    } finally {
      await d.stop();
    }
  },
);

test.serial(
  'RECORDING_FETCH and REPLAY_STATUS are NOT_SUPPORTED where the daemon does neither',
  async (t) => {
    const dir = tempDir(t);
    const d = await startDaemon({ unix: join(dir, 's.sock') });
    try {
      const c = await MdioClient.connect({ unix: join(dir, 's.sock') });
      t.is((await t.throwsAsync(c.recordingFetch(0), { instanceOf: RemoteError })).status, NOT_SUPPORTED);
      t.is((await t.throwsAsync(c.replayStatus(), { instanceOf: RemoteError })).status, NOT_SUPPORTED);
      t.is(await c.c22Read(0, 1, 2), 0x0141, 'the connection is still usable');
      await c.close();
    } finally {
      await d.stop();
    }
  },
);
