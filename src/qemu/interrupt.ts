import { constants } from 'node:os';
import { MdioEmuError } from '../diagnostics/index.js';

/**
 * The user stopped a run from outside (SIGINT, SIGTERM): the reason an AbortSignal carries into the runner,
 * and what the CLI exits with, 128 + the signal's number as a shell reports a process killed by it.
 */
export class InterruptedError extends MdioEmuError {
  readonly kind = 'environment';
  constructor(
    /** The signal's name (`SIGINT`). */
    readonly signal: string,
    detail = `interrupted by ${signal}`,
  ) {
    super('QEMU1002', detail);
  }

  override get exitStatus(): number {
    const n = (constants.signals as Record<string, number | undefined>)[this.signal];
    return n === undefined ? 1 : 128 + n;
  }
}

/** Why `signal` aborted, as an InterruptedError (whatever its reason was). */
export function interruption(signal: AbortSignal): InterruptedError {
  const r: unknown = signal.reason;
  return r instanceof InterruptedError ? r : new InterruptedError('abort', `interrupted: ${String(r)}`);
}
