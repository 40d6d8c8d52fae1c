import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuState, freezeDetail } from '../../src/qemu/guest-session.js';
import { HeartbeatWatchdog, type HostSample } from '../../src/qemu/guest-watchdog.js';
import { machineArgs, qemuBinary } from '../../src/qemu/machine.js';
import { sampleProcess } from '../../src/qemu/process-sample.js';
import { qmpArgs, qmpQuery } from '../../src/qemu/qmp.js';

/** A host whose clock and threads' waits for a CPU the test moves by hand. */
class FakeHost {
  now = 0;
  readonly waits = new Map<string, number>();
  tick(ms: number, waited: Record<string, number> = {}): HostSample {
    this.now += ms;
    for (const [thread, w] of Object.entries(waited))
      this.waits.set(thread, (this.waits.get(thread) ?? 0) + w);
    return { atMs: this.now, runQueueMs: new Map(this.waits) };
  }
}

/** Samples every second until the watchdog speaks; the host time it spoke at, or undefined by `untilMs`. */
function runUntilFrozen(
  w: HeartbeatWatchdog,
  host: FakeHost,
  untilMs: number,
  waited: (atMs: number) => Record<string, number> = () => ({}),
): number | undefined {
  while (host.now < untilMs) {
    const f = w.sample(host.tick(1000, waited(host.now)));
    if (f) return host.now;
  }
  return undefined;
}

test('a silent guest on a quiet host is frozen once it has said nothing for the configured time', (t) => {
  const host = new FakeHost();
  const w = new HeartbeatWatchdog(10_000);
  w.arm(host.now);
  // Heartbeats every 200 ms keep it quiet for a minute.
  for (let i = 0; i < 300; i++) {
    host.now += 200;
    w.heard(host.now);
    if (i % 5 === 0) t.is(w.sample(host.tick(0)), undefined);
  }
  const lastOutput = host.now;
  const at = runUntilFrozen(w, host, lastOutput + 60_000);
  t.is(at, lastOutput + 10_000);
  const f = w.sample(host.tick(0));
  t.is(f?.silentMs, 10_000);
  t.is(f?.starvedMs, 0);
});

test('nothing counts before the agent is up (boot prints nothing) or after output resumes', (t) => {
  const host = new FakeHost();
  const w = new HeartbeatWatchdog(5000);
  t.is(runUntilFrozen(w, host, 60_000), undefined, 'not armed: a long boot is no freeze');
  w.arm(host.now);
  t.is(runUntilFrozen(w, host, host.now + 4000), undefined);
  w.heard(host.now);
  t.is(runUntilFrozen(w, host, host.now + 4000), undefined, 'the output reset the count');
  t.is(runUntilFrozen(w, host, host.now + 2000), host.now, 'then 5 s of silence');
});

test('a host too busy to run QEMU does not make its guest frozen: only time it could have run counts', (t) => {
  const host = new FakeHost();
  const w = new HeartbeatWatchdog(20_000);
  w.sample(host.tick(0));
  w.arm(host.now);
  // Load 10 on 2 cores: QEMU's vCPU thread waits 900 ms of every second for a CPU, for two minutes.
  const start = host.now;
  const busy = runUntilFrozen(w, host, start + 120_000, () => ({ 'qemu/vcpu': 900 }));
  t.is(busy, undefined, 'silent for 120 s, but QEMU could run for only 12 s of it');
  // Still silent once the load is gone: it has had its chance.
  const quiet = runUntilFrozen(w, host, host.now + 60_000);
  t.not(quiet, undefined);
  const f = w.sample(host.tick(0));
  t.is(quiet, start + 128_000, '8 s more make 20 s it could have run');
  t.true((f?.runnableMs ?? 0) >= 20_000);
  t.true((f?.starvedMs ?? 0) >= 100_000, `starved ${f?.starvedMs}`);
  t.deepEqual(w.longest, { silentMs: 128_000, runnableMs: 20_000 }, 'how close it came, kept for the report');
});

test('threads that wait side by side count once: the longest wait, not the sum', (t) => {
  const host = new FakeHost();
  const w = new HeartbeatWatchdog(10_000);
  w.sample(host.tick(0));
  w.arm(host.now);
  // Every thread of QEMU and our own reader wait 500 ms of each second: the guest ran half the time.
  const at = runUntilFrozen(w, host, 60_000, () => ({ 'qemu/1': 500, 'qemu/2': 500, self: 500 }));
  t.is(at, 20_000);
});

test('a stopped QEMU waits for no CPU: all of its silence counts', (t) => {
  const host = new FakeHost();
  const w = new HeartbeatWatchdog(8000);
  w.arm(0);
  // A stopped process is not on a run queue: its wait does not grow, even with the host busy with others.
  t.is(
    runUntilFrozen(w, host, 60_000, () => ({ 'qemu/1': 0 })),
    8000,
  );
});

test('silence is measured from the last output, with the waits since the sample before it', (t) => {
  const host = new FakeHost();
  const w = new HeartbeatWatchdog(10_000);
  w.arm(0);
  t.is(w.sample(host.tick(1000, { 'qemu/1': 0 })), undefined);
  // Output at 1.5 s, between samples; then 9.5 s of silence of which the thread waited 3 s.
  w.heard(1500);
  for (let i = 0; i < 9; i++) t.is(w.sample(host.tick(1000, { 'qemu/1': i < 3 ? 1000 : 0 })), undefined);
  // 8.5 s silent at 10 s, 3 s of it waiting; the baseline is the sample at 1 s, before the output.
  t.is(w.sample(host.tick(4400)), undefined, '12.9 s silent, 9.9 s of it runnable');
  t.deepEqual(w.sample(host.tick(100)), { silentMs: 13_000, runnableMs: 10_000, starvedMs: 3000 });
});

test('a freeze limit that is not positive is refused', (t) => {
  t.throws(() => new HeartbeatWatchdog(0), { instanceOf: RangeError });
  t.throws(() => new HeartbeatWatchdog(Number.NaN), { instanceOf: RangeError });
});

test('the verdict line says how long, what QEMU was doing, where the vCPU was and the last output', (t) => {
  // target/arm/cpu.c aarch64_cpu_dump_state, as QEMU 7.2 prints it for a vCPU spinning in EL1 with IRQs masked.
  const registers =
    ' PC=ffff80000810a2b4  X00=0000000000000001 X01=ffff00000241c000\n' +
    'PSTATE=200003c5 --C- EL1h     FPU disabled\n';
  t.is(cpuState(registers), 'vCPU at PC ffff80000810a2b4 in EL1h, IRQs masked');
  t.is(
    cpuState(' PC=0000000040001000 X00=0\nPSTATE=60000345 -ZC- EL1h\n'),
    'vCPU at PC 0000000040001000 in EL1h, IRQs on',
  );
  t.is(cpuState('nothing here'), undefined);
  const line = freezeDetail({
    silentMs: 42_000,
    runnableMs: 30_500,
    starvedMs: 11_500,
    qemuCpuMs: 29_800,
    qemuProcess: 'R',
    qemuStatus: 'running',
    registers,
    lastOutput: '6,812,15233410,-;mdio-emu: step 3 start',
    guestMs: 15_300,
  });
  t.is(
    line,
    'guest froze: no heartbeat for 42.0 s, 30.5 s of it with a CPU free to run it (QEMU runs the VM and used 29.8 s of CPU meanwhile; vCPU at PC ffff80000810a2b4 in EL1h, IRQs masked); guest clock stopped at 15.3 s, last output "6,812,15233410,-;mdio-emu: step 3 start"',
  );
  t.regex(
    freezeDetail({
      silentMs: 31_000,
      runnableMs: 31_000,
      starvedMs: 0,
      qemuProcess: 'T',
      qemuStatus: 'QEMU did not answer',
      guestMs: 9000,
    }),
    /^guest froze: no heartbeat for 31\.0 s \(QEMU's process is stopped\); guest clock stopped at 9\.0 s, no output$/,
  );
  // Before the agent is up no heartbeat is due: the verdict says what was missing.
  t.regex(
    freezeDetail({
      silentMs: 12_000,
      runnableMs: 12_000,
      starvedMs: 0,
      qemuProcess: 'T',
      qemuStatus: 'QEMU did not answer',
      guestMs: 400,
      booting: true,
    }),
    /^guest froze while booting: no console output for 12\.0 s \(QEMU's process is stopped\); guest clock stopped at 0\.4 s/,
  );
});

test('a process sample tells running from stopped, and its CPU time stops growing when stopped', async (t) => {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  try {
    const pid = child.pid ?? 0;
    await sleep(300);
    const a = await sampleProcess(pid);
    if (!a) return t.fail('no /proc sample of a live process');
    t.true(a.runQueueMs.size >= 1);
    t.true(a.cpuMs > 0);
    t.not(a.state, 'T');
    child.kill('SIGSTOP');
    await sleep(200);
    const b = await sampleProcess(pid);
    await sleep(500);
    const c = await sampleProcess(pid);
    t.is(c?.state, 'T');
    t.true((c?.cpuMs ?? Infinity) - (b?.cpuMs ?? 0) < 50, `${b?.cpuMs} -> ${c?.cpuMs}`);
    t.is(await sampleProcess(2 ** 22 + 1), undefined, 'no such process');
  } finally {
    child.kill('SIGKILL');
  }
});

const qemuPresent = spawnSync(qemuBinary, ['--version']).status === 0;

(qemuPresent ? test : test.skip)(
  'QEMU answers its status and registers over QMP; stopped, it answers nothing within the timeout',
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-qmp-'));
    const socket = join(dir, 'qmp.sock');
    // No guest at all: the machine sits before its first instruction (-S), which is enough to be asked.
    const qemu = spawn(qemuBinary, [...machineArgs(), '-S', ...qmpArgs(socket)], { stdio: 'ignore' });
    try {
      let answers: Awaited<ReturnType<typeof qmpQuery>> = [];
      for (let i = 0; i < 50 && answers[0] === undefined; i++) {
        await sleep(100);
        answers = await qmpQuery(
          socket,
          [
            { execute: 'query-status' },
            { execute: 'human-monitor-command', arguments: { 'command-line': 'info registers' } },
            { execute: 'no-such-command' },
          ],
          2000,
        );
      }
      const [status, regs, bad] = answers;
      t.deepEqual(status?.ok ? (status.value as { status: string }).status : status, 'prelaunch');
      const text = regs?.ok ? String(regs.value) : '';
      t.regex(cpuState(text) ?? '', /^vCPU at PC [0-9a-f]{16} in EL\d[th]?, IRQs (masked|on)$/, text);
      t.false(bad?.ok ?? true);
      qemu.kill('SIGSTOP');
      const started = Date.now();
      const none = await qmpQuery(socket, [{ execute: 'query-status' }], 700);
      t.deepEqual(none, [undefined]);
      t.true(Date.now() - started < 2000);
    } finally {
      qemu.kill('SIGKILL');
    }
  },
);
