import type { Command } from 'commander';

/**
 * The one place that maps error classes to exit codes: 1 for a failed check or bad input the user can fix,
 * 2 for usage errors, 70 (EX_SOFTWARE) for anything unexpected.
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

/**
 * Runs a standalone tool's main (the dtc and fdtoverlay drop-ins) with the same error-to-exit-code mapping,
 * for bin entries that skip commander entirely.
 */
export function runTool(main: (args: readonly string[]) => number, args: readonly string[]): void {
  try {
    process.exitCode = main(args);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

export class ExitCodeError extends Error {
  override readonly name = 'ExitCodeError';
  constructor(
    readonly exitCode: number,
    message = '',
  ) {
    super(message);
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof ExitCodeError) {
    if (err.message) process.stderr.write(`${err.message}\n`);
    return err.exitCode;
  }
  if (
    err instanceof Error &&
    'code' in err &&
    typeof err.code === 'string' &&
    err.code.startsWith('commander.')
  ) {
    const exitCode = 'exitCode' in err && typeof err.exitCode === 'number' ? err.exitCode : 2;
    return exitCode === 0 ? 0 : 2;
  }
  if (err instanceof Error && 'diagnostics' in err) {
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  if (
    err instanceof Error &&
    (err.name === 'ConfigError' || err.name === 'DtsError' || err.name === 'BusError')
  ) {
    process.stderr.write(`mdio-emu: ${err.message}\n`);
    return 1;
  }
  process.stderr.write(
    `mdio-emu: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return 70;
}
