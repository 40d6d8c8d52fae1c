import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findGuestKernel } from '../../src/qemu/kernel.js';
import { qemuBinary } from '../../src/qemu/machine.js';
import { runQemuScenario } from '../../src/qemu/run.js';

/**
 * The removed-PSE scenario on the KASAN guest kernel (`mdio-emu qemu kernel --kasan`). An extra, not the
 * main proof (test/qemu/e2e.test.ts is): the KASAN kernel takes 7+ minutes to build on 2 cores, so CI does
 * not build it and this file runs only where it is already cached.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const qemuPresent = spawnSync(qemuBinary, ['--version']).status === 0;
const kernel = qemuPresent ? await findGuestKernel({ kasan: true }) : undefined;

if (!kernel) {
  const reason = !qemuPresent
    ? `${qemuBinary} is not installed`
    : 'the KASAN guest kernel is not built (`mdio-emu qemu kernel --kasan`; CI does not build it, its time is limited)';
  console.log(
    `test/qemu/e2e-kasan: skipping the KASAN end-to-end test, which is not part of the main proof: ${reason}`,
  );
  test.skip(`KASAN end-to-end test (${reason})`, () => {});
} else {
  test.serial('KASAN guest: PSE unbound under a registered PHY, then the adapter unplugged', async (t) => {
    const r = await runQemuScenario({
      kernel: kernel.image,
      modulesDir: kernel.modulesDir,
      scenarioFile: join(repo, 'dts', 'qemu-pse-removed.scenario.json'),
      reportDir: await mkdtemp(join(tmpdir(), 'mdio-emu-e2e-kasan-')),
    });
    const sanitizers = r.details.sanitizers as { kasan: boolean; reports: string[] };
    t.true(sanitizers.kasan, 'the guest kernel reports KASAN at boot');
    // The PSE loads before the adapter, so this run cannot tell deferral from notifier attach; it says so.
    t.deepEqual(
      (r.details.pseAttach as { behaviour: string }[]).map((f) => f.behaviour),
      ['undetermined'],
    );
    t.log(`kernel reports: ${r.reports.map((k) => k.title).join('; ') || 'none'}`);
    // Linux 6.1 frees the devm-allocated pse_control at the PSE unbind (devres_release_all) and touches it
    // again at the unplug: pse_control_put <- phy_mdio_device_remove <- mdiobus_unregister <- mvusb_mdio_disconnect.
    const uaf = r.reports.find((k) => k.report === 'kasan' && k.function === 'pse_control_put');
    t.truthy(uaf, JSON.stringify(r.reports));
    t.regex(uaf?.title ?? '', /use-after-free/);
    // A KASAN report ends the run at once: the verdict says the guest crashed.
    t.is(r.end.reason, 'guest-crashed');
    t.regex(r.verdict, /guest crashed/);
  });
}
