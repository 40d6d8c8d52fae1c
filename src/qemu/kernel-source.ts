import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import {
  copyFile,
  link,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  realpath,
  rename,
  rm,
  stat,
  symlink,
  unlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from './initramfs.js';
import { KernelError } from './kernel-errors.js';
import { compareVersions } from './kernel-spec.js';

/**
 * Where a guest kernel's source comes from and how it reaches the private work tree it is built in:
 * Debian's `linux-source-X.Y` binary packages (the tarball under /usr/src, unpacked, never installed), or a
 * developer's tree (git or plain). Everything here does I/O; the decisions are in kernel-spec/-config/-key.
 */

const execFileP = promisify(execFile);

/** Runs a tool and returns stdout; a failure becomes a KernelError with the tool's last output lines. */
export async function tool(
  code: 'KRN003' | 'KRN004' | 'KRN006' | 'KRN008',
  what: string,
  cmd: string,
  args: readonly string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; maxBuffer?: number } = {},
): Promise<string> {
  try {
    const { stdout } = await execFileP(cmd, args, {
      cwd: o.cwd,
      env: o.env ?? process.env,
      maxBuffer: o.maxBuffer ?? 64 * 1024 * 1024,
      encoding: 'utf8',
    });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    const detail = tail(`${e.stdout ?? ''}\n${e.stderr ?? ''}`, 30);
    const first = detail.split('\n').findLast((l) => l.trim().length > 0) ?? e.message;
    throw new KernelError(code, `${what}: ${first.trim()}`, { cause: err, output: detail });
  }
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/** A source ready to be synced into a work tree. */
export interface ResolvedSource {
  /** `7.2` (major.minor of the tree). */
  version: string;
  /** `7.2.13` from the tree's Makefile (filled once the tree is at hand). */
  upstream?: string;
  /** Content identity for the cache key (kernel-key.ts). */
  identity: string;
  /** Short readable label for the cache directory: `7.2`, `src-linux`. */
  label: string;
  /** Work tree family: builds of one lineage share a work tree and its build trees. */
  lineage: string;
  debian?: { package: string; version: string; suite: string };
  tree?: { dir: string; git: boolean; head?: string; dirty: boolean };
  /** Brings the source to a local directory; returns it and the files to copy (relative paths). */
  materialize(onMessage: (m: string) => void): Promise<{ dir: string; files: string[]; link: boolean }>;
}

// ---- Debian ---------------------------------------------------------------------------------------

/** Suites whose `linux-source-X.Y` a version comes from; others are looked up in sid, then trixie. */
export const DEBIAN_SUITES: Readonly<Record<string, string>> = {
  '6.1': 'bookworm',
  '6.12': 'trixie',
  '7.2': 'sid',
};

const runDebianSuite = (args: string[]): Promise<string> =>
  tool('KRN003', `scripts/debian-suite.sh ${args.join(' ')}`, 'bash', [
    join(repoRoot, 'scripts', 'debian-suite.sh'),
    ...args,
  ]).then((s) => s.trim());

/**
 * `debian-suite.sh version|depends SUITE PKG`, remembered until the suite's package lists change: apt-cache
 * over unstable's lists costs seconds of CPU, and every lookup of a cached kernel asks. debian-suite.sh
 * refreshes the lists at most once a day and touches `lists/.updated` when it does; answers are kept beside
 * that stamp with its mtime, and a day-old stamp sends the question to debian-suite.sh (which refreshes).
 */
async function debianSuite(args: [string, string, string]): Promise<string> {
  const [, suite] = args;
  const cache = kernelCacheDir();
  const stamp = join(cache, `apt-${suite}`, 'lists', '.updated');
  const memoFile = join(cache, `apt-${suite}`, 'mdio-emu-answers.json');
  const key = args.join(' ');
  const fresh = async (): Promise<number | undefined> => {
    const st = await stat(stamp).catch(() => undefined);
    return st && Date.now() - st.mtimeMs < 23 * 3600 * 1000 ? st.mtimeMs : undefined;
  };
  const at = await fresh();
  let memo: { stamp: number; answers: Record<string, string> } = { stamp: -1, answers: {} };
  try {
    memo = JSON.parse(await readFile(memoFile, 'utf8')) as typeof memo;
  } catch {
    // none yet
  }
  const known = memo.answers[key];
  if (at !== undefined && memo.stamp === at && known !== undefined) return known;
  const answer = await runDebianSuite(args);
  const now = (await stat(stamp).catch(() => undefined))?.mtimeMs;
  if (now !== undefined) {
    const answers = memo.stamp === now ? { ...memo.answers, [key]: answer } : { [key]: answer };
    await writeFile(`${memoFile}.${process.pid}`, JSON.stringify({ stamp: now, answers }));
    await rename(`${memoFile}.${process.pid}`, memoFile);
  }
  return answer;
}

async function installedVersion(pkg: string): Promise<string | undefined> {
  try {
    const { stdout } = await execFileP('dpkg-query', ['-W', '-f=${Status} ${Version}', pkg]);
    const m = /^install ok installed (\S+)$/.exec(stdout.trim());
    return m?.[1];
  } catch {
    return undefined;
  }
}

/**
 * `6.1`, `6.12`, `7.2`, `newest`, or any `X.Y` a suite publishes. `newest` is what unstable's `linux-source`
 * metapackage depends on today, resolved now and cached by the exact version it names. A `linux-source-X.Y`
 * installed on this machine wins (its own apt sources include the security updates; bookworm's 6.1 lives there).
 */
export async function resolveDebianSource(version: string, cache: string): Promise<ResolvedSource> {
  let line = version;
  if (version === 'newest') {
    const deps = (await debianSuite(['depends', 'sid', 'linux-source'])).split('\n');
    const pkg = deps.find((d) => /^linux-source-\d+\.\d+$/.test(d));
    if (!pkg)
      throw new KernelError(
        'KRN002',
        `unstable's linux-source names no linux-source-X.Y (${deps.join(', ')})`,
      );
    line = pkg.slice('linux-source-'.length);
  }
  const pkg = `linux-source-${line}`;
  const installed = await installedVersion(pkg);
  let suite = 'installed';
  let exact = installed;
  if (!exact) {
    const known = DEBIAN_SUITES[line];
    const candidates = known !== undefined ? [known] : ['sid', 'trixie'];
    for (const s of candidates) {
      const v = await debianSuite(['version', s, pkg]);
      if (v && v !== '(none)') {
        suite = s;
        exact = v;
        break;
      }
    }
  }
  if (!exact)
    throw new KernelError(
      'KRN002',
      `no Debian package ${pkg} (looked in ${DEBIAN_SUITES[line] ?? 'sid, trixie'}${line === '6.1' ? '; scripts/setup.sh installs it' : ''})`,
    );
  const debVersion = exact;
  const pristine = join(cache, 'linux-src', `debian-${debVersion}`);
  return {
    version: line,
    identity: `debian:${pkg}=${debVersion}`,
    label: line,
    lineage: `debian-${line}`,
    debian: { package: pkg, version: debVersion, suite },
    async materialize(onMessage) {
      await extractDebianSource(pkg, debVersion, suite, line, pristine, onMessage);
      return { dir: pristine, files: await listFiles(pristine), link: true };
    },
  };
}

async function extractDebianSource(
  pkg: string,
  debVersion: string,
  suite: string,
  line: string,
  pristine: string,
  onMessage: (m: string) => void,
): Promise<void> {
  const stamp = `${pristine}.done`;
  if (existsSync(stamp)) return;
  // The kbuild test unpacks the same tree (scripts/kbuild-dtbs.ts) under the same lock: one unpacks it, the
  // others wait and find the stamp.
  const lock = await acquireLock(`${pristine}.lock`, () =>
    onMessage(`waiting for ${pristine} to be unpacked`),
  );
  try {
    if (!existsSync(stamp)) await unpackDebianSource(pkg, debVersion, suite, line, pristine, onMessage);
  } finally {
    lock.release();
  }
}

async function unpackDebianSource(
  pkg: string,
  debVersion: string,
  suite: string,
  line: string,
  pristine: string,
  onMessage: (m: string) => void,
): Promise<void> {
  const stamp = `${pristine}.done`;
  const tmp = `${pristine}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  let deb: string;
  let cleanup: string | undefined;
  if (suite === 'installed') {
    deb = '';
  } else {
    onMessage(`downloading ${pkg} ${debVersion} (${suite})`);
    cleanup = `${pristine}.deb`;
    await rm(cleanup, { recursive: true, force: true });
    await runDebianSuite(['download', suite, cleanup, pkg]);
    const debs = (await readdir(cleanup)).filter((f) => f.endsWith('.deb'));
    if (debs.length !== 1 || debs[0] === undefined)
      throw new KernelError('KRN003', `${pkg}: expected one .deb, got ${debs.join(', ') || 'none'}`);
    deb = join(cleanup, debs[0]);
    const got = (await tool('KRN003', 'dpkg-deb', 'dpkg-deb', ['-f', deb, 'Version'])).trim();
    if (got !== debVersion)
      throw new KernelError(
        'KRN003',
        `${pkg}: downloaded ${got}, expected ${debVersion} (suite moved on: retry)`,
      );
  }
  onMessage(`unpacking ${pkg} ${debVersion}`);
  const tarball = `usr/src/linux-source-${line}.tar.xz`;
  // The tarball holds one top directory (linux-source-X.Y/); the tree goes to `pristine` without it.
  const script =
    suite === 'installed'
      ? `xz -dc "/${tarball}" | tar -x -C "$1" --strip-components=1`
      : `dpkg-deb --fsys-tarfile "$2" | tar -xO "./${tarball}" | xz -dc | tar -x -C "$1" --strip-components=1`;
  await tool('KRN003', `unpacking ${pkg}`, 'bash', ['-o', 'pipefail', '-c', script, 'unpack', tmp, deb]);
  const upstream = await makefileVersion(tmp);
  // 7.2.13-1 holds Linux 7.2.13; a release candidate (7.3~rc4-1) holds SUBLEVEL 0.
  const matches =
    upstream !== undefined &&
    (debVersion.startsWith(upstream.full) ||
      (upstream.full.endsWith('.0') && debVersion.startsWith(`${upstream.version}~`)));
  if (!matches)
    throw new KernelError(
      'KRN003',
      `${pkg} ${debVersion} unpacked a Linux ${upstream?.full ?? 'of unknown version'}`,
    );
  await rm(pristine, { recursive: true, force: true });
  await rename(tmp, pristine);
  if (cleanup) await rm(cleanup, { recursive: true, force: true });
  await writeFile(stamp, `${pkg}=${debVersion}\n`);
}

// ---- Trees ----------------------------------------------------------------------------------------

/** VERSION.PATCHLEVEL(.SUBLEVEL) from a tree's top Makefile. */
export async function makefileVersion(dir: string): Promise<{ version: string; full: string } | undefined> {
  let text: string;
  try {
    text = (await readFile(join(dir, 'Makefile'), 'utf8')).slice(0, 2000);
  } catch {
    return undefined;
  }
  const get = (k: string): string | undefined => new RegExp(`^${k}\\s*=\\s*(\\S*)`, 'm').exec(text)?.[1];
  const major = get('VERSION');
  const minor = get('PATCHLEVEL');
  if (!major || !minor) return undefined;
  const sub = get('SUBLEVEL');
  const version = `${major}.${minor}`;
  return { version, full: sub ? `${version}.${sub}` : version };
}

async function git(dir: string, args: string[]): Promise<string> {
  return tool('KRN003', `git ${args[0] ?? ''} in ${dir}`, 'git', ['-C', dir, ...args], {
    maxBuffer: 1024 * 1024 * 1024,
  });
}

/**
 * A developer's tree. A git work tree is identified by HEAD, the uncommitted diff against it and the untracked
 * files git does not ignore (by content), and copied as `git ls-files` lists it (so in-tree build output,
 * which .gitignore covers, stays behind). A plain directory is identified by every file's path, size and
 * modification time, and must hold no in-tree build output (O= builds refuse such a tree).
 */
export async function resolveTreeSource(dirIn: string): Promise<ResolvedSource> {
  let dir: string;
  try {
    dir = await realpath(dirIn);
  } catch {
    throw new KernelError('KRN003', `kernel source directory ${dirIn} does not exist`);
  }
  const v = await makefileVersion(dir);
  if (!v || !existsSync(join(dir, 'Kconfig')))
    throw new KernelError(
      'KRN003',
      `${dirIn} is not a Linux source tree (no Makefile VERSION/PATCHLEVEL, no Kconfig)`,
    );
  if (compareVersions(v.version, '6.1') < 0)
    throw new KernelError('KRN009', `${dirIn} is Linux ${v.full}; guest kernels start at 6.1`);

  let isGit = false;
  try {
    isGit = (await realpath((await git(dir, ['rev-parse', '--show-toplevel'])).trim())) === dir;
  } catch {
    isGit = false;
  }
  const lineage = `src-${basename(dir).replace(/[^A-Za-z0-9._-]/g, '_')}-${sha256(dir).slice(0, 8)}`;
  const base = { version: v.version, upstream: v.full, label: `src-${v.version}`, lineage };

  if (isGit) {
    const head = (await git(dir, ['rev-parse', 'HEAD'])).trim();
    const diff = await git(dir, ['diff', 'HEAD', '--binary']);
    const untracked = (await git(dir, ['ls-files', '-z', '--others', '--exclude-standard']))
      .split('\0')
      .filter(Boolean)
      .sort();
    const u = createHash('sha256');
    for (const f of untracked) {
      u.update(`${f}\0`);
      try {
        u.update(await readFile(join(dir, f)));
      } catch {
        u.update('(unreadable)');
      }
    }
    const dirty = diff.length > 0 || untracked.length > 0;
    return {
      ...base,
      identity: `git:${head}+${sha256(diff)}+${u.digest('hex')}`,
      tree: { dir, git: true, head, dirty },
      async materialize() {
        const listed = (
          await git(dir, ['ls-files', '-z', '--cached', '--others', '--exclude-standard'])
        ).split('\0');
        const files: string[] = [];
        for (const f of new Set(listed)) {
          if (!f) continue;
          const s = await lstat(join(dir, f)).catch(() => undefined);
          // Deleted-but-tracked files and submodule directories are not part of the tree to build.
          if (s && (s.isFile() || s.isSymbolicLink())) files.push(f);
        }
        return { dir, files, link: await sameDevice(dir) };
      },
    };
  }

  for (const out of ['.config', 'include/config', 'include/generated'])
    if (existsSync(join(dir, out)))
      throw new KernelError(
        'KRN009',
        `${dirIn} holds in-tree build output (${out}); out-of-tree builds need a clean tree (make mrproper)`,
      );
  const files = await listFiles(dir, ['.git']);
  const h = createHash('sha256');
  for (const f of files) {
    const s = await lstat(join(dir, f));
    h.update(`${f}\0${s.size}\0${Math.trunc(s.mtimeMs)}\n`);
  }
  return {
    ...base,
    identity: `dir:${h.digest('hex')}`,
    tree: { dir, git: false, dirty: false },
    async materialize() {
      return { dir, files: await listFiles(dir, ['.git']), link: await sameDevice(dir) };
    },
  };
}

let cacheDevice: number | undefined;
/** Hard links need one filesystem; the work trees live in the cache. */
async function sameDevice(dir: string): Promise<boolean> {
  cacheDevice ??= (await stat(kernelCacheDir())).dev;
  return (await stat(dir)).dev === cacheDevice;
}

export function kernelCacheDir(): string {
  return process.env.MDIO_EMU_CACHE ?? join(process.env.HOME ?? '/tmp', '.cache', 'mdio-emu');
}

// ---- Work trees -----------------------------------------------------------------------------------

/** Regular files and symlinks under `root`, relative, sorted; `skip` names top-level entries to leave out. */
export async function listFiles(root: string, skip: readonly string[] = []): Promise<string[]> {
  const out: string[] = [];
  const dirs = [''];
  while (dirs.length > 0) {
    const rel = dirs.pop() ?? '';
    for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (!rel && skip.includes(e.name)) continue;
      if (e.isDirectory()) dirs.push(p);
      else if (e.isFile() || e.isSymbolicLink()) out.push(p);
    }
  }
  return out.sort();
}

async function pool<T>(items: readonly T[], width: number, f: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await f(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
}

async function sameContent(a: string, b: string): Promise<boolean> {
  const [x, y] = await Promise.all([readFile(a), readFile(b)]);
  return x.equals(y);
}

export interface SyncResult {
  unchanged: number;
  added: number;
  replaced: number;
  removed: number;
}

/**
 * Makes `to` hold exactly `files` of `from`, touching as little as possible, so that make's timestamps stay
 * meaningful for the build trees built from `to`:
 * - a file whose size and mtime match, or whose content matches, is left alone;
 * - a file new to `to` is hard-linked (`link`) or copied with its original mtime (nothing was built from it);
 * - a file whose content differs is replaced by a fresh copy with the current time as mtime, so everything built
 *   from the old content (a patched file, an older revision) is rebuilt, even when the new content is older;
 * - files not listed are removed.
 * Nothing in `from` is ever written: replacements are written beside and renamed over, never in place.
 */
export async function syncTree(o: {
  from: string;
  to: string;
  files: readonly string[];
  link: boolean;
}): Promise<SyncResult> {
  const r: SyncResult = { unchanged: 0, added: 0, replaced: 0, removed: 0 };
  await mkdir(o.to, { recursive: true });
  const wanted = new Set(o.files);
  const present = await listFiles(o.to);
  await pool(present, 32, async (f) => {
    if (!wanted.has(f)) {
      await unlink(join(o.to, f));
      r.removed++;
    }
  });
  const made = new Set<string>();
  const ensureDir = async (d: string): Promise<void> => {
    if (made.has(d)) return;
    await mkdir(d, { recursive: true });
    made.add(d);
  };
  await pool(o.files, 32, async (f) => {
    const src = join(o.from, f);
    const dst = join(o.to, f);
    const s = await lstat(src);
    const d = await lstat(dst).catch(() => undefined);
    if (s.isSymbolicLink()) {
      const target = await readlink(src);
      if (d?.isSymbolicLink() && (await readlink(dst)) === target) {
        r.unchanged++;
        return;
      }
      await ensureDir(dirname(dst));
      await symlink(target, `${dst}.sync-tmp`);
      await rename(`${dst}.sync-tmp`, dst);
      if (d) r.replaced++;
      else r.added++;
      return;
    }
    if (d?.isFile() && d.size === s.size) {
      // Trees unpacked from Debian's tarball give every file one mtime, so between two such trees (a new
      // upload of the same line) only the inode or the content says "same"; a developer's copied tree keeps
      // real mtimes, which are trusted as rsync does.
      const sameMtime = !o.link && Math.trunc(d.mtimeMs) === Math.trunc(s.mtimeMs);
      if (d.ino === s.ino || sameMtime || (await sameContent(src, dst))) {
        r.unchanged++;
        return;
      }
    }
    if (d?.isDirectory()) await rm(dst, { recursive: true });
    const existed = d !== undefined && !d.isDirectory();
    await ensureDir(dirname(dst));
    if (!existed && o.link) {
      await link(src, dst);
      r.added++;
      return;
    }
    await copyFile(src, `${dst}.sync-tmp`);
    if (!existed) await utimes(`${dst}.sync-tmp`, s.atime, s.mtime);
    await rename(`${dst}.sync-tmp`, dst);
    if (existed) r.replaced++;
    else r.added++;
  });
  return r;
}

/**
 * Files a patch creates, changes or deletes (`--- a/X`, `+++ b/Y`, git's rename/copy lines), relative to the
 * tree (one leading component stripped, as `patch -p1` does).
 */
export function patchTargets(text: string): string[] {
  const out = new Set<string>();
  const strip = (p: string): string | undefined => {
    const path = p.split('\t')[0]?.trim() ?? '';
    if (path === '/dev/null' || path.length === 0) return undefined;
    const slash = path.indexOf('/');
    return slash < 0 ? undefined : path.slice(slash + 1);
  };
  for (const line of text.split('\n')) {
    const m = /^(?:---|\+\+\+) (.+)$/.exec(line);
    const g = /^(?:rename|copy) (?:from|to) (.+)$/.exec(line);
    const p = m?.[1] !== undefined ? strip(m[1]) : g?.[1];
    if (p) out.add(p);
  }
  return [...out].sort();
}

/**
 * Applies a series to the work tree with GNU patch (`-p1`; git format-patch mails, plain unified diffs and
 * zero-context diffs alike). Every target is first made a private copy, so a hard link into the pristine tree
 * or the developer's tree is never written through.
 */
export async function applyPatches(
  workSrc: string,
  patches: readonly { file: string; text: string }[],
): Promise<void> {
  for (const p of patches) {
    for (const t of patchTargets(p.text)) {
      const f = join(workSrc, t);
      const s = await lstat(f).catch(() => undefined);
      if (s?.isFile() && s.nlink > 1) {
        await copyFile(f, `${f}.sync-tmp`);
        await rename(`${f}.sync-tmp`, f);
      }
    }
    await tool('KRN004', `patch ${p.file} does not apply`, 'patch', [
      '-p1',
      '--forward',
      '--batch',
      '--no-backup-if-mismatch',
      '--reject-file=-',
      '-d',
      workSrc,
      '-i',
      p.file,
    ]);
  }
}

/** Holds an exclusive flock(1) on `file` until release() or this process ends (the kernel drops it then). */
export async function acquireLock(file: string, onWait: () => void): Promise<{ release: () => void }> {
  await mkdir(dirname(file), { recursive: true });
  const child = spawn('flock', ['-x', file, 'sh', '-c', 'echo locked; exec cat >/dev/null'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const waiting = setTimeout(onWait, 500);
  try {
    await new Promise<void>((resolve, reject) => {
      child.on('error', (err) =>
        reject(new KernelError('KRN008', `flock (util-linux) is needed: ${err.message}`, { cause: err })),
      );
      child.on('exit', (code) => reject(new KernelError('KRN008', `flock on ${file} exited with ${code}`)));
      child.stdout.once('data', () => resolve());
    });
  } finally {
    clearTimeout(waiting);
  }
  child.removeAllListeners('exit');
  child.unref();
  (child.stdout as { unref?: () => void }).unref?.();
  (child.stdin as unknown as { unref?: () => void }).unref?.();
  return { release: () => child.stdin.end() };
}
