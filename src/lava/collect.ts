import { existsSync, statSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { EnvironmentError } from '../diagnostics/index.js';
import {
  cellOf,
  cellWithoutRun,
  writeMatrixReport,
  type MatrixCell,
  type MatrixReport,
} from '../qemu/matrix.js';
import { renderReportHtml } from '../scenario/report-html.js';
import { reportCases } from './console-protocol.js';
import { parseLavaLog, type LavaJobLog } from './results.js';

/** The log names `collect` looks for in a job's directory: `lava run`'s, and a server's download. */
export const LOG_NAMES = ['lava.log', 'output.yaml'] as const;

export interface CollectOptions {
  /** Job directories (job.yaml and its log) or log files. */
  inputs: readonly string[];
  outDir: string;
  onProgress?: (message: string) => void;
}

interface JobNames {
  scenario: string;
  kernel: string;
  release?: string;
}

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

function findLog(input: string): string {
  if (!statSync(input, { throwIfNoEntry: false })?.isDirectory()) return input;
  for (const name of LOG_NAMES) if (existsSync(join(input, name))) return join(input, name);
  throw new EnvironmentError('LAVA011', `${input}: no LAVA log (${LOG_NAMES.join(' or ')}) in it`, {
    where: input,
  });
}

/** The names a generated job carries in its metadata, for a job that left no report. */
async function jobNames(logFile: string): Promise<JobNames | undefined> {
  const jobFile = join(dirname(logFile), 'job.yaml');
  if (!existsSync(jobFile)) return undefined;
  const job = parseYaml(await readFile(jobFile, 'utf8')) as { metadata?: Record<string, unknown> } | null;
  const m = job?.metadata ?? {};
  if (typeof m['mdio-emu.scenario'] !== 'string' || typeof m['mdio-emu.kernel'] !== 'string')
    return undefined;
  return {
    scenario: m['mdio-emu.scenario'],
    kernel: m['mdio-emu.kernel'],
    ...(typeof m['mdio-emu.release'] === 'string' ? { release: m['mdio-emu.release'] } : {}),
  };
}

/**
 * Where LAVA's record and the report disagree: the job failed after the run, or the test cases LAVA kept are
 * not the ones the report implies (a monitor that missed lines).
 */
function lavaProblems(log: LavaJobLog): string[] {
  const out: string[] = [];
  if (log.job.result !== 'pass')
    out.push(`LAVA job ${log.job.result}${log.job.error ? `: ${log.job.error}` : ''}`);
  if (log.report) {
    const lava = new Map(log.results.filter((r) => r.definition !== 'lava').map((r) => [r.case, r.result]));
    const missing = reportCases(log.report).filter((c) => lava.get(c.id) !== c.result);
    if (missing.length > 0)
      out.push(`LAVA recorded ${missing.map((c) => `${c.id} ${lava.get(c.id) ?? 'nothing'}`).join(', ')}`);
  }
  return out;
}

/**
 * Finished LAVA jobs into the matrix's report: each job's run report (carried in its log) written out as the
 * local runner writes it, with the console as LAVA logged it, and the grid over them all. A job that left no
 * report (LAVA stopped it, the wrapper could not start) is a failed cell that says why.
 */
export async function collectLavaResults(o: CollectOptions): Promise<MatrixReport> {
  const cells: MatrixCell[] = [];
  const kernels = new Map<string, { name: string; release?: string }>();
  for (const input of o.inputs) {
    const logFile = findLog(input);
    const log = parseLavaLog(await readFile(logFile, 'utf8'), logFile);
    const names = await jobNames(logFile);
    const r = log.report;
    const kernel =
      r?.guest.kind === 'qemu' ? r.guest.kernel : (names?.kernel ?? basename(dirname(dirname(logFile))));
    const release = r?.guest.kind === 'qemu' ? r.guest.release : names?.release;
    const scenario = r?.scenario ?? names?.scenario ?? basename(dirname(logFile));
    kernels.set(kernel, { name: kernel, ...(release === undefined ? {} : { release }) });
    const dir = join(o.outDir, safe(kernel), safe(scenario));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'console.log'), log.console.join('\n') + '\n');
    const problems = lavaProblems(log);
    o.onProgress?.(
      `${scenario} on ${kernel}: ${r ? r.verdict : 'no report'}${problems.length ? ` (${problems.join('; ')})` : ''}`,
    );
    if (r) {
      // Only the files this directory has: the worker's captures and guest trace stayed on the worker.
      const report = {
        ...r,
        files: {
          report: 'report.json',
          html: 'report.html',
          console: 'console.log',
          'LAVA log': relative(dir, logFile),
        },
        details: { ...r.details, lava: { log: logFile, job: log.job, problems } },
      };
      await writeFile(join(dir, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      await writeFile(join(dir, 'report.html'), renderReportHtml(report));
      const cell = cellOf(
        report,
        kernels.get(kernel) ?? { name: kernel },
        relative(o.outDir, join(dir, 'report.html')),
      );
      cells.push(
        problems.length === 0
          ? cell
          : { ...cell, pass: false, verdict: `${cell.verdict}; ${problems.join('; ')}` },
      );
    } else {
      cells.push(
        cellWithoutRun({
          scenario,
          scenarioFile: '',
          kernel: { name: kernel, ...(release === undefined ? {} : { release }) },
          pass: false,
          verdict: `no run report in the LAVA log: ${[log.problem ?? 'the wrapper printed none', ...problems].join('; ')}`,
          end: 'lava',
          report: relative(o.outDir, join(dir, 'console.log')),
        }),
      );
    }
  }
  return writeMatrixReport(o.outDir, {
    kernels: [...kernels.values()],
    cells,
    wallMs: cells.reduce((n, c) => Math.max(n, c.wallMs), 0),
    jobs: cells.length,
  });
}
