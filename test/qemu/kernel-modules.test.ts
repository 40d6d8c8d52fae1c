import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readGuestModules } from '../../src/qemu/guest-modules.js';
import { findKernel, type GuestKernelInfo } from '../../src/qemu/kernel.js';
import { moduleKey } from '../../src/qemu/init-script.js';

/**
 * Every guest kernel built on this machine keeps working with the guest's module loader: modules lie flat in
 * modules/, and the name and dependency list src/qemu/guest-modules.ts reads from each .ko agree with kmod's
 * own `modinfo` (the reference), for every kernel version. Kernels not built here are skipped, visibly.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const specs = [
  '6.1',
  '6.1+kasan',
  '6.12',
  '7.2',
  `newest+patch:${join(repo, 'patches', 'linux', 'pse-kfifo-min-size.patch')}`,
  '7.2+lockdep',
];
const modinfoOk = spawnSync('modinfo', ['--version']).status === 0;

/** Modules the shipped QEMU scenarios load, and those the newer fragments add. */
const scenarioModules = ['mdio_mvusb', 'pse_regulator', 'i2c_cp2615', 'at24', 'regmap_i2c', 'lan78xx'];
const newerModules = ['hid_cp2112', 'tps23881', 'pd692x0'];

const kmod = (field: string, file: string): string =>
  spawnSync('modinfo', ['-F', field, file], { encoding: 'utf8' }).stdout.trim();

// Looked up before any test is declared: ava wants every declaration in one synchronous run.
const kernels: (GuestKernelInfo | undefined)[] = await Promise.all(
  specs.map((s) => findKernel(s).catch(() => undefined)),
);
for (const [i, spec] of specs.entries()) {
  const kernel = kernels[i];
  if (!kernel || !modinfoOk) {
    const why = !modinfoOk ? 'kmod modinfo is not installed' : `kernel ${spec} is not built on this machine`;
    console.log(`test/qemu/kernel-modules: skipping ${spec}: ${why}`);
    test.skip(`${spec}: modules agree with kmod's modinfo (${why})`, () => {});
    continue;
  }
  test(`${spec}: modules agree with kmod's modinfo, and the scenarios' modules are there`, async (t) => {
    const modules = await readGuestModules(kernel.modulesDir);
    for (const m of modules.values()) {
      const file = join(kernel.modulesDir, m.file);
      t.is(m.name, moduleKey(kmod('name', file)), m.file);
      t.deepEqual(m.depends, kmod('depends', file).split(',').filter(Boolean).map(moduleKey), m.file);
      t.is(kmod('vermagic', file).split(' ')[0], kernel.release, `${m.file} vermagic`);
    }
    const want = [...scenarioModules, ...(kernel.version === '6.1' ? [] : newerModules)];
    t.deepEqual(
      want.filter((m) => !modules.has(m)),
      [],
      'missing modules',
    );
    t.is((await readFile(join(kernel.dir, 'kernelrelease'), 'utf8')).trim(), kernel.release);
  });
}
