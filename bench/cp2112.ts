/**
 * Guest-visible I2C latency through the CP2112: a Linux 7.2 guest under QEMU (TCG) probes Linux's tps23881
 * driver against the TPS23881 model behind the emulated CP2112 (dts/qemu-tps23881.dts), whose firmware
 * download alone is 676 SMBus byte writes in a row. Times are the guest's own: each transfer from its
 * smbus_write/smbus_read event to its smbus_result (include/trace/events/smbus.h), i.e. what
 * i2c_smbus_xfer() costs the driver. The physical reference is the same transfer on a 100 kHz bus
 * (SMBus 3.1 section 6.5, 9 bit times per byte with its ACK, plus START, repeated START and STOP), and one
 * byte time (90 µs), computed rather than measured: no CP2112 is attached to this machine.
 *
 *   npm run bench -- cp2112               one boot
 *   npm run bench -- cp2112 --boots=3     three boots, samples pooled
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findKernel } from '../src/qemu/kernel.js';
import { parseSmbusTrace, type GuestSmbusTransfer } from '../src/qemu/i2c-replay.js';
import { runQemuScenario } from '../src/qemu/run.js';
import { summary } from './lib/stats.js';

const BUS_HZ = 100_000;
const BYTE_US = (9 / BUS_HZ) * 1e6;
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Bytes on the wire with their ACKs (address bytes included), plus START/repeated START/STOP as one bit each. */
function wireUs(t: GuestSmbusTransfer): number {
  const bytes =
    t.op === 'write'
      ? 2 + t.data.length // address, command, data
      : 3 + t.data.length; // address, command, address again, data
  const conditions = t.op === 'write' ? 2 : 3;
  return ((bytes * 9 + conditions) / BUS_HZ) * 1e6;
}

function flag(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

const SCENARIO = (dts: string) => ({
  format: 2,
  name: 'bench-cp2112',
  description: 'The tps23881 probe through the CP2112: the firmware download and the configuration.',
  dts,
  steps: [
    { id: 'cp2112-load', action: 'load-module', module: 'hid_cp2112' },
    { id: 'tps-load', delayMs: 100, action: 'load-module', module: 'tps23881' },
    // A busy host makes hid-cp2112 time out (docs/guest-kernel.md): bind again, as the scenarios do.
    {
      id: 'tps-bound',
      action: 'run',
      command:
        'i=0; until [ -e /sys/bus/i2c/drivers/tps23881/0-0020 ] || [ $i -ge 5 ]; do sleep 0.5; echo 0-0020 > /sys/bus/i2c/drivers/tps23881/bind; i=$((i+1)); done',
    },
    { id: 'settle', delayMs: 500, action: 'snapshot' },
  ],
  expect: [{ kind: 'kernel-log', pattern: 'tps23881 .*Firmware revision 0xe$', present: true }],
});

export async function run(): Promise<void> {
  const kernel = await findKernel('7.2').catch(() => undefined);
  if (!kernel) {
    console.log('skipped: the Linux 7.2 guest kernel is not built (`mdio-emu qemu kernel --version 7.2`)');
    return;
  }
  const boots = Math.max(1, Number(flag('boots') ?? 1));
  const groups = new Map<string, { latency: number[]; wire: number }>();
  const work = await mkdtemp(join(tmpdir(), 'mdio-emu-bench-cp2112-'));
  try {
    const file = join(work, 'bench.scenario.json');
    await writeFile(file, JSON.stringify(SCENARIO(join(repo, 'dts', 'qemu-tps23881.dts'))));
    for (let b = 0; b < boots; b++) {
      const load = loadavg()[0] ?? 0;
      const r = await runQemuScenario({
        kernel: kernel.image,
        modulesDir: kernel.modulesDir,
        scenarioFile: file,
        reportDir: join(work, `boot${b}`),
        kernelRelease: kernel.release,
        ...(kernel.guestTools.archive === undefined ? {} : { guestTools: kernel.guestTools.archive }),
      });
      const lines = (await readFile(r.files.trace ?? '', 'utf8')).split('\n');
      const xfers = pairTimes(lines);
      // Timed-out transfers (hid-cp2112 gave up after its 50 ms waits) have no latency of their own: counted.
      const timedOut = xfers.filter((x) => x.t.res === -110).length;
      console.log(
        `boot ${b}: ${xfers.length} SMBus transfers (${timedOut} timed out in the guest), ` +
          `load average ${load.toFixed(2)} at start${r.pass ? '' : `; the run failed: ${r.verdict}`}`,
      );
      for (const { t, us } of xfers) {
        if (t.res < 0) continue;
        const key = `${t.op} ${t.protocol}`;
        const g = groups.get(key) ?? { latency: [], wire: wireUs(t) };
        g.latency.push(us);
        groups.set(key, g);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  console.log(`physical reference: one byte at 100 kHz = ${BYTE_US.toFixed(0)} µs`);
  for (const [key, g] of [...groups].sort((a, b) => b[1].latency.length - a[1].latency.length)) {
    if (g.latency.length < 5) continue;
    const s = summary(g.latency);
    console.log(
      `${key.padEnd(16)} n=${String(s.n).padStart(4)}  median ${(s.median / 1000).toFixed(2)} ms ` +
        `(p10 ${(s.p10 / 1000).toFixed(2)}, p90 ${(s.p90 / 1000).toFixed(2)})  = ${(s.median / BYTE_US).toFixed(1)}x a byte time, ` +
        `${(s.median / g.wire).toFixed(1)}x the whole transfer at 100 kHz (${g.wire.toFixed(0)} µs)`,
    );
  }
}

/** Each transfer with its guest-side duration (µs): from its request event to its smbus_result. */
function pairTimes(lines: readonly string[]): { t: GuestSmbusTransfer; us: number }[] {
  const ends: number[] = [];
  for (const line of lines) {
    const m = /\s(\d+\.\d+):\s+smbus_result:/.exec(line);
    if (m) ends.push(Number(m[1]));
  }
  return parseSmbusTrace(lines).flatMap((t, i) => {
    const end = ends[i];
    return end === undefined ? [] : [{ t, us: (end - t.ts) * 1e6 }];
  });
}
