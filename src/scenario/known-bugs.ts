import type { KnownBug } from './types.js';

/** A kernel version as `uname -r` starts: major, minor, patch (`7.2.13-dirty` is 7.2.13). */
export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseKernelVersion(release: string): KernelVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

function compare(a: KernelVersion, b: KernelVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * Whether a known bug's kernel range covers this kernel: every comma-separated term must hold (`>=6.17`,
 * `<7.3`, `7.2` for the whole 7.2 series, `=7.2.13` for one release).
 */
export function appliesTo(bug: KnownBug, kernel: KernelVersion): boolean {
  return bug.kernels.split(',').every((term) => {
    const m = /^\s*(>=|<=|>|<|=)?\s*(\d+)\.(\d+)(?:\.(\d+))?\s*$/.exec(term);
    if (!m) return false;
    const op = m[1] ?? '';
    const v = { major: Number(m[2]), minor: Number(m[3]), patch: Number(m[4] ?? 0) };
    // A bare "7.2" names the series: compare major.minor only.
    if (op === '' && m[4] === undefined) return kernel.major === v.major && kernel.minor === v.minor;
    const c = compare(kernel, v);
    switch (op) {
      case '>=':
        return c >= 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '<':
        return c < 0;
      default:
        return c === 0;
    }
  });
}
