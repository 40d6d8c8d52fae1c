import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { readDtb } from '../../src/dts/dtb-read.js';
import { printDts } from '../../src/dts/print.js';
import { parseResultLines } from '../../src/lava/console-protocol.js';
import { RUN_SPEC_OPTION } from '../../src/lava/job.js';
import type { LavaRunSpec } from '../../src/lava/run-spec.js';
import { runLavaWorker } from '../../src/lava/worker.js';
import { dumpVirtDtb } from '../../src/qemu/base-dtb.js';
import { machineArgs, qemuBinary } from '../../src/qemu/machine.js';
import { loadQemuBoard } from '../../src/qemu/qemu-scenario.js';
import { readScenarioFile } from '../../src/scenario/load.js';
import type { RunReport } from '../../src/scenario/report.js';

/** The worker-side wrapper without LAVA: plain QEMU without a run spec, a failed case for a bad one. */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const sink = (): { stream: Writable; text: () => string } => {
  const chunks: string[] = [];
  return {
    stream: new Writable({
      write(chunk: Buffer, _enc, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
    text: () => chunks.join(''),
  };
};

const qemuPresent = spawnSync(qemuBinary, ['--version']).status === 0;

(qemuPresent ? test : test.skip)('without the run spec option it is plain QEMU', (t) => {
  const r = spawnSync(process.execPath, [join(repo, 'bin', 'mdio-emu-qemu.js'), '--version'], {
    encoding: 'utf8',
  });
  t.is(r.status, 0, r.stderr);
  t.regex(r.stdout, /QEMU emulator version/);
});

test('a run spec it cannot read ends as one failed verdict case for the monitor, before any QEMU starts', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-lava-worker-'));
  const spec = join(dir, 'run.json');
  await writeFile(spec, JSON.stringify({ format: 2 }));
  const out = sink();
  const err = sink();
  const status = await runLavaWorker(['-M', 'virt', '-mdio-emu-run', spec], {
    stdout: out.stream,
    stderr: err.stream,
    qemu: '/nonexistent/qemu',
  });
  t.is(status, 1);
  const back = parseResultLines(out.text().split('\n'));
  t.deepEqual(back.cases, [{ id: 'verdict', result: 'fail' }]);
  t.regex(err.text(), /LAVA001.*format 2/);
});

/**
 * Stands in for QEMU: like QEMU with `server=on,wait=on`, it listens on each usb-redir socket in turn, says
 * so on stderr in QEMU's words and waits for the client before the next; told to connect instead, it fails.
 * Then it exits, or (`stay`) runs on like a guest that never finishes.
 */
const fakeQemu = (then: 'exit' | 'stay'): string => `#!/usr/bin/env node
import net from 'node:net';
const args = process.argv.slice(2);
const chardevs = args.flatMap((a, i) => (args[i - 1] === '-chardev' ? [a] : []));
for (const c of chardevs)
  if (!c.includes('server=on,wait=on')) {
    process.stderr.write('fake-qemu: told to connect: ' + c + '\\n');
    process.exit(3);
  }
const held = [];
for (const c of chardevs) {
  const path = /path=([^,]+)/.exec(c)[1];
  await new Promise((done) => {
    const server = net.createServer((s) => {
      held.push(s);
      process.stdout.write('fake-qemu: usb-redir client on ' + path + '\\n');
      server.close();
      done();
    });
    server.listen(path, () =>
      process.stderr.write('QEMU waiting for connection on: disconnected:unix:' + path + ',server=on\\n'),
    );
  });
}
${then === 'exit' ? 'for (const s of held) s.destroy();\nprocess.exit(0);' : 'setInterval(() => {}, 1000);'}
`;

/** A run spec, its DTB and a stand-in QEMU in a fresh directory, as `lava jobs` composes them (no kernel). */
async function workerJob(
  then: 'exit' | 'stay',
): Promise<{ args: string[]; qemu: string; devices: number; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-lava-worker-'));
  const scenarioFile = join(repo, 'dts', 'qemu-three-buses.scenario.json');
  const base = printDts(readDtb(await dumpVirtDtb(), { fileName: 'qemu-virt.dtb' })).replace(
    /^\/dts-v1\/;\s*/,
    '',
  );
  const board = loadQemuBoard(readScenarioFile(scenarioFile), {
    outDir: dir,
    hostMs: () => 0,
    base: { name: 'qemu-virt.dtsi', dts: base },
  });
  board.close();
  const spec: LavaRunSpec = {
    format: 1,
    scenario: 'three-buses',
    scenarioJson: JSON.parse(await readFile(scenarioFile, 'utf8')) as Record<string, unknown>,
    dts: printDts(board.loaded.tree.tree),
    kernel: { name: 'fake' },
  };
  await writeFile(join(dir, 'run.json'), JSON.stringify(spec));
  await writeFile(join(dir, 'scenario.dtb'), board.loaded.tree.dtb);
  const qemu = join(dir, 'fake-qemu.mjs');
  await writeFile(qemu, fakeQemu(then), { mode: 0o755 });
  return {
    args: [...machineArgs(), '-dtb', join(dir, 'scenario.dtb'), RUN_SPEC_OPTION, join(dir, 'run.json')],
    qemu,
    devices: board.devices.length,
    dir,
  };
}

(qemuPresent ? test : test.skip)(
  'QEMU listens on every usb-redir socket and the worker connects when QEMU says it waits',
  async (t) => {
    const job = await workerJob('exit');
    t.true(job.devices >= 2, 'a scenario with several USB devices');
    const out = sink();
    const err = sink();
    const status = await runLavaWorker(job.args, { stdout: out.stream, stderr: err.stream, qemu: job.qemu });
    t.is(status, 0, err.text());
    const accepted = out.text().match(/fake-qemu: usb-redir client on \S+/g) ?? [];
    t.is(accepted.length, job.devices, out.text());
    t.is(new Set(accepted).size, job.devices);
  },
);

(qemuPresent ? test : test.skip)(
  'stopped by LAVA, the worker ends the run as interrupted, kills QEMU and still reports',
  async (t) => {
    const job = await workerJob('stay');
    const out = sink();
    const err = sink();
    let stop: (() => void) | undefined;
    const running = runLavaWorker(job.args, {
      stdout: out.stream,
      stderr: err.stream,
      qemu: job.qemu,
      onStop: (s) => {
        stop = s;
      },
    });
    const started = Date.now();
    while (
      (out.text().match(/usb-redir client/g) ?? []).length < job.devices &&
      Date.now() - started < 20_000
    )
      await sleep(50);
    if (!stop) return t.fail('the worker gave no way to stop it');
    stop();
    const status = await running;
    t.is(status, 1);
    const report = JSON.parse(
      await readFile(join(job.dir, 'mdio-emu-report', 'report.json'), 'utf8'),
    ) as RunReport;
    t.is(report.end.reason, 'interrupted');
    t.regex(report.verdict, /stopped by the LAVA worker.*not a verdict on the kernel/);
    const back = parseResultLines(out.text().split('\n'));
    t.deepEqual(
      back.cases.find((c) => c.id === 'verdict'),
      { id: 'verdict', result: 'fail' },
    );
  },
);
