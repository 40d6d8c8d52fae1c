import type { Command } from 'commander';
import { compileFile, type DtcFlags } from './dtc.js';
import { ExitCodeError } from './run.js';

/** `mdio-emu dts check FILE`: compile as dtc would, print every diagnostic, write nothing. */
export function register(program: Command): void {
  const dts = program.command('dts').description('device tree source tools');
  const collect = (v: string, prev: string[]): string[] => [...prev, v];
  dts
    .command('check')
    .description('report diagnostics for a DTS file (exit 1 on errors)')
    .argument('<file>', 'DTS file')
    .option('-i, --include <dir>', 'include search directory', collect, [])
    .option('-@, --symbols', 'check as if compiling with -@')
    .option('--cpp', 'run the built-in C preprocessor first')
    .option('-D, --define <name[=value]>', 'preprocessor definition (with --cpp)', collect, [])
    .action(
      (file: string, opts: { include: string[]; symbols?: boolean; cpp?: boolean; define: string[] }) => {
        const flags: DtcFlags = {
          inForm: 'dts',
          outForm: 'dtb',
          include: opts.include,
          quiet: 0,
          warning: [],
          error: [],
          define: opts.define,
          undefine: [],
        };
        if (opts.symbols) flags.symbols = true;
        if (opts.cpp) flags.cpp = true;
        const result = compileFile(file, flags);
        const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
        const warnings = result.diagnostics.length - errors;
        if (errors > 0 || !result.ok)
          throw new ExitCodeError(1, `${file}: ${errors} error(s), ${warnings} warning(s)`);
        process.stdout.write(`${file}: ok, ${warnings} warning(s)\n`);
      },
    );
}
