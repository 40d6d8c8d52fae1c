import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findKernel, type GuestKernelInfo } from '../../src/qemu/kernel.js';
import { qemuBinary } from '../../src/qemu/machine.js';
import { kernelColumn, runMatrix, type MatrixKernel } from '../../src/qemu/matrix.js';

/**
 * The A/B a kernel developer asks for, end to end: the newest Debian kernel as built (base) against the same
 * source with our kfifo fix (patches/linux/pse-kfifo-min-size.patch), side by side in one matrix, on the PoDL
 * scenario whose PHY waits for a PSE loaded late. The base must fail it as the named known bug says (its
 * evidence, pse_controller_register()'s own error, in the guest's log) and still pass the matrix; the patched
 * build must pass it outright; the report must name the difference.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const patch = join(repo, 'patches', 'linux', 'pse-kfifo-min-size.patch');

const qemuPresent = spawnSync(qemuBinary, ['--version']).status === 0;
const [base, patched] = qemuPresent
  ? await Promise.all(
      [findKernel('newest'), findKernel(`newest+patch:${patch}`)].map((p) => p.catch(() => undefined)),
    )
  : [undefined, undefined];
const missing = !qemuPresent
  ? `${qemuBinary} is not installed`
  : !base || !patched
    ? 'the newest kernel and its patched build are not built (scripts/build-ci-kernels.sh)'
    : undefined;

const asColumn = (name: string, k: GuestKernelInfo): MatrixKernel => kernelColumn(k, name);

if (missing && process.env.CI === 'true') {
  test('matrix A/B prerequisites are installed (CI)', (t) => {
    t.fail(`CI must run the kernel A/B, but ${missing}`);
  });
} else if (missing) {
  console.log(`test/qemu/matrix-e2e: skipping the kernel A/B: ${missing}`);
  test.skip(`kernel A/B (${missing})`, () => {});
} else {
  test.serial(
    'newest kernel, base against the kfifo patch: PoDL fails on the base as the named bug, passes patched',
    async (t) => {
      const dir = await mkdtemp(join(tmpdir(), 'mdio-emu-matrix-ab-'));
      const m = await runMatrix({
        kernels: [asColumn('base', base!), asColumn('patched', patched!)],
        scenarios: [join(repo, 'dts', 'qemu-pse-late.scenario.json')],
        reportDir: dir,
        jobs: 2,
      });
      const cell = (k: string) => m.cells.find((c) => c.kernel === k && c.scenario === 'pse-late');
      const b = cell('base');
      const p = cell('patched');
      t.log(`base: ${b?.verdict ?? '-'}\npatched: ${p?.verdict ?? '-'}`);

      // Base: the PSE never registers, so the PHY is never reached after the load; that is the known bug,
      // identified by the kernel's own words in the guest log, not by the version alone.
      const firstAccess = b?.expectations.find((e) => e.kind === 'first-access-after');
      t.is(firstAccess?.status, 'expected-failure');
      t.is(firstAccess?.knownBug, 'pse-kfifo-nr-lines');
      t.regex(
        firstAccess?.message ?? '',
        /seen: .*failed to (?:allocate kfifo notifications|register PSE controller \(-22\))/,
      );
      t.deepEqual(b?.knownBugs, ['pse-kfifo-nr-lines']);
      t.true(b?.pass, 'an expected failure keeps the matrix green');

      // Patched: the same release (only the patch differs) passes with every expectation simply held.
      t.is(p?.release, b?.release);
      t.deepEqual(
        p?.expectations.filter((e) => e.status !== 'held').map((e) => `${e.kind}: ${e.message}`),
        [],
      );
      t.deepEqual(p?.knownBugs, []);
      t.true(p?.pass);
      t.true(m.pass);
      // Both kernels defer the adapter's probe until the PSE binds (usbcore's own bind of the USB device
      // under the adapter's node is not the adapter's driver binding), so no PSE attach differs.
      t.deepEqual(
        [b, p].map((c) => c?.pseAttach.map((a) => a.behaviour)),
        [['probe-time-deferral'], ['probe-time-deferral']],
      );

      // The report names the difference: the bug seen on one side only, and the expectations it failed.
      const diff = m.differences['pse-late'] ?? [];
      t.log(diff.join('\n'));
      t.true(
        diff.includes('known kernel bugs seen — base: pse-kfifo-nr-lines; patched: none'),
        diff.join('\n'),
      );
      t.true(
        diff.some(
          (d) =>
            d.startsWith('expectations — base: ') &&
            d.includes('first-access-after expected-failure') &&
            d.endsWith('patched: all held'),
        ),
        diff.join('\n'),
      );
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      t.regex(html, /known bug pse-kfifo-nr-lines: expected failure of [^<]*first-access-after/);
      t.regex(html, /<p id="verdict">PASS: all 2 runs passed<\/p>/);
    },
  );
}
