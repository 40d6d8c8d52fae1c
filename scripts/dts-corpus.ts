/**
 * Linux device-tree corpus comparison: every top-level arm and arm64 .dts compiled two ways.
 *   reference: `cpp -nostdinc -I<include-prefixes> -undef -D__DTS__ -x assembler-with-cpp | dtc -O dtb`,
 *              one pair of processes per file, as the kernel's scripts/Makefile.lib `cmd_dtc` runs them;
 *   ours:      this process, preprocess() then compileDts() for every file in one batch
 *              (`--pp-only`: preprocess() then the system dtc, to measure the preprocessor alone).
 * Prints how many DTBs are byte-identical, different or failed, the time of each side and ours/reference.
 *
 * Usage: tsx scripts/dts-corpus.ts <kernel-source-dir> [--pp-only] [--limit N] [--every K] [--show N]
 * (scripts/dts-corpus.sh wraps it and can extract the sources from Debian's linux-source tarball.)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileDts } from '../src/dts/compile.js';
import { preprocess, PreprocessCache, type PreprocessHost } from '../src/dts/preprocess.js';

export interface CorpusOptions {
  /** Kernel source root (holds arch/, include/, scripts/). */
  readonly root: string;
  /** Measure our preprocessor feeding the system dtc instead of our whole compiler. */
  readonly ppOnly?: boolean;
  /** Take every k-th file (a deterministic sample). */
  readonly every?: number;
  readonly limit?: number;
  /** How many differing files to name. */
  readonly show?: number;
  readonly log?: (line: string) => void;
}

export interface CorpusReport {
  files: number;
  identical: number;
  different: number;
  /** The reference failed and ours did too (agreement). */
  bothFailed: number;
  oursFailed: number;
  referenceFailed: number;
  referenceSeconds: number;
  oursSeconds: number;
  differentFiles: string[];
  failedFiles: string[];
}

const INCLUDE_PREFIXES = 'scripts/dtc/include-prefixes';

/** Top-level .dts files of arch/arm and arch/arm64, relative to the root, sorted. */
export function corpusFiles(root: string): string[] {
  const out: string[] = [];
  const arm = 'arch/arm/boot/dts';
  for (const f of readdirSync(join(root, arm))) if (f.endsWith('.dts')) out.push(`${arm}/${f}`);
  const arm64 = 'arch/arm64/boot/dts';
  for (const vendor of readdirSync(join(root, arm64))) {
    const dir = `${arm64}/${vendor}`;
    if (!statSync(join(root, dir)).isDirectory()) continue;
    for (const f of readdirSync(join(root, dir))) if (f.endsWith('.dts')) out.push(`${dir}/${f}`);
  }
  return out.sort();
}

/** dtc flags of the kernel build that change no output bytes: quiet warnings, boot CPU 0. */
function dtcArgs(file: string): string[] {
  return ['-q', '-I', 'dts', '-O', 'dtb', '-b', '0', '-i', dirname(file), '-i', INCLUDE_PREFIXES];
}

function referenceDtb(root: string, file: string): Buffer | undefined {
  const cpp = spawnSync(
    'cpp',
    ['-nostdinc', '-I', INCLUDE_PREFIXES, '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', file],
    {
      cwd: root,
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  if (cpp.status !== 0) return undefined;
  const dtc = spawnSync('dtc', [...dtcArgs(file), '-o', '-'], {
    cwd: root,
    input: cpp.stdout,
    maxBuffer: 1 << 28,
    stdio: ['pipe', 'pipe', 'ignore'],
  });
  return dtc.status === 0 ? dtc.stdout : undefined;
}

/** A host over the source tree that reads each file once for the whole batch. */
function cachingHost(root: string): PreprocessHost & { readBytes(path: string): Uint8Array | undefined } {
  const texts = new Map<string, Buffer | undefined>();
  const strings = new Map<string, string | undefined>();
  const bytes = (path: string): Buffer | undefined => {
    if (texts.has(path)) return texts.get(path);
    let b: Buffer | undefined;
    try {
      b = readFileSync(join(root, path));
    } catch {
      b = undefined;
    }
    texts.set(path, b);
    return b;
  };
  return {
    readFile(path) {
      if (strings.has(path)) return strings.get(path);
      // latin1 keeps every byte one character, as cpp and dtc see bytes.
      const s = bytes(path)?.toString('latin1');
      strings.set(path, s);
      return s;
    },
    readBytes: bytes,
  };
}

export function runCorpus(options: CorpusOptions): CorpusReport {
  const log = options.log ?? ((line: string) => console.log(line));
  let files = corpusFiles(options.root);
  if (options.every && options.every > 1) files = files.filter((_, i) => i % (options.every ?? 1) === 0);
  if (options.limit !== undefined) files = files.slice(0, options.limit);

  let t0 = performance.now();
  const reference = files.map((f) => referenceDtb(options.root, f));
  const referenceSeconds = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const host = cachingHost(options.root);
  const cache = new PreprocessCache();
  const ours: (Uint8Array | undefined)[] = [];
  for (const file of files) {
    const pp = preprocess(file, host, { includeDirs: [INCLUDE_PREFIXES], cache });
    if (pp.diagnostics.some((d) => d.severity === 'error')) {
      ours.push(undefined);
      continue;
    }
    if (options.ppOnly) {
      const dtc = spawnSync('dtc', [...dtcArgs(file), '-o', '-'], {
        cwd: options.root,
        input: Buffer.from(pp.text, 'latin1'),
        maxBuffer: 1 << 28,
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      ours.push(dtc.status === 0 ? dtc.stdout : undefined);
      continue;
    }
    const result = compileDts(pp.text, {
      fileName: file,
      origins: pp.origins,
      includeDirs: [dirname(file), INCLUDE_PREFIXES],
      host: { readFile: (p) => host.readBytes(p) },
      bootCpu: 0,
    });
    ours.push(result.ok ? result.dtb : undefined);
  }
  const oursSeconds = (performance.now() - t0) / 1000;

  const report: CorpusReport = {
    files: files.length,
    identical: 0,
    different: 0,
    bothFailed: 0,
    oursFailed: 0,
    referenceFailed: 0,
    referenceSeconds,
    oursSeconds,
    differentFiles: [],
    failedFiles: [],
  };
  files.forEach((file, i) => {
    const r = reference[i];
    const o = ours[i];
    if (!r && !o) report.bothFailed++;
    else if (!r) {
      report.referenceFailed++;
      report.failedFiles.push(`${file} (reference failed)`);
    } else if (!o) {
      report.oursFailed++;
      report.failedFiles.push(`${file} (ours failed)`);
    } else if (Buffer.compare(Buffer.from(r), Buffer.from(o)) === 0) report.identical++;
    else {
      report.different++;
      report.differentFiles.push(file);
    }
  });
  const pct = (n: number): string => ((100 * n) / Math.max(1, report.files)).toFixed(2);
  log(
    `pipeline:       ${options.ppOnly ? 'our preprocess + system dtc' : 'our preprocess + our compiler'} vs cpp + dtc`,
  );
  log(`files:          ${report.files}`);
  log(`byte-identical: ${report.identical} (${pct(report.identical)}%)`);
  log(`different:      ${report.different}`);
  log(
    `failed:         ours ${report.oursFailed}, reference ${report.referenceFailed}, both ${report.bothFailed}`,
  );
  log(`reference time: ${referenceSeconds.toFixed(2)} s`);
  log(`ours time:      ${oursSeconds.toFixed(2)} s`);
  log(`ratio ours/ref: ${(oursSeconds / referenceSeconds).toFixed(3)}`);
  const show = options.show ?? 10;
  for (const f of report.differentFiles.slice(0, show)) log(`  different: ${f}`);
  for (const f of report.failedFiles.slice(0, show)) log(`  failed:    ${f}`);
  return report;
}

function parseArgs(argv: readonly string[]): CorpusOptions {
  const root = argv[0];
  if (!root || root.startsWith('-'))
    throw new Error(
      'usage: dts-corpus.ts <kernel-source-dir> [--pp-only] [--limit N] [--every K] [--show N]',
    );
  const number = (flag: string): number | undefined => {
    const i = argv.indexOf(flag);
    return i < 0 ? undefined : Number(argv[i + 1]);
  };
  const limit = number('--limit');
  const every = number('--every');
  const show = number('--show');
  return {
    root,
    ppOnly: argv.includes('--pp-only'),
    ...(limit !== undefined ? { limit } : {}),
    ...(every !== undefined ? { every } : {}),
    ...(show !== undefined ? { show } : {}),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = runCorpus(parseArgs(process.argv.slice(2)));
  process.exitCode = report.files > 0 ? 0 : 1;
}
