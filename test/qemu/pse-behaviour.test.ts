import test from 'ava';
import type { Snapshot } from '../../src/qemu/guest-observations.js';
import { classifyPseAttach, kasanFinding } from '../../src/qemu/pse-behaviour.js';

const link = { phy: '/usb/mdio@5/ethernet-phy@0', pse: '/ethernet-pse', adapter: '/usb/mdio@5' };
const snap = (t: number, o: { pseDriver?: string; deferred?: boolean; phy?: boolean }): Snapshot => ({
  label: 'before',
  index: undefined,
  t,
  hostMs: t,
  deferred: o.deferred ? [{ name: '1-1:1.0', ofNode: link.adapter, reason: '' }] : [],
  mdio: o.phy
    ? [{ name: 'mvusb-1-1:1.0:00', phyId: 0x01410dd0, ofNode: link.phy, driver: 'Marvell 88E1510' }]
    : [],
  devices: [{ bus: 'platform', name: 'ethernet-pse', ofNode: link.pse, driver: o.pseDriver ?? '' }],
});

test('Linux 6.1: the adapter deferred with no PHY before the PSE binds is probe-time deferral', (t) => {
  const f = classifyPseAttach(link, [
    snap(100, {}),
    snap(2000, { deferred: true }),
    snap(2500, { pseDriver: 'PSE regulator', phy: true }),
  ]);
  t.is(f.behaviour, 'probe-time-deferral');
  t.regex(f.evidence, /2000 ms/);
});

test('a PHY registered while the PSE has no driver is a notifier-based attach', (t) => {
  const f = classifyPseAttach(link, [
    snap(100, {}),
    snap(2000, { phy: true }),
    snap(2500, { pseDriver: 'PSE regulator', phy: true }),
  ]);
  t.is(f.behaviour, 'notifier-attach');
});

test('a PHY left registered after the PSE is unbound is not a notifier attach', (t) => {
  // pse-removed: PSE first, then the adapter, then the PSE unbound under the PHY.
  const f = classifyPseAttach(link, [
    snap(0, {}),
    snap(10, { pseDriver: 'PSE regulator' }),
    snap(1000, { pseDriver: 'PSE regulator', phy: true }),
    snap(2000, { phy: true }),
  ]);
  t.is(f.behaviour, 'undetermined');
});

test('an adapter that never probes tells nothing', (t) => {
  t.is(classifyPseAttach(link, [snap(0, {}), snap(2000, {})]).behaviour, 'undetermined');
});

test('KASAN findings: enabled from the boot line, use-after-free in pse_control_put recognised', (t) => {
  const log = [
    '[    0.000000] KernelAddressSanitizer initialized (generic)',
    '[    3.120000] ==================================================================',
    '[    3.120001] BUG: KASAN: use-after-free in pse_control_put+0x2c/0x90',
  ];
  t.deepEqual(kasanFinding(log), {
    enabled: true,
    reports: ['BUG: KASAN: use-after-free in pse_control_put+0x2c/0x90'],
    useAfterFreeInPseControlPut: true,
  });
  t.deepEqual(kasanFinding(['[ 0.1] Booting Linux']), {
    enabled: false,
    reports: [],
    useAfterFreeInPseControlPut: false,
  });
  t.false(
    kasanFinding(['KernelAddressSanitizer initialized (generic)', 'BUG: KASAN: slab-out-of-bounds in foo'])
      .useAfterFreeInPseControlPut,
  );
});
