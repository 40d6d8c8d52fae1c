import { gunzipSync, gzipSync } from 'node:zlib';
import type { RunReport } from '../scenario/report.js';

/**
 * What the worker-side wrapper prints on the console LAVA reads, after the guest has powered off: a block of
 * test cases that the job's `monitors` test action turns into LAVA test cases, and the whole run report,
 * gzip'd and base64'd in lines, so `mdio-emu lava collect` rebuilds the same report.json the local runner
 * writes from nothing but LAVA's job log. The guest never prints these (its console is read through
 * /dev/kmsg with timestamps), so they cannot collide with kernel output.
 */
export const LAVA_BEGIN = 'mdio-emu-lava: begin';
export const LAVA_END = 'mdio-emu-lava: end';
const CASE = 'mdio-emu-lava: case';
const REPORT = 'mdio-emu-lava: report';

/** The `monitors` pattern for a case line (Python `re`: LAVA matches it with pexpect). */
export const LAVA_CASE_PATTERN = `${CASE} (?P<test_case_id>[-_a-zA-Z0-9.]+) (?P<result>pass|fail|skip)`;

export type CaseResult = 'pass' | 'fail' | 'skip';

export interface LavaCase {
  id: string;
  result: CaseResult;
}

/** LAVA test case ids: letters, digits, `-_.` (lava_common's monitor schema and the results API). */
function caseId(text: string): string {
  return text.replace(/[^-_a-zA-Z0-9.]+/g, '_').replace(/^_+|_+$/g, '');
}

/** The run as LAVA test cases: the verdict, each step, each expectation (a known bug that fails as it must passes). */
export function reportCases(r: RunReport): LavaCase[] {
  return [
    { id: 'verdict', result: r.pass ? 'pass' : 'fail' },
    ...r.steps.map((s): LavaCase => ({
      id: caseId(`step-${s.index}-${s.id ?? s.action}`),
      result: s.status === 'done' ? 'pass' : s.status === 'failed' ? 'fail' : 'skip',
    })),
    ...r.expectations.map((e, i): LavaCase => ({
      id: caseId(`expect-${i}-${e.expectation.kind}`),
      result: e.pass ? 'pass' : 'fail',
    })),
  ];
}

const REPORT_LINE = 76;

/** The lines the wrapper prints at the end of a run, between the monitor's start and end strings. */
export function resultLines(r: RunReport): string[] {
  const packed = gzipSync(JSON.stringify(r)).toString('base64');
  const chunks: string[] = [];
  for (let i = 0; i < packed.length; i += REPORT_LINE) chunks.push(packed.slice(i, i + REPORT_LINE));
  return [
    LAVA_BEGIN,
    ...reportCases(r).map((c) => `${CASE} ${c.id} ${c.result}`),
    ...chunks.map((c) => `${REPORT} ${c}`),
    LAVA_END,
  ];
}

/** The block for a run that never started: one failed verdict, no report. */
export function failureLines(): string[] {
  return [LAVA_BEGIN, `${CASE} verdict fail`, LAVA_END];
}

export interface ParsedResults {
  cases: LavaCase[];
  report: RunReport | undefined;
  /** The console before the result block: what the guest and QEMU printed. */
  console: string[];
  /** Why the report could not be read back, when there was a block. */
  problem?: string;
}

/** Reads the wrapper's result block back out of console lines (as LAVA logged them, one line each). */
export function parseResultLines(lines: readonly string[]): ParsedResults {
  const begin = lines.findIndex((l) => l.trim() === LAVA_BEGIN);
  if (begin < 0) return { cases: [], report: undefined, console: [...lines] };
  const cases: LavaCase[] = [];
  const packed: string[] = [];
  for (const raw of lines.slice(begin + 1)) {
    const l = raw.trim();
    if (l === LAVA_END) break;
    if (l.startsWith(`${CASE} `)) {
      const [id, result] = l.slice(CASE.length + 1).split(' ');
      if (id !== undefined && (result === 'pass' || result === 'fail' || result === 'skip'))
        cases.push({ id, result });
    } else if (l.startsWith(`${REPORT} `)) packed.push(l.slice(REPORT.length + 1));
  }
  const console = lines.slice(0, begin);
  if (packed.length === 0) return { cases, report: undefined, console, problem: 'no report lines' };
  try {
    const report = JSON.parse(
      gunzipSync(Buffer.from(packed.join(''), 'base64')).toString('utf8'),
    ) as RunReport;
    return { cases, report, console };
  } catch (err) {
    return {
      cases,
      report: undefined,
      console,
      problem: `the report lines do not decode: ${(err as Error).message}`,
    };
  }
}
