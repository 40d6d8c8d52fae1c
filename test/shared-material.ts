import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The project's shared material (design notes, conformance inputs) sits in a `shared/` folder beside the
 * checkout. A clone made one level deeper (a CI work folder beside the main checkout) still finds it by
 * looking in each ancestor; a clone elsewhere finds nothing and the tests that need it skip, saying so.
 */
export function sharedPath(...parts: string[]): string | undefined {
  for (let dir = dirname(repoRoot); ; dir = dirname(dir)) {
    const candidate = join(dir, 'shared', ...parts);
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** dtc's own test inputs with manifest.tsv, or a path that does not exist (callers test for manifest.tsv). */
export const dtcTestsDir =
  sharedPath('conformance', 'dtc-tests') ?? join(dirname(repoRoot), 'shared/conformance/dtc-tests');
