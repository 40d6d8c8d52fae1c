import { createHash } from 'node:crypto';
import type { KernelVariant } from './kernel-spec.js';

/**
 * Bumped whenever the build procedure changes what it produces (configure steps, make targets, what is
 * collected). Refactoring the builder's code does not rebuild everybody's kernels; changing its output does.
 */
export const KERNEL_RECIPE = 1;

/** Everything a built guest kernel depends on, by content. */
export interface KernelKeyInputs {
  /**
   * The source's identity: `debian:linux-source-7.2=7.2.13-1`, `git:HEAD-sha+diff-sha+untracked-sha` or
   * `dir:listing-sha` (docs/guest-kernel.md, "Caching").
   */
  source: string;
  /** The Kconfig fragments merged, in order: their text (names do not matter). */
  fragments: readonly string[];
  variant: KernelVariant;
  /** The patches applied, in order: their text. */
  patches: readonly string[];
  /** The cross compiler's version line: a new compiler gives different objects. */
  toolchain: string;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');

/** 16 hex digits over the inputs; each part is hashed on its own so no two inputs can run together. */
export function kernelCacheKey(i: KernelKeyInputs): string {
  const parts = [
    `recipe=${KERNEL_RECIPE}`,
    `source=${sha(i.source)}`,
    `variant=${i.variant}`,
    `toolchain=${sha(i.toolchain)}`,
    ...i.fragments.map((f) => `fragment=${sha(f)}`),
    ...i.patches.map((p) => `patch=${sha(p)}`),
  ];
  return sha(parts.join('\n')).slice(0, 16);
}

/** The cache directory name of a built kernel: `kernel-7.2-kasan-patched-<key>`, readable in a listing. */
export function kernelDirName(o: {
  label: string;
  variant: KernelVariant;
  patched: boolean;
  key: string;
}): string {
  const variant = o.variant === 'plain' ? '' : `-${o.variant}`;
  return `kernel-${o.label}${variant}${o.patched ? '-patched' : ''}-${o.key}`;
}
