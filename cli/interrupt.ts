import { constants } from 'node:os';
import { InterruptedError } from '../src/qemu/interrupt.js';

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/**
 * Runs `work` (guests under QEMU) so that SIGINT and SIGTERM stop it rather than the process: the signal
 * aborts, the runs kill their QEMU and write what they gathered, and then the command ends with
 * InterruptedError (exit 128 + the signal's number). Without this, Node would exit at once and leave every
 * QEMU behind. A second signal exits at once (the guests were killed on the first).
 */
export async function interruptible<T>(
  work: (signal: AbortSignal) => Promise<T>,
): Promise<{ result: T; interrupted?: InterruptedError }> {
  const controller = new AbortController();
  const handler = (signal: NodeJS.Signals): void => {
    if (controller.signal.aborted) process.exit(128 + constants.signals[signal]);
    process.stderr.write(
      `mdio-emu: ${signal}: stopping the guests and writing what was gathered (${signal} again to quit at once)\n`,
    );
    controller.abort(new InterruptedError(signal));
  };
  for (const s of SIGNALS) process.on(s, handler);
  try {
    const result = await work(controller.signal);
    const reason: unknown = controller.signal.reason;
    return reason instanceof InterruptedError ? { result, interrupted: reason } : { result };
  } finally {
    for (const s of SIGNALS) process.off(s, handler);
  }
}

/** The error a command ends with once interrupted, saying where the report of what was gathered is. */
export function partialReport(e: InterruptedError, reportDir: string): InterruptedError {
  return new InterruptedError(e.signal, `${e.detail}; the report of what was gathered is in ${reportDir}`);
}
