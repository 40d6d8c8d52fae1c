import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = join(here, '..', '..');

/** The shell halves of the guest /init, shipped next to this file. */
export async function readInitShell(): Promise<{ prologue: string; epilogue: string }> {
  const [prologue, epilogue] = await Promise.all([readFile(join(here, 'guest-init-lib.sh'), 'utf8'), readFile(join(here, 'guest-init-end.sh'), 'utf8')]);
  return { prologue, epilogue };
}

/** Packs busybox, the init script and the modules into a gzip'd newc cpio (scripts/build-initramfs.sh). */
export async function buildInitramfs(o: { initFile: string; modules: readonly string[]; out: string }): Promise<string> {
  const args = [join(repoRoot, 'scripts', 'build-initramfs.sh'), '--init', o.initFile, '--out', o.out, ...o.modules.flatMap((m) => ['--module', m])];
  await run('bash', args, { timeout: 300_000 });
  return o.out;
}
