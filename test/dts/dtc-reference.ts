import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Helpers shared by the compiler tests: the reference `dtc`, and a file host rooted at a directory. */

export const testDir = dirname(fileURLToPath(import.meta.url));

/** Whether the reference dtc 1.6.1 is installed; tests comparing bytes skip with this reason otherwise. */
export const dtcVersion = ((): string | undefined => {
  const r = spawnSync('dtc', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
})();

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
