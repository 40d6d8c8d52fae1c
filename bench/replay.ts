/**
 * Replay of a one-million-transaction trace (target: under 2 s), and the trace format's bytes per
 * transaction. The trace is recorded from the real PHY models the way the kernel-like driver polls them
 * (BMCR, BMSR, BMSR, ID reads, a write now and then, 1 ms of virtual time per poll); the reference is the
 * same requests issued straight to the models without a trace, measured in the same run.
 */
import { VirtualClock } from '../src/clock.js';
import { compileDts } from '../src/dts/compile.js';
import type { MdioBus } from '../src/mdio/index.js';
import { formatTrace, parseTrace, ReplayServer, verifyTrace, type TraceRecord } from '../src/replay/index.js';
import { MdioRecorder } from '../src/replay/recorder.js';
import { buildBoard, type Board } from '../src/board/index.js';
import { boardVerifyTarget as boardTarget } from '../src/board/verify-target.js';

const TRANSACTIONS = 1_000_000;
const DTS = `/dts-v1/;
/ {
	mdio {
		#address-cells = <1>;
		#size-cells = <0>;
		ethernet-phy@1 { reg = <1>; };
		ethernet-phy@2 { reg = <2>; };
	};
};
`;

function tree() {
  const r = compileDts(DTS, { fileName: 'bench.dts' });
  if (!r.tree) throw new Error('bench DTS did not compile');
  return r.tree;
}

/** The request pattern: per poll, BMCR + BMSR twice on one PHY, every 16th poll an ID pair and a write. */
function drive(
  read: (addr: number, reg: number) => void,
  write: (addr: number, reg: number, v: number) => void,
  advance: (ns: number) => void,
): number {
  let n = 0;
  for (let poll = 0; n + 3 <= TRANSACTIONS; poll++) {
    advance(poll * 1_000_000);
    const addr = 1 + (poll & 1);
    read(addr, 0);
    read(addr, 1);
    read(addr, 1);
    n += 3;
    if ((poll & 15) === 0 && n + 3 <= TRANSACTIONS - 3) {
      read(addr, 2);
      read(addr, 3);
      write(addr, 4, 0x01e1);
      n += 3;
    }
  }
  return n;
}

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}

/** The bench tree's one MDIO bus. */
function onlyBus(board: Board): MdioBus {
  const [first] = board.mdio;
  if (!first) throw new Error('the bench tree has no MDIO bus');
  return first.bus;
}

/** The same requests straight to the models, untraced. */
function referenceSeconds(): number {
  const clock = new VirtualClock();
  const bus = onlyBus(buildBoard(tree(), { clock }));
  return time(() =>
    drive(
      (a, r) => bus.read(a, r),
      (a, r, v) => bus.write(a, r, v),
      (ns) => clock.advanceTo(ns),
    ),
  )[1];
}

export function run(): Promise<void> {
  const reference = referenceSeconds();
  console.log(`reference: ${TRANSACTIONS} requests straight to the models: ${reference.toFixed(3)} s`);
  const records: TraceRecord[] = [];
  const clock = new VirtualClock();
  const board = buildBoard(tree(), { clock });
  const recorder = new MdioRecorder((r) => records.push(r), { client: 'bench' });
  board.events.on((e) => {
    recorder.emit(e);
  });
  const bus = onlyBus(board);
  drive(
    (a, r) => bus.read(a, r),
    (a, r, v) => bus.write(a, r, v),
    (ns) => clock.advanceTo(ns),
  );
  const [text, tFormat] = time(() => formatTrace(records));
  const bytes = Buffer.byteLength(text);
  console.log(
    `trace: ${records.length} transactions, ${(bytes / 1e6).toFixed(1)} MB, ${(bytes / records.length).toFixed(1)} bytes per transaction; formatted in ${tFormat.toFixed(3)} s`,
  );
  const [parsed, tParse] = time(() => parseTrace(text).records);
  const [report, tVerify] = time(() => verifyTrace(parsed, boardTarget(tree())));
  const total = tParse + tVerify;
  console.log(
    `replay verify: parse ${tParse.toFixed(3)} s + verify ${tVerify.toFixed(3)} s = ${total.toFixed(3)} s (${report.differences.length} differences; target < 2 s: ${total < 2 ? 'met' : 'MISSED'}; ${(total / reference).toFixed(1)}x the reference)`,
  );
  for (const mode of ['strict', 'per-register'] as const) {
    const server = new ReplayServer(parsed, mode);
    const [, tServe] = time(() => {
      for (const r of parsed) server.handle(r);
    });
    console.log(
      `replay serve ${mode}: ${tServe.toFixed(3)} s for ${parsed.length} requests, ${server.unforeseen.length} unforeseen`,
    );
  }
  // Synchronous work; bench/index.ts awaits every module's run().
  return Promise.resolve();
}
