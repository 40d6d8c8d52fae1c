import { homedir } from 'node:os';
import { basename, isAbsolute, resolve } from 'node:path';
import { KernelError } from './kernel-errors.js';

/**
 * Which guest kernel to use, as the CLI and a matrix name it (docs/guest-kernel.md, "Naming a kernel"):
 *
 *     SPEC     := [NAME "="] SOURCE ("+" MODIFIER)*
 *     SOURCE   := X.Y | "newest" | "src:" DIR | "image:" IMAGE ",modules:" DIR
 *     MODIFIER := "plain" | "kasan" | "lockdep" | "patch:" FILE
 *
 * `7.2+kasan`, `fixed=newest+patch:patches/linux-7.2/0001-pse-kfifo.patch`, `mine=src:~/linux+lockdep`,
 * `lab=image:/srv/Image,modules:/srv/mods`. A `+` splits only in front of a modifier keyword, so paths may
 * contain `+` elsewhere; patches apply in the order given.
 */
export type KernelVariant = 'plain' | 'kasan' | 'lockdep';
export const KERNEL_VARIANTS: readonly KernelVariant[] = ['plain', 'kasan', 'lockdep'];

export type KernelSource =
  /** Debian's `linux-source-X.Y` (or, for `newest`, whatever unstable's `linux-source` names today). */
  | { kind: 'debian'; version: string }
  /** A Linux tree (git or plain directory) built out of tree from a private copy. */
  | { kind: 'tree'; dir: string }
  /** A kernel built elsewhere: used as is. */
  | { kind: 'prebuilt'; image: string; modulesDir: string };

export interface KernelSpec {
  /** What reports and matrices call this kernel. */
  name: string;
  source: KernelSource;
  variant: KernelVariant;
  /** Absolute paths of patches applied to a private copy of the source, in order. */
  patches: string[];
  /** The text this was parsed from. */
  text: string;
}

const NAME = /^([A-Za-z0-9][A-Za-z0-9._-]*)=/;
const VERSION = /^(\d+)\.(\d+)$/;
const MODIFIER_SPLIT = /\+(?=(?:plain|kasan|lockdep)(?:\+|$)|patch:)/;

export interface ParseOptions {
  /** Relative paths resolve against this (default: the process's working directory). */
  cwd?: string;
  /** `~/` at the start of a path means this directory (default: the user's home). */
  home?: string;
}

export function parseKernelSpec(text: string, o: ParseOptions = {}): KernelSpec {
  function fail(why: string): never {
    throw new KernelError('KRN001', `kernel spec "${text}": ${why}`);
  }
  const path = (p: string, what: string): string => {
    if (p.length === 0) fail(`${what} is empty`);
    const expanded = p === '~' || p.startsWith('~/') ? (o.home ?? homedir()) + p.slice(1) : p;
    return isAbsolute(expanded) ? expanded : resolve(o.cwd ?? process.cwd(), expanded);
  };

  const named = NAME.exec(text);
  const body = named ? text.slice(named[0].length) : text;
  const [head = '', ...mods] = body.split(MODIFIER_SPLIT);
  if (head.length === 0) fail('no source (expected X.Y, newest, src:DIR or image:IMAGE,modules:DIR)');

  let source: KernelSource;
  if (head === 'newest' || VERSION.test(head)) {
    const m = VERSION.exec(head);
    if (m && (Number(m[1]) < 6 || (Number(m[1]) === 6 && Number(m[2]) < 1)))
      fail('guest kernels start at Linux 6.1');
    source = { kind: 'debian', version: head };
  } else if (head.startsWith('src:')) {
    source = { kind: 'tree', dir: path(head.slice(4), 'the source directory') };
  } else if (head.startsWith('image:')) {
    const at = head.indexOf(',modules:');
    if (at < 0) fail('an image needs its modules: image:IMAGE,modules:DIR');
    source = {
      kind: 'prebuilt',
      image: path(head.slice(6, at), 'the image path'),
      modulesDir: path(head.slice(at + ',modules:'.length), 'the modules directory'),
    };
  } else if (/^(?:\d+\.\d+|newest)\+/.test(head)) {
    fail(
      `unknown modifier "${head.slice(head.indexOf('+'))}" (expected +plain, +kasan, +lockdep or +patch:FILE)`,
    );
  } else {
    fail(`unknown source "${head}" (expected X.Y, newest, src:DIR or image:IMAGE,modules:DIR)`);
  }

  let variant: KernelVariant | undefined;
  const patches: string[] = [];
  for (const m of mods) {
    if (m.startsWith('patch:')) {
      patches.push(path(m.slice(6), 'a patch path'));
      continue;
    }
    const v = KERNEL_VARIANTS.find((k) => k === m);
    if (!v) fail(`unknown modifier "+${m}"`);
    if (variant) fail(`two variants (+${variant}, +${m})`);
    variant = v;
  }
  const s = source;
  if (s.kind === 'prebuilt' && (variant !== undefined || patches.length > 0))
    fail('a prebuilt image takes no variant or patch (build it from src: to change it)');

  const name = named?.[1] ?? defaultName(s, variant ?? 'plain', patches.length);
  return { name, source: s, variant: variant ?? 'plain', patches, text };
}

/** The spec written back in the grammar above (paths absolute); parses to an equal spec. */
export function formatKernelSpec(spec: KernelSpec): string {
  const s = spec.source;
  const head =
    s.kind === 'debian'
      ? s.version
      : s.kind === 'tree'
        ? `src:${s.dir}`
        : `image:${s.image},modules:${s.modulesDir}`;
  const variant = spec.variant === 'plain' ? '' : `+${spec.variant}`;
  return `${spec.name}=${head}${variant}${spec.patches.map((p) => `+patch:${p}`).join('')}`;
}

function defaultName(source: KernelSource, variant: KernelVariant, patches: number): string {
  const base =
    source.kind === 'debian'
      ? source.version
      : source.kind === 'tree'
        ? `src-${basename(source.dir)}`
        : `image-${basename(source.image)}`;
  return `${base}${variant === 'plain' ? '' : `-${variant}`}${patches > 0 ? '-patched' : ''}`;
}

/** `[major, minor]` of `X.Y[.Z...]`, or undefined. */
export function parseVersion(v: string): [number, number] | undefined {
  const m = /^(\d+)\.(\d+)/.exec(v);
  return m ? [Number(m[1]), Number(m[2])] : undefined;
}

/** Orders `X.Y` versions numerically (6.12 after 6.2). */
export function compareVersions(a: string, b: string): number {
  const [am = 0, an = 0] = parseVersion(a) ?? [];
  const [bm = 0, bn = 0] = parseVersion(b) ?? [];
  return am - bm || an - bn;
}
