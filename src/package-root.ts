import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The directory holding mdio-emu's package.json: the clone, or the installed package. Files shipped beside
 * the code (scripts/, dts/, the guest init halves in src/qemu/) are found from here, because this module runs
 * from src/ under tsx and from a bundle chunk in dist/ once built, at different depths.
 */
function findPackageRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return join(start, '..');
  }
}

export const packageRoot = findPackageRoot();
