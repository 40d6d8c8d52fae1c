import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { findGuestKernel } from '../../src/qemu/kernel.js';
import { qemuBinary } from '../../src/qemu/machine.js';
import type { MatrixReport } from '../../src/qemu/matrix.js';
import type { RunReport } from '../../src/scenario/report.js';
import { qemuMentioning } from './guest-processes.js';

/**
 * Ctrl-C on a command that runs guests: the CLI is sent SIGINT alone (as `kill -INT` does; a terminal would
 * also signal QEMU, which hides a CLI that leaves its QEMU behind). It must kill its QEMU, write what it
 * gathered as a report that says it was interrupted, and exit 130, within seconds.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const qemuPresent = spawnSync(qemuBinary, ['--version']).status === 0;
const kernel = qemuPresent ? await findGuestKernel() : undefined;

/** A scenario whose second step waits far longer than the test: the guest is still running when stopped. */
async function longScenario(dir: string): Promise<string> {
  const file = join(dir, 'long.scenario.json');
  await writeFile(
    file,
    JSON.stringify({
      format: 2,
      name: 'long',
      dts: join(repo, 'dts', 'qemu-pse-deferred.dts'),
      steps: [
        { id: 'mvusb-load', action: 'load-module', module: 'mdio-mvusb' },
        { delayMs: 150_000, action: 'snapshot' },
      ],
      expect: [{ kind: 'usb-of-node', device: '&mvusb' }],
    }),
  );
  return file;
}

/** Runs the CLI, sends it SIGINT once its QEMU runs; its exit status, stderr and how long it took to exit. */
/** The processes whose parent is `pid` (/proc/PID/stat's fourth field). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) out.push(Number(p));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const alive = (pid: number): boolean => {
  try {
    // A zombie is dead too: only its parent's wait is missing.
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

async function interruptCli(
  args: string[],
  reportDir: string,
  signal: NodeJS.Signals = 'SIGINT',
): Promise<{
  status: number | null;
  stderr: string;
  exitMs: number;
  qemuSeen: number;
  bootMs: number;
  children: number[];
}> {
  const cli = spawn(process.execPath, [join(repo, 'bin', 'mdio-emu.js'), ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  cli.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  cli.stdout.resume();
  const exited = new Promise<number | null>((done) => cli.on('close', (code) => done(code)));
  const started = Date.now();
  let qemu: number[] = [];
  while (Date.now() - started < 120_000 && qemuMentioning(reportDir).length === 0) await sleep(200);
  qemu = qemuMentioning(reportDir);
  // A few seconds into the boot: the run has started and has something to report.
  await sleep(3000);
  const children = childrenOf(cli.pid ?? -1);
  const sent = Date.now();
  cli.kill(signal);
  const status = await Promise.race([exited, sleep(15_000).then(() => 'hung' as const)]);
  if (status === 'hung') {
    cli.kill('SIGKILL');
    for (const p of qemuMentioning(reportDir)) process.kill(p, 'SIGKILL');
    throw new Error(`the CLI did not exit within 15 s of SIGINT:\n${stderr}`);
  }
  return {
    status,
    stderr,
    exitMs: Date.now() - sent,
    qemuSeen: qemu.length,
    bootMs: sent - started,
    children,
  };
}

if (!kernel) {
  if (process.env.CI === 'true')
    test('the guest kernel is built (CI)', (t) => {
      t.fail('CI must interrupt a guest end to end, but the 6.1 guest kernel is not built');
    });
  else test.skip('Ctrl-C on qemu matrix and qemu run (no guest kernel built)', () => {});
} else {
  test.serial(
    'qemu matrix on SIGINT: kills its QEMU, writes the matrix so far as interrupted, exits 130',
    async (t) => {
      t.timeout(300_000);
      const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-interrupt-'));
      const reportDir = join(dir, 'matrix');
      const long = await longScenario(dir);
      const late = join(repo, 'dts', 'qemu-pse-late.scenario.json');
      const r = await interruptCli(
        [
          'qemu',
          'matrix',
          '--kernel',
          '6.1',
          '--scenario',
          long,
          '--scenario',
          late,
          '-j',
          '1',
          '--report',
          reportDir,
        ],
        reportDir,
      );
      t.log(`SIGINT ${r.bootMs} ms after the start; exit ${r.status} ${r.exitMs} ms after SIGINT`);
      t.is(r.qemuSeen, 1, 'a QEMU ran when the signal came');
      t.is(r.status, 130, r.stderr);
      t.true(r.exitMs < 5000, `${r.exitMs} ms`);
      t.deepEqual(qemuMentioning(reportDir), [], 'no QEMU left behind');
      t.regex(r.stderr, /error QEMU1002: interrupted by SIGINT; the report of what was gathered is in /);

      const m = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as MatrixReport;
      t.is(m.interrupted, 'interrupted by SIGINT');
      t.false(m.pass);
      const cell = (s: string) => m.cells.find((c) => c.scenario === s);
      t.is(cell('long')?.end, 'interrupted');
      t.is(cell('pse-late')?.verdict, 'not run: the matrix was interrupted by SIGINT');
      // The run that was stopped wrote its own report, with what the guest had done.
      const run = JSON.parse(
        await readFile(join(reportDir, cell('long')?.report.replace(/\.html$/, '.json') ?? ''), 'utf8'),
      ) as RunReport;
      t.is(run.end.reason, 'interrupted');
      t.is(run.verdict, 'FAIL: interrupted by SIGINT (not a verdict on the kernel)');
      t.regex(
        await readFile(join(reportDir, 'report.html'), 'utf8'),
        /INTERRUPTED \(interrupted by SIGINT\): 0 of 2 runs done, 0 failed/,
      );
    },
  );

  test.serial('qemu run on SIGINT: kills its QEMU, writes the report so far, exits 130', async (t) => {
    t.timeout(300_000);
    const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-interrupt-'));
    const reportDir = join(dir, 'run');
    const r = await interruptCli(
      [
        'qemu',
        'run',
        '--kernel',
        kernel.image,
        '--modules',
        kernel.modulesDir,
        '--scenario',
        await longScenario(dir),
        '--report',
        reportDir,
      ],
      reportDir,
    );
    t.is(r.qemuSeen, 1);
    t.is(r.status, 130, r.stderr);
    t.true(r.exitMs < 5000, `${r.exitMs} ms`);
    t.deepEqual(qemuMentioning(reportDir), []);
    const run = JSON.parse(await readFile(join(reportDir, 'report.json'), 'utf8')) as RunReport;
    t.is(run.end.reason, 'interrupted');
    t.true((await readFile(join(reportDir, 'report.html'), 'utf8')).includes('interrupted by SIGINT'));
  });

  test.serial(
    'qemu stress on SIGTERM: kills its QEMU and its busy processes, writes stress.json as interrupted, exits 143',
    async (t) => {
      t.timeout(300_000);
      const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-interrupt-'));
      const reportDir = join(dir, 'stress');
      const r = await interruptCli(
        [
          'qemu',
          'stress',
          '--runs',
          '3',
          '--load',
          '2',
          '--kernel',
          kernel.image,
          '--modules',
          kernel.modulesDir,
          '--scenario',
          await longScenario(dir),
          '--report',
          reportDir,
        ],
        reportDir,
        'SIGTERM',
      );
      t.is(r.qemuSeen, 1);
      t.is(r.status, 143, r.stderr);
      t.true(r.exitMs < 5000, `${r.exitMs} ms`);
      // Its children when the signal came: two busy processes and QEMU; none may outlive it.
      t.true(r.children.length >= 3, `children: ${r.children.join(' ')}`);
      t.deepEqual(
        r.children.filter((p) => alive(p)),
        [],
      );
      const stress = JSON.parse(await readFile(join(reportDir, 'stress.json'), 'utf8')) as {
        interrupted?: string;
        results: { end: string }[];
      };
      t.is(stress.interrupted, 'interrupted by SIGTERM');
      t.deepEqual(
        stress.results.map((x) => x.end),
        ['interrupted'],
        'the run that was going on, and none after it',
      );
    },
  );
}
