import { execFile } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../package-root.js';
import { guestToolsFor, type GuestToolsChoice } from './guest-tools.js';

const run = promisify(execFile);
const here = join(packageRoot, 'src', 'qemu');
export const repoRoot = packageRoot;

/** The guest agent's shell part (guest-agent.sh), shipped next to this file. */
export function readAgentScript(): Promise<string> {
  return readFile(join(here, 'guest-agent.sh'), 'utf8');
}

/**
 * Packs busybox, the init script and the modules into a gzip'd newc cpio (scripts/build-initramfs.sh), then
 * appends `extraArchives` (gzip'd cpio archives such as the guest tools): the kernel unpacks concatenated
 * archives in order (Documentation/driver-api/early-userspace/buffer-format.rst).
 */
export async function buildInitramfs(o: {
  initFile: string;
  modules: readonly string[];
  out: string;
  /** A directory laid out as the guest's /lib/firmware. */
  firmwareDir?: string;
  extraArchives?: readonly string[];
}): Promise<string> {
  const args = [
    join(repoRoot, 'scripts', 'build-initramfs.sh'),
    '--init',
    o.initFile,
    '--out',
    o.out,
    ...o.modules.flatMap((m) => ['--module', m]),
    ...(o.firmwareDir === undefined ? [] : ['--firmware', o.firmwareDir]),
  ];
  await run('bash', args, { timeout: 300_000 });
  for (const archive of o.extraArchives ?? []) await appendFile(o.out, await readFile(archive));
  return o.out;
}

/**
 * The guest tools archive (scripts/guest-tools/build.sh) for a kernel's choice of userspace
 * (src/qemu/guest-tools.ts; default: Linux 6.1's, Debian 12's ethtool behind a wrapper that sends
 * --show-pse/--set-pse to pse-tool), built once per machine and cached.
 */
export async function guestToolsArchive(choice: GuestToolsChoice = guestToolsFor('6.1')): Promise<string> {
  try {
    const { stdout } = await run(
      'bash',
      [join(repoRoot, 'scripts', 'guest-tools', 'build.sh'), '--suite', choice.suite],
      { timeout: 300_000 },
    );
    return stdout.trim().split('\n').at(-1) ?? '';
  } catch (err) {
    const stderr = (err as { stderr?: string }).stderr ?? '';
    throw new Error(
      `the guest tools (${choice.suite} ethtool${choice.pseTool ? ', pse-tool' : ''}) could not be built: ${stderr.trim() || (err as Error).message}`,
      { cause: err },
    );
  }
}
