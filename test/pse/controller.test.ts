import test from 'ava';
import { PseControllerModel, type PseEvent } from '../../src/pse/controller.js';
import { PodlPseRegulator, RegulatorModel } from '../../src/pse/podl-regulator.js';
import { dualSignaturePd, pd } from '../../src/pse/powered-device.js';
import { TPS23881_REQUEST_MW } from '../../src/pse/controller.js';

test('a PD is detected and classified whatever the admin state; it is powered once the PI is admin-enabled', (t) => {
  const ctl = new PseControllerModel(2);
  const events: PseEvent[] = [];
  ctl.subscribe((e) => events.push(e));
  ctl.attachPd(0, pd(3, 9_000));
  // The controller detects and classifies in hardware; two interrupts report it and pse_core notes
  // isr_pd_detected on the classification.
  t.deepEqual(
    events.map((e) => e.type),
    ['pse.pd-attached', 'pse.detection', 'pse.classification', 'pse.notify', 'pse.notify'],
  );
  t.deepEqual(events.at(-1), { type: 'pse.notify', pi: 0, events: ['classification'] });
  t.is(ctl.status(0).ethtool.pwStatus, 'disabled', 'admin-disabled: not powered');
  ctl.setAdminState(0, true);
  t.like(events.at(-1), { type: 'pse.power-on', pi: 0, allocatedMw: 15_400 });
  // Class 3 allocates 15.4 W (802.3 Table 33-6, PSE output power).
  t.deepEqual(ctl.status(0).ethtool, {
    adminState: 'enabled',
    pwStatus: 'delivering',
    pwClass: 3,
    actualPwMw: 9_000,
  });
  t.is(ctl.status(0).allocatedMw, 15_400);
  const before = events.length;
  ctl.removePd(0);
  t.deepEqual(
    events.slice(before).map((e) => e.type),
    ['pse.power-off', 'pse.notify', 'pse.pd-removed'],
  );
  t.is(ctl.status(0).ethtool.pwStatus, 'searching');
  t.is(ctl.availableMw(), Number.POSITIVE_INFINITY);
});

test('an invalid signature is detected but never powered', (t) => {
  const ctl = new PseControllerModel(1);
  ctl.setAdminState(0, true);
  ctl.attachPd(0, pd(2, 1_000, 'low'));
  t.is(ctl.status(0).detection, 'invalid');
  t.is(ctl.status(0).power, 'searching');
});

test('static budget: a PI that does not fit is refused, and powers up when budget is freed', (t) => {
  const ctl = new PseControllerModel(2, 40_000);
  const events: PseEvent[] = [];
  ctl.subscribe((e) => events.push(e));
  ctl.setAdminState(0, true);
  ctl.setAdminState(1, true);
  ctl.attachPd(0, pd(4)); // 30 W
  ctl.attachPd(1, pd(3)); // 15.4 W > 10 W left, and equal priorities preempt nothing
  t.is(ctl.status(1).power, 'over-budget');
  t.is(ctl.status(1).ethtool.pwStatus, 'otherfault');
  t.true(events.some((e) => e.type === 'pse.over-budget' && e.pi === 1 && e.availableMw === 10_000));
  ctl.removePd(0);
  t.is(ctl.status(1).power, 'delivering');
});

test('PoDL regulator: admin state drives the regulator; power status follows regulator_is_enabled', (t) => {
  const reg = new RegulatorModel('pse-supply', 54_000_000);
  const podl = new PodlPseRegulator(reg);
  t.deepEqual(podl.status(), { podlAdminState: 'disabled', podlPwStatus: 'disabled' });
  podl.setAdminState('enabled');
  t.true(reg.isEnabled());
  t.deepEqual(podl.status(), { podlAdminState: 'enabled', podlPwStatus: 'delivering' });
  t.is(reg.voltage(), 54_000_000);
  podl.setAdminState('disabled');
  t.false(reg.isEnabled());
  t.is(podl.status().podlPwStatus, 'disabled');
});

/** Two PIs in one domain that cannot both be powered: pse_pi_allocate_pw_budget_static_prio's choices. */
function twoPis(budgetMw: number) {
  const ctl = new PseControllerModel(3, budgetMw, { requestMw: (d) => TPS23881_REQUEST_MW[d.pdClass] ?? 0 });
  const events: PseEvent[] = [];
  ctl.subscribe((e) => events.push(e));
  for (const i of [0, 1, 2]) ctl.setAdminState(i, true);
  return { ctl, events };
}

test('priorities: a higher-priority PI at a lower index turns a lower-priority one off (over-budget notification)', (t) => {
  const { ctl, events } = twoPis(45_000);
  ctl.setPrio(0, 0);
  ctl.setPrio(1, 2);
  ctl.attachPd(1, pd(4)); // 30 W
  t.is(ctl.status(1).power, 'delivering');
  ctl.attachPd(0, pd(4)); // 30 W more does not fit: PI 1 (prio 2) goes
  t.is(ctl.status(0).power, 'delivering');
  t.is(ctl.status(1).power, 'over-budget', 'admin-enabled, PD detected, waiting for budget');
  t.true(events.some((e) => e.type === 'pse.notify' && e.pi === 1 && e.events.includes('over-budget')));
  t.like(ctl.kernelView(1), {
    c33AdminState: 'enabled',
    c33PwStatus: 'disabled',
    prio: 2,
    prioMax: 2,
    pwDomainId: 1,
  });
  t.is(ctl.availableMw(), 15_000);
  // The high-priority PD leaves: the domain retries and PI 1 gets its power back.
  ctl.removePd(0);
  t.is(ctl.status(1).power, 'delivering');
});

test('priorities: preempting a PI at a lower index works as well (the switched-off PI has no class for the retry)', (t) => {
  const { ctl, events } = twoPis(45_000);
  ctl.setPrio(0, 2);
  ctl.setPrio(1, 0);
  ctl.attachPd(0, pd(4));
  ctl.attachPd(1, pd(4));
  t.is(ctl.status(1).power, 'delivering');
  t.is(ctl.status(0).power, 'over-budget');
  // PI 0 was classified again after the preemption, and refused again: prio 2 preempts nobody.
  t.is(events.filter((e) => e.type === 'pse.power-on' && e.pi === 0).length, 1);
  t.is(ctl.availableMw(), 15_000);
});

test('7.2 drops a classification reported in the same interrupt as its detection: never powered', (t) => {
  const ctl = new PseControllerModel(1, 45_000, { detectionWithClassification: true });
  ctl.setAdminState(0, true);
  ctl.attachPd(0, pd(2));
  t.is(ctl.status(0).power, 'searching');
  t.is(ctl.kernelView(0).c33PwStatus, 'disabled');
  t.like(ctl.kernelView(0), { c33AdminState: 'enabled' });
});

test('admin disable of a powered PI stays disabled; enabling again powers it once it is classified again', (t) => {
  const { ctl } = twoPis(45_000);
  ctl.attachPd(0, pd(2));
  ctl.setAdminState(0, false);
  t.like(ctl.kernelView(0), { c33AdminState: 'disabled', c33PwStatus: 'disabled' });
  ctl.setAdminState(0, true);
  t.like(ctl.kernelView(0), { c33AdminState: 'enabled', c33PwStatus: 'delivering' });
});

test('priorities: a lower-priority PI never preempts; equal priorities neither', (t) => {
  const { ctl } = twoPis(45_000);
  ctl.setPrio(0, 0);
  ctl.setPrio(1, 1);
  ctl.attachPd(0, pd(4));
  ctl.attachPd(1, pd(4));
  t.is(ctl.status(0).power, 'delivering');
  t.is(ctl.status(1).power, 'over-budget');
  // Raising PI 1 to PI 0's priority retries the domain, but equal priorities do not preempt.
  ctl.setPrio(1, 0);
  t.is(ctl.status(1).power, 'over-budget');
  t.throws(() => ctl.setPrio(1, 3), { message: /exceed priority max 3/ });
});

test('power limits cap the allocation: a PI limited to 15 W fits where its class 4 would not', (t) => {
  const { ctl } = twoPis(45_000);
  ctl.attachPd(0, pd(4));
  t.true(ctl.setPwLimit(1, 15_000));
  ctl.attachPd(1, pd(4, 12_000));
  t.is(ctl.status(1).power, 'delivering');
  t.is(ctl.status(1).allocatedMw, 15_000);
  t.false(ctl.setPwLimit(1, 20_000), 'raising it past what the domain has left is refused');
  t.true(ctl.setPwLimit(1, 10_000));
  t.is(ctl.availableMw(), 45_000 - 30_000 - 10_000);
  t.is(ctl.kernelView(1).c33AvailPwLimitMw, 10_000);
});

test('power domains: PIs on different supplies do not compete; a PI outside every domain is hardware-controlled', (t) => {
  const ctl = new PseControllerModel(3, Number.POSITIVE_INFINITY, {
    domains: [
      { budgetMw: 30_000, pis: [0] },
      { budgetMw: 30_000, pis: [1] },
    ],
  });
  for (const i of [0, 1, 2]) ctl.setAdminState(i, true);
  ctl.attachPd(0, pd(4));
  ctl.attachPd(1, pd(4));
  ctl.attachPd(2, pd(8, 80_000));
  t.deepEqual(
    [0, 1, 2].map((i) => ctl.status(i).power),
    ['delivering', 'delivering', 'delivering'],
  );
  t.deepEqual(
    [0, 1].map((i) => ctl.kernelView(i).pwDomainId),
    [1, 2],
  );
  t.is(ctl.kernelView(2).prio, undefined, 'no domain, no priority');
  t.is(ctl.status(2).allocatedMw, 0);
  t.throws(() => ctl.setPrio(2, 0), { message: /no power domain/ });
});

test('over-current: cut, notified, the PD classified again and powered again', (t) => {
  const { ctl, events } = twoPis(100_000);
  ctl.attachPd(0, dualSignaturePd(4, 4, 40_000));
  const n = events.length;
  ctl.overCurrent(0);
  const notes = events
    .slice(n)
    .filter((e) => e.type === 'pse.notify')
    .map((e) => e.events);
  t.deepEqual(notes, [['over-current', 'disconnection'], ['detection'], ['classification']]);
  t.is(ctl.status(0).power, 'delivering');
});

test('a class overcurrent is detected but never classified, so never powered', (t) => {
  const { ctl } = twoPis(100_000);
  ctl.attachPd(0, { ...pd(3), classOvercurrent: true });
  t.is(ctl.status(0).power, 'searching');
});
