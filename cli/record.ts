import type { Command } from 'commander';
import { TraceFile } from '../src/replay/file-sink.js';
import { readScenarioFile, runInModel } from '../src/scenario/index.js';
import { ExitCodeError } from './run.js';
import { readTraceFile } from './trace-io.js';

export function register(program: Command): void {
  program
    .command('record')
    .argument('[scenario]', 'scenario file to run in the emulator alone, recording its MDIO transactions')
    .requiredOption('-o, --out <trace>', 'trace file to write (flushed line by line)')
    .option('--mdio-access <file>', 'instead of running a scenario, convert a Linux mdio:mdio_access capture')
    .description(
      'record MDIO transactions to a trace file: from a scenario run, or from a kernel mdio_access capture',
    )
    .action((file: string | undefined, opts: { out: string; mdioAccess?: string }) => {
      const either = 'mdio-emu: give either a scenario file or --mdio-access FILE';
      if (opts.mdioAccess !== undefined) {
        if (file !== undefined) throw new ExitCodeError(2, either);
        const { records } = readTraceFile(opts.mdioAccess);
        const out = new TraceFile(opts.out, `imported from ${opts.mdioAccess} (mdio:mdio_access)`);
        for (const r of records) out.write(r);
        out.close();
        process.stdout.write(`${opts.out}: ${out.records} transactions, ${out.bytes} bytes\n`);
        return;
      }
      if (file === undefined) throw new ExitCodeError(2, either);
      const loaded = readScenarioFile(file);
      const out = new TraceFile(opts.out, `scenario ${loaded.scenario.name}`);
      try {
        const report = runInModel(loaded, {
          record: (r) => out.write(r),
          wallNow: () => Date.now(),
        });
        process.stdout.write(
          `${opts.out}: ${out.records} transactions, ${out.bytes} bytes; expectations ${report.pass ? 'hold' : 'failed'}\n`,
        );
      } finally {
        out.close();
      }
    });
}
