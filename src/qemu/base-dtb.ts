import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { machineArgs, qemuBinary } from './machine.js';

const run = promisify(execFile);

/**
 * QEMU's own device tree for the virt machine, as it would hand it to the kernel: `-M virt,dumpdtb=FILE`
 * with the run's machine options makes QEMU write the blob and exit at once.
 */
export async function dumpVirtDtb(binary = qemuBinary): Promise<Buffer> {
  const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-dtb-'));
  try {
    const file = join(dir, 'virt.dtb');
    await run(binary, [...machineArgs(`,dumpdtb=${file}`)], { timeout: 30_000 });
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
