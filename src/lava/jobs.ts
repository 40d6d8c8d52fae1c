import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { printDts } from '../dts/print.js';
import type { MatrixKernel } from '../qemu/matrix.js';
import { composeQemuScenario } from '../qemu/qemu-scenario.js';
import { qemuDeviceDictionary } from './device.js';
import { lavaJob, lavaName, type JobImage } from './job.js';
import type { LavaRunSpec } from './run-spec.js';

/** A kernel as a job needs it: built, with its modules and the guest tools of its era. */
/** A kernel a job boots: the same description as a matrix column. */
export type LavaKernel = MatrixKernel;

export interface LavaJobsOptions {
  kernels: readonly LavaKernel[];
  scenarios: readonly string[];
  outDir: string;
  /** Where the lab will fetch `outDir` from (`https://host/mdio-emu/`); default: its file:// URL. */
  urlBase?: string;
  deviceType?: string;
  onProgress?: (message: string) => void;
}

export interface GeneratedJob {
  scenario: string;
  kernel: string;
  /** job.yaml */
  file: string;
}

const sha256 = async (file: string): Promise<string> =>
  createHash('sha256')
    .update(await readFile(file))
    .digest('hex');

function safe(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]/g, '_');
}

/**
 * One job per scenario and kernel, with everything it deploys, under `outDir`: `KERNEL/Image` once per
 * kernel, `KERNEL/SCENARIO/{job.yaml,initramfs.cpio.gz,scenario.dtb,run.json}` per job, and
 * `device-qemu.yaml`, the rendered device dictionary `lava-run` takes. The guest's initramfs and the DTB are
 * composed exactly as the local runner composes them.
 */
export async function writeLavaJobs(o: LavaJobsOptions): Promise<GeneratedJob[]> {
  await mkdir(o.outDir, { recursive: true });
  const base = (o.urlBase ?? pathToFileURL(o.outDir + sep).href).replace(/\/?$/, '/');
  const url = (file: string): string => new URL(relative(o.outDir, file).split(sep).join('/'), base).href;
  const image = async (file: string): Promise<JobImage> => ({ url: url(file), sha256: await sha256(file) });
  const jobs: GeneratedJob[] = [];
  for (const kernel of o.kernels) {
    const kernelDir = join(o.outDir, safe(kernel.name));
    await mkdir(kernelDir, { recursive: true });
    const kernelImage = join(kernelDir, 'Image');
    await copyFile(kernel.image, kernelImage);
    const kernelRef = await image(kernelImage);
    for (const scenarioFile of o.scenarios) {
      const name = basename(scenarioFile).replace(/\.scenario\.json$|\.json$/, '');
      o.onProgress?.(`${name} on ${kernel.name}`);
      const dir = join(kernelDir, safe(name));
      await mkdir(dir, { recursive: true });
      // The composition's own outputs (captures of a board with Ethernet, the init) stay in scratch.
      const scratch = await mkdtemp(join(tmpdir(), 'mdio-emu-lava-jobs-'));
      try {
        const composed = await composeQemuScenario({
          scenarioFile,
          modulesDir: kernel.modulesDir,
          outDir: scratch,
          workDir: scratch,
          hostMs: () => 0,
          ...(kernel.guestTools === undefined ? {} : { guestTools: kernel.guestTools }),
        });
        composed.close();
        const files = {
          ramdisk: join(dir, 'initramfs.cpio.gz'),
          dtb: join(dir, 'scenario.dtb'),
          runSpec: join(dir, 'run.json'),
          job: join(dir, 'job.yaml'),
        };
        await copyFile(composed.files.initramfs, files.ramdisk);
        await copyFile(composed.files.dtb, files.dtb);
        const { loaded } = composed;
        const spec: LavaRunSpec = {
          format: 1,
          scenario: lavaName(name),
          scenarioJson: JSON.parse(await readFile(scenarioFile, 'utf8')) as Record<string, unknown>,
          dts: printDts(loaded.tree.tree),
          kernel: { name: kernel.name, ...(kernel.release === undefined ? {} : { release: kernel.release }) },
        };
        await writeFile(files.runSpec, `${JSON.stringify(spec, null, 2)}\n`);
        const job = lavaJob({
          scenario: name,
          kernel: spec.kernel,
          images: {
            kernel: kernelRef,
            ramdisk: await image(files.ramdisk),
            dtb: await image(files.dtb),
            runSpec: await image(files.runSpec),
          },
          deadlineMs: loaded.scenario.deadlineMs,
          ...(o.deviceType === undefined ? {} : { deviceType: o.deviceType }),
        });
        await writeFile(files.job, stringify(job, { lineWidth: 0 }));
        jobs.push({ scenario: name, kernel: kernel.name, file: files.job });
      } finally {
        await rm(scratch, { recursive: true, force: true });
      }
    }
  }
  await writeFile(join(o.outDir, 'device-qemu.yaml'), stringify(qemuDeviceDictionary(), { lineWidth: 0 }));
  return jobs;
}
