/**
 * The Linux DTS corpus comparison (scripts/dts-corpus.ts) on a deterministic sample of the arm and
 * arm64 .dts files, bounded to well under a minute: ratios of our batch pipeline against cpp | dtc
 * measured in the same run, for the preprocessor alone (feeding the system dtc) and for the whole
 * compiler. Needs the kernel sources: set DTS_CORPUS_SRC to a source tree (or .cache/kernel-src/*,
 * which scripts/dts-corpus.sh extracts from a tarball); skipped with a message otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCorpus } from '../scripts/dts-corpus.js';

function kernelSource(): string | undefined {
  const fromEnv = process.env['DTS_CORPUS_SRC'];
  if (fromEnv) return fromEnv;
  const cached = '.cache/kernel-src';
  if (!existsSync(cached)) return undefined;
  const top = readdirSync(cached).find((d) => existsSync(join(cached, d, 'arch/arm64/boot/dts')));
  return top ? join(cached, top) : undefined;
}

export async function run(): Promise<void> {
  const root = kernelSource();
  if (!root) {
    console.log(
      'dts-corpus: no kernel source (set DTS_CORPUS_SRC or run scripts/dts-corpus.sh once); skipped',
    );
    return;
  }
  for (const tool of ['cpp', 'dtc'])
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) {
      console.log(`dts-corpus: ${tool} is not installed; skipped`);
      return;
    }
  // Every 12th file: ~190 of the ~2270, spread over all vendors. A smaller sample shares fewer
  // headers and runs colder, so its ratio overstates the full corpus's (see scripts/dts-corpus.sh).
  const every = Number(process.env['DTS_CORPUS_EVERY'] ?? 12);
  const log = (line: string): void => {
    if (!line.startsWith('  ')) console.log(line);
  };
  const pp = runCorpus({ root, every, ppOnly: true, log });
  const full = runCorpus({ root, every, log });
  console.log(
    `ratio preprocessor (ours+dtc)/(cpp+dtc): ${(pp.oursSeconds / pp.referenceSeconds).toFixed(3)}`,
  );
  console.log(
    `ratio compiler (ours)/(cpp+dtc):         ${(full.oursSeconds / full.referenceSeconds).toFixed(3)}`,
  );
  await Promise.resolve();
}
