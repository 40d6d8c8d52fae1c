import test from 'ava';
import { VirtualClock, ms } from '../../src/clock.js';
import {
  ControllerLifecycle,
  PseAttachTracker,
  type LifecycleEvent,
  type LoadSchedule,
} from '../../src/pse/lifecycle.js';
import { I2cBus, SmbusClient } from '../../src/i2c/index.js';
import { Tps23881 } from '../../src/pse/tps23881.js';

const CTL = '/i2c/ethernet-pse@20';
const PHY = '/mdio/ethernet-phy@0';

function setup(schedule: LoadSchedule, initial: 'absent' | 'present' = 'present') {
  const clock = new VirtualClock();
  const lc = new ControllerLifecycle(clock, { controller: CTL, schedule, initial });
  const events: [number, string, string][] = [];
  lc.subscribe((e: LifecycleEvent) => events.push([e.atNs, e.from, e.to]));
  const tracker = new PseAttachTracker([{ phy: PHY, controller: CTL }], [lc]);
  lc.start();
  return { clock, lc, events, tracker };
}

test('at start: present -> registered at t=0', (t) => {
  const { events, tracker } = setup({ kind: 'at-start' });
  t.deepEqual(events, [[0, 'present', 'registered']]);
  t.deepEqual(tracker.physWaitingForPse(), []);
  t.is(tracker.expectation(PHY, 'deferred-probe'), 'registered-with-pse');
});

test('after a delay on the virtual clock: nothing before, absent -> present -> registered exactly at the deadline', (t) => {
  const { clock, events, tracker, lc } = setup({ kind: 'after-delay', delayNs: ms(4000) }, 'absent');
  clock.advance(ms(3999));
  t.deepEqual(events, []);
  t.false(lc.isPresent());
  t.deepEqual(tracker.physWaitingForPse(), [PHY]);
  t.is(tracker.expectation(PHY, 'deferred-probe'), 'probe-deferred');
  t.is(tracker.expectation(PHY, 'notifier'), 'registered-without-pse');
  clock.advance(ms(1));
  t.deepEqual(events, [
    [ms(4000), 'absent', 'present'],
    [ms(4000), 'present', 'registered'],
  ]);
  t.is(tracker.expectation(PHY, 'notifier'), 'registered-with-pse');
});

test('after the Nth access to a given PHY; accesses to other PHYs do not count', (t) => {
  const { events, tracker, clock } = setup({ kind: 'after-phy-access', phy: PHY, count: 3 });
  clock.advance(ms(7));
  tracker.notePhyAccess('/mdio/ethernet-phy@1');
  tracker.notePhyAccess(PHY);
  tracker.notePhyAccess(PHY);
  t.deepEqual(events, []);
  tracker.notePhyAccess(PHY);
  t.deepEqual(events, [[ms(7), 'present', 'registered']]);
  tracker.notePhyAccess(PHY);
  t.is(events.length, 1, 'fires once');
});

test('explicit trigger, and never', (t) => {
  const a = setup({ kind: 'on-trigger' });
  a.clock.advance(ms(1000));
  t.deepEqual(a.events, []);
  a.lc.trigger();
  t.deepEqual(a.events, [[ms(1000), 'present', 'registered']]);

  const b = setup({ kind: 'never' });
  b.clock.advance(ms(1_000_000));
  b.lc.trigger();
  t.deepEqual(b.events, []);
  t.is(b.tracker.expectation(PHY, 'deferred-probe'), 'probe-deferred');
});

test('flapping: up and down on the virtual clock for the given cycles, events in order', (t) => {
  const { clock, events } = setup({
    kind: 'flapping',
    firstNs: ms(10),
    upNs: ms(5),
    downNs: ms(20),
    cycles: 2,
  });
  clock.advance(ms(200));
  t.deepEqual(events, [
    [ms(10), 'present', 'registered'],
    [ms(15), 'registered', 'unregistered'],
    [ms(35), 'unregistered', 'registered'],
    [ms(40), 'registered', 'unregistered'],
  ]);
  t.is(clock.pendingTimers, 0);
});

test('unbinding after attach: deferred-probe kernels keep a stale pse_control, notifier kernels detach', (t) => {
  const { lc, tracker } = setup({ kind: 'at-start' });
  lc.unregister();
  t.deepEqual(tracker.physWaitingForPse(), [PHY]);
  t.is(tracker.expectation(PHY, 'deferred-probe'), 'registered-stale-pse');
  t.is(tracker.expectation(PHY, 'notifier'), 'registered-without-pse');
});

test('an absent TPS23881 NACKs its address until the lifecycle makes it present', (t) => {
  const { clock, lc } = setup({ kind: 'after-delay', delayNs: ms(50) }, 'absent');
  const bus = new I2cBus();
  bus.attach(0x20, new Tps23881({ isPresent: () => lc.isPresent() }));
  const client = new SmbusClient(bus, 0x20);
  t.true(client.readByteData(0x43) < 0);
  clock.advance(ms(50));
  t.is(client.readByteData(0x43), 0x22);
});
