import { DEFAULT_FREEZE_AFTER_MS } from '../src/qemu/guest-watchdog.js';
import { numberArg } from './options.js';

/** `--freeze-after SECONDS`, shared by the commands that boot guests: `.option(...freezeAfterOption)`. */
export const freezeAfterOption = [
  '--freeze-after <seconds>',
  `end a run as frozen once the guest has said nothing (no heartbeat) for this long while it could run; 0: wait for the deadline (default ${DEFAULT_FREEZE_AFTER_MS / 1000})`,
  numberArg(0, 86_400),
] as const;

/** The option's value as the runner takes it. */
export function freezeAfterMs(seconds: number | undefined): { freezeAfterMs?: number | false } {
  if (seconds === undefined) return {};
  return { freezeAfterMs: seconds === 0 ? false : seconds * 1000 };
}
