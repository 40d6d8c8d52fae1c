import test from 'ava';
import { newestKernelTree, runCorpus } from '../../scripts/dts-corpus.js';
import { DTC_GENERATIONS, missingReason } from './dtc-reference.js';

/**
 * A fixed sample (every 80th file: about 42 of Linux 7.2's 3340 arm, arm64 and riscv .dts) of the kernel
 * corpus against each generation's reference dtc: identical DTB, `-O dts` text and warnings with their
 * lines. Runs when a kernel tree is in the shared cache (scripts/dts-corpus.sh --kernel 7.2 puts one there);
 * the full corpus is a documented command (docs/dts-compiler.md).
 */

const root = process.env['DTS_CORPUS_SRC'] ?? newestKernelTree();
if (!root) test.skip('kernel corpus sample (no Linux tree in the cache: scripts/dts-corpus.sh --kernel 7.2)', () => undefined);
else {
  for (const compat of DTC_GENERATIONS) {
    const missing = missingReason(compat);
    if (missing) {
      test.skip(`kernel corpus sample, dtc ${compat} (${missing})`, () => undefined);
      continue;
    }
    test(`kernel corpus sample: DTB, -O dts and warnings identical to dtc ${compat}`, (t) => {
      const lines: string[] = [];
      const report = runCorpus({ root, compat, every: 80, show: 20, log: (l) => lines.push(l) });
      t.log(lines.filter((l) => /^(files|byte-identical|conforming)/.test(l)).join(' | '));
      t.true(report.files > 30);
      // A file dtc 1.6 cannot compile (newer syntax) must fail here too, with the same messages.
      t.deepEqual([...report.differentFiles, ...report.failedFiles, ...report.dtsFiles, ...report.messageFiles], []);
      t.is(report.conforming, report.files);
    });
  }
}
