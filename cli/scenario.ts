import type { Command } from 'commander';
import { TraceFile } from '../src/replay/file-sink.js';
import { loadEmulatorScenario } from '../src/scenario/load-emulator.js';
import { runScenario, type ScenarioRunReport } from '../src/scenario/run.js';
import { ExitCodeError } from './run.js';
import { registerGenerate } from './scenario-generate.js';

export function register(program: Command): void {
  const scenario = program
    .command('scenario')
    .description('scenario files: run them in the emulator alone, or generate them');
  scenario
    .command('run')
    .argument('<file>', 'scenario file (*.scenario.json)')
    .option('--trace <out>', 'record every MDIO transaction to this trace file (docs/trace-format.md)')
    .option('--json', 'print the report as JSON')
    .option('--virtual', 'use virtual time even if the scenario asks for the wall clock')
    .description(
      'run a scenario with a kernel-like driver loop instead of a client; exit 0 only if every expectation holds',
    )
    .action(async (file: string, opts: { trace?: string; json?: boolean; virtual?: boolean }) => {
      const loaded = await loadEmulatorScenario(file);
      const trace = opts.trace ? new TraceFile(opts.trace, `scenario ${loaded.scenario.name}`) : undefined;
      let report: ScenarioRunReport;
      try {
        report = await runScenario(loaded.scenario, loaded.tree, {
          ...(trace ? { record: (r) => trace.write(r), wallNow: () => Date.now() } : {}),
          ...(opts.virtual ? { forceVirtual: true } : {}),
        });
      } finally {
        trace?.close();
      }
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(formatReport(report, trace?.records));
      if (!report.pass) throw new ExitCodeError(1);
    });
  registerGenerate(scenario);
}

export function formatReport(r: ScenarioRunReport, traced?: number): string {
  const lines = [
    `scenario ${r.name}: ${r.endMs} ms, ${r.transactions} MDIO transactions${traced !== undefined ? ` (traced)` : ''}`,
  ];
  for (const l of r.log) lines.push(`  ${l}`);
  for (const o of r.expectations)
    lines.push(`${o.pass ? 'PASS' : 'FAIL'} ${o.expectation.kind}: ${o.message}`);
  lines.push(
    r.pass
      ? `scenario ${r.name}: all ${r.expectations.length} expectations hold`
      : `scenario ${r.name}: ${r.expectations.filter((o) => !o.pass).length} expectation(s) failed`,
  );
  return `${lines.join('\n')}\n`;
}
