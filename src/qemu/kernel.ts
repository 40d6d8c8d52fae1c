import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { guestToolsFor, type GuestToolsChoice } from './guest-tools.js';
import { guestToolsArchive, repoRoot } from './initramfs.js';
import {
  build,
  checkHostTools,
  configure,
  expectedObjects,
  install,
  toolchainVersion,
  type BuildProgress,
} from './kernel-build.js';
import { fragmentsFor, parseDotConfig } from './kernel-config.js';
import { KernelError } from './kernel-errors.js';
import { KERNEL_RECIPE, kernelCacheKey, kernelDirName } from './kernel-key.js';
import {
  acquireLock,
  applyPatches,
  kernelCacheDir,
  makefileVersion,
  resolveDebianSource,
  resolveTreeSource,
  syncTree,
  type ResolvedSource,
} from './kernel-source.js';
import { parseKernelSpec, parseVersion, type KernelSpec, type KernelVariant } from './kernel-spec.js';
import { modinfo } from './guest-modules.js';

const execFileP = promisify(execFile);

/**
 * Guest kernels by spec (kernel-spec.ts): Debian's sources of any version, a developer's tree, a kernel built
 * elsewhere; plain, KASAN or lockdep; with patches. Built once per machine, cached by content
 * (docs/guest-kernel.md). This is the API the QEMU runner and the matrix call.
 */
export interface GuestKernelInfo {
  /** The spec's name (a report's column). */
  name: string;
  /** The spec as given. */
  spec: string;
  /** `uname -r` of the guest: `7.2.13`. */
  release: string;
  /** Major.minor: `7.2`. */
  version: string;
  /** Undefined for a prebuilt kernel whose configuration is not at hand. */
  variant: KernelVariant | undefined;
  image: string;
  modulesDir: string;
  /** The kernel's .config, when known. */
  config: string | undefined;
  /** The cache directory (built kernels), or the image's directory (prebuilt). */
  dir: string;
  /** The guest userspace for this kernel: which ethtool, whether pse-tool stands in for its PSE commands. */
  guestTools: GuestToolsChoice & {
    /** gzip'd cpio to append to the initramfs; undefined from findKernel() when not built yet. */
    archive: string | undefined;
    /** Debian version of that ethtool (`1:7.2-1`), when the archive exists. */
    ethtool: string | undefined;
  };
  /** Debian package and version, or the tree; with the patches applied (absolute paths). */
  source: KernelMeta['source'];
  patches: string[];
}

/** kernel.json in a built kernel's cache directory. */
export interface KernelMeta {
  spec: string;
  key: string;
  recipe: number;
  release: string;
  version: string;
  upstream: string | undefined;
  variant: KernelVariant;
  source:
    | { kind: 'debian'; package: string; debianVersion: string; suite: string }
    | { kind: 'tree'; dir: string; git: boolean; head: string | undefined; dirty: boolean }
    | { kind: 'prebuilt'; image: string; modulesDir: string };
  identity: string;
  patches: { file: string; sha256: string }[];
  fragments: string[];
  /** Requested symbols the version no longer has by design (kernel-config.ts VANISHED). */
  vanished: { symbol: string; why: string }[];
  toolchain: string;
  build: {
    builtAt: string;
    /** Wall time from lock to installed, and make's share; objects compiled this time, and in the tree. */
    seconds: number;
    makeSeconds: number;
    /** CPU seconds of make and its children: the cost independent of the machine's load. */
    cpuSeconds: number | undefined;
    /** One-minute load average when the build started and ended (others' work inflates wall times). */
    loadAverage: [number, number];
    compiled: number;
    objects: number;
    jobs: number;
    tree: string;
  };
}

export interface EnsureOptions {
  onProgress?: (p: BuildProgress) => void;
  /** Also copy Image and modules/ here. */
  out?: string;
  /** make -j (default: the machine's cores). */
  jobs?: number;
  /** Build even when the cache has this kernel (its build tree is reused: a no-op make if nothing changed). */
  rebuild?: boolean;
}

interface Planned {
  spec: KernelSpec;
  source: ResolvedSource;
  fragments: string[];
  patches: { file: string; text: string }[];
  toolchain: string;
  key: string;
  dest: string;
}

const scriptsDir = join(repoRoot, 'scripts');

async function plan(spec: KernelSpec): Promise<Planned> {
  const cache = kernelCacheDir();
  if (spec.source.kind === 'prebuilt') throw new Error('unreachable: prebuilt kernels are not planned');
  const source =
    spec.source.kind === 'debian'
      ? await resolveDebianSource(spec.source.version, cache)
      : await resolveTreeSource(spec.source.dir);
  const fragments = fragmentsFor(source.version, spec.variant).map((f) => join(scriptsDir, f));
  const patches = await Promise.all(
    spec.patches.map(async (file) => {
      try {
        return { file, text: await readFile(file, 'utf8') };
      } catch (err) {
        throw new KernelError('KRN003', `patch ${file} cannot be read`, { cause: err });
      }
    }),
  );
  const toolchain = await toolchainVersion();
  const key = kernelCacheKey({
    source: source.identity,
    fragments: await Promise.all(fragments.map((f) => readFile(f, 'utf8'))),
    variant: spec.variant,
    patches: patches.map((p) => p.text),
    toolchain,
  });
  const dest = join(
    cache,
    kernelDirName({ label: source.label, variant: spec.variant, patched: patches.length > 0, key }),
  );
  return { spec, source, fragments, patches, toolchain, key, dest };
}

async function loadBuilt(
  spec: KernelSpec,
  dir: string,
  toolsArchive: string | undefined,
): Promise<GuestKernelInfo> {
  const meta = JSON.parse(await readFile(join(dir, 'kernel.json'), 'utf8')) as KernelMeta;
  const choice = guestToolsFor(meta.version);
  return {
    name: spec.name,
    spec: spec.text,
    release: meta.release,
    version: meta.version,
    variant: meta.variant,
    image: join(dir, 'Image'),
    modulesDir: join(dir, 'modules'),
    config: join(dir, 'config'),
    dir,
    guestTools: { ...choice, archive: toolsArchive, ethtool: await ethtoolVersion(toolsArchive) },
    source: meta.source,
    patches: meta.patches.map((p) => p.file),
  };
}

async function ethtoolVersion(archive: string | undefined): Promise<string | undefined> {
  if (!archive) return undefined;
  try {
    return (await readFile(`${archive}.ethtool-version`, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

/** The guest tools archive for a choice if it is built (no download). */
async function builtToolsArchive(choice: GuestToolsChoice): Promise<string | undefined> {
  try {
    const { stdout } = await execFileP('bash', [
      join(scriptsDir, 'guest-tools', 'build.sh'),
      '--suite',
      choice.suite,
      '--check',
    ]);
    return stdout.trim().split('\n').at(-1);
  } catch {
    return undefined;
  }
}

const asSpec = (spec: KernelSpec | string): KernelSpec =>
  typeof spec === 'string' ? parseKernelSpec(spec) : spec;

/** The kernel a spec names if it is built (or, prebuilt, readable), without building anything. */
export async function findKernel(specIn: KernelSpec | string): Promise<GuestKernelInfo | undefined> {
  const spec = asSpec(specIn);
  if (spec.source.kind === 'prebuilt') return prebuilt(spec, false);
  const p = await plan(spec);
  if (!existsSync(join(p.dest, '.done'))) return undefined;
  return loadBuilt(spec, p.dest, await builtToolsArchive(guestToolsFor(p.source.version)));
}

/** Builds the kernel a spec names, or takes it from the cache; with its guest tools archive. */
export async function ensureKernel(
  specIn: KernelSpec | string,
  o: EnsureOptions = {},
): Promise<GuestKernelInfo> {
  const spec = asSpec(specIn);
  const onProgress = o.onProgress ?? (() => {});
  let info: GuestKernelInfo;
  if (spec.source.kind === 'prebuilt') {
    info = await prebuilt(spec, true);
  } else {
    const p = await plan(spec);
    if (o.rebuild === true || !existsSync(join(p.dest, '.done'))) await buildPlanned(p, o, onProgress);
    info = await loadBuilt(spec, p.dest, await guestToolsArchive(guestToolsFor(p.source.version)));
  }
  if (o.out) {
    await mkdir(join(o.out, 'modules'), { recursive: true });
    await copyFile(info.image, join(o.out, 'Image'));
    for (const m of await readdir(info.modulesDir))
      if (m.endsWith('.ko')) await copyFile(join(info.modulesDir, m), join(o.out, 'modules', m));
    if (info.config) await copyFile(info.config, join(o.out, 'config'));
  }
  return info;
}

async function buildPlanned(
  p: Planned,
  o: EnsureOptions,
  onProgress: (p: BuildProgress) => void,
): Promise<void> {
  const cache = kernelCacheDir();
  await checkHostTools(p.patches.length > 0);
  // One kernel build at a time on this machine (builds from every checkout share the cache and its work trees).
  const lock = await acquireLock(join(cache, 'kernel-build.lock'), () =>
    onProgress({ phase: 'wait', message: 'waiting for another kernel build to finish' }),
  );
  try {
    if (o.rebuild !== true && existsSync(join(p.dest, '.done'))) return;
    const started = Date.now();
    const loadStart = Math.round((loadavg()[0] ?? 0) * 10) / 10;
    const work = join(cache, 'kernel-work', p.source.lineage);
    const src = join(work, 'src');
    const from = await p.source.materialize((m) => onProgress({ phase: 'source', message: m }));
    onProgress({ phase: 'source', message: `syncing the work tree (${from.files.length} files)` });
    await syncTree({ from: from.dir, to: src, files: from.files, link: from.link });
    if (p.patches.length > 0) {
      onProgress({ phase: 'source', message: `applying ${p.patches.length} patch(es)` });
      await applyPatches(src, p.patches);
    }
    const upstream = (await makefileVersion(src))?.full;
    onProgress({
      phase: 'configure',
      message: `allnoconfig + ${p.fragments.map((f) => basename(f)).join(' + ')}`,
    });
    const { config, check } = await configure({
      src,
      dir: join(work, 'config'),
      fragments: p.fragments,
      version: p.source.version,
    });
    const jobs = o.jobs ?? (Number(process.env.JOBS) || undefined);
    const out = await build({
      src,
      workDir: work,
      config,
      toolchain: p.toolchain,
      check,
      ...(jobs ? { jobs } : {}),
      ...(await expectedObjectsFor(cache, p)),
      onProgress,
    });
    const meta: KernelMeta = {
      spec: p.spec.text,
      key: p.key,
      recipe: KERNEL_RECIPE,
      release: out.release,
      version: p.source.version,
      upstream,
      variant: p.spec.variant,
      source: p.source.debian
        ? {
            kind: 'debian',
            package: p.source.debian.package,
            debianVersion: p.source.debian.version,
            suite: p.source.debian.suite,
          }
        : {
            kind: 'tree',
            dir: p.source.tree?.dir ?? '',
            git: p.source.tree?.git ?? false,
            head: p.source.tree?.head,
            dirty: p.source.tree?.dirty ?? false,
          },
      identity: p.source.identity,
      patches: p.patches.map((x) => ({
        file: x.file,
        sha256: createHash('sha256').update(x.text).digest('hex'),
      })),
      fragments: p.fragments.map((f) => basename(f)),
      vanished: check.vanished,
      toolchain: p.toolchain,
      build: {
        builtAt: new Date().toISOString(),
        seconds: Math.round((Date.now() - started) / 100) / 10,
        makeSeconds: Math.round(out.makeSeconds * 10) / 10,
        cpuSeconds: out.cpuSeconds === undefined ? undefined : Math.round(out.cpuSeconds),
        loadAverage: [loadStart, Math.round((loadavg()[0] ?? 0) * 10) / 10],
        compiled: out.compiled,
        objects: out.objects,
        jobs: jobs ?? 0,
        tree: out.buildTree,
      },
    };
    await install(out, p.dest, meta);
  } finally {
    lock.release();
  }
}

/** Fallback totals for a cold build's progress, measured on this project's fragments (docs/guest-kernel.md). */
const COLD_OBJECTS: Record<KernelVariant, number> = { plain: 2100, kasan: 2100, lockdep: 2150 };

async function expectedObjectsFor(cache: string, p: Planned): Promise<{ expectedObjects?: number }> {
  const n = (await expectedObjects(cache, p.source.version, p.spec.variant)) ?? COLD_OBJECTS[p.spec.variant];
  return { expectedObjects: n };
}

// ---- Kernels built elsewhere ---------------------------------------------------------------------

/**
 * An Image and a modules directory built elsewhere. The release comes from a module's vermagic (first word)
 * or, with no modules, from the "Linux version" banner in the (uncompressed arm64) Image; a `config` or
 * `.config` beside the Image, when present, tells the variant.
 */
async function prebuilt(spec: KernelSpec, buildTools: boolean): Promise<GuestKernelInfo> {
  if (spec.source.kind !== 'prebuilt') throw new Error('unreachable');
  const { image, modulesDir } = spec.source;
  const release = await prebuiltRelease(image, modulesDir);
  const version = parseVersion(release);
  if (!version) throw new KernelError('KRN007', `${image}: release "${release}" has no X.Y version`);
  const xy = `${version[0]}.${version[1]}`;
  let config: string | undefined;
  let variant: KernelVariant | undefined;
  for (const c of [join(dirname(image), 'config'), join(dirname(image), '.config')]) {
    if (!existsSync(c)) continue;
    config = c;
    const opts = parseDotConfig(await readFile(c, 'utf8'));
    variant = opts.get('KASAN') === 'y' ? 'kasan' : opts.get('PROVE_LOCKING') === 'y' ? 'lockdep' : 'plain';
    break;
  }
  const choice = guestToolsFor(xy);
  const archive = buildTools ? await guestToolsArchive(choice) : await builtToolsArchive(choice);
  return {
    name: spec.name,
    spec: spec.text,
    release,
    version: xy,
    variant,
    image,
    modulesDir,
    config,
    dir: dirname(image),
    guestTools: { ...choice, archive, ethtool: await ethtoolVersion(archive) },
    source: { kind: 'prebuilt', image, modulesDir },
    patches: [],
  };
}

export async function prebuiltRelease(image: string, modulesDir: string): Promise<string> {
  let modules: string[] = [];
  try {
    modules = (await readdir(modulesDir)).filter((f) => f.endsWith('.ko')).sort();
  } catch (err) {
    throw new KernelError('KRN007', `modules directory ${modulesDir} cannot be read`, { cause: err });
  }
  for (const m of modules) {
    const vermagic = modinfo(await readFile(join(modulesDir, m))).get('vermagic');
    const release = vermagic?.split(' ')[0];
    if (release) return release;
  }
  let handle;
  try {
    handle = await open(image, 'r');
  } catch (err) {
    throw new KernelError('KRN007', `kernel image ${image} cannot be read`, { cause: err });
  }
  try {
    // The banner sits in .rodata, well inside the first 64 MiB of any guest Image.
    const buf = Buffer.alloc(64 * 1024 * 1024);
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    const m = /Linux version (\S+) \(/.exec(buf.toString('latin1', 0, bytesRead));
    if (m?.[1]) return m[1];
  } finally {
    await handle.close();
  }
  throw new KernelError(
    'KRN007',
    `no kernel release in ${image} (no "Linux version" banner: a compressed image?) nor in the vermagic of ${modulesDir}/*.ko`,
  );
}

// ---- The Linux 6.1 guest as the tests and the demo have always asked for it --------------------------

export interface GuestKernel {
  dir: string;
  image: string;
  modulesDir: string;
}

/** The cached Linux 6.1 guest (plain or KASAN) if built on this machine, without building. */
export async function findGuestKernel(o: { kasan?: boolean } = {}): Promise<GuestKernel | undefined> {
  return findKernel(o.kasan === true ? '6.1+kasan' : '6.1').catch(() => undefined);
}

/** Builds the Linux 6.1 guest kernel and modules, or reuses the cached build. */
export async function ensureGuestKernel(
  o: { kasan?: boolean; out?: string; onProgress?: (p: BuildProgress) => void } = {},
): Promise<GuestKernel> {
  const k = await ensureKernel(o.kasan === true ? '6.1+kasan' : '6.1', {
    ...(o.out ? { out: o.out } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  return o.out ? { dir: o.out, image: join(o.out, 'Image'), modulesDir: join(o.out, 'modules') } : k;
}

export type { BuildProgress } from './kernel-build.js';
