import test from 'ava';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { collectLavaResults } from '../../src/lava/collect.js';
import { writeLavaJobs } from '../../src/lava/index.js';
import { runLavaJobs } from '../../src/lava/lava-run.js';
import { parseLavaLog } from '../../src/lava/results.js';
import type { MatrixReport } from '../../src/qemu/matrix.js';
import type { RunReport } from '../../src/scenario/report.js';
import { lavaPrerequisites } from './prerequisites.js';

/**
 * One job end to end under Debian's lava-run, as a LAVA worker runs it: LAVA downloads the files, starts the
 * mdio-emu QEMU device (the wrapper), reads the test cases off the console, and `lava collect` makes the
 * matrix report from the log alone. The same as
 *
 *     mdio-emu lava jobs --kernel 6.1 --scenario dts/qemu-pse-late.scenario.json --out jobs
 *     sudo mdio-emu lava run jobs/6.1/qemu-pse-late/job.yaml --collect matrix
 *
 * Expected values come from LAVA's own records (its `results` lines) and from the kernel (the console).
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const pre = await lavaPrerequisites({ lavaRun: true });

if (pre.missing !== undefined && process.env.CI === 'true') {
  test('lava-run prerequisites are installed (CI)', (t) => {
    t.fail(`CI must run a LAVA job end to end, but ${pre.missing}`);
  });
} else if (pre.missing !== undefined) {
  console.log(`test/lava/lava-run: skipping: ${pre.missing}`);
  test.skip(`lava-run end to end (${pre.missing})`, () => {});
} else {
  const { kernel } = pre;
  const out = await mkdtemp(join(tmpdir(), 'mdio-emu-lava-run-'));

  test.serial(
    'pse-late as a LAVA job under lava-run passes, and its result appears in the matrix report',
    async (t) => {
      const [job] = await writeLavaJobs({
        kernels: [kernel],
        scenarios: [join(repo, 'dts', 'qemu-pse-late.scenario.json')],
        outDir: join(out, 'jobs'),
      });
      if (!job) return t.fail('no job');
      const [ran] = await runLavaJobs({ jobs: [job.file] });
      t.is(ran?.exitCode, 0);
      const log = parseLavaLog(readFileSync(ran?.log ?? '', 'utf8'), 'lava.log');
      // LAVA's own verdicts: the job, the monitor, and every test case the monitor found.
      t.deepEqual(log.job, { result: 'pass' });
      const byCase = new Map(log.results.map((r) => [`${r.definition}/${r.case}`, r.result]));
      t.is(byCase.get('lava/lava-test-monitor'), 'pass');
      t.is(byCase.get('mdio-emu-qemu-pse-late/verdict'), 'pass');
      const expectations = log.results.filter((r) => r.case.startsWith('expect-'));
      t.true(expectations.length >= 5, JSON.stringify(expectations));
      t.true(
        expectations.every((r) => r.result === 'pass'),
        JSON.stringify(expectations),
      );
      t.true(
        log.console.some((l) => /Linux version 6\.1\./.test(l)),
        'the guest kernel booted on the console LAVA read',
      );

      const matrix = await collectLavaResults({ inputs: [dirname(job.file)], outDir: join(out, 'matrix') });
      const m = JSON.parse(await readFile(join(out, 'matrix', 'report.json'), 'utf8')) as MatrixReport;
      t.deepEqual(m, matrix);
      t.is(m.cells.length, 1);
      const cell = m.cells[0];
      t.is(cell?.scenario, 'pse-late');
      t.is(cell?.kernel, kernel.name);
      t.true(cell?.pass, cell?.verdict);
      t.deepEqual(
        cell?.pseAttach.map((a) => a.behaviour),
        ['probe-time-deferral'],
      );
      const r = JSON.parse(
        await readFile(join(out, 'matrix', cell?.report.replace(/\.html$/, '.json') ?? ''), 'utf8'),
      ) as RunReport;
      // The run the wrapper judged on the worker is the one LAVA recorded: its MDIO traffic came from the guest.
      t.true(cell !== undefined && cell.traffic.mdio > 0);
      t.is(r.guest.kind === 'qemu' ? r.guest.release : undefined, kernel.release);
      t.log(`pse-late under lava-run: ${r.wallMs.toFixed(0)} ms wrapper wall time; ${m.cells[0]?.verdict}`);
    },
  );

  test.serial(
    'a job whose run spec does not match its DTB fails as a LAVA test case, without booting',
    async (t) => {
      const [job] = await writeLavaJobs({
        kernels: [kernel],
        scenarios: [join(repo, 'dts', 'qemu-pse-never.scenario.json')],
        outDir: join(out, 'mismatch'),
      });
      if (!job) return t.fail('no job');
      const spec = join(dirname(job.file), 'run.json');
      const text = await readFile(spec, 'utf8');
      // Another generation's tree: the same board, a property changed, so only the DTB check can tell.
      t.true(text.includes('pse-supply\\"'));
      await writeFile(
        spec,
        text.replace('regulator-name = \\"pse-supply\\"', 'regulator-name = \\"pse-supply-2\\"'),
      );
      // The job carries the spec's digest: keep LAVA's download check out of the way so the wrapper's check is the one tested.
      await writeFile(
        job.file,
        (await readFile(job.file, 'utf8')).replace(
          /( {10}sha256sum: \w+\n)(?= {10}image_arg: -mdio-emu-run)/,
          '',
        ),
      );
      const [ran] = await runLavaJobs({ jobs: [job.file] });
      const log = parseLavaLog(readFileSync(ran?.log ?? '', 'utf8'), 'lava.log');
      t.is(log.results.find((r) => r.case === 'verdict')?.result, 'fail');
      t.false(
        log.console.some((l) => /Linux version/.test(l)),
        'no guest booted',
      );
      t.true(log.console.some((l) => /not the tree of the run spec/.test(l)));
      const m = await collectLavaResults({
        inputs: [dirname(job.file)],
        outDir: join(out, 'mismatch-matrix'),
      });
      t.false(m.pass);
      t.regex(m.cells[0]?.verdict ?? '', /no run report/);
    },
  );
}
