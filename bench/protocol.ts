/**
 * Protocol throughput and latency over a UNIX socket, next to a physical MDIO bus at 2.5 MHz: a Clause 22
 * frame is 64 bit times (32-bit preamble + 32-bit frame, 802.3 22.2.4.5), so 39,062 frames/s and 25.6 µs
 * per frame. The server runs the default board (real PHY register models) in a worker thread, as the
 * daemon would in its own process; the client is MdioClient in the main thread. Reads are of BMSR (register
 * 1), the register phylib polls.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { MdioClient } from '../src/protocol/client.js';

const MDIO_FRAMES_PER_S = 2.5e6 / 64;
const MDIO_FRAME_US = 64 / 2.5;

async function serveInWorker(path: string): Promise<void> {
  const { BoardBackend } = await import('../emulator/board-backend.js');
  const { buildDaemonBoard } = await import('../emulator/daemon-board.js');
  const { ProtocolServer } = await import('../src/protocol/transport/server.js');
  const build = () => buildDaemonBoard({ kind: 'default' });
  const server = new ProtocolServer(new BoardBackend(build(), build));
  await server.listenUnix(path);
  parentPort?.postMessage('ready');
  parentPort?.once('message', () => void server.close().then(() => process.exit(0)));
}

if (!isMainThread && (workerData as { benchProtocolServer?: string } | null)?.benchProtocolServer) {
  await serveInWorker((workerData as { benchProtocolServer: string }).benchProtocolServer);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

async function pipelined(c: MdioClient, window: number, seconds: number): Promise<number> {
  let done = 0;
  const started = performance.now();
  const end = started + seconds * 1000;
  while (performance.now() < end) {
    const burst: Promise<number>[] = new Array<Promise<number>>(window);
    for (let i = 0; i < window; i++) burst[i] = c.c22Read(0, 1, 1);
    await Promise.all(burst);
    done += window;
  }
  return done / ((performance.now() - started) / 1000);
}

async function roundTrips(c: MdioClient, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    await c.c22Read(0, 1, 1);
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  return samples.sort((a, b) => a - b);
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-bench-'));
  const path = join(dir, 'bench.sock');
  // Worker threads do not inherit tsx's loader: register it inside the worker, then load this file there.
  const bootstrap = `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  const worker = new Worker(bootstrap, { eval: true, workerData: { benchProtocolServer: path } });
  try {
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => {
        resolve();
      });
      worker.once('error', reject);
    });
    const c = await MdioClient.connect({ unix: path }, { name: 'bench' });
    await pipelined(c, 1024, 0.5); // warm-up: JIT both sides
    const rate = await pipelined(c, 1024, 2);
    await roundTrips(c, 2000);
    const rtt = await roundTrips(c, 20000);
    const median = percentile(rtt, 0.5);
    const p99 = percentile(rtt, 0.99);
    console.log(
      `pipelined C22 reads (window 1024): ${Math.round(rate).toLocaleString('en')}/s = ${(rate / MDIO_FRAMES_PER_S).toFixed(1)}x a 2.5 MHz MDIO bus (${Math.round(MDIO_FRAMES_PER_S).toLocaleString('en')} frames/s); target >= 500,000/s: ${rate >= 500_000 ? 'met' : 'NOT met'}`,
    );
    console.log(
      `unpipelined C22 read round trip: median ${median.toFixed(1)} µs, p99 ${p99.toFixed(1)} µs vs ${MDIO_FRAME_US} µs per MDIO frame (${(MDIO_FRAME_US / median).toFixed(2)}x); target median < 25.6 µs: ${median < MDIO_FRAME_US ? 'met' : 'NOT met'}`,
    );
    await c.close();
  } finally {
    worker.postMessage('stop');
    await new Promise((r) => worker.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}
