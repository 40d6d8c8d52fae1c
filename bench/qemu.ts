/**
 * The real-kernel path, timed: a Linux 6.1 guest under QEMU (TCG) doing MDIO reads through the Marvell
 * USB-MDIO adapter and SMBus byte reads through the CP2615, each against the device models and, in the same
 * boot, against the minimal reference responder (bench/lib/reference-responder.ts), the honest figure for
 * "the limit QEMU allows". Times are the guest's own (ftrace); the physical reference is a Clause 22 frame at
 * 2.5 MHz MDC: 64 bit times (32-bit preamble + 32-bit frame, 802.3 22.2.4.5) = 25.6 µs.
 *
 *   npm run bench -- qemu                 guest-visible medians, model vs reference
 *   npm run bench -- qemu --breakdown     plus QEMU's pcap, the emulator's timestamps and the guest's xHCI
 *                                         events: where each microsecond goes (docs/latency.md)
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findGuestKernel } from '../src/qemu/kernel.js';
import { readUsbmonPcap } from '../src/usbredir/usbmon-pcap.js';
import {
  breakdown,
  deviceTimeline,
  guestToHost,
  guestTransfers,
  mdioReads,
  parseBenchConsole,
  slotsOfDevices,
  smbusReads,
  summariseLegs,
  type Leg,
  type Operation,
} from './lib/latency-analysis.js';
import { runLatencyRig, type RigDevice } from './lib/qemu-rig.js';
import { summary } from './lib/stats.js';

const PHYSICAL_FRAME_US = 64 / 2.5;

export async function run(): Promise<void> {
  const withBreakdown = process.argv.includes('--breakdown');
  const kernel = await findGuestKernel().catch(() => undefined);
  if (!kernel) {
    console.log('skipped: the guest kernel is not built (scripts/setup.sh or `mdio-emu qemu kernel`)');
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-bench-qemu-'));
  try {
    const loadBefore = loadavg();
    // --append=ARGS adds to the guest's kernel command line, for experiments (docs/latency.md: nohlt).
    const append = process.argv.find((a) => a.startsWith('--append='))?.slice('--append='.length);
    const r = await runLatencyRig({
      kernel,
      dir,
      rounds: 100,
      i2cReads: 40,
      breakdown: withBreakdown,
      ...(append ? { append } : {}),
    });
    const loadAfter = loadavg();
    const report = parseBenchConsole(r.console);
    if (process.env['MDIO_EMU_BENCH_CONSOLE'])
      await writeFile(process.env['MDIO_EMU_BENCH_CONSOLE'], r.console);
    const mdio = mdioReads(report);
    const i2c = smbusReads(report);
    console.log(
      `guest kernel ${kernel.dir.split('/').at(-1) ?? ''}${append ? ` + "${append}"` : ''}; one boot, ${(r.wallMs / 1000).toFixed(1)} s wall; ` +
        `load average ${loadBefore[0]?.toFixed(2) ?? '?'} before, ${loadAfter[0]?.toFixed(2) ?? '?'} after (2 cores shared)`,
    );
    if (mdio.length === 0 || i2c.length === 0) {
      console.log('the guest reported no timed accesses; the end of its console:');
      console.log(r.console.split('\n').slice(-30).join('\n'));
      throw new Error('bench run failed');
    }
    console.log(`reference: physical Clause 22 MDIO frame at 2.5 MHz = ${PHYSICAL_FRAME_US.toFixed(1)} µs`);
    const byServer = (ops: Operation[], server: RigDevice['server']): number[] =>
      ops
        .filter((o) => r.devices.find((d) => d.path === o.device)?.server === server)
        .map((o) => o.end - o.start);
    for (const [label, ops] of [
      ['MDIO read (Marvell USB-MDIO: bulk OUT 6 + IN 2)', mdio],
      ['SMBus byte read (CP2615 + 24C02: 2 IOP exchanges)', i2c],
    ] as const) {
      const ref = summary(byServer(ops, 'reference'));
      console.log(label + ', guest clock');
      for (const server of ['model', 'reference'] as const) {
        const s = summary(byServer(ops, server));
        console.log(
          `  ${(server === 'model' ? 'device models' : 'reference responder').padEnd(20)} median ${s.median.toFixed(0).padStart(5)} µs` +
            `  min ${s.min.toFixed(0)}  p90 ${s.p90.toFixed(0)}  max ${s.max.toFixed(0)}  (n=${s.n})` +
            `  ${(s.median / ref.median).toFixed(2)}x the reference` +
            (ops === mdio ? `, ${(s.median / PHYSICAL_FRAME_US).toFixed(1)}x a 2.5 MHz frame` : ''),
        );
      }
    }
    if (withBreakdown) await printBreakdown(r.devices, report.events, mdio, i2c);
  } finally {
    // MDIO_EMU_BENCH_KEEP=1 keeps the boot's files (console.log, usbN.pcap, init, latency.dtb) for a look.
    if (process.env['MDIO_EMU_BENCH_KEEP']) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

async function printBreakdown(
  devices: readonly RigDevice[],
  events: Parameters<typeof guestTransfers>[0],
  mdio: Operation[],
  i2c: Operation[],
): Promise<void> {
  const transfers = guestTransfers(events);
  const slots = slotsOfDevices(transfers, [...mdio, ...i2c]);
  const rows = new Map<string, Record<Leg, number>[]>();
  for (const d of devices) {
    const slot = slots.get(d.path);
    if (slot === undefined || !d.pcap) {
      console.log(`breakdown: no xHCI slot found for ${d.path}`);
      continue;
    }
    const timeline = deviceTimeline(
      transfers.filter((t) => t.slot === slot),
      readUsbmonPcap(await readFile(d.pcap)),
      d.stamps,
    );
    if (timeline.problem) {
      console.log(`breakdown: ${d.path}: ${timeline.problem}`);
      continue;
    }
    const toHost = guestToHost(timeline.transfers);
    if (process.env['MDIO_EMU_BENCH_KEEP']) {
      const file = join(dirname(d.pcap), `timeline-${d.port}.json`);
      const rows = timeline.transfers.map((t) => ({
        ...t,
        doorbellHost: toHost(t.doorbell),
        irqHost: toHost(t.irq),
      }));
      await writeFile(
        file,
        JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
      );
    }
    const ops = (d.kind === 'mvusb' ? mdio : i2c).filter((o) => o.device === d.path);
    rows.set(`${d.kind} ${d.server}`, breakdown(ops, timeline.transfers, toHost));
  }
  for (const kind of ['mvusb', 'cp2615'] as const) {
    const model = summariseLegs(rows.get(`${kind} model`) ?? []);
    const ref = summariseLegs(rows.get(`${kind} reference`) ?? []);
    console.log(
      `breakdown of one ${kind === 'mvusb' ? 'MDIO read (2 transfers)' : 'SMBus byte read (4 transfers)'}, µs: ` +
        `model median / mean | reference median / mean (n=${rows.get(`${kind} model`)?.length ?? 0}, ${rows.get(`${kind} reference`)?.length ?? 0})`,
    );
    let sumModel = 0;
    let sumRef = 0;
    for (const [i, m] of model.entries()) {
      const f = ref[i];
      sumModel += m.mean;
      sumRef += f?.mean ?? 0;
      console.log(
        `  ${m.label.padEnd(58)} ${m.median.toFixed(0).padStart(5)} / ${m.mean.toFixed(0).padStart(5)} | ` +
          `${(f?.median ?? NaN).toFixed(0).padStart(5)} / ${(f?.mean ?? NaN).toFixed(0).padStart(5)}`,
      );
    }
    console.log(
      `  ${'total (sum of means)'.padEnd(58)}         ${sumModel.toFixed(0).padStart(5)} |         ${sumRef.toFixed(0).padStart(5)}`,
    );
  }
}
