/**
 * Linux device-tree corpus comparison: every top-level arm, arm64 and riscv .dts compiled two ways.
 *   reference: `cpp -nostdinc -I<include-prefixes> -undef -D__DTS__ -x assembler-with-cpp | dtc -O dtb`,
 *              one pair of processes per file, as the kernel's scripts/Makefile.dtbs `cmd_dtc` runs them,
 *              with the reference dtc of the chosen generation (scripts/dtc-reference.ts);
 *   ours:      this process, preprocess() then compileDts() for every file in one batch
 *              (`--pp-only`: preprocess() then the reference dtc, to measure the preprocessor alone).
 * Compares the DTB bytes and, unless `--dtb-only`, the `-O dts` text and every warning dtc prints (check,
 * text and line) with dtc's default checks. Prints the counts, each side's time for the DTB pipeline and
 * ours/reference.
 *
 * Usage: tsx scripts/dts-corpus.ts <kernel-source-dir> [--compat 1.6|1.7|1.8] [--pp-only] [--dtb-only]
 *          [--arch arm,arm64,riscv] [--limit N] [--every K] [--show N]
 * (scripts/dts-corpus.sh wraps it and finds or unpacks Debian's linux-source-7.2.)
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { compileDts } from '../src/dts/compile.js';
import { DEFAULT_COMPAT, parseCompat, type DtcCompat } from '../src/dts/compat.js';
import { preprocess, PreprocessCache, type PreprocessHost } from '../src/dts/preprocess.js';
import { printDts } from '../src/dts/print.js';
import { SourceFile } from '../src/diagnostics/source.js';
import { ourMessages, parseDtcStderr, type Message } from './dtc-conformance.js';
import { cacheDir, findReferenceDtc, runTool, type ToolCommand } from './dtc-reference.js';

export type Arch = 'arm' | 'arm64' | 'riscv';
export const ARCHES: readonly Arch[] = ['arm', 'arm64', 'riscv'];

export interface CorpusOptions {
  /** Kernel source root (holds arch/, include/, scripts/). */
  readonly root: string;
  readonly compat?: DtcCompat;
  readonly arches?: readonly Arch[];
  /** Measure our preprocessor feeding the reference dtc instead of our whole compiler. */
  readonly ppOnly?: boolean;
  /** Compare DTB bytes only (no -O dts text, no warnings): the timed comparison alone. */
  readonly dtbOnly?: boolean;
  /** Take every k-th file (a deterministic sample). */
  readonly every?: number;
  readonly limit?: number;
  /** How many differing files to name. */
  readonly show?: number;
  readonly log?: (line: string) => void;
}

export interface CorpusReport {
  compat: DtcCompat;
  /** The reference's `dtc --version`. */
  version: string;
  files: number;
  identical: number;
  different: number;
  /** The reference failed and ours did too (agreement). */
  bothFailed: number;
  oursFailed: number;
  referenceFailed: number;
  /** Files whose DTB, DTS text and warnings all match (or both failed with the same messages). */
  conforming: number;
  dtsDifferent: number;
  messagesDifferent: number;
  referenceSeconds: number;
  oursSeconds: number;
  differentFiles: string[];
  failedFiles: string[];
  dtsFiles: string[];
  messageFiles: string[];
}

/**
 * The newest Linux tree with device trees that scripts/dts-corpus.sh --kernel (or a kernel build) left in the
 * cache, or one extracted into .cache/kernel-src.
 */
export function newestKernelTree(): string | undefined {
  const candidates: string[] = [];
  const cache = cacheDir();
  const src = join(cache, 'linux-src');
  if (existsSync(src))
    for (const d of readdirSync(src)) if (existsSync(join(src, `${d}.done`))) candidates.push(join(src, d));
  if (existsSync(cache))
    for (const d of readdirSync(cache).filter((x) => x.startsWith('kernel-dts-')))
      for (const top of readdirSync(join(cache, d))) candidates.push(join(cache, d, top));
  const local = '.cache/kernel-src';
  if (existsSync(local)) for (const top of readdirSync(local)) candidates.push(join(local, top));
  const version = (p: string): number[] => (/(\d+)\.(\d+)/.exec(p) ?? ['', '0', '0']).slice(1).map(Number);
  return candidates
    .filter((c) => existsSync(join(c, 'arch/arm64/boot/dts')))
    .sort((a, b) => {
      const [a1 = 0, a2 = 0] = version(a);
      const [b1 = 0, b2 = 0] = version(b);
      return b1 - a1 || b2 - a2;
    })[0];
}

const INCLUDE_PREFIXES = 'scripts/dtc/include-prefixes';

/** The .dts files of the chosen architectures, vendor folders included, sorted. */
export function corpusFiles(root: string, arches: readonly Arch[] = ARCHES): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (!existsSync(join(root, dir))) return;
    for (const f of readdirSync(join(root, dir))) {
      const path = `${dir}/${f}`;
      if (f.endsWith('.dts')) out.push(path);
      else if (depth > 0 && statSync(join(root, path)).isDirectory()) walk(path, depth - 1);
    }
  };
  // kbuild descends into every vendor folder and their subfolders (arm64/boot/dts/exynos/google, ...).
  for (const arch of arches) walk(`arch/${arch}/boot/dts`, 8);
  return out.sort();
}

/** dtc flags of the kernel build that change no output bytes: boot CPU 0 and the include folders. */
function dtcArgs(file: string): string[] {
  return ['-I', 'dts', '-b', '0', '-i', dirname(file), '-i', INCLUDE_PREFIXES];
}

function systemCpp(root: string, file: string): Buffer | undefined {
  const cpp = spawnSync(
    'cpp',
    ['-nostdinc', '-I', INCLUDE_PREFIXES, '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', file],
    {
      cwd: root,
      maxBuffer: 1 << 28,
      stdio: ['ignore', 'pipe', 'ignore'],
    },
  );
  return cpp.status === 0 ? cpp.stdout : undefined;
}

interface ReferenceOutput {
  dtb: Buffer | undefined;
  stderr: string;
}

function referenceDtb(dtc: ToolCommand, root: string, file: string, input: Buffer): ReferenceOutput {
  const r = runTool(dtc, [...dtcArgs(file), '-O', 'dtb', '-o', '-', '-'], {
    cwd: root,
    input,
    timeoutMs: 60_000,
  });
  return { dtb: r.status === 0 ? r.stdout : undefined, stderr: r.stderr };
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

const messageKey = (m: Message): string =>
  `${m.kind}: ${m.text.trimEnd()}${m.line !== undefined ? ` @${m.line}` : ''}`;

function sameMessages(expected: readonly Message[], actual: readonly Message[]): boolean {
  // dtc's "<stdin>" file names and positions of messages without one are not compared; text and line are.
  const norm = (ms: readonly Message[]): string => JSON.stringify(ms.map(messageKey).sort());
  return norm(expected) === norm(actual);
}

export function runCorpus(options: CorpusOptions): CorpusReport {
  const log = options.log ?? ((line: string) => console.log(line));
  const compat = options.compat ?? DEFAULT_COMPAT;
  const ref = findReferenceDtc(compat);
  if (!ref)
    throw new Error(
      `reference dtc ${compat} is not available (tsx scripts/dtc-reference.ts fetch ${compat})`,
    );
  let files = corpusFiles(options.root, options.arches);
  if (options.every && options.every > 1) files = files.filter((_, i) => i % (options.every ?? 1) === 0);
  if (options.limit !== undefined) files = files.slice(0, options.limit);

  // The timed reference: cpp then dtc per file, as kbuild runs them.
  let t0 = performance.now();
  const cppOut: (Buffer | undefined)[] = [];
  const reference: ReferenceOutput[] = [];
  for (const f of files) {
    const pre = systemCpp(options.root, f);
    cppOut.push(pre);
    reference.push(
      pre ? referenceDtb(ref.dtc, options.root, f, pre) : { dtb: undefined, stderr: 'cpp failed' },
    );
  }
  const referenceSeconds = (performance.now() - t0) / 1000;

  t0 = performance.now();
  const host = cachingHost(options.root);
  const cache = new PreprocessCache();
  const ours: { dtb: Uint8Array | undefined; dts: string | undefined; messages: Message[] }[] = [];
  for (const file of files) {
    const pp = preprocess(file, host, { includeDirs: [INCLUDE_PREFIXES], cache });
    if (pp.diagnostics.some((d) => d.severity === 'error')) {
      ours.push({ dtb: undefined, dts: undefined, messages: [] });
      continue;
    }
    if (options.ppOnly) {
      const r = runTool(ref.dtc, [...dtcArgs(file), '-q', '-O', 'dtb', '-o', '-', '-'], {
        cwd: options.root,
        input: Buffer.from(pp.text, 'latin1'),
      });
      ours.push({ dtb: r.status === 0 ? r.stdout : undefined, dts: undefined, messages: [] });
      continue;
    }
    const result = compileDts(pp.text, {
      fileName: file,
      origins: pp.origins,
      includeDirs: [dirname(file), INCLUDE_PREFIXES],
      host: { readFile: (p) => host.readBytes(p) },
      bootCpu: 0,
      compat,
    });
    // Spans were mapped into the files the user wrote: position them against those texts, not cpp's output.
    for (const [name, text] of pp.files) result.files.set(name, new SourceFile(name, text));
    ours.push({
      dtb: result.ok ? result.dtb : undefined,
      dts: options.dtbOnly || !result.ok || !result.tree ? undefined : printDts(result.tree, { compat }),
      messages: options.dtbOnly ? [] : ourMessages(result.diagnostics, result.files),
    });
  }
  const oursSeconds = (performance.now() - t0) / 1000;

  const report: CorpusReport = {
    compat,
    version: ref.version,
    files: files.length,
    identical: 0,
    different: 0,
    bothFailed: 0,
    oursFailed: 0,
    referenceFailed: 0,
    conforming: 0,
    dtsDifferent: 0,
    messagesDifferent: 0,
    referenceSeconds,
    oursSeconds,
    differentFiles: [],
    failedFiles: [],
    dtsFiles: [],
    messageFiles: [],
  };
  files.forEach((file, i) => {
    const r = reference[i];
    const o = ours[i];
    if (!r || !o) return;
    let ok = true;
    if (!r.dtb && !o.dtb) report.bothFailed++;
    else if (!r.dtb) {
      report.referenceFailed++;
      report.failedFiles.push(`${file} (reference failed)`);
      ok = false;
    } else if (!o.dtb) {
      report.oursFailed++;
      report.failedFiles.push(`${file} (ours failed)`);
      ok = false;
    } else if (Buffer.compare(Buffer.from(r.dtb), Buffer.from(o.dtb)) === 0) report.identical++;
    else {
      report.different++;
      report.differentFiles.push(file);
      ok = false;
    }
    if (!options.dtbOnly && !options.ppOnly) {
      const pre = cppOut[i];
      if (r.dtb && o.dts !== undefined && pre) {
        const dts = runTool(ref.dtc, [...dtcArgs(file), '-q', '-O', 'dts', '-o', '-', '-'], {
          cwd: options.root,
          input: pre,
        });
        if (dts.status !== 0 || dts.stdout.toString('latin1') !== o.dts) {
          report.dtsDifferent++;
          report.dtsFiles.push(file);
          ok = false;
        }
      }
      if (!sameMessages(parseDtcStderr(r.stderr), o.messages)) {
        report.messagesDifferent++;
        report.messageFiles.push(file);
        ok = false;
      }
    }
    if (ok) report.conforming++;
  });
  const pct = (n: number): string => ((100 * n) / Math.max(1, report.files)).toFixed(2);
  log(
    `pipeline:       ${options.ppOnly ? 'our preprocess + reference dtc' : 'our preprocess + our compiler'} (--compat ${compat}) vs cpp + dtc ${ref.version}`,
  );
  log(`files:          ${report.files}`);
  log(`byte-identical: ${report.identical} (${pct(report.identical)}%)`);
  log(`different:      ${report.different}`);
  log(
    `failed:         ours ${report.oursFailed}, reference ${report.referenceFailed}, both ${report.bothFailed}`,
  );
  if (!options.dtbOnly && !options.ppOnly) {
    log(`-O dts differs: ${report.dtsDifferent}`);
    log(`warnings differ: ${report.messagesDifferent}`);
    log(`conforming:     ${report.conforming} (${pct(report.conforming)}%): DTB, DTS and warnings identical`);
  }
  log(`reference time: ${referenceSeconds.toFixed(2)} s`);
  log(`ours time:      ${oursSeconds.toFixed(2)} s`);
  log(`ratio ours/ref: ${(oursSeconds / referenceSeconds).toFixed(3)}`);
  const show = options.show ?? 10;
  for (const f of report.differentFiles.slice(0, show)) log(`  different: ${f}`);
  for (const f of report.failedFiles.slice(0, show)) log(`  failed:    ${f}`);
  for (const f of report.dtsFiles.slice(0, show)) log(`  dts:       ${f}`);
  for (const f of report.messageFiles.slice(0, show)) log(`  warnings:  ${f}`);
  return report;
}

function parseArgs(argv: readonly string[]): CorpusOptions {
  const root = argv[0];
  if (!root || root.startsWith('-'))
    throw new Error(
      'usage: dts-corpus.ts <kernel-source-dir> [--compat 1.6|1.7|1.8] [--pp-only] [--dtb-only] [--arch arm,arm64,riscv] [--limit N] [--every K] [--show N]',
    );
  const value = (flag: string): string | undefined => {
    const i = argv.indexOf(flag);
    return i < 0 ? undefined : argv[i + 1];
  };
  const number = (flag: string): number | undefined => {
    const v = value(flag);
    return v === undefined ? undefined : Number(v);
  };
  const limit = number('--limit');
  const every = number('--every');
  const show = number('--show');
  const compatText = value('--compat');
  const compat = compatText === undefined ? undefined : parseCompat(compatText);
  if (compatText !== undefined && !compat) throw new Error(`unknown --compat ${compatText}`);
  const arches = value('--arch')?.split(',') as Arch[] | undefined;
  return {
    root,
    ppOnly: argv.includes('--pp-only'),
    dtbOnly: argv.includes('--dtb-only'),
    ...(compat ? { compat } : {}),
    ...(arches ? { arches } : {}),
    ...(limit !== undefined ? { limit } : {}),
    ...(every !== undefined ? { every } : {}),
    ...(show !== undefined ? { show } : {}),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const report = runCorpus(parseArgs(process.argv.slice(2)));
  process.exitCode = report.files > 0 ? 0 : 1;
}
