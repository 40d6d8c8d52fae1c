import { mkdirSync, writeFileSync } from 'node:fs';
import { EnvironmentError } from '../diagnostics/index.js';
import { reason } from './input-file.js';

/**
 * Files and folders a user names for output (reports, generated scenarios, firmware images, a rewritten
 * scenario). A path that cannot be written (a missing or read-only folder, a file where a folder should be,
 * /dev/full) is the user's to fix: one line naming the path and the reason, exit 1; never a stack trace.
 */
export function writeOutputFile(path: string, data: string | Uint8Array, what: string): void {
  try {
    writeFileSync(path, data);
  } catch (err) {
    throw new EnvironmentError('CLI1103', `cannot write the ${what}: ${reason(err)}`, {
      where: path,
      cause: err,
    });
  }
}

/** Creates an output folder and its parents (as `mkdir -p`). */
export function makeOutputDir(path: string, what: string): void {
  try {
    mkdirSync(path, { recursive: true });
  } catch (err) {
    throw new EnvironmentError('CLI1105', `cannot create the ${what} folder: ${reason(err)}`, {
      where: path,
      cause: err,
    });
  }
}
