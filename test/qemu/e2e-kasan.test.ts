import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findKernel, type GuestKernelInfo } from '../../src/qemu/kernel.js';
import { qemuBinary } from '../../src/qemu/machine.js';
import { runQemuScenario } from '../../src/qemu/run.js';
import type { RunReport } from '../../src/scenario/index.js';

/**
 * The stale pse_control under KASAN, on the oldest and the newest kernel CI builds (scripts/build-ci-kernels.sh):
 * Linux 6.1 with the PoDL regulator PSE unbound and its adapter unplugged, Linux 7.2 with the real tps23881
 * driver unbound behind the CP2112 and `ethtool --show-pse` asked afterwards. Without KASAN each use of freed
 * memory is silent or a NULL pointer Oops whose cause has to be argued; KASAN names the access and the free.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const qemuPresent = spawnSync(qemuBinary, ['--version']).status === 0;

async function kasanKernel(spec: string): Promise<{ kernel?: GuestKernelInfo; missing?: string }> {
  if (!qemuPresent) return { missing: `${qemuBinary} is not installed` };
  const kernel = await findKernel(spec).catch(() => undefined);
  if (!kernel) return { missing: `the ${spec} guest kernel is not built (scripts/build-ci-kernels.sh)` };
  return { kernel };
}

const run = async (k: GuestKernelInfo, name: string): Promise<RunReport> =>
  runQemuScenario({
    kernel: k.image,
    modulesDir: k.modulesDir,
    scenarioFile: join(repo, 'dts', `qemu-${name}.scenario.json`),
    reportDir: await mkdtemp(join(tmpdir(), `mdio-emu-e2e-kasan-${name}-`)),
    kernelName: k.name,
    kernelRelease: k.release,
    ...(k.guestTools.archive === undefined ? {} : { guestTools: k.guestTools.archive }),
  });

const sanitizers = (r: RunReport) => r.details.sanitizers as { kasan: boolean; reports: string[] };

// ava wants every test declared synchronously: look both kernels up before declaring any.
const kernels = new Map([
  ['6.1+kasan', await kasanKernel('6.1+kasan')],
  ['newest+kasan', await kasanKernel('newest+kasan')],
]);

/** Registers `title` on the kernel `spec`; without that kernel, CI fails and a developer's run says why it skips. */
function onKasanKernel(
  spec: string,
  title: string,
  body: (k: GuestKernelInfo) => (t: import('ava').ExecutionContext) => Promise<void>,
): void {
  const { kernel, missing } = kernels.get(spec) ?? { missing: `no lookup for ${spec}` };
  if (kernel) test.serial(title, body(kernel));
  else if (process.env.CI === 'true')
    test(`${title}: prerequisites (CI)`, (t) => {
      t.fail(`CI must run this KASAN test, but ${missing ?? ''}`);
    });
  else {
    console.log(`test/qemu/e2e-kasan: skipping "${title}": ${missing ?? ''}`);
    test.skip(`${title} (${missing ?? ''})`, () => {});
  }
}

onKasanKernel(
  '6.1+kasan',
  '6.1 KASAN: PSE unbound under a registered PHY, then the adapter unplugged',
  (k) => async (t) => {
    const r = await run(k, 'pse-removed');
    t.true(sanitizers(r).kasan, 'the guest kernel reports KASAN at boot');
    // The PSE loads before the adapter, so this run cannot tell deferral from notifier attach; it says so.
    t.deepEqual(
      (r.details.pseAttach as { behaviour: string }[]).map((f) => f.behaviour),
      ['undetermined'],
    );
    t.log(`kernel reports: ${r.reports.map((x) => x.title).join('; ') || 'none'}`);
    // Linux 6.1 frees the devm-allocated pse_control at the PSE unbind (devres_release_all) and touches it
    // again at the unplug: pse_control_put <- phy_mdio_device_remove <- mdiobus_unregister <- mvusb_mdio_disconnect.
    const uaf = r.reports.find((x) => x.report === 'kasan' && x.function === 'pse_control_put');
    t.truthy(uaf, JSON.stringify(r.reports));
    t.regex(uaf?.title ?? '', /use-after-free/);
    // A KASAN report ends the run at once: the verdict says the guest crashed.
    t.is(r.end.reason, 'guest-crashed');
    t.regex(r.verdict, /guest crashed/);
  },
);

onKasanKernel(
  'newest+kasan',
  '7.2 KASAN: tps23881 unbound under the PHY holding its pse_control, then ethtool --show-pse',
  (k) => async (t) => {
    const r = await run(k, 'tps23881-removed');
    t.true(sanitizers(r).kasan, 'the guest kernel reports KASAN at boot');
    t.log(`kernel reports: ${r.reports.map((x) => x.title).join('; ') || 'none'}`);
    // tps23881_i2c_probe() devm-allocates the driver data that embeds the pse_controller_dev; the unbind's
    // devres release frees it while the PHY's pse_control still points at it (pse_control_put never ran), and
    // pse_ethtool_get_status() reads psec->pcdev->ops and takes pcdev->lock in it.
    const uaf = r.reports.find((x) => x.report === 'kasan');
    t.truthy(uaf, JSON.stringify(r.reports));
    t.regex(uaf?.title ?? '', /use-after-free/);
    t.true(
      (uaf?.frames ?? []).includes('pse_ethtool_get_status'),
      `the access is under pse_ethtool_get_status: ${JSON.stringify(uaf)}`,
    );
    // The catalogue names it, and the verdict counts it as that known bug rather than an unexplained crash.
    t.is(r.end.reason, 'guest-crashed');
    t.is(r.crash?.knownBug, 'pse-stale-control-ethtool', JSON.stringify(r.crash));
    t.true(r.pass, r.verdict);
  },
);
