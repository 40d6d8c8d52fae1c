import { resolve } from 'node:path';
import type { Command } from 'commander';
import { collectLavaResults } from '../src/lava/collect.js';
import { writeLavaJobs, type LavaKernel } from '../src/lava/jobs.js';
import { runLavaJobs } from '../src/lava/lava-run.js';
import { ensureKernel } from '../src/qemu/kernel.js';
import { parseKernelSpec } from '../src/qemu/kernel-spec.js';
import { kernelColumn } from '../src/qemu/matrix.js';
import { ExitCodeError } from './run.js';

const repeat = (v: string, prev: string[]): string[] => [...prev, v];
const say = (m: string): void => {
  process.stderr.write(`mdio-emu: ${m}\n`);
};

/** `mdio-emu lava jobs|run|collect`: the scenario matrix as LAVA jobs, and their results as the matrix report. */
export function register(program: Command): void {
  const lava = program
    .command('lava')
    .description('the scenario × kernel matrix as LAVA jobs (docs/scale-out.md)');

  lava
    .command('jobs')
    .description('one LAVA job per scenario and kernel, with the files it deploys and the device dictionary')
    .requiredOption('--kernel <NAME=SPEC>', 'a guest kernel (repeatable; docs/guest-kernel.md)', repeat, [])
    .requiredOption('--scenario <file>', 'a QEMU scenario (repeatable)', repeat, [])
    .option('--out <dir>', 'where the jobs and their files go', 'mdio-emu-lava')
    .option('--url-base <url>', "where the lab fetches --out from (default: --out's file:// URL)")
    .option('--device-type <name>', "the lab's device type for the mdio-emu QEMU device", 'qemu')
    .action(
      async (o: {
        kernel: string[];
        scenario: string[];
        out: string;
        urlBase?: string;
        deviceType: string;
      }) => {
        const kernels: LavaKernel[] = [];
        for (const text of o.kernel) {
          const k = await ensureKernel(parseKernelSpec(text), {
            onProgress: (p) => {
              say(`kernel ${text}: ${p.message}`);
            },
          });
          kernels.push(kernelColumn(k));
        }
        const jobs = await writeLavaJobs({
          kernels,
          scenarios: o.scenario.map((s) => resolve(s)),
          outDir: resolve(o.out),
          ...(o.urlBase === undefined ? {} : { urlBase: o.urlBase }),
          deviceType: o.deviceType,
          onProgress: say,
        });
        for (const j of jobs) process.stdout.write(`${j.file}\n`);
      },
    );

  lava
    .command('run')
    .description(
      "run jobs on this machine under Debian's lava-run (root), each log beside its job as lava.log",
    )
    .argument('<job...>', 'job.yaml files')
    .option(
      '--device <file>',
      'a rendered device dictionary (default: the mdio-emu QEMU device of this package)',
    )
    .option('--collect <dir>', 'then collect the results into a matrix report here')
    .action(async (jobs: string[], o: { device?: string; collect?: string }) => {
      const results = await runLavaJobs({
        jobs: jobs.map((j) => resolve(j)),
        ...(o.device === undefined ? {} : { device: resolve(o.device) }),
        onProgress: say,
      });
      for (const r of results) say(`${r.job}: lava-run exit ${r.exitCode ?? 'signal'}, log ${r.log}`);
      if (o.collect !== undefined) {
        const m = await collectLavaResults({
          inputs: results.map((r) => r.log),
          outDir: resolve(o.collect),
          onProgress: say,
        });
        if (!m.pass) throw new ExitCodeError(1);
      } else if (results.some((r) => r.exitCode !== 0)) throw new ExitCodeError(1);
    });

  lava
    .command('collect')
    .description("finished LAVA jobs' logs into the matrix's report.json and report.html")
    .argument('<input...>', 'job directories (job.yaml with lava.log or output.yaml) or log files')
    .option('--out <dir>', 'where the report goes', 'mdio-emu-matrix')
    .action(async (inputs: string[], o: { out: string }) => {
      const m = await collectLavaResults({
        inputs: inputs.map((i) => resolve(i)),
        outDir: resolve(o.out),
        onProgress: say,
      });
      process.stdout.write(
        `${m.cells.filter((c) => c.pass).length}/${m.cells.length} cells pass; ${resolve(o.out, 'report.html')}\n`,
      );
      if (!m.pass) throw new ExitCodeError(1);
    });
}
