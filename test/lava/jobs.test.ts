import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import { loadTreeText } from '../../src/board/load.js';
import {
  parseRunSpec,
  qemuDeviceDictionary,
  writeLavaJobs,
  type GeneratedJob,
} from '../../src/lava/index.js';
import { LAVA_RUN, LAVA_SCHEMA, lavaPrerequisites, newestKernel, SYSTEM_PYTHON } from './prerequisites.js';

/**
 * Every shipped QEMU scenario as a LAVA job, checked by LAVA itself: lava-common's schema validator (strict),
 * and where lava-run is at hand, the dispatcher's own validation of the job against the generated device
 * (which builds the whole pipeline: the deploy's images, the QEMU command line, the monitor).
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scenarios = readdirSync(join(repo, 'dts'))
  .filter((f) => /^(gen-)?qemu-.*\.scenario\.json$/.test(f))
  .map((f) => join(repo, 'dts', f));

const pre = await lavaPrerequisites({ lavaRun: false });

const schema = (kind: 'job' | 'device', files: readonly string[]) =>
  spawnSync(SYSTEM_PYTHON, [LAVA_SCHEMA, kind, ...(kind === 'job' ? ['--strict'] : []), ...files], {
    encoding: 'utf8',
  });

if (pre.missing !== undefined && process.env.CI === 'true') {
  test('LAVA job prerequisites are installed (CI)', (t) => {
    t.fail(`CI must validate the LAVA jobs, but ${pre.missing}`);
  });
} else if (pre.missing !== undefined) {
  console.log(`test/lava/jobs: skipping: ${pre.missing}`);
  test.skip(`LAVA jobs (${pre.missing})`, () => {});
} else {
  const { kernel } = pre;
  const out = await mkdtemp(join(tmpdir(), 'mdio-emu-lava-jobs-'));
  const jobs: GeneratedJob[] = [];
  const refused: string[] = [];
  const newest = await newestKernel();
  test.before(async () => {
    // One at a time, so a scenario that cannot become a job is named and the others are still checked. A
    // scenario whose drivers 6.1 lacks (the TPS23881's) goes to the newest kernel, as its own tests run it.
    for (const scenario of scenarios) {
      const errors: string[] = [];
      let made = false;
      for (const k of newest ? [kernel, newest] : [kernel]) {
        try {
          jobs.push(...(await writeLavaJobs({ kernels: [k], scenarios: [scenario], outDir: out })));
          made = true;
          break;
        } catch (err) {
          errors.push(`${k.name}: ${(err as Error).message}`);
        }
      }
      if (!made) refused.push(`${basename(scenario)}: ${errors.join('; ')}`);
    }
  });

  test('every shipped QEMU scenario makes a job', (t) => {
    t.true(scenarios.length >= 8, `${scenarios.length} scenarios`);
    t.deepEqual(refused, []);
    t.is(jobs.length + refused.length, scenarios.length);
  });

  test('each job is valid under lava-common strict schema', (t) => {
    const r = schema(
      'job',
      jobs.map((j) => j.file),
    );
    t.is(r.status, 0, r.stdout + r.stderr);
    // The validator lists each file it checked; an invalid one gets lines of its own under it.
    for (const j of jobs) t.true(r.stdout.includes(`* ${j.file}`), j.file);
    t.false(/invalid/i.test(r.stdout), r.stdout);
  });

  test('the device dictionary is valid under lava-common', (t) => {
    const r = schema('device', [join(out, 'device-qemu.yaml')]);
    t.is(r.status, 0, r.stdout + r.stderr);
    t.false(/invalid/i.test(r.stdout), r.stdout);
  });

  test('the validator is not a rubber stamp: a monitor name with a space and a job without a device type fail', async (t) => {
    const job = parseYaml(readFileSync(jobs[0]?.file ?? '', 'utf8')) as {
      actions: { test?: { monitors: { name: string }[] } }[];
    };
    const monitor = job.actions.find((a) => a.test)?.test?.monitors[0];
    if (!monitor) return t.fail('the job has no monitor');
    monitor.name = 'two words';
    const bad = join(out, 'bad-name.yaml');
    await writeFile(bad, stringify(job));
    const untyped = join(out, 'bad-untyped.yaml');
    await writeFile(untyped, stringify({ ...job, device_type: undefined }));
    for (const f of [bad, untyped]) {
      const r = schema('job', [f]);
      t.true(r.status !== 0 || /invalid/i.test(r.stdout), `${f}: ${r.stdout}`);
    }
  });

  test("each run spec's tree compiles back to the very DTB the job boots", async (t) => {
    for (const j of jobs) {
      const dir = dirname(j.file);
      const spec = parseRunSpec(await readFile(join(dir, 'run.json'), 'utf8'), 'run.json');
      const dtb = await readFile(join(dir, 'scenario.dtb'));
      const compiled = loadTreeText(join(dir, 'scenario.dts'), spec.dts, { symbols: true });
      t.true(Buffer.from(compiled.dtb).equals(dtb), j.scenario);
      t.is(spec.kernel.name, j.kernel);
    }
  });

  const runAvailable = process.getuid?.() === 0 && spawnSync(LAVA_RUN, ['--help']).status === 0;
  if (runAvailable)
    test("lava-run's own validation accepts every job on the generated device", async (t) => {
      // The device as `lava run` writes it: the wrapper by its path in this checkout (not installed on PATH).
      const device = join(out, 'device-local.yaml');
      await writeFile(
        device,
        stringify(qemuDeviceDictionary({ command: join(repo, 'bin', 'mdio-emu-qemu.js') })),
      );
      for (const j of jobs) {
        const r = spawnSync(
          LAVA_RUN,
          [
            '--validate',
            '--job-id',
            `mdio-emu-validate-${process.pid}`,
            '--output-dir',
            join(out, 'validate'),
            '--device',
            device,
            j.file,
          ],
          { encoding: 'utf8' },
        );
        t.is(
          r.status,
          0,
          `${j.scenario}: ${(r.stdout + r.stderr)
            .split('\n')
            .filter((l) => l.includes('error'))
            .join('\n')}`,
        );
      }
    });
}
