import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import type { Readable } from 'node:stream';
import { checkConfig, type ConfigCheck } from './kernel-config.js';
import { KernelError } from './kernel-errors.js';
import { listFiles, tail, tool } from './kernel-source.js';

/**
 * Configures and builds a kernel tree out of tree (O=) for the arm64 virt guest, with a build tree per
 * (work tree, final .config): building another variant of the same source, or the same source with a patch,
 * reuses the objects that did not change.
 */

export const CROSS_COMPILE = 'aarch64-linux-gnu-';

export interface BuildProgress {
  phase: 'wait' | 'source' | 'configure' | 'build' | 'collect';
  message: string;
  /**
   * Build phase: objects already up to date when make started, compiled since, and the expected total (the
   * build tree's last count, or another build's of this version and variant) when known.
   */
  objects?: { upToDate: number; compiled: number; total: number | undefined };
}

export interface BuildOutput {
  image: string;
  modules: string[];
  config: string;
  release: string;
  check: ConfigCheck;
  /** make's wall time, and the number of objects it compiled this time. */
  makeSeconds: number;
  /** CPU seconds (user + system) of make and its children. */
  cpuSeconds: number | undefined;
  compiled: number;
  /** Objects in the finished build tree (the next build's progress total). */
  objects: number;
  buildTree: string;
}

const makeArgs = (src: string, out: string): string[] => [
  '-C',
  src,
  `O=${out}`,
  'ARCH=arm64',
  `CROSS_COMPILE=${CROSS_COMPILE}`,
];

// The banner reads "Linux version X (mdio-emu@mdio-emu)" rather than naming the machine that built it.
const makeEnv = (): NodeJS.ProcessEnv => ({
  ...process.env,
  KBUILD_BUILD_USER: 'mdio-emu',
  KBUILD_BUILD_HOST: 'mdio-emu',
  LC_ALL: 'C',
});

export async function toolchainVersion(): Promise<string> {
  const out = await tool(
    'KRN008',
    `${CROSS_COMPILE}gcc is needed (Debian: gcc-aarch64-linux-gnu; scripts/setup.sh installs it)`,
    `${CROSS_COMPILE}gcc`,
    ['--version'],
  );
  return out.split('\n')[0] ?? '';
}

export async function checkHostTools(needPatch: boolean): Promise<void> {
  const tools = ['make', 'flex', 'bison', 'bc', 'xz', 'flock', ...(needPatch ? ['patch'] : [])];
  for (const t of tools)
    await tool('KRN008', `${t} is needed to build a guest kernel (scripts/setup.sh installs it)`, 'sh', [
      '-c',
      `command -v ${t}`,
    ]);
}

/** allnoconfig, the fragments merged with merge_config.sh -m, olddefconfig; then the dropped-option check. */
export async function configure(o: {
  src: string;
  dir: string;
  fragments: readonly string[];
  version: string;
}): Promise<{ config: string; check: ConfigCheck }> {
  await mkdir(o.dir, { recursive: true });
  const env = { ...makeEnv(), ARCH: 'arm64', CROSS_COMPILE };
  await tool('KRN006', 'make allnoconfig', 'make', [...makeArgs(o.src, o.dir), '-s', 'allnoconfig'], { env });
  await tool(
    'KRN006',
    'merging the config fragments',
    'bash',
    [
      join(o.src, 'scripts', 'kconfig', 'merge_config.sh'),
      '-m',
      '-O',
      o.dir,
      join(o.dir, '.config'),
      ...o.fragments,
    ],
    { cwd: o.src, env },
  );
  await tool('KRN006', 'make olddefconfig', 'make', [...makeArgs(o.src, o.dir), '-s', 'olddefconfig'], {
    env,
  });
  const config = await readFile(join(o.dir, '.config'), 'utf8');
  const texts = await Promise.all(o.fragments.map((f) => readFile(f, 'utf8')));
  const defined = await kconfigDefines(o.src, checkConfig({ fragments: texts, config, version: o.version }));
  const check = checkConfig({ fragments: texts, config, version: o.version, defined: (s) => defined.has(s) });
  if (check.dropped.length > 0)
    throw new KernelError(
      'KRN005',
      `Linux ${o.version}: ${check.dropped.length} requested option(s) did not survive olddefconfig (an unmet dependency or a renamed symbol): ${check.dropped.join(', ')}`,
      { output: check.dropped.join('\n') },
    );
  return { config, check };
}

/** Which of the symbols the vanished list excused the tree in fact still defines (then they were dropped). */
async function kconfigDefines(src: string, first: ConfigCheck): Promise<Set<string>> {
  const out = new Set<string>();
  if (first.vanished.length === 0) return out;
  const kconfigs = (await listFiles(src)).filter((f) => basename(f).startsWith('Kconfig'));
  const wanted = new Set(first.vanished.map((v) => v.symbol));
  for (const f of kconfigs) {
    const text = await readFile(join(src, f), 'utf8');
    for (const m of text.matchAll(/^\s*(?:menu)?config\s+([A-Za-z0-9_]+)\s*$/gm))
      if (m[1] !== undefined && wanted.has(m[1])) out.add(m[1]);
  }
  return out;
}

const OBJECT_LINE = /^\s+(?:CC|AS)(?: \[M\])?\s+\S+\.o$/;

async function countObjects(dir: string): Promise<number> {
  if (!existsSync(dir)) return 0;
  return (await listFiles(dir)).filter((f) => f.endsWith('.o')).length;
}

/**
 * `make Image modules` in the build tree that belongs to this .config (created, or reused with its objects).
 * Progress counts the objects make compiles (its `CC`/`AS` lines) on top of those already there.
 */
export async function build(o: {
  src: string;
  workDir: string;
  config: string;
  toolchain: string;
  check: ConfigCheck;
  jobs?: number;
  expectedObjects?: number;
  onProgress: (p: BuildProgress) => void;
}): Promise<BuildOutput> {
  const treeKey = createHash('sha256')
    .update(o.toolchain)
    .update('\0')
    .update(o.config)
    .digest('hex')
    .slice(0, 16);
  const dir = join(o.workDir, `build-${treeKey}`);
  await mkdir(dir, { recursive: true });
  const dotConfig = join(dir, '.config');
  // Rewriting an identical .config would only cost a syncconfig; leaving it keeps the tree's state as make left it.
  if (!existsSync(dotConfig) || (await readFile(dotConfig, 'utf8')) !== o.config)
    await writeFile(dotConfig, o.config);

  const countFile = join(dir, '.mdio-emu-objects');
  const previous = existsSync(countFile) ? Number((await readFile(countFile, 'utf8')).trim()) : undefined;
  const total = previous ?? o.expectedObjects;
  const before = await countObjects(dir);
  const jobs = o.jobs ?? availableParallelism();
  const log = createWriteStream(join(dir, 'mdio-emu-build.log'));
  let compiled = 0;
  let errors = '';
  let timesText = '';
  const started = Date.now();
  const report = (): void =>
    o.onProgress({
      phase: 'build',
      message: `make -j${jobs} Image modules`,
      objects: { upToDate: before, compiled, total },
    });
  report();
  const code = await new Promise<number | null>((resolve, reject) => {
    // bash's `times` gives the CPU time of make and everything it ran: a build's cost that does not depend
    // on how busy the machine was, unlike its wall time.
    const child = spawn(
      'bash',
      [
        '-c',
        'nice -n 10 "$@"; rc=$?; times >&3; exit $rc',
        'make',
        'make',
        ...makeArgs(o.src, dir),
        `-j${jobs}`,
        'Image',
        'modules',
      ],
      { env: makeEnv(), stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    // stdio is ['ignore', 'pipe', 'pipe', 'pipe'] above: three readable pipes.
    const [, stdout, stderr, times] = child.stdio as unknown as [null, Readable, Readable, Readable];
    times.setEncoding('utf8').on('data', (c: string) => (timesText += c));
    let partial = '';
    stdout.setEncoding('utf8').on('data', (chunk: string) => {
      log.write(chunk);
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      let more = 0;
      for (const l of lines) if (OBJECT_LINE.test(l)) more++;
      if (more > 0) {
        compiled += more;
        report();
      }
    });
    stderr.setEncoding('utf8').on('data', (chunk: string) => {
      log.write(chunk);
      errors = tail(errors + chunk, 80);
    });
    child.on('error', reject);
    child.on('close', resolve);
  });
  await new Promise<void>((resolve) => log.end(resolve));
  if (code !== 0) {
    const firstError = errors.split('\n').find((l) => /error/i.test(l)) ?? errors.split('\n').at(-1) ?? '';
    throw new KernelError(
      'KRN006',
      `make failed (exit ${code}): ${firstError.trim()} (log: ${join(dir, 'mdio-emu-build.log')})`,
      {
        output: errors,
      },
    );
  }
  const makeSeconds = (Date.now() - started) / 1000;
  const cpuSeconds = childCpuSeconds(timesText);

  o.onProgress({ phase: 'collect', message: 'collecting Image and modules' });
  const objects = await countObjects(dir);
  await writeFile(countFile, `${objects}\n`);
  const release = (await readFile(join(dir, 'include', 'config', 'kernel.release'), 'utf8')).trim();
  // modules.order names the modules this configuration builds (.ko, or .o since 6.3): stale .ko files of a
  // driver that a source change removed are not picked up.
  const order = (await readFile(join(dir, 'modules.order'), 'utf8')).split('\n').filter(Boolean);
  const modules = order.map((m) => join(dir, m.replace(/\.o$/, '.ko')));
  const names = new Map<string, string>();
  for (const m of modules) {
    const prior = names.get(basename(m));
    if (prior)
      throw new KernelError(
        'KRN006',
        `two modules share the file name ${basename(m)} (${prior}, ${m}); the guest loads modules by file name`,
      );
    names.set(basename(m), m);
  }
  return {
    image: join(dir, 'arch', 'arm64', 'boot', 'Image'),
    modules,
    config: dotConfig,
    release,
    check: o.check,
    makeSeconds,
    cpuSeconds,
    compiled,
    objects,
    buildTree: dir,
  };
}

/** Copies a build's products into a cache directory, written under a temporary name and renamed when whole. */
export async function install(out: BuildOutput, dest: string, meta: object): Promise<void> {
  const tmp = `${dest}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(join(tmp, 'modules'), { recursive: true });
  await copyFile(out.image, join(tmp, 'Image'));
  await copyFile(out.config, join(tmp, 'config'));
  for (const m of out.modules) await copyFile(m, join(tmp, 'modules', basename(m)));
  await writeFile(join(tmp, 'kernelrelease'), `${out.release}\n`);
  await writeFile(join(tmp, 'kernel.json'), `${JSON.stringify(meta, null, 2)}\n`);
  await writeFile(join(tmp, '.done'), '');
  await rm(dest, { recursive: true, force: true });
  await rename(tmp, dest);
}

/** Other finished kernels' object counts for this version and variant: a cold build's progress total. */
export async function expectedObjects(
  cache: string,
  version: string,
  variant: string,
): Promise<number | undefined> {
  let entries: string[];
  try {
    entries = await readdir(cache);
  } catch {
    return undefined;
  }
  for (const e of entries.filter((n) => n.startsWith('kernel-')).sort()) {
    try {
      const meta = JSON.parse(await readFile(join(cache, e, 'kernel.json'), 'utf8')) as {
        version?: string;
        variant?: string;
        build?: { objects?: number };
      };
      if (meta.version === version && meta.variant === variant && meta.build?.objects)
        return meta.build.objects;
    } catch {
      // not one of ours, or unfinished
    }
  }
  return undefined;
}

/** The children's user and system time from bash's `times` (its second line: `0m1.5s 0m0.25s`). */
export function childCpuSeconds(times: string): number | undefined {
  const line = times.trim().split('\n')[1];
  const parts = [...(line ?? '').matchAll(/(\d+)m([\d.]+)s/g)];
  if (parts.length !== 2) return undefined;
  return parts.reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
}
