import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseResultLines } from '../../src/lava/console-protocol.js';
import { runLavaWorker } from '../../src/lava/worker.js';
import { qemuBinary } from '../../src/qemu/machine.js';

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
