import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCompat, type DtcCompat } from '../../src/dts/compat.js';

/**
 * Helpers shared by the compiler tests: the system's `dtc`, a file host rooted at a directory, and (through
 * scripts/dtc-reference.ts) the reference dtc of each generation `--compat` reproduces.
 */

export { DTC_GENERATIONS, findReferenceDtc, missingReason, runTool, type DtcGeneration, type ReferenceDtc } from '../../scripts/dtc-reference.js';

export const testDir = dirname(fileURLToPath(import.meta.url));

/** The system dtc's version; tests comparing bytes with it skip with this reason otherwise. */
export const dtcVersion = ((): string | undefined => {
  const r = spawnSync('dtc', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
})();

/** The generation of the system dtc, so a test against it compiles as that dtc does (1.6 on Debian 12). */
export const systemCompat: DtcCompat = parseCompat(/DTC (\S+)/.exec(dtcVersion ?? '')?.[1] ?? '') ?? '1.6';

export function runDtc(cwd: string, args: readonly string[], input?: string): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('dtc', [...args], { cwd, maxBuffer: 64 * 1024 * 1024, timeout: 10_000, ...(input !== undefined ? { input } : {}) });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

export function hostAt(root: string): { readFile(path: string): Uint8Array | undefined } {
  return {
    readFile: (p) => {
      const full = isAbsolute(p) ? p : join(root, p);
      return existsSync(full) ? readFileSync(full) : undefined;
    },
  };
}
