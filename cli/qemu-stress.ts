import { spawn, type ChildProcess } from 'node:child_process';
import { makeOutputDir, writeOutputFile } from '../src/io/index.js';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { ensureGuestKernel } from '../src/qemu/kernel.js';
import { readGuestRelease } from '../src/qemu/guest-modules.js';
import { repoRoot } from '../src/qemu/initramfs.js';
import { runQemuScenario } from '../src/qemu/run.js';
import { freezeAfterMs, freezeAfterOption } from './qemu-options.js';
import { InterruptedError } from '../src/qemu/interrupt.js';
import type { RunReport } from '../src/scenario/report.js';
import { interruptible, partialReport } from './interrupt.js';
import { ExitCodeError } from './run.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000)
    throw new InvalidArgumentError('expected a whole number from 0 to 1000');
  return n;
}

/**
 * `mdio-emu qemu stress`: the determinism check of issue 11 — each scenario run N times in a row while other
 * processes keep every core busy. A verdict that depends on how busy the machine is shows up here as a run
 * that fails; the summary gives the pass count and the wall times.
 */
export function registerStress(qemu: Command): void {
  qemu
    .command('stress')
    .description(
      'run scenarios again and again with every core kept busy by other processes; exit 0 only if every run passes',
    )
    .option('--runs <n>', 'runs per scenario', positiveInt, 20)
    .option('--load <n>', 'busy processes beside the runs (default: one per core)', positiveInt)
    .option('--scenario <file...>', 'scenario files (default: the demo, dts/qemu-pse-late.scenario.json)')
    .option('--kernel <image>', 'arm64 kernel Image (default: the cached guest kernel)')
    .option('--modules <dir>', 'its modules (with --kernel)')
    .option('--report <dir>', 'where each run report and stress.json go', 'mdio-emu-stress')
    .option(...freezeAfterOption)
    .action(
      async (o: {
        runs: number;
        load?: number;
        scenario?: string[];
        kernel?: string;
        modules?: string;
        report: string;
        freezeAfter?: number;
      }) => {
        const kernel =
          o.kernel !== undefined && o.modules !== undefined
            ? { image: resolve(o.kernel), modulesDir: resolve(o.modules) }
            : await ensureGuestKernel();
        const release = await readGuestRelease(kernel.modulesDir);
        const scenarios = (o.scenario ?? [join(repoRoot, 'dts', 'qemu-pse-late.scenario.json')]).map((f) =>
          resolve(f),
        );
        const load = o.load ?? availableParallelism();
        const results: {
          scenario: string;
          run: number;
          pass: boolean;
          verdict: string;
          wallMs: number;
          end: string;
        }[] = [];
        const { interrupted } = await interruptible(async (signal) => {
          const busy: ChildProcess[] = Array.from({ length: load }, () =>
            spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }),
          );
          try {
            for (const file of scenarios)
              for (let run = 1; run <= o.runs && !signal.aborted; run++) {
                const dir = resolve(o.report, `${basename(file).replace(/\.scenario\.json$/, '')}-${run}`);
                let r: RunReport;
                try {
                  r = await runQemuScenario({
                    kernel: kernel.image,
                    modulesDir: kernel.modulesDir,
                    scenarioFile: file,
                    reportDir: dir,
                    ...(release === undefined ? {} : { kernelRelease: release }),
                    ...freezeAfterMs(o.freezeAfter),
                    signal,
                  });
                } catch (err) {
                  if (err instanceof InterruptedError) break;
                  throw err;
                }
                results.push({
                  scenario: r.scenario,
                  run,
                  pass: r.pass,
                  verdict: r.verdict,
                  wallMs: r.wallMs,
                  end: r.end.reason,
                });
                process.stdout.write(
                  `${r.pass ? 'PASS' : 'FAIL'} ${r.scenario} run ${run}/${o.runs}: ${(r.wallMs / 1000).toFixed(1)} s wall; ${r.verdict}\n`,
                );
              }
          } finally {
            for (const b of busy) b.kill('SIGKILL');
          }
        });
        const byScenario = new Map<string, typeof results>();
        for (const r of results) byScenario.set(r.scenario, [...(byScenario.get(r.scenario) ?? []), r]);
        const lines: string[] = [];
        for (const [name, runs] of byScenario) {
          const walls = runs.map((r) => r.wallMs).sort((a, b) => a - b);
          const median = walls[Math.floor(walls.length / 2)] ?? 0;
          lines.push(
            `${name}: ${runs.filter((r) => r.pass).length}/${runs.length} passed with ${load} busy process(es); wall min ${s(walls[0])} median ${s(median)} max ${s(walls.at(-1))}`,
          );
        }
        makeOutputDir(resolve(o.report), 'report');
        writeOutputFile(
          join(resolve(o.report), 'stress.json'),
          `${JSON.stringify({ load, runs: o.runs, kernel: release, ...(interrupted ? { interrupted: interrupted.detail } : {}), results }, null, 2)}\n`,
          'report',
        );
        process.stdout.write(`${lines.join('\n')}\n`);
        if (interrupted) throw partialReport(interrupted, resolve(o.report));
        if (results.some((r) => !r.pass)) throw new ExitCodeError(1);
      },
    );
}

function s(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s`;
}
