import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { findGuestKernel } from '../../src/qemu/kernel.js';
import { readGuestRelease } from '../../src/qemu/guest-modules.js';
import { qemuBinary } from '../../src/qemu/machine.js';
import { runQemuScenario } from '../../src/qemu/run.js';
import { qemuMentioning } from './guest-processes.js';

/**
 * A guest that stops answering without a word ends its run as frozen, long before its deadline. The freeze is
 * made from outside: QEMU stopped with SIGSTOP keeps its process (and its sockets) but the guest's heartbeat
 * stops, as it did when an unbind froze Linux 7.2 without any kernel report.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const qemuPresent = spawnSync(qemuBinary, ['--version']).status === 0;
const kernel = qemuPresent ? await findGuestKernel() : undefined;

if (!kernel) {
  if (process.env.CI === 'true')
    test('the guest kernel is built (CI)', (t) => {
      t.fail('CI must run the freeze end to end, but the 6.1 guest kernel is not built');
    });
  else test.skip('a guest frozen in the middle of a run (no guest kernel built)', () => {});
} else {
  /**
   * Starts a run of `steps` on the deferred-PSE board with a 10 s freeze limit; `seen.stepStarted` turns true
   * once the agent starts the first step (a box, so a waiting loop does not read a narrowed constant).
   */
  const start = async (name: string, steps: unknown[], deadlineMs?: number) => {
    const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-freeze-'));
    const scenarioFile = join(dir, `${name}.scenario.json`);
    await writeFile(
      scenarioFile,
      JSON.stringify({
        format: 2,
        name,
        dts: join(repo, 'dts', 'qemu-pse-deferred.dts'),
        ...(deadlineMs === undefined ? {} : { deadlineMs }),
        steps,
        expect: [{ kind: 'usb-of-node', device: '&mvusb' }],
      }),
    );
    const reportDir = join(dir, 'report');
    const release = await readGuestRelease(kernel.modulesDir);
    const seen = { stepStarted: false };
    const run = runQemuScenario({
      kernel: kernel.image,
      modulesDir: kernel.modulesDir,
      scenarioFile,
      reportDir,
      freezeAfterMs: 10_000,
      ...(release === undefined ? {} : { kernelRelease: release }),
      onProgress: (m) => {
        if (m.includes('load-module mdio-mvusb')) seen.stepStarted = true;
      },
    });
    return { reportDir, run, seen };
  };
  const loadMvusb = { id: 'mvusb-load', action: 'load-module', module: 'mdio-mvusb' };

  test.serial('a guest whose QEMU is stopped mid-run ends as frozen, well before its deadline', async (t) => {
    t.timeout(300_000);
    // The second step waits far longer than the test: only the watchdog can end this run early.
    const { reportDir, run, seen } = await start(
      'freeze',
      [loadMvusb, { delayMs: 150_000, action: 'snapshot' }],
      180_000,
    );
    // The agent is up once it starts the first step; then stop QEMU.
    const started = Date.now();
    while (!seen.stepStarted && Date.now() - started < 150_000) await sleep(200);
    t.true(seen.stepStarted, 'the guest came up');
    const qemu = qemuMentioning(reportDir);
    t.is(qemu.length, 1, `one QEMU for this run: ${qemu.join(' ')}`);
    await sleep(1500);
    const stoppedAt = Date.now();
    for (const pid of qemu) process.kill(pid, 'SIGSTOP');
    const r = await run;
    const afterStop = Date.now() - stoppedAt;
    t.log(`frozen after ${(afterStop / 1000).toFixed(1)} s; ${r.verdict}`);

    t.is(r.end.reason, 'guest-frozen');
    t.false(r.pass);
    // 10 s of silence, a QEMU that does not answer (3 s at most), and the kill: far from the 180 s deadline.
    t.true(afterStop >= 10_000 && afterStop < 40_000, `${afterStop} ms after the stop`);
    t.regex(r.verdict, /^FAIL: guest froze: no heartbeat for \d+\.\d s \(QEMU's process is stopped\)/);
    t.regex(r.verdict, /guest clock stopped at \d+\.\d s/);
    const freeze = r.details.freeze as { qemuProcess?: string; qemuStatus: string; silentMs: number };
    t.is(freeze.qemuProcess, 'T');
    t.is(freeze.qemuStatus, 'QEMU did not answer');
    t.true(freeze.silentMs >= 10_000);
    t.not(r.steps[1]?.status, 'done', 'the long step never finished');
    t.deepEqual(qemuMentioning(reportDir), [], 'the stopped QEMU was killed');
    // The report's page and the console log say it too.
    t.true((await readFile(join(reportDir, 'report.html'), 'utf8')).includes('guest-frozen'));
    t.regex(await readFile(join(reportDir, 'console.log'), 'utf8'), /\[mdio-emu watchdog\] guest froze/);
  });

  test.serial(
    'a guest stopped while its kernel boots ends as frozen too, before any heartbeat was due',
    async (t) => {
      t.timeout(300_000);
      const { reportDir, run, seen } = await start('boot-freeze', [loadMvusb], 180_000);
      // Stopped as soon as its QEMU exists: the kernel has printed at most its first lines.
      const started = Date.now();
      while (qemuMentioning(reportDir).length === 0 && Date.now() - started < 150_000) await sleep(10);
      const qemu = qemuMentioning(reportDir);
      t.is(qemu.length, 1, `one QEMU for this run: ${qemu.join(' ')}`);
      for (const pid of qemu) process.kill(pid, 'SIGSTOP');
      const stoppedAt = Date.now();
      const r = await run;
      const afterStop = Date.now() - stoppedAt;
      t.log(`frozen after ${(afterStop / 1000).toFixed(1)} s; ${r.verdict}`);
      t.false(seen.stepStarted, 'stopped before the agent came up');
      t.is(r.end.reason, 'guest-frozen');
      t.true(afterStop >= 10_000 && afterStop < 40_000, `${afterStop} ms after the stop`);
      t.regex(
        r.verdict,
        /^FAIL: guest froze while booting: no console output for \d+\.\d s \(QEMU's process is stopped\)/,
      );
      t.deepEqual(qemuMentioning(reportDir), [], 'the stopped QEMU was killed');
    },
  );

  test.serial(
    'a guest whose userspace stops (kernel and QEMU alive) ends as frozen, with QEMU saying where the vCPU is',
    async (t) => {
      t.timeout(300_000);
      // `kill -STOP -1` stops every process but init and itself: the heartbeat, the kmsg copier, and the
      // subshell init waits on for the command's output. The kernel idles on; nothing reaches the console.
      const started = Date.now();
      const { reportDir, run } = await start('userspace-stop', [
        loadMvusb,
        { action: 'run', command: 'kill -STOP -1' },
        { delayMs: 150_000, action: 'snapshot' },
      ]);
      const r = await run;
      t.log(`${((Date.now() - started) / 1000).toFixed(1)} s; ${r.verdict}`);
      t.is(r.end.reason, 'guest-frozen');
      t.true(Date.now() - started < 90_000);
      const freeze = r.details.freeze as { qemuProcess?: string; qemuStatus: string; registers?: string };
      t.not(freeze.qemuProcess, 'T');
      t.is(freeze.qemuStatus, 'running');
      // A kernel address: the vCPU idles in the kernel (EL1), not in a stopped user process.
      t.regex(freeze.registers ?? '', /PC=ffff[0-9a-f]{12}/);
      t.regex(
        r.verdict,
        /^FAIL: guest froze: no heartbeat for \d+\.\d s(, \d+\.\d s of it with a CPU free to run it)? \(QEMU runs the VM and used \d+\.\d s of CPU meanwhile; vCPU at PC ffff[0-9a-f]{12} in EL1h, IRQs (on|masked)\)/,
      );
      t.deepEqual(qemuMentioning(reportDir), []);
    },
  );
}
