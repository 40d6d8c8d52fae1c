import type { Command } from 'commander';
import { readInputFile, writeOutputFile } from '../src/io/index.js';
import { TraceFile } from '../src/replay/file-sink.js';
import { migrateScenario, readScenarioFile, runInModel, type RunReport } from '../src/scenario/index.js';
import { formatRunReport, writeReportFiles } from './report-output.js';
import { ExitCodeError } from './run.js';
import { registerGenerate } from './scenario-generate.js';

export function register(program: Command): void {
  const scenario = program
    .command('scenario')
    .description('scenario files: run them against the kernel model, migrate old ones, or generate them');
  scenario
    .command('run')
    .argument('<file>', 'scenario file (*.scenario.json)')
    .option('--trace <out>', 'record every MDIO transaction to this trace file (docs/trace-format.md)')
    .option('--report <dir>', 'write report.json and report.html to this directory')
    .option('--json', 'print the report as JSON')
    .description('run a scenario against the kernel model (no QEMU); exit 0 only if every expectation holds')
    .action((file: string, opts: { trace?: string; json?: boolean; report?: string }) => {
      const loaded = readScenarioFile(file);
      const trace = opts.trace ? new TraceFile(opts.trace, `scenario ${loaded.scenario.name}`) : undefined;
      let report: RunReport;
      try {
        report = runInModel(
          loaded,
          trace ? { record: (r) => trace.write(r), wallNow: () => Date.now() } : {},
        );
      } finally {
        trace?.close();
      }
      if (opts.report !== undefined) report = writeReportFiles(report, opts.report);
      if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      else process.stdout.write(formatRunReport(report));
      if (!report.pass) throw new ExitCodeError(1);
    });
  scenario
    .command('migrate')
    .argument('<file>', 'a format-1 scenario file (with a "timeline")')
    .option('--write', 'rewrite the file in place instead of printing the result')
    .description('rewrite a format-1 scenario (fixed times) as format 2 (steps that wait for what they need)')
    .action((file: string, opts: { write?: boolean }) => {
      const text = migrateScenario(
        readInputFile(file, { what: 'scenario', maxBytes: 4 * 1024 * 1024 }).toString('utf8'),
        file,
      );
      if (opts.write) writeOutputFile(file, text, 'scenario');
      else process.stdout.write(text);
    });
  registerGenerate(scenario);
}
