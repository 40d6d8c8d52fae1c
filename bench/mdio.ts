/**
 * In-process MDIO register accesses per second, next to a physical bus: at 2.5 MHz MDC one Clause 22 frame
 * is 64 bit times (32-bit preamble + 32-bit frame, 802.3 22.2.4.5), so 2.5e6 / 64 = 39,062 frames/s.
 */
import { MdioBus, Tracer, VirtualClock, type EmulationEvent } from '../src/mdio/index.js';
import { createPhy } from '../src/phy/index.js';

const PHYSICAL_FRAMES_PER_S = 2_500_000 / 64;

function measure(label: string, body: (n: number) => void): number {
  const budgetMs = 400;
  let n = 1000;
  let elapsed = 0;
  // Grow the batch until one run takes a measurable slice of the budget.
  for (;;) {
    const t0 = performance.now();
    body(n);
    elapsed = performance.now() - t0;
    if (elapsed > budgetMs / 4 || n > 50_000_000) break;
    n *= 4;
  }
  const rate = n / (elapsed / 1000);
  console.log(
    `${label.padEnd(44)} ${Math.round(rate).toLocaleString('en-US').padStart(14)} accesses/s  ${(rate / PHYSICAL_FRAMES_PER_S).toFixed(1).padStart(8)}x a 2.5 MHz bus`,
  );
  return rate;
}

export async function run(): Promise<void> {
  const clock = new VirtualClock();
  const trace = new Tracer<EmulationEvent>();
  const bus = new MdioBus({ name: '/mdio', clock, trace });
  bus.attach(1, createPhy(0x01410dd0, { clock, trace, name: 'marvell' }));
  bus.attach(2, createPhy(0x00112233, { clock, trace, name: 'generic-c45', clause45: true }));
  console.log(
    `reference: physical Clause 22 MDIO at 2.5 MHz = ${Math.round(PHYSICAL_FRAMES_PER_S).toLocaleString('en-US')} frames/s`,
  );
  let sink = 0;
  measure('C22 read BMSR (latching), trace off', (n) => {
    for (let i = 0; i < n; i++) sink ^= bus.read(1, 1);
  });
  measure('C22 read/write ANAR, trace off', (n) => {
    for (let i = 0; i < n; i++) {
      bus.write(1, 4, 0x01e1);
      sink ^= bus.read(1, 4);
    }
  });
  measure('C45 address+read PMA STAT1, trace off', (n) => {
    for (let i = 0; i < n; i++) sink ^= bus.readC45(2, 1, 1);
  });
  measure('empty address read, trace off', (n) => {
    for (let i = 0; i < n; i++) sink ^= bus.read(9, 2);
  });
  let events = 0;
  const off = trace.on(() => events++);
  measure('C22 read BMSR, trace on (1 listener)', (n) => {
    for (let i = 0; i < n; i++) sink ^= bus.read(1, 1);
  });
  off();
  await Promise.resolve();
  if (sink === -1 || events < 0) console.log('unreachable');
}
