import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { finished } from 'node:stream/promises';
import { stringify } from 'yaml';
import { packageRoot } from '../package-root.js';
import { qemuDeviceDictionary } from './device.js';

/** Debian's lava-dispatcher installs it here; it runs as root and under the system's own Python. */
export const LAVA_RUN = '/usr/bin/lava-run';

export interface LavaRunOptions {
  jobs: readonly string[];
  /** A rendered device dictionary; default: the mdio-emu QEMU device, its wrapper this package's bin/. */
  device?: string;
  lavaRun?: string;
  onProgress?: (message: string) => void;
}

export interface LavaRunResult {
  job: string;
  /** lava-run's log (a JSON record a line), next to the job as `lava.log`. */
  log: string;
  exitCode: number | null;
}

/**
 * Each job under `lava-run` on this machine, as a LAVA worker runs it: one after another (a worker runs one
 * job per device), each log written beside its job for `lava collect`. Job ids name lava-run's directory
 * in its working area, so they carry the process id: two `lava run`s must not share one.
 */
export async function runLavaJobs(o: LavaRunOptions): Promise<LavaRunResult[]> {
  const scratch = await mkdtemp(join(tmpdir(), 'mdio-emu-lava-run-'));
  try {
    let device = o.device;
    if (device === undefined) {
      device = join(scratch, 'device.yaml');
      const command = join(packageRoot, 'bin', 'mdio-emu-qemu.js');
      await writeFile(device, stringify(qemuDeviceDictionary({ command }), { lineWidth: 0 }));
    }
    const out: LavaRunResult[] = [];
    for (const [i, job] of o.jobs.entries()) {
      const log = join(dirname(job), 'lava.log');
      o.onProgress?.(`[${i + 1}/${o.jobs.length}] lava-run ${job}`);
      const logStream = createWriteStream(log);
      const exitCode = await new Promise<number | null>((done, fail) => {
        const child = spawn(
          o.lavaRun ?? LAVA_RUN,
          [
            '--job-id',
            `mdio-emu-${process.pid}-${i + 1}`,
            '--output-dir',
            join(scratch, `job-${i + 1}`),
            '--device',
            device,
            job,
          ],
          { stdio: ['ignore', 'pipe', 'pipe'] },
        );
        // lava-run logs on standard error (its records) and output; both make the job's log.
        child.stdout.pipe(logStream, { end: false });
        child.stderr.pipe(logStream, { end: false });
        child.on('error', fail);
        child.on('close', (code) => {
          logStream.end();
          done(code);
        });
      });
      await finished(logStream);
      out.push({ job, log, exitCode });
    }
    return out;
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
