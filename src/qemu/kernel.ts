import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './initramfs.js';

export interface GuestKernel {
  dir: string;
  image: string;
  modulesDir: string;
}

export interface KernelOptions {
  kasan?: boolean;
  out?: string;
  /** Build lines as they come (the build takes minutes: show progress). */
  onOutput?: (line: string) => void;
}

function kernelAt(dir: string): GuestKernel {
  return { dir, image: join(dir, 'Image'), modulesDir: join(dir, 'modules') };
}

function script(
  args: string[],
  onOutput?: (line: string) => void,
): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [join(repoRoot, 'scripts', 'build-guest-kernel.sh'), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      for (const line of c.split('\n')) if (line) onOutput?.(line);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

/** The cached guest kernel if it was built on this machine, without building. */
export async function findGuestKernel(o: { kasan?: boolean } = {}): Promise<GuestKernel | undefined> {
  const { code, stdout } = await script(['--check', ...(o.kasan ? ['--kasan'] : [])]);
  return code === 0 ? kernelAt(stdout.trim().split('\n').at(-1) ?? '') : undefined;
}

/** Builds the guest kernel and modules (scripts/build-guest-kernel.sh), or reuses the cached build. */
export async function ensureGuestKernel(o: KernelOptions = {}): Promise<GuestKernel> {
  const args = [...(o.kasan ? ['--kasan'] : []), ...(o.out ? ['--out', o.out] : [])];
  const { code, stdout } = await script(args, o.onOutput);
  if (code !== 0) throw new Error(`guest kernel build failed (scripts/build-guest-kernel.sh exit ${code})`);
  const dir = stdout.trim().split('\n').at(-1) ?? '';
  return kernelAt(o.out ?? dir);
}
