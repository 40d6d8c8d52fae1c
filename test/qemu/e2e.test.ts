import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findGuestKernel, type GuestKernel } from '../../src/qemu/kernel.js';
import { qemuBinary } from '../../src/qemu/machine.js';
import { runQemuScenario, type QemuReport } from '../../src/qemu/run.js';

/**
 * End to end: a real Linux 6.1 guest (scripts/build-guest-kernel.sh) under stock qemu-system-aarch64,
 * talking usbredir to the emulated Marvell USB-MDIO adapter. Expected values come from the kernel
 * (drivers/net/phy/marvell.c binds "Marvell 88E1510" to ID 0x01410dd0/mask 0xfffffff0) and from what the
 * emulator itself served, never from the report's own verdicts alone.
 */
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const scenario = (name: string): string => join(repo, 'dts', `qemu-${name}.scenario.json`);

const qemuPresent = spawnSync(qemuBinary, ['--version']).status === 0;
const kernel: GuestKernel | undefined = qemuPresent ? await findGuestKernel() : undefined;
const missing = !qemuPresent ? `${qemuBinary} is not installed` : !kernel ? 'the guest kernel is not built (run scripts/setup.sh or `mdio-emu qemu kernel`)' : undefined;

if (missing && process.env.CI === 'true') {
  test('QEMU end-to-end prerequisites are installed (CI)', (t) => {
    t.fail(`CI must run the QEMU end-to-end tests, but ${missing}`);
  });
} else if (missing) {
  console.log(`test/qemu/e2e: skipping the QEMU end-to-end tests: ${missing}`);
  test.skip(`QEMU end-to-end tests (${missing})`, () => {});
} else {
  const k = kernel as GuestKernel;
  const run = async (name: string): Promise<QemuReport> =>
    runQemuScenario({ kernel: k.image, modulesDir: k.modulesDir, scenarioFile: scenario(name), reportDir: await mkdtemp(join(tmpdir(), `mdio-emu-e2e-${name}-`)) });
  const phyPath = '/pcie@10000000/usb@2,0/mdio@5/ethernet-phy@0';
  const adapterPath = '/pcie@10000000/usb@2,0/mdio@5';

  /** The PHY ID as the emulator served it to the guest: registers 2 and 3 of address 0 (802.3 22.2.4.3.1). */
  const servedPhyId = (r: QemuReport): number | undefined => {
    const id1 = r.emulatorTrace.find((a) => a.op === 'read' && a.addr === 0 && a.reg === 2)?.value;
    const id2 = r.emulatorTrace.find((a) => a.op === 'read' && a.addr === 0 && a.reg === 3)?.value;
    return id1 === undefined || id2 === undefined ? undefined : ((id1 << 16) | id2) >>> 0;
  };

  test.serial('PSE present from boot: the PHY registers with the ID read through the emulated adapter', async (t) => {
    const r = await run('pse-at-boot');
    t.is(r.problem, undefined, r.problem);
    const end = r.snapshots.find((s) => s.label === 'end');
    t.truthy(end?.devices.find((d) => d.bus === 'usb' && d.ofNode === adapterPath), 'the adapter bound to its DT node (reg = raw xHCI port)');
    const phy = end?.mdio.find((m) => m.ofNode === phyPath);
    t.truthy(phy, 'the guest lists the PHY on the MDIO bus');
    t.is(servedPhyId(r), 0x01410dd1);
    t.is(phy?.phyId, servedPhyId(r));
    t.regex(phy?.driver ?? '', /^Marvell 88E1510$/);
    t.true(r.pass, JSON.stringify(r.expectations.filter((e) => !e.pass)));
  });

  test.serial('PSE loaded late: probe deferred and no PHY access until the PSE registers, then the PHY registers', async (t) => {
    const r = await run('pse-late');
    t.is(r.problem, undefined, r.problem);
    const load = r.timeline.find((e) => e.action.includes('pse_regulator'));
    t.truthy(load?.hostMs, 'the guest reached the PSE load');
    const before = r.snapshots.find((s) => s.label === 'before' && s.index === load?.index);
    t.truthy(before?.deferred.find((d) => d.ofNode === adapterPath), 'devices_deferred lists the adapter before the PSE loads');
    t.deepEqual(r.emulatorTrace.filter((a) => a.addr === 0 && a.hostMs < (load?.hostMs ?? 0)), []);
    const after = r.emulatorTrace.filter((a) => a.addr === 0 && a.hostMs >= (load?.hostMs ?? 0));
    t.true(after.length > 0, 'the PHY is accessed after the PSE registers');
    const delay = r.expectations.find((e) => e.expectation.kind === 'first-access-after')?.observed.guestDelayMs;
    t.true(typeof delay === 'number' && delay > 0 && delay < 1000, `delay ${String(delay)} ms`);
    t.log(`PSE registration -> first PHY access: ${String(delay)} ms (guest clock)`);
    t.truthy(r.snapshots.find((s) => s.label === 'end')?.mdio.find((m) => m.ofNode === phyPath));
    t.true(r.pass, JSON.stringify(r.expectations.filter((e) => !e.pass)));
  });

  test.serial('PSE never loads: the PHY never registers and the run ends on time', async (t) => {
    const r = await run('pse-never');
    t.is(r.problem, undefined, r.problem);
    t.true(r.snapshots.every((s) => !s.mdio.some((m) => m.ofNode === phyPath)));
    t.deepEqual(r.emulatorTrace.filter((a) => a.addr === 0), []);
    t.true(r.wallMs < 30_000, `${r.wallMs} ms`);
    t.true(r.pass, JSON.stringify(r.expectations.filter((e) => !e.pass)));
  });

  test.serial('PSE removed under the PHY, then the adapter unplugged: the kernel warns and the report says so', async (t) => {
    const r = await run('pse-removed');
    // drivers/regulator/core.c _regulator_put(): WARN_ON(regulator->enable_count) on the PSE's supply.
    t.true(r.kernelLog.some((l) => /WARNING: .*drivers\/regulator\/core\.c:\d+ _regulator_put/.test(l)));
    t.true(r.kernelLog.some((l) => l.includes('usb 1-1: USB disconnect')));
    t.log(r.kernelLog.filter((l) => /WARNING|BUG|KASAN|Unable to handle/.test(l)).join('\n'));
    t.true(r.pass, JSON.stringify(r.expectations.filter((e) => !e.pass)));
  });

  test.serial('the emulator trace and the guest mdio_access trace agree transaction for transaction', async (t) => {
    const r = await run('pse-at-boot');
    const guest = r.guestTrace.flatMap((g) => (g.kind === 'mdio' ? [`${g.op} ${g.addr} ${g.reg} ${g.value}`] : []));
    const emulator = r.emulatorTrace.map((a) => `${a.op} ${a.addr} ${a.reg} ${a.value}`);
    t.true(emulator.length >= 2);
    t.deepEqual(guest, emulator);
  });
}
