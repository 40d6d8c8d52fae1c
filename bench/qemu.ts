/**
 * The real-kernel path, timed: a Linux 6.1 guest under QEMU (TCG) reaching the emulated Marvell USB-MDIO
 * adapter over usbredir. Prints boot-to-PHY time and the guest-visible MDIO read round trip next to a
 * physical bus: at 2.5 MHz MDC a Clause 22 frame is 64 bit times (32-bit preamble + 32-bit frame,
 * 802.3 22.2.4.5) = 25.6 µs.
 *
 * The round trip is measured on the guest's own clock: each bind of the "Marvell 88E1510" driver runs
 * phy_probe() -> phy_disable_interrupts() -> marvell_config_intr(), a write of register 0x12 followed at
 * once by a read of 0x13 (drivers/net/phy/marvell.c). mdio_access is traced after each access completes
 * (drivers/net/phy/mdio_bus.c __mdiobus_read/__mdiobus_write), so the gap between the two trace
 * timestamps is one read: bulk OUT (6 bytes) and bulk IN (2 bytes) through QEMU, usbredir and the model.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findGuestKernel } from '../src/qemu/kernel.js';
import { runQemuScenario } from '../src/qemu/run.js';
import { parseGuestTrace } from '../src/qemu/guest-observations.js';

const PHYSICAL_FRAME_US = 64 / 2.5;
const BINDS = 20;
const repo = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function run(): Promise<void> {
  const kernel = await findGuestKernel().catch(() => undefined);
  if (!kernel) {
    console.log('skipped: the guest kernel is not built (scripts/setup.sh or `mdio-emu qemu kernel`)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-bench-qemu-'));
  try {
    const phy = 'mvusb-1-1:1.0:00';
    const rebinds = Array.from({ length: BINDS }, (_, i) => [
      {
        ...(i === 0 ? { delayMs: 1000 } : {}),
        id: `unbind-${i}`,
        action: 'unbind',
        bus: 'mdio_bus',
        driver: 'Marvell 88E1510',
        device: phy,
      },
      { id: `bind-${i}`, action: 'bind', bus: 'mdio_bus', driver: 'Marvell 88E1510', device: phy },
    ]).flat();
    const scenarioFile = join(dir, 'bench.scenario.json');
    await writeFile(
      scenarioFile,
      JSON.stringify({
        name: 'bench-qemu',
        dts: join(repo, 'dts', 'qemu-pse-deferred.dts'),
        steps: [
          { id: 'pse-load', action: 'load-module', module: 'pse_regulator' },
          { id: 'mvusb-load', action: 'load-module', module: 'mdio-mvusb' },
          ...rebinds,
        ],
        expect: [{ kind: 'traces-agree' }],
      }),
    );
    const r = await runQemuScenario({
      kernel: kernel.image,
      modulesDir: kernel.modulesDir,
      scenarioFile,
      reportDir: join(dir, 'report'),
    });
    if (r.end.reason !== 'settled') throw new Error(`bench run failed: ${r.end.detail}`);
    const traceText = await readFile(r.files.trace ?? '', 'utf8');
    const guest = parseGuestTrace(traceText.split('\n')).flatMap((g) => (g.kind === 'mdio' ? [g] : []));
    const served = (r.details.emulatorTrace ?? []) as { op: string; reg: number; hostMs: number }[];
    const roundTrips: number[] = [];
    for (let i = 1; i < guest.length; i++) {
      const w = guest[i - 1];
      const rd = guest[i];
      if (w?.op === 'write' && w.reg === 0x12 && rd?.op === 'read' && rd.reg === 0x13)
        roundTrips.push((rd.ts - w.ts) * 1e6);
    }
    const hostGaps: number[] = [];
    for (let i = 1; i < served.length; i++) {
      const w = served[i - 1];
      const rd = served[i];
      if (w?.op === 'write' && w.reg === 0x12 && rd?.op === 'read' && rd.reg === 0x13)
        hostGaps.push((rd.hostMs - w.hostMs) * 1000);
    }
    const firstGuest = guest[0];
    const firstHost = served[0];
    console.log(
      `guest kernel: ${kernel.dir.split('/').at(-1) ?? ''}; traces agree: ${r.pass ? 'yes' : 'NO'}; whole run ${(r.wallMs / 1000).toFixed(1)} s wall`,
    );
    console.log(
      `boot -> PHY probed (first MDIO access, guest clock since boot)  ${firstGuest ? (firstGuest.ts * 1000).toFixed(0) : '-'} ms`,
    );
    console.log(
      `run start -> PHY probed (host clock, incl. DTB, initramfs, boot) ${firstHost ? firstHost.hostMs.toFixed(0) : '-'} ms`,
    );
    console.log(`reference: physical Clause 22 MDIO frame at 2.5 MHz = ${PHYSICAL_FRAME_US.toFixed(1)} µs`);
    line('MDIO read round trip, guest clock', roundTrips);
    line('write->read gap seen by the emulator (host clock)', hostGaps);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function line(label: string, samples: number[]): void {
  if (samples.length === 0) {
    console.log(`${label.padEnd(52)} no samples`);
    return;
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(
    `${label.padEnd(52)} median ${median.toFixed(0).padStart(6)} µs  min ${(sorted[0] ?? 0).toFixed(0)}  max ${(sorted.at(-1) ?? 0).toFixed(0)}  (n=${samples.length})  ${(median / PHYSICAL_FRAME_US).toFixed(1)}x a 2.5 MHz frame`,
  );
}
