/**
 * Conformance of mdio-emu's compiler with a reference dtc generation on a folder of .dts inputs (dtc's own
 * tests/): for each input, `dtc -I dts -O dtb` and `-O dts` (with and without -@) and `-I dtb -O dts` of the
 * reference's blob, compared byte for byte with compileDts/compileDtb + printDts, and the warnings dtc
 * prints compared with our diagnostics (check name, message and line). The tests (test/dts/*-conformance)
 * and `tsx scripts/dtc-conformance.ts DIR [1.6 1.7 1.8]` use it.
 */
import { readFileSync, readdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CheckLevel } from '../src/dts/checks.js';
import { applyCheckOption, compileDtb, compileDts, type CompileResult } from '../src/dts/compile.js';
import type { DtcCompat } from '../src/dts/compat.js';
import type { Diagnostic } from '../src/dts/diagnostics.js';
import { printDts } from '../src/dts/print.js';
import type { SourceFile } from '../src/diagnostics/source.js';
import { findReferenceDtc, runTool, type DtcGeneration, type ReferenceDtc } from './dtc-reference.js';

export type Outcome = 'ok' | 'fail' | 'crash' | 'hang';

/** One line dtc printed on stderr that we compare: what kind, the message and the line it names. */
export interface Message {
  kind: string;
  text: string;
  line: number | undefined;
}

const key = (m: Message): string =>
  `${m.kind}: ${m.text.trimEnd()}${m.line !== undefined ? ` @${m.line}` : ''}`;

/** Lines dtc prints after the message that caused them, when it gives up. */
const SUMMARIES = [
  'ERROR: Input tree has errors',
  'Warning: Input tree has errors',
  'FATAL ERROR: Unable to parse input tree',
  'FATAL ERROR: Syntax error parsing input tree',
];

/** dtc's stderr as messages; `also defined at` lines and the final "Input tree has errors" line are left out. */
export function parseDtcStderr(stderr: string): Message[] {
  const out: Message[] = [];
  // dtc's livetree warnings print without a newline and run into the next message.
  const text = stderr.replace(/(Warning: [^\n]*?missing)(?=(?:Warning|ERROR|[^\s:]+:\d))/g, '$1\n');
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (line === '' || line.startsWith('  also defined at') || SUMMARIES.some((s) => line.startsWith(s)))
      continue;
    let m = /^(.*?): (Warning|ERROR) \(([a-z0-9_]+)\): (.*)$/.exec(line);
    if (m) {
      out.push({
        kind: `${m[2] === 'ERROR' ? 'error' : 'warning'} ${m[3] ?? ''}`,
        text: m[4] ?? '',
        line: lineOf(m[1] ?? ''),
      });
      continue;
    }
    m = /^WARNING: (\S+?:\d+\.\d+(?:-\d+(?:\.\d+)?)?): (.*)$/.exec(line);
    if (m) {
      out.push({ kind: 'warning', text: m[2] ?? '', line: lineOf(m[1] ?? '') });
      continue;
    }
    m = /^(Lexical error|Error): (\S*?:-?\d+\.\d+(?:-\d+(?:\.\d+)?)?) (.*)$/.exec(line);
    if (m) {
      out.push({ kind: 'error', text: m[3] ?? '', line: lineOf(m[2] ?? '') });
      continue;
    }
    m = /^FATAL ERROR: (.*)$/.exec(line);
    if (m) {
      out.push({ kind: 'error', text: m[1] ?? '', line: undefined });
      continue;
    }
    out.push({ kind: 'other', text: line, line: undefined });
  }
  return out;
}

function lineOf(pos: string): number | undefined {
  const m = /:(-?\d+)\.\d+/.exec(pos);
  return m ? Number(m[1]) : undefined;
}

/** Our diagnostics as the same messages: checks by name, parser and lexer errors and generated-tree warnings by text. */
export function ourMessages(
  diagnostics: readonly Diagnostic[],
  files: ReadonlyMap<string, SourceFile>,
): Message[] {
  return diagnostics.map((d) => {
    const m = /^(.*) \[([a-z0-9_]+)\]$/s.exec(d.message);
    const file = d.span ? files.get(d.span.file) : undefined;
    const line = d.span && file ? file.position(d.span.start).line : undefined;
    if (m) return { kind: `${d.severity} ${m[2] ?? ''}`, text: (m[1] ?? '').trimEnd(), line };
    if (d.code === 'DTS3001') return { kind: 'other', text: d.message, line };
    return { kind: d.severity, text: d.message, line };
  });
}

export interface FileResult {
  file: string;
  /** What the reference did with `-I dts -O dtb`. */
  outcome: Outcome;
  problems: string[];
}

export interface ConformanceOptions {
  dir: string;
  files?: readonly string[];
  /** Compare line numbers of messages too (a message's text and kind always). */
  lines?: boolean;
  /** Which comparisons to run; all by default. */
  checks?: readonly ('dtb' | 'dts' | 'dtb-dts' | 'messages')[];
  /** dtc `-W`/`-E` options for an input (both compilers get them). */
  checkFlags?: (file: string) => readonly string[];
}

const hostAt = (root: string): { readFile(path: string): Uint8Array | undefined } => ({
  readFile: (p) => {
    try {
      return readFileSync(isAbsolute(p) ? p : join(root, p));
    } catch {
      return undefined;
    }
  },
});

function outcomeOf(r: { status: number | null; signal: NodeJS.Signals | null }): Outcome {
  if (r.signal === 'SIGTERM') return 'hang';
  if (r.signal !== null || (r.status !== null && r.status > 128)) return 'crash';
  return r.status === 0 ? 'ok' : 'fail';
}

function diffMessages(
  expected: readonly Message[],
  actual: readonly Message[],
  lines: boolean,
): string | undefined {
  // dtc's fatal errors carry no position where ours do: a line is compared when dtc names one.
  const positioned = new Set(
    expected.filter((m) => m.line !== undefined).map((m) => `${m.kind}: ${m.text.trimEnd()}`),
  );
  const norm = (ms: readonly Message[]): string[] =>
    ms
      .map((m) =>
        key(lines && positioned.has(`${m.kind}: ${m.text.trimEnd()}`) ? m : { ...m, line: undefined }),
      )
      .sort();
  const e = norm(expected);
  const a = norm(actual);
  if (JSON.stringify(e) === JSON.stringify(a)) return undefined;
  const missing = e.filter((x) => !a.includes(x));
  const extra = a.filter((x) => !e.includes(x));
  return `messages: dtc only [${missing.join(' | ')}] ours only [${extra.join(' | ')}]${missing.length + extra.length === 0 ? ' (counts differ)' : ''}`;
}

/** Compares one input with and without -@ against the reference. */
export function compareFile(
  ref: ReferenceDtc,
  compat: DtcCompat,
  file: string,
  options: ConformanceOptions,
  scratch: string,
): FileResult {
  const { dir } = options;
  const which = new Set(options.checks ?? ['dtb', 'dts', 'dtb-dts', 'messages']);
  const problems: string[] = [];
  let outcome: Outcome = 'ok';
  const flags = options.checkFlags?.(file) ?? [];
  const base = [...flags, '-I', 'dts', '-i', '.'];
  const checkLevels = new Map<string, CheckLevel>();
  for (let i = 0; i + 1 < flags.length; i += 2) {
    const flag = flags[i] === '-E' ? 'E' : 'W';
    if (!applyCheckOption(checkLevels, flag, flags[i + 1] ?? '', compat))
      problems.push(`: no check ${flags[i + 1] ?? ''} in ${compat}`);
  }
  for (const symbols of [false, true]) {
    const flag = symbols ? ' -@' : '';
    const extra = symbols ? ['-@'] : [];
    const out = join(scratch, 'out.dtb');
    const dtbRun = runTool(ref.dtc, [...base, '-O', 'dtb', ...extra, '-o', out, file], {
      cwd: dir,
      timeoutMs: 5000,
    });
    const o = outcomeOf(dtbRun);
    if (!symbols) outcome = o;
    const ours: CompileResult = compileDts(readFileSync(join(dir, file)), {
      fileName: file,
      host: hostAt(dir),
      includeDirs: ['.'],
      symbols,
      compat,
      checkLevels,
    });
    if (o === 'crash' || o === 'hang') {
      if (!ours.dtb && !ours.diagnostics.some((d) => d.severity === 'error'))
        problems.push(`${flag}: dtc ${o}es and we give neither a DTB nor an error`);
      continue;
    }
    if (o === 'fail') {
      if (ours.ok && ours.dtb) problems.push(`${flag}: dtc rejects it, we compiled it`);
    } else if (!ours.ok || !ours.dtb)
      problems.push(
        `${flag}: dtc compiles it, we failed: ${ours.diagnostics.find((d) => d.severity === 'error')?.message ?? ''}`,
      );
    else {
      const refDtb = readFileSync(out);
      if (which.has('dtb') && !Buffer.from(ours.dtb).equals(refDtb)) problems.push(`${flag}: DTB differs`);
      if (which.has('dts') && ours.tree) {
        const dts = runTool(ref.dtc, [...base, '-q', '-O', 'dts', ...extra, file], { cwd: dir });
        if (dts.status === 0 && printDts(ours.tree, { compat }) !== dts.stdout.toString('latin1'))
          problems.push(`${flag}: -O dts differs`);
      }
      if (which.has('dtb-dts')) {
        const back = runTool(ref.dtc, [...flags, '-I', 'dtb', '-O', 'dts', out]);
        const mine = compileDtb(refDtb, { fileName: out, compat, checkLevels });
        if (outcomeOf(back) === 'ok') {
          if (!mine.tree) problems.push(`${flag}: -I dtb: dtc reads its blob back, we failed`);
          else if (printDts(mine.tree, { compat }) !== back.stdout.toString('latin1'))
            problems.push(`${flag}: -I dtb -O dts differs`);
        } else if (mine.ok && mine.tree)
          problems.push(`${flag}: -I dtb: dtc refuses its own blob, we read it`);
        if (which.has('messages') && outcomeOf(back) !== 'crash') {
          const d = diffMessages(
            parseDtcStderr(back.stderr),
            ourMessages(mine.diagnostics, mine.files),
            false,
          );
          if (d) problems.push(`${flag}: -I dtb ${d}`);
        }
      }
    }
    if (which.has('messages')) {
      const d = diffMessages(
        parseDtcStderr(dtbRun.stderr),
        ourMessages(ours.diagnostics, ours.files),
        options.lines ?? false,
      );
      if (d) problems.push(`${flag}: ${d}`);
    }
  }
  return { file, outcome, problems };
}

/** Every top-level .dts of the folder (or the given ones) against one generation's reference. */
export function runConformance(
  generation: DtcGeneration,
  options: ConformanceOptions,
): FileResult[] | undefined {
  const ref = findReferenceDtc(generation);
  if (!ref) return undefined;
  const files =
    options.files ??
    readdirSync(options.dir)
      .filter((f) => f.endsWith('.dts'))
      .sort();
  const scratch = mkdtempSync(join(tmpdir(), 'mdio-emu-conformance-'));
  try {
    return files.map((file) => compareFile(ref, generation, file, options, scratch));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dir, ...rest] = process.argv.slice(2);
  if (!dir)
    throw new Error(
      'usage: dtc-conformance.ts DIR [--lines] [--only dtb,dts,dtb-dts,messages] [1.6 1.7 1.8]',
    );
  const lines = rest.includes('--lines');
  const only = rest.indexOf('--only');
  const checks =
    only >= 0 ? (rest[only + 1]?.split(',') as ('dtb' | 'dts' | 'dtb-dts' | 'messages')[]) : undefined;
  const gens = rest.filter((a) => /^1\.[678]$/.test(a)) as DtcGeneration[];
  let bad = 0;
  for (const generation of gens.length > 0 ? gens : (['1.6', '1.7', '1.8'] as const)) {
    const results = runConformance(generation, { dir, lines, ...(checks ? { checks } : {}) });
    if (!results) {
      console.log(`${generation}: reference dtc not available`);
      continue;
    }
    const failing = results.filter((r) => r.problems.length > 0);
    console.log(`== dtc ${generation}: ${results.length - failing.length}/${results.length} inputs conform`);
    for (const r of failing) for (const p of r.problems) console.log(`  ${r.file}${p}`);
    bad += failing.length;
  }
  process.exitCode = bad > 0 ? 1 : 0;
}
