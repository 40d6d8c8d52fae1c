import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileDts } from '../../src/dts/compile.js';
import { printDts } from '../../src/dts/print.js';
import { cachedKernelSource } from '../../scripts/kbuild-dtbs.js';
import { dtcTestsDir } from '../shared-material.js';
import { DTC_GENERATIONS, findReferenceDtc, hostAt, missingReason, runTool, type DtcGeneration } from './dtc-reference.js';

/**
 * dtc -T and -T -T (`-O dts` with each node's and property's source positions, srcpos.c) against each
 * generation's reference: on dtc's own test inputs and on kernel boards preprocessed by cpp as kbuild does
 * (file names from line markers, columns of cpp's output), the annotated text must be identical.
 */

/**
 * Where we differ, and why: a definition whose first token is in one file and last in another (a property
 * or node split across /include/ boundaries, or across line markers that rename the file mid-definition)
 * has, in dtc, the first token's line and column under the last token's file name (YYLLOC_DEFAULT); our
 * spans do not cross files, so we name the first token's file and end there.
 */
const KNOWN = new Set(['include0.dts', 'include1.dts', 'line_directives.dts']);

function ours(generation: DtcGeneration, dir: string, file: string, level: number): string | undefined {
  const r = compileDts(readFileSync(join(dir, file)), {
    fileName: file,
    host: hostAt(dir),
    includeDirs: ['.'],
    compat: generation,
    annotate: true,
  });
  if (!r.tree) return undefined;
  return printDts(r.tree, { compat: generation, annotate: { level, initialPath: r.initialPath ?? file } });
}

function compare(t: { is: (a: unknown, b: unknown, m?: string) => void }, generation: DtcGeneration, dir: string, file: string): boolean {
  const ref = findReferenceDtc(generation);
  if (!ref) throw new Error('reference vanished');
  let compared = false;
  for (const level of [1, 2]) {
    const r = runTool(ref.dtc, ['-q', ...Array<string>(level).fill('-T'), '-O', 'dts', file], { cwd: dir, timeoutMs: 5000 });
    if (r.status !== 0) continue;
    t.is(ours(generation, dir, file, level), r.stdout.toString('latin1'), `${file} at level ${level}`);
    compared = true;
  }
  return compared;
}

const dir = dtcTestsDir;
for (const generation of DTC_GENERATIONS) {
  const missing = missingReason(generation);
  if (missing) {
    test.skip(`dtc ${generation} -T (${missing})`, () => undefined);
    continue;
  }
  if (!existsSync(join(dir, 'manifest.tsv'))) test.skip(`dtc ${generation} -T on dtc's test inputs (../shared/conformance/dtc-tests is absent)`, () => undefined);
  else
    test(`dtc ${generation} -T and -T -T on dtc's test inputs`, (t) => {
      let compared = 0;
      for (const file of readdirSync(dir).filter((f) => f.endsWith('.dts') && !KNOWN.has(f)).sort()) if (compare(t, generation, dir, file)) compared++;
      t.log(`${compared} inputs compared`);
      t.true(compared >= 100, `only ${compared} inputs compiled`);
    });

  const kernel = cachedKernelSource('7.2');
  if (!kernel) test.skip(`dtc ${generation} -T on Linux 7.2 boards (linux-source-7.2 is not unpacked in the cache)`, () => undefined);
  else
    test(`dtc ${generation} -T and -T -T on Linux 7.2 boards preprocessed by cpp`, (t) => {
      const work = mkdtempSync(join(tmpdir(), 'mdio-emu-annotate-'));
      try {
        for (const board of ['broadcom/bcm2711-rpi-4-b', 'rockchip/rk3399-rockpro64', 'freescale/imx8mp-evk', 'ti/k3-am642-evm']) {
          const name = `${board.split('/').pop() ?? board}.dts.tmp`;
          const cpp = spawnSync('cpp', ['-nostdinc', '-I', 'scripts/dtc/include-prefixes', '-I', `arch/arm64/boot/dts/${board.split('/')[0] ?? ''}`, '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-o', join(work, name), `arch/arm64/boot/dts/${board}.dts`], { cwd: kernel });
          t.is(cpp.status, 0, cpp.stderr.toString());
          t.true(compare(t, generation, work, name), `${board}: the reference did not compile it`);
        }
      } finally {
        rmSync(work, { recursive: true, force: true });
      }
    });
}
