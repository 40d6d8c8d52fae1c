import test from 'ava';
import { VirtualClock, ms } from '../../src/clock.js';
import { I2cBus, SmbusClient } from '../../src/i2c/index.js';
import { PseControllerModel, TPS23881_REQUEST_MW } from '../../src/pse/controller.js';
import { dualSignaturePd, pd, type PoweredDevice } from '../../src/pse/powered-device.js';
import { Tps23881 } from '../../src/pse/tps23881.js';
import { REG } from '../../src/pse/tps23881-regs.js';
import { PseCore } from './pse-core.js';
import { Tps23881Driver } from './tps23881-driver.js';

/**
 * dts/qemu-tps23881-budget.dts at register level, under the 7.2 tps23881 driver and pse_core transcriptions:
 * PI 0 is 2-pair on channel 0, PI 1 is 4-pair on channels 1 and 2 (the driver maps it to logical channels 0
 * and 1 and PI 0 to logical channel 2), both on one supply. These are the outcomes the 7.2 guest shows
 * (test/qemu/e2e-poe-budget.test.ts); the framework-level model must come to the same answer.
 */
function rig(budgetMw: number) {
  const clock = new VirtualClock();
  const bus = new I2cBus();
  const tps = new Tps23881({ variant: 'tps23881b', clock, classificationDelayNs: ms(50) });
  bus.attach(0x20, tps);
  const drv = new Tps23881Driver(new SmbusClient(bus, 0x20));
  if (drv.probe({ devId: 0x24 }) !== 0) throw new Error('probe');
  if (drv.setupPiMatrix([{ pairsetChannels: [0] }, { pairsetChannels: [1, 2] }]) !== 0)
    throw new Error('matrix');
  if (drv.setupIrq() !== 0) throw new Error('irq');
  const core = new PseCore(drv, [0, 1], 8, budgetMw);
  const oracle = new PseControllerModel(2, budgetMw, {
    requestMw: (d) => TPS23881_REQUEST_MW[d.pdClass] ?? 0,
    nrLines: 8,
  });
  const settle = () => {
    for (let t = 0; t < 50; t++) {
      while (tps.interruptAsserted) core.isr(drv.irqHandler());
      clock.advance(ms(10));
    }
  };
  /** The board's pd-connect: PI 0's PD on channel 0, PI 1's on channels 1 and 2. */
  const channels = (pi: number) => (pi === 0 ? [0] : [1, 2]);
  const plug = (pi: number, device: PoweredDevice) => {
    tps.attachPd(channels(pi), device);
    oracle.attachPd(pi, device);
    settle();
  };
  const unplug = (pi: number) => {
    tps.removePd(channels(pi));
    oracle.removePd(pi);
    settle();
  };
  const enable = (pi: number, prio: number) => {
    if (core.setPrio(pi, prio) !== 0 || core.enable(pi) !== 0) throw new Error(`enable PI ${pi}`);
    oracle.setPrio(pi, prio);
    oracle.setAdminState(pi, true);
  };
  const delivering = () => [0, 1].map((id) => drv.getPwStatus(id));
  const oracleView = () => [0, 1].map((i) => (oracle.kernelView(i).c33PwStatus === 'delivering' ? 1 : 0));
  const ntf = (pi: number) => core.ntf.filter(([i]) => i === pi).map(([, e]) => e.join(' '));
  return { tps, drv, core, oracle, plug, unplug, enable, delivering, oracleView, ntf };
}

test('the matrix: PI 1 is 4-pair on logical channels 0 and 1, PI 0 is logical channel 2', (t) => {
  const r = rig(45_000);
  t.deepEqual(
    r.drv.port.slice(0, 2).map((p) => [p.chan, p.is4p]),
    [
      [[2, 0], false],
      [[0, 1], true],
    ],
  );
});

test('priority 0 on the 4-pair PI takes the budget from the powered priority-1 PI, which gets it back later', (t) => {
  const r = rig(45_000);
  r.enable(0, 1);
  r.enable(1, 0);
  r.plug(0, pd(4));
  t.deepEqual(r.delivering(), [1, 0]);
  t.is(r.core.usedMw, 30_000);
  r.plug(1, pd(4));
  t.deepEqual(r.delivering(), [0, 1], 'the higher priority wins');
  t.deepEqual(r.ntf(0), ['detection', 'classification', 'over-budget', 'detection', 'classification']);
  // The outer allocation loop asks again after the nested retry powered PI 1, fails, and gives up: -ERANGE,
  // which pse_set_config_isr() swallows. PI 0's later classification fails the same way.
  t.deepEqual(r.core.extack, [
    'PI 1: not enough power budget available',
    'PI 0: not enough power budget available',
  ]);
  t.is(r.core.usedMw, 30_000, 'one request counted');
  t.is(r.drv.getPwClass(0), 4, 'PI 0 classified again, unpowered');
  t.deepEqual(r.oracleView(), r.delivering(), 'the framework-level model agrees');
  r.unplug(1);
  t.deepEqual(r.delivering(), [1, 0], "PI 1's disconnection frees its budget and the retry powers PI 0");
  t.is(r.core.usedMw, 30_000);
  t.deepEqual(r.oracleView(), r.delivering(), 'the framework-level model agrees');
});

test('a request that fits twice after the preemption is counted twice: the budget leaks (7.2)', (t) => {
  const r = rig(45_000);
  r.enable(0, 1);
  r.enable(1, 0);
  r.plug(0, pd(4));
  // Class 3 asks 15500 mW (tps23881_power_class_table): 30000 + 15500 > 45000, so PI 0 goes; the retry inside
  // its disable powers PI 1 (15500), and the outer loop's next request of 15500 now fits and is kept too.
  r.plug(1, pd(3));
  t.deepEqual(r.delivering(), [0, 1]);
  t.is(r.core.usedMw, 31_000, 'two requests of 15500 mW for one PI');
  t.is(r.core.pi[1]?.pwAllocatedMw, 15_500, 'the PI remembers one');
  t.deepEqual(r.oracleView(), r.delivering(), 'the framework-level model agrees');
  t.is(r.oracle.availableMw(0), 14_000, 'and leaks the same 15500 mW');
  r.unplug(1);
  t.deepEqual(r.delivering(), [0, 0], 'PI 0 is never powered again: 15500 + 30000 > 45000');
  t.is(r.core.usedMw, 15_500, 'with nothing powered');
  t.deepEqual(r.oracleView(), r.delivering(), 'the framework-level model agrees');
});

test('a 4-pair single-signature class 8 PD: 90 W requested, class 8, both channels policed at 45 W', (t) => {
  const r = rig(100_000);
  r.enable(1, 0);
  r.plug(1, pd(8));
  t.deepEqual(r.delivering(), [0, 1]);
  t.is(r.drv.getPwReqMw(1), 90_000);
  t.is(r.core.usedMw, 90_000);
  t.is(r.drv.getPwClass(1), 8);
  t.is(r.drv.getPwLimitMw(1), 90_000);
  // The PD draws 72 W over both pairsets; the driver sums the two channels' currents.
  t.true(Math.abs(r.drv.getActualPwMw(1) - 72_000) <= 20, String(r.drv.getActualPwMw(1)));
});

test('a 4-pair single-signature class 5 PD is never classified for pse_core: the driver skips code 0x8', (t) => {
  const r = rig(100_000);
  r.enable(1, 0);
  r.plug(1, pd(5));
  t.is(r.drv.getPwReqMw(1), 45_000, 'the chip reports class 5 (code 0x8, 45000 mW in the driver table)');
  t.deepEqual(r.ntf(1), ['detection'], 'tps23881_irq_event_classification() skips 0x8 as "unknown"');
  t.deepEqual(r.delivering(), [0, 0]);
  t.is(r.core.usedMw, 0);
});

test('a dual-signature PD on the 4-pair PI is budgeted by pairset A alone', (t) => {
  const r = rig(45_000);
  r.enable(1, 0);
  r.plug(1, dualSignaturePd(3, 4));
  t.deepEqual(r.delivering(), [0, 1]);
  t.is(r.core.usedMw, 15_500, "pairset A's class 3 (tps23881_pi_get_pw_req reads chan[0] only)");
  t.is(r.drv.getPwClass(1), 3, 'the class shown is pairset A');
  // Each pairset policed at its own class power: 15.4 W rounds to 31 steps of 0.5 W, 30 W is 60 steps.
  t.is(r.drv.getPwLimitMw(1), 15_500 + 30_000);
  t.true(Math.abs(r.drv.getActualPwMw(1) - 36_320) <= 20, String(r.drv.getActualPwMw(1)));
});

test('an overload on either pairset of a dual-signature PD trips that pairset past its own policing', (t) => {
  for (const channel of [1, 2]) {
    const r = rig(100_000);
    r.enable(1, 0);
    r.plug(1, dualSignaturePd(3, 4));
    t.deepEqual(r.delivering(), [0, 1]);
    t.true(r.tps.overload(channel), `channel ${channel} cut (PCUT)`);
    t.false(r.tps.channelState(channel).powered);
  }
});

test("a 4-pair PI disabled once never detects again: pi_disable re-enables only the second channel's detection", (t) => {
  const r = rig(100_000);
  r.enable(1, 0);
  r.plug(1, pd(8));
  t.deepEqual(r.delivering(), [0, 1]);
  r.unplug(1);
  t.deepEqual(r.ntf(1), ['detection', 'classification', 'disconnection']);
  // tps23881_pi_disable() builds DET_CLA_EN for chan[1] from the register read (`ret`), not from the value
  // that already held chan[0]'s bits, and PWOFF had cleared chan[0]'s: logical channel 0 stays off.
  const detCla = r.tps.quads[0].get(REG.DET_CLA_EN).peek() & 0x33;
  t.is(detCla, 0x22, 'DETE2/CLE2 only');
  r.plug(1, pd(8));
  t.deepEqual(
    r.ntf(1),
    ['detection', 'classification', 'disconnection'],
    'nothing on chan[0], nothing notified',
  );
  t.deepEqual(r.delivering(), [0, 0]);
  t.is(
    r.tps.channelState(2).classCode,
    0xb,
    'the second channel classified the PD; the driver never looks there',
  );
});
