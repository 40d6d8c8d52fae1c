import type { Command } from 'commander';
import { MdioEmuError, type ErrorKind } from '../src/diagnostics/index.js';

/**
 * The one place that maps errors to exit codes: an error mdio-emu raises on purpose (MdioEmuError) prints its
 * diagnostics and exits with its kind's status (src/diagnostics/errors.ts); commander's usage errors exit 2;
 * anything else is a bug and exits 70 (EX_SOFTWARE) with its stack.
 */
export async function runCli(program: Command, argv: string[]): Promise<void> {
  exitOverride(program);
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

/**
 * commander copies exitOverride to subcommands only when they are created after it is set; registered
 * before, they would call process.exit(1) themselves on a usage error. Set it on every command.
 */
function exitOverride(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) exitOverride(sub);
}

/**
 * Runs a standalone tool's main (the dtc and fdtoverlay drop-ins) with the same error-to-exit-code mapping,
 * for bin entries that skip commander entirely.
 */
export function runTool(main: (args: readonly string[]) => number, args: readonly string[]): void {
  process.exitCode = toolStatus(main, args);
}

/** A standalone tool's exit status, its errors reported on stderr (the tool server runs tools this way). */
export function toolStatus(main: (args: readonly string[]) => number, args: readonly string[]): number {
  try {
    return main(args);
  } catch (err) {
    return exitCodeFor(err);
  }
}

/**
 * A subcommand's explicit exit status with an already formatted message (or none, when the command has
 * printed its findings itself): 2 is a usage error, anything else a verdict.
 */
export class ExitCodeError extends MdioEmuError {
  readonly kind: ErrorKind;
  constructor(
    readonly exitCode: number,
    message = '',
  ) {
    super('CLI0001', message);
    this.kind = exitCode === 2 ? 'usage' : 'verdict';
  }
  override get exitStatus(): number {
    return this.exitCode;
  }
  override report(): string {
    return this.detail;
  }
}

function exitCodeFor(err: unknown): number {
  if (err instanceof MdioEmuError) {
    const text = err.report();
    if (text) process.stderr.write(`${text}\n`);
    return err.exitStatus;
  }
  if (
    err instanceof Error &&
    'code' in err &&
    typeof err.code === 'string' &&
    err.code.startsWith('commander.')
  ) {
    // commander has printed the usage message itself.
    const exitCode = 'exitCode' in err && typeof err.exitCode === 'number' ? err.exitCode : 2;
    return exitCode === 0 ? 0 : 2;
  }
  process.stderr.write(
    `mdio-emu: internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  return 70;
}
