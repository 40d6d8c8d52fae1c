import test from 'ava';
import { execFile, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { MdioClient } from '../../src/protocol/client.js';
import { parseTrace } from '../../src/replay/format.js';

// End to end with real processes: `serve --record` killed with SIGKILL, `client trace`, `client verify`,
// and the unforeseen report a `serve --replay` prints when it stops.
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/mdio-emu.js');
const run = promisify(execFile);

function serve(...args: string[]): Promise<{ daemon: ChildProcessWithoutNullStreams; stderr: () => string }> {
  const daemon = spawn(process.execPath, [bin, 'serve', ...args], { cwd: root, stdio: 'pipe' });
  let err = '';
  daemon.stderr.on('data', (b: Buffer) => (err += b.toString()));
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      daemon.kill('SIGKILL');
      reject(new Error('no readiness line within 20 s'));
    }, 20_000);
    daemon.stdout.on('data', (b: Buffer) => {
      out += b.toString();
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve({ daemon, stderr: () => err });
      }
    });
    daemon.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}: ${err}`));
    });
  });
}

function exited(p: ChildProcessWithoutNullStreams): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null
    ? Promise.resolve()
    : new Promise((resolve) => p.once('exit', () => resolve()));
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args], { cwd: root, timeout: 20_000 });
    return { code: 0, stdout: r.stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '' };
  }
}

test.serial(
  'a SIGKILLed serve --record leaves a trace that parses, missing at most the last line',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-kill-'));
    t.teardown(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const sock = join(dir, 's.sock');
    const rec = join(dir, 'rec.trace');
    const { daemon } = await serve('--unix', sock, '--record', rec);
    try {
      const c = await MdioClient.connect({ unix: sock }, { name: 'victim' });
      // A few answered reads first, checked against `client trace` while the daemon lives.
      const answers: number[] = [];
      for (let reg = 0; reg < 4; reg++) answers.push(await c.c22Read(0, 1, reg));
      const printed = await cli('client', '--unix', sock, 'trace');
      t.is(printed.code, 0);
      t.is(printed.stdout, readFileSync(rec, 'utf8'), '`client trace` prints the record file');
      t.is(parseTrace(printed.stdout).records.length, 4);

      // Then reads in flight, in bursts, until the daemon dies under them.
      let stop = false;
      const burst = async () => {
        while (!stop) {
          const regs = Array.from({ length: 32 }, (_, i) => i);
          const got = await Promise.all(regs.map((reg) => c.c22Read(0, 1, reg).catch(() => undefined)));
          for (const v of got) if (v !== undefined) answers.push(v);
          if (got.includes(undefined)) return;
        }
      };
      const flood = burst();
      await new Promise((resolve) => setTimeout(resolve, 300));
      daemon.kill('SIGKILL');
      await exited(daemon);
      stop = true;
      await flood;
      await c.close();
      t.true(answers.length > 40, `reads were in flight when the daemon died (${answers.length} answered)`);

      const text = readFileSync(rec, 'utf8');
      const { records } = parseTrace(text);
      // Each reply leaves after its line was written, so every answered read is on disk; a line the kill cut
      // short would be dropped by the reader (at most one).
      t.true(records.length >= answers.length - 1, `${records.length} records for ${answers.length} answers`);
      const onDisk = records.slice(0, answers.length).map((r) => r.value);
      t.deepEqual(onDisk, answers.slice(0, onDisk.length), 'the file holds the answers in the order given');
      t.true(records.every((r) => r.client === 'victim' && r.bus === '/mdio@ff0d0000'));
    } finally {
      daemon.kill('SIGKILL');
      await exited(daemon);
    }
  },
);

test.serial('client verify exits 0 on a faithful recording and 1 on one the models contradict', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-verify-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const sock = join(dir, 's.sock');
  // PHYSID1/2 as dts/default-board.dts's compatible "ethernet-phy-id0141.0dd0" says; then a wrong PHYSID2.
  const header = ['mdio-emu-trace 1', 'bus 0 /mdio@ff0d0000'];
  writeFileSync(
    join(dir, 'good.trace'),
    [...header, '0 - - 0 r 1 0x02 0x0141 ok', '0 - - 0 r 1 0x03 0x0dd0 ok', ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'bad.trace'),
    [...header, '0 - - 0 r 1 0x02 0x0141 ok', '0 - - 0 r 1 0x03 0x0dd1 ok', ''].join('\n'),
  );
  const { daemon } = await serve('--unix', sock);
  try {
    const good = await cli('client', '--unix', sock, 'verify', join(dir, 'good.trace'));
    t.is(good.code, 0, good.stdout);
    t.regex(good.stdout, /2 transactions, 2 reads, 0 difference\(s\)/);
    const bad = await cli('client', '--unix', sock, 'verify', join(dir, 'bad.trace'));
    t.is(bad.code, 1);
    t.regex(
      bad.stdout,
      /line 4: read \/mdio@ff0d0000 phy 1 reg 0x03 = 0x0dd1 recorded, model answered 0x0dd0/,
    );
  } finally {
    daemon.kill('SIGTERM');
    await exited(daemon);
  }
});

test.serial('serve --replay lists unforeseen requests on stderr when it stops', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-replay-'));
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const sock = join(dir, 's.sock');
  writeFileSync(
    join(dir, 'r.trace'),
    ['mdio-emu-trace 1', 'bus 0 /mdio@0', '0 - - 0 r 1 0x02 0x0022 ok', ''].join('\n'),
  );
  const { daemon, stderr } = await serve(
    '--unix',
    sock,
    '--replay',
    join(dir, 'r.trace'),
    '--mode',
    'strict',
  );
  try {
    t.is((await cli('client', '--unix', sock, 'read', '0', '1', '2')).stdout, '0x0022\n');
    const miss = await cli('client', '--unix', sock, 'read', '0', '1', '3');
    t.is(miss.code, 1);
    const status = await cli('client', '--unix', sock, 'replay-status');
    t.regex(status.stdout, /strict: 1 recorded, 2 served, 0 remaining, 1 unforeseen/);
  } finally {
    daemon.kill('SIGTERM');
    await exited(daemon);
  }
  t.regex(stderr(), /replay: 2 MDIO request\(s\) served, 1 unforeseen/);
  t.regex(
    stderr(),
    /unforeseen: request 2 from mdio-emu-cli#2: read \/mdio@0 phy 1 reg 0x03: the recording has ended/,
  );
});
