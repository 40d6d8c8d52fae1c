/**
 * The real-kernel path, timed: a Linux 6.1 guest under QEMU (TCG) doing MDIO reads through the Marvell
 * USB-MDIO adapter and SMBus byte reads through the CP2615, each against the device models and, in the same
 * boot, against the minimal reference responder (bench/lib/reference-responder.ts), the honest figure for
 * "the limit QEMU allows". Times are the guest's own (ftrace); the physical reference is a Clause 22 frame at
 * 2.5 MHz MDC: 64 bit times (32-bit preamble + 32-bit frame, 802.3 22.2.4.5) = 25.6 µs.
 *
 *   npm run bench -- qemu                 guest-visible medians, model vs reference
 *   npm run bench -- qemu --boots=3       three boots, samples pooled (the load changes between them)
 *   npm run bench -- qemu --breakdown     plus QEMU's pcap, the emulator's timestamps and the guest's xHCI
 *                                         events: where each microsecond goes (docs/latency.md)
 *   npm run bench -- qemu --swap          the reference on the ports the guest's loop visits first
 *   npm run bench -- qemu --emulator-listens   QEMU connects to us (the old direction) instead of listening
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { findGuestKernel, type GuestKernel } from '../src/qemu/kernel.js';
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
import { runLatencyRig, type RigDevice, type RigOptions } from './lib/qemu-rig.js';
import { summary } from './lib/stats.js';

const PHYSICAL_FRAME_US = 64 / 2.5;

function flag(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

interface Boot {
  readonly mdio: Record<RigDevice['server'], number[]>;
  readonly smbus: Record<RigDevice['server'], number[]>;
  readonly legs: Map<string, Record<Leg, number>[]>;
  /** Per data transfer served by the device models: the emulator leg in three parts, µs. */
  readonly inside: Map<RigDevice['kind'], InsideRow[]>;
}

interface InsideRow {
  /** Bytes read -> the model's handler called (decoder, session dispatch). */
  readonly decode: number;
  /** The model's handler. */
  readonly model: number;
  /** Handler done -> reply handed to write() (encoding, the rest of the chunk). */
  readonly reply: number;
}

/** Splits the models' emulator leg of each transfer at the device call (docs/latency.md). */
function insideRows(d: RigDevice): InsideRow[] {
  const rx = new Map<bigint, number>();
  const tx = new Map<bigint, number>();
  for (const s of d.stamps) {
    if (s.dir === 'rx') rx.set(s.id, s.us);
    else if (!tx.has(s.id)) tx.set(s.id, s.us);
  }
  return d.calls.flatMap((c) => {
    const r = rx.get(c.id);
    const t = tx.get(c.id);
    return r === undefined || t === undefined
      ? []
      : [{ decode: c.start - r, model: c.end - c.start, reply: t - c.end }];
  });
}

export async function run(): Promise<void> {
  const withBreakdown = process.argv.includes('--breakdown');
  // --boots=N repeats the boot and pools the samples (the machine's load changes from one to the next);
  // --append=ARGS adds to the guest's kernel command line, for experiments (docs/latency.md: nohlt).
  const boots = Math.max(1, Number(flag('boots') ?? 1));
  const append = flag('append');
  // --emulator-listens: the old direction (QEMU connects to us); --swap: the reference on the first ports.
  const rig = {
    emulatorListens: process.argv.includes('--emulator-listens'),
    swapPorts: process.argv.includes('--swap'),
  };
  const kernel = await findGuestKernel().catch(() => undefined);
  if (!kernel) {
    console.log('skipped: the guest kernel is not built (scripts/setup.sh or `mdio-emu qemu kernel`)');
    return;
  }
  console.log(
    `guest kernel ${kernel.dir.split('/').at(-1) ?? ''}${append ? ` + "${append}"` : ''}; ` +
      `${rig.emulatorListens ? 'QEMU connects to us' : 'QEMU listens, we connect'}, ` +
      `${rig.swapPorts ? 'reference on USB2 ports 1 and 3' : 'models on USB2 ports 1 and 3'}; ` +
      `physical reference: a Clause 22 MDIO frame at 2.5 MHz = ${PHYSICAL_FRAME_US.toFixed(1)} µs`,
  );
  const all: Boot[] = [];
  for (let i = 0; i < boots; i++) {
    const loadBefore = loadavg()[0] ?? NaN;
    const started = performance.now();
    const boot = await oneBoot(kernel, withBreakdown, append, rig);
    all.push(boot);
    const m = (xs: number[]): number => summary(xs).median;
    console.log(
      `boot ${i + 1}: ${((performance.now() - started) / 1000).toFixed(1)} s, load average ${loadBefore.toFixed(2)} -> ` +
        `${(loadavg()[0] ?? NaN).toFixed(2)} (2 cores, shared); medians model/reference: MDIO read ` +
        `${m(boot.mdio.model).toFixed(0)}/${m(boot.mdio.reference).toFixed(0)} µs, SMBus byte read ` +
        `${m(boot.smbus.model).toFixed(0)}/${m(boot.smbus.reference).toFixed(0)} µs`,
    );
  }
  for (const [label, key] of [
    ['MDIO read (Marvell USB-MDIO: bulk OUT 6 + IN 2)', 'mdio'],
    ['SMBus byte read (CP2615 + 24C02: 2 IOP exchanges)', 'smbus'],
  ] as const) {
    const pooled = (server: RigDevice['server']): number[] => all.flatMap((b) => b[key][server]);
    const ref = summary(pooled('reference'));
    console.log(`${label}, guest clock${boots > 1 ? `, ${boots} boots pooled` : ''}`);
    for (const server of ['model', 'reference'] as const) {
      const s = summary(pooled(server));
      console.log(
        `  ${(server === 'model' ? 'device models' : 'reference responder').padEnd(20)} median ${s.median.toFixed(0).padStart(5)} µs` +
          `  min ${s.min.toFixed(0)}  p90 ${s.p90.toFixed(0)}  max ${s.max.toFixed(0)}  (n=${s.n})` +
          `  ${(s.median / ref.median).toFixed(2)}x the reference` +
          (key === 'mdio' ? `, ${(s.median / PHYSICAL_FRAME_US).toFixed(1)}x a 2.5 MHz frame` : ''),
      );
    }
  }
  if (withBreakdown) printBreakdown(all);
}

async function oneBoot(
  kernel: GuestKernel,
  withBreakdown: boolean,
  append: string | undefined,
  rig: Pick<RigOptions, 'emulatorListens' | 'swapPorts'>,
): Promise<Boot> {
  const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-bench-qemu-'));
  try {
    const r = await runLatencyRig({
      kernel,
      dir,
      rounds: 100,
      i2cReads: 40,
      breakdown: withBreakdown,
      ...rig,
      ...(append ? { append } : {}),
    });
    await writeFile(join(dir, 'console.log'), r.console);
    const report = parseBenchConsole(r.console);
    const mdio = mdioReads(report);
    const smbus = smbusReads(report);
    if (mdio.length === 0 || smbus.length === 0) {
      console.log('the guest reported no timed accesses; the end of its console:');
      console.log(r.console.split('\n').slice(-30).join('\n'));
      throw new Error('bench run failed');
    }
    const byServer = (ops: Operation[]): Record<RigDevice['server'], number[]> => {
      const of = (server: RigDevice['server']): number[] =>
        ops
          .filter((o) => r.devices.find((d) => d.path === o.device)?.server === server)
          .map((o) => o.end - o.start);
      return { model: of('model'), reference: of('reference') };
    };
    const legs = withBreakdown
      ? await breakdownRows(r.devices, report.events, mdio, smbus)
      : new Map<string, Record<Leg, number>[]>();
    const inside = new Map<RigDevice['kind'], InsideRow[]>();
    for (const d of r.devices) if (d.server === 'model') inside.set(d.kind, insideRows(d));
    return { mdio: byServer(mdio), smbus: byServer(smbus), legs, inside };
  } finally {
    // MDIO_EMU_BENCH_KEEP=1 keeps each boot's files (console.log, usbN.pcap, timeline-N.json, init, DTB).
    if (process.env['MDIO_EMU_BENCH_KEEP']) console.log(`kept ${dir}`);
    else await rm(dir, { recursive: true, force: true });
  }
}

async function breakdownRows(
  devices: readonly RigDevice[],
  events: Parameters<typeof guestTransfers>[0],
  mdio: Operation[],
  smbus: Operation[],
): Promise<Map<string, Record<Leg, number>[]>> {
  const transfers = guestTransfers(events);
  const slots = slotsOfDevices(transfers, [...mdio, ...smbus]);
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
      const rowsOut = timeline.transfers.map((t) => ({
        ...t,
        doorbellHost: toHost(t.doorbell),
        irqHost: toHost(t.irq),
      }));
      await writeFile(join(dirname(d.pcap), `timeline-${d.port}.json`), JSON.stringify(rowsOut));
    }
    const ops = (d.kind === 'mvusb' ? mdio : smbus).filter((o) => o.device === d.path);
    rows.set(`${d.kind} ${d.server}`, breakdown(ops, timeline.transfers, toHost));
  }
  return rows;
}

function printBreakdown(boots: readonly Boot[]): void {
  const pooled = (key: string): Record<Leg, number>[] => boots.flatMap((b) => b.legs.get(key) ?? []);
  for (const kind of ['mvusb', 'cp2615'] as const) {
    const modelRows = pooled(`${kind} model`);
    const refRows = pooled(`${kind} reference`);
    const model = summariseLegs(modelRows);
    const ref = summariseLegs(refRows);
    console.log(
      `breakdown of one ${kind === 'mvusb' ? 'MDIO read (2 transfers)' : 'SMBus byte read (4 transfers)'}, µs: ` +
        `model median / mean | reference median / mean (n=${modelRows.length}, ${refRows.length})`,
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
  // Every data transfer the models served (commands and their answers, reads and writes alike).
  for (const kind of ['mvusb', 'cp2615'] as const) {
    const rows = boots.flatMap((b) => b.inside.get(kind) ?? []);
    const part = (label: string, xs: number[]): string => {
      const s = summary(xs);
      return `${label} ${s.median.toFixed(1)} / ${s.p90.toFixed(1)}`;
    };
    console.log(
      `inside the device models' emulator leg, ${kind === 'mvusb' ? 'Marvell adapter + 88E1510' : 'CP2615 + 24C02'}, ` +
        `per transfer, µs median / p90 (n=${rows.length}): ` +
        [
          part(
            'bytes read -> model called',
            rows.map((r) => r.decode),
          ),
          part(
            'model',
            rows.map((r) => r.model),
          ),
          part(
            'model done -> reply to write()',
            rows.map((r) => r.reply),
          ),
        ].join(', '),
    );
  }
}
