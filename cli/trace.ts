import type { Command } from 'commander';
import { diffTraces, formatDiff } from '../src/replay/diff.js';
import { integerArg } from './options.js';
import { ExitCodeError } from './run.js';
import { readTraceFile } from './trace-io.js';

export function register(program: Command): void {
  const trace = program.command('trace').description('MDIO transaction traces (docs/trace-format.md)');
  trace
    .command('diff')
    .argument('<a>', 'first trace (mdio-emu format or mdio_access text)')
    .argument('<b>', 'second trace')
    .option('--limit <n>', 'print at most this many differences', integerArg(0, 1e9), 200)
    .description(
      'align two traces transaction by transaction; exit 0 when equal, else print the differences and exit 1',
    )
    .action((a: string, b: string, opts: { limit: number }) => {
      const ta = readTraceFile(a).records;
      const tb = readTraceFile(b).records;
      const diff = diffTraces(ta, tb);
      for (const line of formatDiff(diff, ta, tb, [a, b], opts.limit)) process.stdout.write(`${line}\n`);
      if (!diff.equal) throw new ExitCodeError(1);
    });
}
