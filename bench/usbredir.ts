/**
 * The emulator's share of a guest's MDIO or I2C access, without QEMU: a usbredir guest in a worker thread
 * (bench/lib/loopback-guest.ts) sends the bulk transfers the Linux drivers send, one after another, over a
 * UNIX socket, and times each operation. Served three ways in the same run:
 *   - the real device models through UsbredirHostSession (what `mdio-emu qemu run` serves);
 *   - the same, with the receive/send timestamps of the latency breakdown switched on;
 *   - the minimal reference responder (bench/lib/reference-responder.ts): no model, no codec.
 * Operations: an MDIO read on the Marvell adapter (mdio-mvusb.c: bulk OUT 6 bytes, bulk IN 2 bytes) and an
 * SMBus byte read through the CP2615 (i2c-cp2615.c, as at24 reads one byte: a write message with the offset
 * and a read message, each an IOP DoI2cTransfer OUT and its result IN, so four transfers).
 *
 * Then the emulator's own work per operation, in-process (session.receive of the guest's packets, no
 * socket): with warm caches, and after a 32 MB memory sweep before each operation, which is closer to a
 * QEMU run, where TCG's threads run between two transfers (docs/latency.md: in a run the emulator leg is
 * an order of magnitude above the warm figure).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { compileDts } from '../src/dts/compile.js';
import { readDtb } from '../src/dts/dtb-read.js';
import { buildBoard } from '../src/board/index.js';
import { VirtualClock } from '../src/clock.js';
import { Negotiation } from '../src/usbredir/codec/caps.js';
import { encodePacket } from '../src/usbredir/codec/encoder.js';
import type { Packet } from '../src/usbredir/codec/packets.js';
import type { UsbDeviceModel } from '../src/usbredir/device.js';
import {
  connectUsbredir,
  listenUsbredir,
  UsbredirHostSession,
  type UsbredirLink,
  type UsbredirTraceEvent,
} from '../src/usbredir/index.js';
import { loopbackGuest, type LoopbackRun } from './lib/loopback-guest.js';
import { listenReference, referenceCp2615, referenceMvusb } from './lib/reference-responder.js';
import { summary } from './lib/stats.js';

interface WorkerJob {
  benchUsbredirGuest: { path: string; run: LoopbackRun; listen: boolean };
}

if (!isMainThread && (workerData as Partial<WorkerJob> | null)?.benchUsbredirGuest) {
  const job = (workerData as WorkerJob).benchUsbredirGuest;
  const listening = job.listen ? () => parentPort?.postMessage('listening') : undefined;
  parentPort?.postMessage(await loopbackGuest(job.path, job.run, listening));
}

const COUNT = 4000;
const WARMUP = 1000;

/** mdio-mvusb.c mvusb_mdio_read(): `e800 0001 a400|phy<<5|reg` as little-endian words, then 2 bytes IN. */
const mdioRead: LoopbackRun = {
  steps: [
    { ep: 0x02, data: Uint8Array.of(0x00, 0xe8, 0x01, 0x00, 0x13, 0xa4) },
    { ep: 0x86, length: 2 },
  ],
  warmup: WARMUP,
  count: COUNT,
};

/** i2c-cp2615.c: one DoI2cTransfer per message (tag 0xdd, 8-bit address 0xa0), each result read as 64 bytes. */
const iop = (readLength: number, write: readonly number[]): Uint8Array => {
  const n = 6 + 4 + write.length;
  return Uint8Array.of(
    0x2a,
    0x2a,
    n >> 8,
    n & 0xff,
    0xd4,
    0x00,
    0xdd,
    0xa0,
    readLength,
    write.length,
    ...write,
  );
};
const smbusByteRead: LoopbackRun = {
  altSetting: { interface: 1, alt: 2 },
  steps: [
    { ep: 0x02, data: iop(0, [0x10]) },
    { ep: 0x82, length: 64 },
    { ep: 0x02, data: iop(1, []) },
    { ep: 0x82, length: 64 },
  ],
  warmup: WARMUP,
  count: COUNT,
};

const DTS = `/dts-v1/;
/ { pcie@10000000 { #address-cells = <3>; #size-cells = <2>;
  usb@2,0 { reg = <0x1000 0 0 0 0>; #address-cells = <1>; #size-cells = <0>;
    mdio@5 { compatible = "usb1286,1fa4"; reg = <5>; #address-cells = <1>; #size-cells = <0>;
      ethernet-phy@0 { compatible = "ethernet-phy-id0141.0dd0"; reg = <0>; }; };
    i2c-bridge@6 { compatible = "usb10c4,eac1"; reg = <6>; #address-cells = <2>; #size-cells = <0>;
      interface@1,1 { reg = <1 1>; #address-cells = <1>; #size-cells = <0>;
        eeprom@50 { compatible = "atmel,24c02"; reg = <0x50>; }; }; }; }; }; };`;

/** The Marvell adapter and the CP2615 exactly as a QEMU run builds them from its device tree. */
function realModels() {
  const compiled = compileDts(DTS, { fileName: 'bench.dts' });
  if (!compiled.ok || !compiled.dtb) throw new Error('bench DTS does not compile');
  const board = buildBoard(readDtb(compiled.dtb), { clock: new VirtualClock() });
  const [mvusb, cp2615] = board.usb.map((d) => d.model);
  if (!mvusb || !cp2615) throw new Error('bench DTS did not place both devices');
  return { mvusb, cp2615 };
}

/** The guest in a worker; with `listening`, the guest listens and `listening` connects the server to it. */
function runGuest(path: string, run: LoopbackRun, listening?: () => Promise<unknown>): Promise<number[]> {
  // Worker threads do not inherit tsx's loader: register it inside the worker, then load this file there.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const job: WorkerJob = { benchUsbredirGuest: { path, run, listen: listening !== undefined } };
  const worker = new Worker(bootstrap, { eval: true, workerData: job });
  return new Promise((resolve, reject) => {
    worker.on('message', (message: number[] | 'listening') => {
      if (message === 'listening') {
        listening?.().catch(reject);
        return;
      }
      void worker.terminate();
      resolve(message);
    });
    worker.once('error', reject);
  });
}

/** The guest's packets of one operation, encoded as QEMU would send them after the hello exchange. */
function guestPackets(run: LoopbackRun): Buffer[] {
  const neg = new Negotiation([0xff]);
  neg.setPeer([0x72]);
  return run.steps.map((step, i) => {
    const data = 'data' in step ? step.data : new Uint8Array(0);
    const length = 'data' in step ? step.data.length : step.length;
    const p: Packet = {
      type: 'bulk_packet',
      id: BigInt(100 + i),
      endpoint: step.ep,
      status: 0,
      length,
      streamId: 0,
      data,
    };
    return Buffer.from(encodePacket(p, neg, 'guest'));
  });
}

/** µs per operation of UsbredirHostSession + model, warm and with caches swept before each operation. */
function inProcess(model: UsbDeviceModel, run: LoopbackRun): { warm: number[]; swept: number[] } {
  const guest = new Negotiation([0xff]);
  const session = new UsbredirHostSession(model, { send: () => {} });
  session.start();
  session.receive(
    encodePacket({ type: 'hello', id: 0n, version: 'bench', capabilities: [0xff] }, guest, 'guest'),
  );
  guest.setPeer([0x72]);
  if (run.altSetting) {
    session.receive(encodePacket({ type: 'set_alt_setting', id: 1n, ...run.altSetting }, guest, 'guest'));
  }
  const packets = guestPackets(run);
  const sweep = new Float64Array(4 << 20);
  const once = (): number => {
    // Fresh buffers, as the socket hands over.
    const chunks = packets.map((p) => Buffer.from(p));
    const t0 = process.hrtime.bigint();
    for (const c of chunks) session.receive(c);
    return Number(process.hrtime.bigint() - t0) / 1000;
  };
  for (let i = 0; i < 20_000; i++) once();
  const warm = Array.from({ length: 5000 }, once);
  const swept = Array.from({ length: 300 }, () => {
    for (let i = 0; i < sweep.length; i += 8) sweep[i] = (sweep[i] ?? 0) + 1;
    return once();
  });
  return { warm, swept };
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-bench-usbredir-'));
  try {
    for (const [label, run, reference] of [
      ['MDIO read (Marvell USB-MDIO, 2 transfers)', mdioRead, referenceMvusb],
      ['SMBus byte read (CP2615 + 24C02, 4 transfers)', smbusByteRead, referenceCp2615],
    ] as const) {
      const isMdio = run === mdioRead;
      const results: [string, number[]][] = [];
      // Interleave the three servers twice, so drift in the machine's load hits all of them alike.
      for (let round = 0; round < 2; round++) {
        const ref = join(dir, `ref-${round}.sock`);
        const refServer = await listenReference(ref, reference);
        results.push(['reference responder (no model, no codec)', await runGuest(ref, run)]);
        await refServer.close();
        for (const timestamps of [false, true]) {
          const models = realModels();
          const path = join(dir, `real-${round}-${timestamps}.sock`);
          const stamps: number[] = [];
          const trace = (e: UsbredirTraceEvent): void => {
            if ((e.event === 'usbredir.rx' || e.event === 'usbredir.tx') && e.at !== undefined)
              stamps.push(e.at);
          };
          const server = await listenUsbredir(
            isMdio ? models.mvusb : models.cp2615,
            { path },
            timestamps ? { trace, clock: () => performance.now() } : {},
          );
          results.push([
            timestamps ? 'device models + breakdown timestamps' : 'device models (usbredir session)',
            await runGuest(path, run),
          ]);
          await server.close();
        }
        // The direction of a QEMU run (src/qemu/usbredir-links.ts): the guest listens, we connect and read
        // into one buffer (onread).
        const models = realModels();
        const path = join(dir, `connect-${round}.sock`);
        let link: UsbredirLink | undefined;
        results.push([
          'device models, we connect (onread)',
          await runGuest(path, run, async () => {
            link = await connectUsbredir(isMdio ? models.mvusb : models.cp2615, { path });
          }),
        ]);
        await link?.close();
      }
      console.log(label);
      const ref = summary(results.filter(([l]) => l.startsWith('reference')).flatMap(([, s]) => s));
      for (const name of [...new Set(results.map(([l]) => l))]) {
        const s = summary(results.filter(([l]) => l === name).flatMap(([, x]) => x));
        console.log(
          `  ${name.padEnd(44)} median ${s.median.toFixed(1).padStart(6)} µs  p10 ${s.p10.toFixed(1)}  p90 ${s.p90.toFixed(1)}  (n=${s.n})  ${(s.median / ref.median).toFixed(2)}x the reference`,
        );
      }
    }
    console.log('emulator work per operation, in-process (session + model, no socket)');
    const models = realModels();
    for (const [label, model, run] of [
      ['MDIO read', models.mvusb, mdioRead],
      ['SMBus byte read', models.cp2615, smbusByteRead],
    ] as const) {
      const { warm, swept } = inProcess(model, run);
      const w = summary(warm);
      const c = summary(swept);
      console.log(
        `  ${label.padEnd(16)} warm median ${w.median.toFixed(1)} µs (n=${w.n}); caches swept median ${c.median.toFixed(1)} µs, ` +
          `p10 ${c.p10.toFixed(1)}, p90 ${c.p90.toFixed(1)} (n=${c.n}): ${(c.median / w.median).toFixed(1)}x warm`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
