import test from 'ava';
import { I2cBus, SmbusClient } from '../../src/i2c/index.js';
import { PseControllerModel, TPS23881_REQUEST_MW } from '../../src/pse/controller.js';
import { pd } from '../../src/pse/powered-device.js';
import { Tps23881 } from '../../src/pse/tps23881.js';
import { KernelStackOverflow, PseCore } from './pse-core.js';
import { Tps23881Driver } from './tps23881-driver.js';

/**
 * Budgets and priorities end to end at register level: the TPS23881 model under the 7.2 tps23881 driver and
 * pse_core transcriptions, two 2-pair PIs (channels 0 and 1) on one 45 W supply and two class 4 PDs that do
 * not both fit. The framework-level model (src/pse/controller.ts) must come to the same answer.
 */
function rig(budgetMw = 45_000) {
  const bus = new I2cBus();
  const tps = new Tps23881({ variant: 'tps23881b' });
  bus.attach(0x20, tps);
  const drv = new Tps23881Driver(new SmbusClient(bus, 0x20));
  if (drv.probe({ devId: 0x24 }) !== 0) throw new Error('probe');
  if (drv.setupPiMatrix([{ pairsetChannels: [0] }, { pairsetChannels: [1] }]) !== 0)
    throw new Error('matrix');
  if (drv.setupIrq() !== 0) throw new Error('irq');
  const core = new PseCore(drv, [0, 1], 8, budgetMw);
  const oracle = new PseControllerModel(2, budgetMw, {
    requestMw: (d) => TPS23881_REQUEST_MW[d.pdClass] ?? 0,
    nrLines: 8,
  });
  /** A PD appears: the INT pin asserts and the threaded handler runs pse_isr. */
  const plug = (channel: number) => {
    tps.attachPd(channel, pd(4, 20_000));
    oracle.attachPd(channel, pd(4, 20_000));
    while (tps.interruptAsserted) core.isr(drv.irqHandler());
  };
  const delivering = () => [0, 1].map((id) => drv.getPwStatus(id));
  return { tps, drv, core, oracle, plug, delivering };
}

test('both PIs enabled, equal priorities: the second PD stays unpowered, "not enough power budget available"', (t) => {
  const r = rig();
  for (const id of [0, 1]) {
    t.is(r.core.enable(id), 0);
    r.oracle.setAdminState(id, true);
  }
  r.plug(0);
  r.plug(1);
  t.deepEqual(r.delivering(), [1, 0]);
  t.deepEqual(r.core.extack, ['PI 1: not enough power budget available']);
  t.is(r.core.usedMw, 30_000);
  t.deepEqual(
    [0, 1].map((i) => r.oracle.kernelView(i).c33PwStatus),
    ['delivering', 'disabled'],
  );
});

test('priority preemption for a PI at a lower index: PI 0 (prio 0) takes the budget from PI 1 (prio 2)', (t) => {
  const r = rig();
  for (const [id, prio] of [
    [0, 0],
    [1, 2],
  ] as const) {
    t.is(r.core.enable(id), 0);
    t.is(r.core.setPrio(id, prio), 0);
    r.oracle.setAdminState(id, true);
    r.oracle.setPrio(id, prio);
  }
  r.plug(1);
  t.deepEqual(r.delivering(), [0, 1]);
  r.plug(0);
  t.deepEqual(r.delivering(), [1, 0], 'PI 1 was turned off for PI 0');
  t.true(r.core.ntf.some(([pi, ev]) => pi === 1 && ev.includes('over-budget')));
  t.is(r.core.usedMw, 30_000);
  t.deepEqual(
    [0, 1].map((i) => r.oracle.kernelView(i).c33PwStatus),
    ['delivering', 'disabled'],
    'the framework-level model agrees',
  );
});

test('priority preemption for a PI at a higher index: 7.2 pse_core recurses until the stack runs out', (t) => {
  const r = rig();
  for (const [id, prio] of [
    [0, 2],
    [1, 0],
  ] as const) {
    r.core.enable(id);
    r.core.setPrio(id, prio);
    r.oracle.setAdminState(id, true);
    r.oracle.setPrio(id, prio);
  }
  r.plug(0);
  t.throws(() => r.plug(1), { instanceOf: KernelStackOverflow });
  t.true(r.oracle.unboundedRecursion, 'the framework-level model predicts it');
});

test('admin disable of a powered PI: 7.2 retries the domain before clearing the admin flag, so the PI powers again', (t) => {
  const r = rig();
  t.is(r.core.enable(0), 0);
  r.plug(0);
  t.deepEqual(r.delivering(), [1, 0]);
  // pse_pi_disable -> _pse_pi_disable (PWOFF, budget freed, pse_pw_d_retry_power_delivery: PI 0 is still
  // admin-enabled with a PD detected and no power, so it is delivered again) -> admin_state_enabled = 0.
  t.is(r.core.disableAdmin(0), 0);
  t.false(r.core.pi[0]!.adminStateEnabled);
  t.deepEqual(r.delivering(), [1, 0], 'the port is powered although ethtool now reports admin disabled');
  t.is(r.core.usedMw, 30_000);
  const kernel = new PseControllerModel(2, 45_000, { nrLines: 8, reenableOnAdminDisable: true });
  kernel.attachPd(0, pd(4, 20_000));
  kernel.setAdminState(0, true);
  kernel.setAdminState(0, false);
  t.like(
    kernel.kernelView(0),
    { c33AdminState: 'disabled', c33PwStatus: 'delivering' },
    'the model predicts it',
  );
  const intended = new PseControllerModel(2, 45_000);
  intended.attachPd(0, pd(4, 20_000));
  intended.setAdminState(0, true);
  intended.setAdminState(0, false);
  t.like(intended.kernelView(0), { c33AdminState: 'disabled', c33PwStatus: 'disabled' });
});
