import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon } from '../../emulator/daemon.js';
import { MdioClient } from '../../src/protocol/client.js';
import { parseTrace } from '../../src/replay/format.js';

// Issue 12 (daemon half), through the real CLI: start-up is all or nothing, user mistakes end in one line
// and exit 1 or 2 (never a stack trace and exit 70), recorded data is never lost. Each test names the
// failure it guards.
const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = join(root, 'bin/mdio-emu.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Killed because it was still running after the timeout (a daemon that should have exited). */
  timedOut: boolean;
}

function cli(args: string[], timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { cwd: root, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        resolve({
          code: child.exitCode,
          stdout,
          stderr,
          timedOut: err?.killed ?? false,
        });
      },
    );
  });
}

/** Runs the command lines two at a time: a shared machine must not push a start-up past the timeout. */
async function inTurn(commands: string[][]): Promise<Run[]> {
  const out: Run[] = [];
  for (let i = 0; i < commands.length; i += 2)
    out.push(...(await Promise.all(commands.slice(i, i + 2).map((args) => cli(args)))));
  return out;
}

/** One line saying what and where; never a JavaScript stack or an internal error. */
function assertCleanError(t: { false: (v: boolean, m?: string) => void }, r: Run): void {
  t.false(/internal error|\n\s+at /.test(r.stderr), `no stack trace:\n${r.stderr}`);
}

const tmp = () => mkdtempSync(join(tmpdir(), 'mdio-emu-harden-cli-'));

test.serial(
  'issue 12 #2: serve --unix on an existing regular file refuses and leaves the file alone',
  async (t) => {
    const dir = tmp();
    try {
      const file = join(dir, 'precious.txt');
      writeFileSync(file, 'do not delete\n');
      const r = await cli(['serve', '--unix', file]);
      t.false(r.timedOut, 'the daemon did not start');
      t.is(r.code, 1);
      t.regex(r.stderr, /CLI1101.*not a socket/);
      t.regex(r.stderr, /precious\.txt/);
      assertCleanError(t, r);
      t.is(readFileSync(file, 'utf8'), 'do not delete\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.serial(
  'issue 12 #3: serve --unix S --tcp PORT with PORT in use exits 1 at once and leaves no socket behind',
  async (t) => {
    const dir = tmp();
    const busy = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (busy.address() as AddressInfo).port;
      const sock = join(dir, 'emu.sock');
      const pidFile = join(dir, 'emu.pid');
      const r = await cli(['serve', '--unix', sock, '--tcp', String(port), '--pid-file', pidFile]);
      t.false(r.timedOut, 'the daemon did not stay half-started');
      t.is(r.code, 1);
      t.regex(r.stderr, new RegExp(`CLI1102.*address already in use|tcp:127\\.0\\.0\\.1:${port}`));
      assertCleanError(t, r);
      t.is(r.stdout, '', 'no readiness line');
      t.false(existsSync(sock), 'the UNIX socket is removed');
      t.false(existsSync(pidFile), 'no pid file');
    } finally {
      busy.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.serial('issue 12 #3: an in-process start-up that fails half-way closes what it opened', async (t) => {
  const dir = tmp();
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  try {
    const port = (busy.address() as AddressInfo).port;
    const sock = join(dir, 'emu.sock');
    await t.throwsAsync(startDaemon({ unix: sock, tcp: { host: '127.0.0.1', port } }), {
      message: /address already in use/,
    });
    t.false(existsSync(sock));
    // The path is free again: a second daemon starts there.
    const d = await startDaemon({ unix: sock });
    await d.stop();
  } finally {
    busy.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial(
  'issue 12 #4: numeric options are validated: usage error (exit 2), never NaN or a stack',
  async (t) => {
    const dir = tmp();
    try {
      const sock = join(dir, 'emu.sock');
      const cases: [string[], RegExp][] = [
        [['serve', '--unix', sock, '--max-frame', 'abc'], /--max-frame/],
        [['serve', '--unix', sock, '--max-frame', '100'], /--max-frame/],
        [['serve', '--unix', sock, '--tcp', '127.0.0.1:http'], /--tcp/],
        [['client', '--unix', sock, 'clock', 'run', 'abc'], /ms/],
        [['client', '--unix', sock, 'watch', '--count', '0'], /--count/],
        [['client', '--unix', sock, 'trace', '--interval', '5x'], /--interval/],
        [['client', '--unix', sock, 'i2c', '0', '0x50', '--read', '70000'], /--read/],
        [['client', '--unix', sock, 'read', '0', ' ', '2'], /PHY/],
        [['trace', 'diff', 'a', 'b', '--limit', 'abc'], /--limit/],
        [['scenario', 'generate', '--out', join(dir, 'gen'), '--buses', '5000'], /--buses/],
      ];
      const runs = await inTurn(cases.map(([args]) => args));
      runs.forEach((r, i) => {
        const [args, option] = cases[i] ?? [[], /$/];
        t.false(r.timedOut, `${args.join(' ')}: still running`);
        t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        t.regex(r.stderr, option, args.join(' '));
        assertCleanError(t, r);
      });
      t.false(existsSync(sock), 'no daemon started');
      t.false(existsSync(join(dir, 'gen')), 'nothing generated');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.serial(
  'issue 12 #5: client trace prints a recording whose line is longer than one fetch (65 kB HELLO name)',
  async (t) => {
    const dir = tmp();
    const sock = join(dir, 'emu.sock');
    const record = join(dir, 'rec.trace');
    const d = await startDaemon({ unix: sock, recordFile: record });
    const long = await MdioClient.connect({ unix: sock }, { name: 'x'.repeat(65_000) });
    try {
      await long.c22Read(0, 1, 2);
      await long.c22Read(0, 1, 3);
      const r = await cli(['client', '--unix', sock, 'trace']);
      t.is(r.code, 0, r.stderr);
      t.is(r.stdout, readFileSync(record, 'utf8'), 'everything on disk, not just the header');
      t.is(parseTrace(r.stdout).records.length, 2);
    } finally {
      await long.close();
      await d.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.serial(
  'issue 12 #7: serve into a missing directory, --record to /dev/full or a missing directory, --replay of a missing file (and record -o /dev/full): one line, exit 1',
  async (t) => {
    const dir = tmp();
    try {
      const missing = join(dir, 'no', 'such', 'dir');
      const kernel = join(dir, 'kernel.txt');
      writeFileSync(
        kernel,
        '  kworker/0:1-20 [000] .....  1.281838: mdio_access: mvusb-1-1:1.0 read  phy:0x00 reg:0x02 val:0x0141\n',
      );
      const cases: [string[], RegExp][] = [
        [['serve', '--unix', join(missing, 'emu.sock')], /CLI1102.*no such directory/],
        [['serve', '--unix', join(dir, 'a.sock'), '--record', '/dev/full'], /CLI1104.*no space left/],
        [['serve', '--unix', join(dir, 'b.sock'), '--record', join(missing, 'r.trace')], /CLI1103/],
        [['serve', '--unix', join(dir, 'c.sock'), '--replay', join(missing, 'r.trace')], /CLI1002/],
        [['serve', '--unix', join(dir, 'd.sock'), '--pid-file', join(missing, 'pid')], /CLI1103/],
        [['record', '--mdio-access', kernel, '-o', '/dev/full'], /CLI1104.*no space left/],
      ];
      const runs = await inTurn(cases.map(([args]) => args));
      runs.forEach((r, i) => {
        const [args, message] = cases[i] ?? [[], /$/];
        t.false(r.timedOut, `${args.join(' ')}: still running`);
        t.is(r.code, 1, `${args.join(' ')}: ${r.stderr}`);
        t.regex(r.stderr, message, args.join(' '));
        assertCleanError(t, r);
      });
      for (const s of ['a', 'b', 'c', 'd']) t.false(existsSync(join(dir, `${s}.sock`)), `${s}.sock removed`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.serial(
  'issue 12 #7: a recording that fails mid-run (file size limit) is reported, the daemon keeps serving, and every line before it is kept',
  async (t) => {
    const dir = tmp();
    const sock = join(dir, 'emu.sock');
    const record = join(dir, 'rec.trace');
    // RLIMIT_FSIZE of 16 KiB: write(2) past it fails with EFBIG (Node ignores SIGXFSZ, as does the shell here).
    const daemon = spawn(
      'bash',
      [
        '-c',
        `trap '' XFSZ; ulimit -f 16; exec "$0" "$@"`,
        process.execPath,
        bin,
        'serve',
        '--unix',
        sock,
        '--record',
        record,
      ],
      { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    daemon.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      await new Promise<void>((resolve, reject) => {
        daemon.stdout.on('data', (b: Buffer) => {
          if (b.toString().includes('ready')) resolve();
        });
        daemon.once('exit', (code) => {
          reject(new Error(`daemon exited ${code}: ${stderr}`));
        });
      });
      const c = await MdioClient.connect({ unix: sock });
      // About 40 bytes a line: 1000 reads are more than 16 KiB.
      const results = await c.batch(
        Array.from({ length: 1000 }, (_, i) => ({ op: 'c22-read' as const, bus: 0, phy: 1, reg: i % 32 })),
      );
      t.true(
        results.every((r) => r.status === 0),
        'every read answered: the recorder failing is not the client failing',
      );
      t.is(await c.c22Read(0, 1, 2), 0x0141, 'still serving');
      await c.close();
      const exited = new Promise<number | null>((resolve) => daemon.once('exit', resolve));
      daemon.kill('SIGTERM');
      t.is(await exited, 1, 'the lost recording makes the exit status 1');
      t.regex(stderr, /recording stopped.*CLI1104.*file too large/);
      t.false(/internal error|\n\s+at /.test(stderr), stderr);
      const kept = /the (\d+) transaction\(s\) before it are kept/.exec(stderr);
      t.truthy(kept);
      const parsed = parseTrace(readFileSync(record, 'utf8'));
      t.true(parsed.records.length > 300, `${parsed.records.length} records kept`);
      t.is(parsed.records.length, Number(kept?.[1]), 'exactly the transactions the message says');
    } finally {
      if (daemon.exitCode === null) daemon.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
