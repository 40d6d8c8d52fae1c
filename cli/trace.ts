import type { Command } from 'commander';
import { diffTraces, formatDiff } from '../src/replay/diff.js';
import { ExitCodeError } from './run.js';
import { readTraceFile } from './trace-io.js';

export function register(program: Command): void {
  const trace = program.command('trace').description('MDIO transaction traces (docs/trace-format.md)');
  trace
    .command('diff')
    .argument('<a>', 'first trace (mdio-emu format or mdio_access text)')
    .argument('<b>', 'second trace')
    .option('--limit <n>', 'print at most this many differences', '200')
    .description(
      'align two traces transaction by transaction; exit 0 when equal, else print the differences and exit 1',
    )
    .action((a: string, b: string, opts: { limit: string }) => {
      const ta = readTraceFile(a).records;
      const tb = readTraceFile(b).records;
      const diff = diffTraces(ta, tb);
      for (const line of formatDiff(diff, ta, tb, [a, b], Number(opts.limit) || 200))
        process.stdout.write(`${line}\n`);
      if (!diff.equal) throw new ExitCodeError(1);
    });
}
