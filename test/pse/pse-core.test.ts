import test from 'ava';
import { VirtualClock, ms } from '../../src/clock.js';
import { I2cBus, SmbusClient } from '../../src/i2c/index.js';
import { PseControllerModel, TPS23881_REQUEST_MW } from '../../src/pse/controller.js';
import { pd } from '../../src/pse/powered-device.js';
import { Tps23881 } from '../../src/pse/tps23881.js';
import { PseCore } from './pse-core.js';
import { Tps23881Driver } from './tps23881-driver.js';

/**
 * Budgets and priorities end to end at register level: the TPS23881 model under the 7.2 tps23881 driver and
 * pse_core transcriptions, two 2-pair PIs (channels 0 and 1) on one 45 W supply and two class 4 PDs that do
 * not both fit. Classification completes 50 ms after detection, so each arrives in its own interrupt (what a
 * 7.2 guest needs to power anything, see the last test). The framework-level model must come to the same answer.
 */
function rig(options: { budgetMw?: number; classificationDelayNs?: number } = {}) {
  const budgetMw = options.budgetMw ?? 45_000;
  const delay = options.classificationDelayNs ?? ms(50);
  const clock = new VirtualClock();
  const bus = new I2cBus();
  const tps = new Tps23881({ variant: 'tps23881b', clock, classificationDelayNs: delay });
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
    detectionWithClassification: delay === 0,
  });
  /** The threaded handler runs pse_isr while the INT pin is asserted; time passes in 10 ms polls. */
  const settle = () => {
    for (let t = 0; t < 50; t++) {
      while (tps.interruptAsserted) core.isr(drv.irqHandler());
      clock.advance(ms(10));
    }
  };
  const plug = (channel: number) => {
    tps.attachPd(channel, pd(4, 20_000));
    oracle.attachPd(channel, pd(4, 20_000));
    settle();
  };
  const delivering = () => [0, 1].map((id) => drv.getPwStatus(id));
  const oracleView = () => [0, 1].map((i) => (oracle.kernelView(i).c33PwStatus === 'delivering' ? 1 : 0));
  return { tps, drv, core, oracle, plug, settle, delivering, oracleView };
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
  t.true(r.core.extack.includes('PI 1: not enough power budget available'));
  t.is(r.core.usedMw, 30_000);
  t.deepEqual(r.oracleView(), r.delivering(), 'the framework-level model agrees');
});

for (const [requesting, preempted] of [
  [0, 1],
  [1, 0],
] as const) {
  test(`priority preemption: PI ${requesting} (prio 0) takes the budget from PI ${preempted} (prio 2)`, (t) => {
    const r = rig();
    for (const [id, prio] of [
      [requesting, 0],
      [preempted, 2],
    ] as const) {
      t.is(r.core.enable(id), 0);
      t.is(r.core.setPrio(id, prio), 0);
      r.oracle.setAdminState(id, true);
      r.oracle.setPrio(id, prio);
    }
    r.plug(preempted);
    r.plug(requesting);
    const want = [0, 0];
    want[requesting] = 1;
    t.deepEqual(r.delivering(), want);
    t.true(r.core.ntf.some(([pi, ev]) => pi === preempted && ev.includes('over-budget')));
    t.is(r.core.usedMw, 30_000);
    t.deepEqual(r.oracleView(), want, 'the framework-level model agrees');
  });
}

test('admin disable: the retry in _pse_pi_disable finds no class (PWOFF reset it), so the PI stays off', (t) => {
  const r = rig();
  t.is(r.core.enable(0), 0);
  r.plug(0);
  t.deepEqual(r.delivering(), [1, 0]);
  t.is(r.core.disableAdmin(0), 0);
  r.settle();
  t.deepEqual(r.delivering(), [0, 0]);
  t.is(r.core.usedMw, 0);
  t.is(r.core.enable(0), 0);
  t.deepEqual(r.delivering(), [1, 0], 'classified again by now: enabling powers it');
});

test('detection and classification in one interrupt: 7.2 drops the notification and never powers the PD', (t) => {
  const r = rig({ classificationDelayNs: 0 });
  t.is(r.core.enable(0), 0);
  r.plug(0);
  t.deepEqual(r.delivering(), [0, 0]);
  t.deepEqual(r.core.ntf, [[0, ['detection', 'classification']]]);
  t.deepEqual(r.oracleView(), [0, 0], 'the framework-level model agrees');
});
