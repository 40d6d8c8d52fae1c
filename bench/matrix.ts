/**
 * `mdio-emu qemu matrix`, timed: the same scenario × kernel set run with one guest at a time (the reference,
 * measured in this run) and with two guests at once, reported as wall time per scenario run and the speed-up.
 * The target (issue 13) is 5 s of wall time per scenario run on average.
 *
 *   npm run bench -- matrix                  Linux 6.1 and 7.2 (patched), four QEMU scenarios each
 *   npm run bench -- matrix --jobs=3         the parallel pass with 3 guests
 *
 * Needs QEMU and the two cached kernels (scripts/build-ci-kernels.sh builds them); says so and returns if not.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findKernel } from '../src/qemu/kernel.js';
import { kernelColumn, runMatrix, type MatrixKernel } from '../src/qemu/matrix.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const SCENARIOS = ['pse-at-boot', 'pse-late', 'pse-never', 'cp2615-eeprom'].map((s) =>
  join(repo, 'dts', `qemu-${s}.scenario.json`),
);
const SPECS = ['6.1', `7.2+patch:${join(repo, 'patches', 'linux', 'pse-kfifo-min-size.patch')}`];

function flag(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

export async function run(): Promise<void> {
  const parallel = Math.max(2, Number(flag('jobs') ?? 2));
  const found = await Promise.all(SPECS.map((s) => findKernel(s).catch(() => undefined)));
  const kernels: MatrixKernel[] = [];
  for (const [i, k] of found.entries()) {
    if (!k) {
      console.log(`matrix: kernel ${SPECS[i] ?? ''} is not built (scripts/build-ci-kernels.sh); skipped`);
      return;
    }
    kernels.push(kernelColumn(k));
  }
  const runs = kernels.length * SCENARIOS.length;
  const pass = async (jobs: number): Promise<{ perRun: number; ok: number; wall: number }> => {
    const dir = await mkdtemp(join(tmpdir(), `mdio-emu-bench-matrix-${jobs}-`));
    try {
      const load = loadavg()[0] ?? 0;
      const m = await runMatrix({ kernels, scenarios: SCENARIOS, reportDir: dir, jobs });
      const ok = m.cells.filter((c) => c.pass).length;
      const perRun = m.wallMs / runs / 1000;
      const cpuWall = m.cells.reduce((s, c) => s + c.wallMs, 0) / runs / 1000;
      console.log(
        `${jobs} guest(s) at once: ${runs} runs in ${(m.wallMs / 1000).toFixed(1)} s, ${perRun.toFixed(2)} s wall per scenario run (each run ${cpuWall.toFixed(2)} s on average), ${ok}/${runs} passed, load average ${load.toFixed(1)} at start`,
      );
      return { perRun, ok, wall: m.wallMs };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
  const one = await pass(1);
  const many = await pass(parallel);
  console.log(
    `speed-up with ${parallel} guests: ${(one.perRun / many.perRun).toFixed(2)}x (${one.perRun.toFixed(2)} -> ${many.perRun.toFixed(2)} s per scenario run; target <= 5 s)`,
  );
}
