/**
 * The Linux DTS corpus comparison (scripts/dts-corpus.ts) on a deterministic sample of the arm, arm64 and
 * riscv .dts files of the newest kernel in the cache, bounded to a few minutes: ratios of our batch
 * pipeline against cpp | dtc measured in the same run, for each dtc generation whose reference is here
 * (the whole compiler), for the preprocessor alone (feeding the newest reference dtc), and the cost of
 * keeping provenance (`dts why`) over a plain compile of the same sample.
 * Kernel sources: DTS_CORPUS_SRC, else a Linux tree scripts/dts-corpus.sh --kernel left in the cache, else
 * .cache/kernel-src/*; skipped with a message when there is none.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findReferenceDtc, DTC_GENERATIONS } from '../scripts/dtc-reference.js';
import { corpusFiles, newestKernelTree, runCorpus } from '../scripts/dts-corpus.js';
import { compileDts } from '../src/dts/compile.js';
import { preprocess, PreprocessCache } from '../src/dts/preprocess.js';

/** Seconds to compile the sample in one batch, with or without the provenance record. */
function compileSample(root: string, files: readonly string[], provenance: boolean): number {
  const cache = new PreprocessCache();
  const texts = new Map<string, string | undefined>();
  const host = {
    readFile: (p: string): string | undefined => {
      if (!texts.has(p)) {
        try {
          texts.set(p, readFileSync(join(root, p), 'latin1'));
        } catch {
          texts.set(p, undefined);
        }
      }
      return texts.get(p);
    },
  };
  const t0 = performance.now();
  for (const file of files) {
    const pp = preprocess(file, host, { includeDirs: ['scripts/dtc/include-prefixes'], cache });
    compileDts(pp.text, {
      fileName: file,
      origins: pp.origins,
      includeDirs: [dirname(file)],
      bootCpu: 0,
      provenance,
    });
  }
  return (performance.now() - t0) / 1000;
}

export async function run(): Promise<void> {
  const root = process.env['DTS_CORPUS_SRC'] ?? newestKernelTree();
  if (!root) {
    console.log(
      'dts-corpus: no kernel source (set DTS_CORPUS_SRC or run scripts/dts-corpus.sh --kernel 7.2 once); skipped',
    );
    return;
  }
  // Every 12th file: ~280 of the ~3300, spread over all vendors. A smaller sample shares fewer headers and
  // runs colder, so its ratio overstates the full corpus's.
  const every = Number(process.env['DTS_CORPUS_EVERY'] ?? 12);
  console.log(`kernel tree: ${root}`);
  const log = (line: string): void => {
    if (!line.startsWith('  ')) console.log(line);
  };
  const ratios: string[] = [];
  for (const compat of DTC_GENERATIONS) {
    if (!findReferenceDtc(compat)) {
      console.log(`dtc ${compat}: reference absent; skipped`);
      continue;
    }
    const full = runCorpus({ root, every, compat, dtbOnly: true, log });
    ratios.push(
      `ratio compiler --compat ${compat} (ours)/(cpp+dtc):  ${(full.oursSeconds / full.referenceSeconds).toFixed(3)}`,
    );
  }
  const newest = [...DTC_GENERATIONS].reverse().find((c) => findReferenceDtc(c));
  if (newest) {
    const pp = runCorpus({ root, every, compat: newest, ppOnly: true, log });
    ratios.push(
      `ratio preprocessor (ours+dtc ${newest})/(cpp+dtc):   ${(pp.oursSeconds / pp.referenceSeconds).toFixed(3)}`,
    );
  }
  const files = corpusFiles(root).filter((_, i) => i % every === 0);
  compileSample(root, files.slice(0, 20), false);
  const plain = compileSample(root, files, false);
  const kept = compileSample(root, files, true);
  ratios.push(
    `ratio provenance kept / plain compile:        ${(kept / plain).toFixed(3)} (${plain.toFixed(2)} s plain)`,
  );
  for (const r of ratios) console.log(r);
  await Promise.resolve();
}
