import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunReport } from '../scenario/report.js';
import { readScenarioFile } from '../scenario/load.js';
import { appliesTo, parseKernelVersion } from '../scenario/known-bugs.js';
import type { GuestKernelInfo } from './kernel.js';
import { renderMatrixHtml } from './matrix-html.js';
import { InterruptedError, interruption } from './interrupt.js';
import { runQemuScenario } from './run.js';

/** One kernel of a matrix: built (or prebuilt) and ready to boot. */
export interface MatrixKernel {
  /** The column's name (`6.1`, `base`, `patched`). */
  name: string;
  image: string;
  modulesDir: string;
  /** `uname -r` of the guest, for known bugs. */
  release?: string;
  /** gzip'd cpio of the guest's tools (ethtool of the kernel's era), for scenarios with `run` steps. */
  guestTools?: string;
}

/** A built kernel as a column of the grid, named as its spec was unless `name` says otherwise. */
export function kernelColumn(k: GuestKernelInfo, name = k.name): MatrixKernel {
  return {
    name,
    image: k.image,
    modulesDir: k.modulesDir,
    release: k.release,
    ...(k.guestTools.archive === undefined ? {} : { guestTools: k.guestTools.archive }),
  };
}

/** What a reviewer compares across kernels, per scenario: one cell of the grid. */
export interface MatrixCell {
  scenario: string;
  scenarioFile: string;
  kernel: string;
  release?: string;
  pass: boolean;
  verdict: string;
  end: string;
  wallMs: number;
  /** Per expectation kind and index: held, failed, expected-failure, fixed. */
  expectations: { kind: string; status: string; message: string; knownBug?: string }[];
  /** How the kernel attached the PSE to each PHY with `pses`, and the probe attempts deferred before. */
  pseAttach: { phy: string; behaviour: string; deferredAttempts: number; pseToPhyMs?: number }[];
  /** Probe attempts deferred per device (the probe-retry storm), and when it bound. */
  deferrals: { node: string; attempts: number; boundAt?: number }[];
  /** Known kernel bugs the scenario names that this kernel showed; the crash's report, if it crashed. */
  knownBugs: string[];
  crash?: { report: string; knownBug?: string };
  /** Kernel reports: WARN, Oops, KASAN, lockdep... with their first frames. */
  reports: { report: string; title: string; frames: string[] }[];
  /** MDIO and I2C transactions the kernel produced, per kind. */
  traffic: { mdio: number; i2c: number };
  /** report.html of the run, relative to the matrix report. */
  report: string;
}

export interface MatrixReport {
  format: 1;
  kernels: { name: string; release?: string }[];
  scenarios: string[];
  cells: MatrixCell[];
  /** Per scenario: the fields whose values differ between kernels, in words. */
  differences: Record<string, string[]>;
  pass: boolean;
  wallMs: number;
  jobs: number;
  /** The matrix was stopped before every cell ran (`interrupted by SIGINT`): the cells show how far it got. */
  interrupted?: string;
}

export interface MatrixOptions {
  kernels: readonly MatrixKernel[];
  scenarios: readonly string[];
  reportDir: string;
  /** Guests at once (default: one per core). */
  jobs?: number;
  /** How long a silent guest may go unheard before its run ends as frozen (GuestSessionOptions). */
  freezeAfterMs?: number | false;
  /** Stops the matrix: running guests end as interrupted, no more start, the report says so. */
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/**
 * Every scenario on every kernel, as many guests at once as the machine has cores, then one report.json and a
 * report.html grid (scenario × kernel) that says, per scenario, what differs between the kernels.
 */
export async function runMatrix(o: MatrixOptions): Promise<MatrixReport> {
  const start = performance.now();
  await mkdir(o.reportDir, { recursive: true });
  const jobs = Math.max(1, o.jobs ?? availableParallelism());
  // Every file is read before any guest boots: a bad one stops the matrix now, not an hour into it.
  const parsed = new Map(o.scenarios.map((f) => [f, readScenarioFile(f).scenario]));
  const work = o.scenarios.flatMap((scenarioFile) => o.kernels.map((kernel) => ({ scenarioFile, kernel })));
  const cells: MatrixCell[] = new Array<MatrixCell>(work.length);
  let next = 0;
  const { signal } = o;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < work.length && signal?.aborted !== true; i = next++) {
      const item = work[i];
      if (!item) continue;
      const { scenarioFile, kernel } = item;
      const name = basename(scenarioFile).replace(/\.scenario\.json$|\.json$/, '');
      const scenario = parsed.get(scenarioFile);
      const range = scenario?.kernels;
      const version = kernel.release === undefined ? undefined : parseKernelVersion(kernel.release);
      if (range !== undefined && version !== undefined && !appliesTo({ kernels: range }, version)) {
        cells[i] = notForKernel(scenario?.name ?? name, scenarioFile, kernel, range);
        o.onProgress?.(`[${i + 1}/${work.length}] ${name} on ${kernel.name}: not for this kernel (${range})`);
        continue;
      }
      o.onProgress?.(`[${i + 1}/${work.length}] ${name} on ${kernel.name}`);
      const dir = join(o.reportDir, safe(kernel.name), name);
      let r: RunReport;
      try {
        r = await runQemuScenario({
          kernel: kernel.image,
          modulesDir: kernel.modulesDir,
          scenarioFile,
          reportDir: dir,
          kernelName: kernel.name,
          ...(kernel.release === undefined ? {} : { kernelRelease: kernel.release }),
          ...(kernel.guestTools === undefined ? {} : { guestTools: kernel.guestTools }),
          ...(o.freezeAfterMs === undefined ? {} : { freezeAfterMs: o.freezeAfterMs }),
          ...(signal === undefined ? {} : { signal }),
        });
      } catch (err) {
        // Stopped before its guest booted: nothing to report but that it did not run.
        if (err instanceof InterruptedError) break;
        throw err;
      }
      cells[i] = cellOf(r, kernel, relative(o.reportDir, join(dir, 'report.html')));
      o.onProgress?.(`[${i + 1}/${work.length}] ${name} on ${kernel.name}: ${r.verdict}`);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, work.length) }, () => worker()));
  const stopped = signal?.aborted === true ? interruption(signal).detail : undefined;
  if (stopped !== undefined)
    work.forEach(({ scenarioFile, kernel }, i) => {
      cells[i] ??= cellWithoutRun({
        scenario: parsed.get(scenarioFile)?.name ?? basename(scenarioFile),
        scenarioFile,
        kernel,
        pass: false,
        verdict: `not run: the matrix was ${stopped}`,
        end: 'interrupted',
        report: '',
      });
    });
  return writeMatrixReport(o.reportDir, {
    kernels: o.kernels,
    cells,
    wallMs: Math.round(performance.now() - start),
    jobs,
    ...(stopped === undefined ? {} : { interrupted: stopped }),
  });
}

/**
 * The matrix's report.json and report.html from its cells, however they were run (here, or as LAVA jobs read
 * back by `mdio-emu lava collect`).
 */
export async function writeMatrixReport(
  reportDir: string,
  m: {
    kernels: readonly { name: string; release?: string }[];
    cells: MatrixCell[];
    wallMs: number;
    jobs: number;
    interrupted?: string;
  },
): Promise<MatrixReport> {
  const { cells } = m;
  const scenarios = [...new Set(cells.map((c) => c.scenario))];
  const report: MatrixReport = {
    format: 1,
    kernels: m.kernels.map((k) => ({
      name: k.name,
      ...(k.release === undefined ? {} : { release: k.release }),
    })),
    scenarios,
    cells,
    differences: Object.fromEntries(
      scenarios.map((s) => [s, differences(cells.filter((c) => c.scenario === s))]),
    ),
    pass: cells.every((c) => c.pass),
    wallMs: m.wallMs,
    jobs: m.jobs,
    ...(m.interrupted === undefined ? {} : { interrupted: m.interrupted }),
  };
  await mkdir(reportDir, { recursive: true });
  await writeFile(join(reportDir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(reportDir, 'report.html'), renderMatrixHtml(report));
  return report;
}

export function cellOf(r: RunReport, kernel: { name: string; release?: string }, report: string): MatrixCell {
  const attach = (r.details.pseAttach ?? []) as MatrixCell['pseAttach'];
  return {
    scenario: r.scenario,
    scenarioFile: r.scenarioFile,
    kernel: kernel.name,
    ...(kernel.release === undefined ? {} : { release: kernel.release }),
    pass: r.pass,
    verdict: r.verdict,
    end: r.end.reason,
    wallMs: r.wallMs,
    expectations: r.expectations.map((e) => ({
      kind: e.expectation.kind,
      status: e.status,
      message: e.message,
      ...(e.knownBug === undefined ? {} : { knownBug: e.knownBug }),
    })),
    pseAttach: attach.map((a) => ({
      phy: a.phy,
      behaviour: a.behaviour,
      deferredAttempts: a.deferredAttempts,
      ...(a.pseToPhyMs === undefined ? {} : { pseToPhyMs: a.pseToPhyMs }),
    })),
    deferrals: r.deferrals.map((d) => ({
      node: d.node,
      attempts: d.attempts,
      ...(d.boundAt === undefined ? {} : { boundAt: d.boundAt }),
    })),
    knownBugs: r.knownBugs,
    ...(r.crash === undefined ? {} : { crash: r.crash }),
    reports: r.reports.map((k) => ({ report: k.report, title: k.title, frames: k.frames.slice(0, 6) })),
    traffic: {
      mdio: r.traffic.filter((l) => l.kind === 'mdio').reduce((n, l) => n + l.times.length, 0),
      i2c: r.traffic.filter((l) => l.kind === 'i2c').reduce((n, l) => n + l.times.length, 0),
    },
    report,
  };
}

/** A cell the scenario's own `kernels` range excludes: not run, and not a failure. */
export function notForKernel(
  scenario: string,
  scenarioFile: string,
  kernel: { name: string; release?: string },
  range: string,
): MatrixCell {
  return cellWithoutRun({
    scenario,
    scenarioFile,
    kernel,
    pass: true,
    verdict: `not run: the scenario is for kernels ${range}`,
    end: 'not-applicable',
    report: '',
  });
}

/** A cell with no run report behind it: nothing observed, only its verdict. */
export function cellWithoutRun(c: {
  scenario: string;
  scenarioFile: string;
  kernel: { name: string; release?: string };
  pass: boolean;
  verdict: string;
  end: string;
  report: string;
}): MatrixCell {
  return {
    scenario: c.scenario,
    scenarioFile: c.scenarioFile,
    kernel: c.kernel.name,
    ...(c.kernel.release === undefined ? {} : { release: c.kernel.release }),
    pass: c.pass,
    verdict: c.verdict,
    end: c.end,
    wallMs: 0,
    expectations: [],
    pseAttach: [],
    deferrals: [],
    knownBugs: [],
    reports: [],
    traffic: { mdio: 0, i2c: 0 },
    report: c.report,
  };
}

/** What differs between the kernels' cells of one scenario, one sentence per field. */
export function differences(all: readonly MatrixCell[]): string[] {
  // A cell that did not run, or was stopped halfway, has nothing to compare.
  const cells = all.filter((c) => c.end !== 'not-applicable' && c.end !== 'interrupted');
  if (cells.length < 2) return [];
  const out: string[] = [];
  const field = (what: string, value: (c: MatrixCell) => string): void => {
    const values = cells.map((c) => `${c.kernel}: ${value(c)}`);
    if (new Set(cells.map(value)).size > 1) out.push(`${what} — ${values.join('; ')}`);
  };
  field('verdict', (c) => (c.pass ? 'pass' : 'fail'));
  field('PSE attach', (c) => c.pseAttach.map((a) => a.behaviour).join(', ') || 'none');
  field(
    'deferred probe attempts',
    (c) =>
      c.deferrals.map((d) => `${d.attempts}${d.boundAt === undefined ? ' (never bound)' : ''}`).join(', ') ||
      '0',
  );
  field('known kernel bugs seen', (c) => c.knownBugs.join(', ') || 'none');
  field('kernel reports', (c) => c.reports.map((r) => r.title).join(', ') || 'none');
  field(
    'expectations',
    (c) =>
      c.expectations
        .filter((e) => e.status !== 'held')
        .map((e) => `${e.kind} ${e.status}`)
        .join(', ') || 'all held',
  );
  return out;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}
