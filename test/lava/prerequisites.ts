import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { findKernel, type GuestKernelInfo } from '../../src/qemu/kernel.js';
import type { LavaKernel } from '../../src/lava/index.js';
import { qemuBinary } from '../../src/qemu/machine.js';
import { kernelColumn } from '../../src/qemu/matrix.js';

/**
 * What the LAVA tests need: Debian's lava-common (the job schema and its validator, under the system's own
 * Python, which has voluptuous), lava-dispatcher for lava-run (as root), QEMU and a built guest kernel.
 * scripts/setup.sh --ci installs them; CI fails rather than skips when one is missing.
 */
export const SYSTEM_PYTHON = '/usr/bin/python3';
export const LAVA_SCHEMA = '/usr/share/lava-common/lava-schema.py';
export const LAVA_RUN = '/usr/bin/lava-run';

export interface LavaPrerequisites {
  kernel: LavaKernel;
  missing?: undefined;
}

export async function lavaPrerequisites(o: {
  lavaRun: boolean;
}): Promise<LavaPrerequisites | { missing: string }> {
  if (!existsSync(LAVA_SCHEMA) || spawnSync(SYSTEM_PYTHON, ['-c', 'import voluptuous, yaml']).status !== 0)
    return { missing: 'lava-common is not installed (apt-get install lava-common; scripts/setup.sh --ci)' };
  if (o.lavaRun && !existsSync(LAVA_RUN))
    return {
      missing: 'lava-dispatcher is not installed (apt-get install lava-dispatcher; scripts/setup.sh --ci)',
    };
  if (o.lavaRun && process.getuid?.() !== 0) return { missing: 'lava-run needs root' };
  if (spawnSync(qemuBinary, ['--version']).status !== 0) return { missing: `${qemuBinary} is not installed` };
  const k = await findKernel('6.1').catch(() => undefined);
  if (!k)
    return { missing: 'the 6.1 guest kernel is not built (run scripts/setup.sh or `mdio-emu qemu kernel`)' };
  return { kernel: asLavaKernel(k) };
}

function asLavaKernel(k: GuestKernelInfo): LavaKernel {
  return kernelColumn(k);
}

/** The newest Debian kernel of CI's set (scripts/build-ci-kernels.sh): the TPS23881 scenarios need its modules. */
export async function newestKernel(): Promise<LavaKernel | undefined> {
  const k = await findKernel('newest').catch(() => undefined);
  return k && asLavaKernel(k);
}
