import test from 'ava';
import { PseControllerModel, type PseEvent } from '../../src/pse/controller.js';
import { PodlPseRegulator, RegulatorModel } from '../../src/pse/podl-regulator.js';
import { pd } from '../../src/pse/powered-device.js';

test('a PD is detected, classified and powered once the PI is admin-enabled; removal powers off', (t) => {
  const ctl = new PseControllerModel(2);
  const events: PseEvent[] = [];
  ctl.subscribe((e) => events.push(e));
  ctl.attachPd(0, pd(3, 9_000));
  t.deepEqual(
    events.map((e) => e.type),
    ['pse.pd-attached'],
    'nothing runs while admin-disabled',
  );
  t.is(ctl.status(0).ethtool.pwStatus, 'disabled');
  ctl.setAdminState(0, true);
  t.deepEqual(
    events.map((e) => e.type),
    ['pse.pd-attached', 'pse.detection', 'pse.classification', 'pse.power-on'],
  );
  // Class 3 allocates 15.4 W (802.3 Table 33-6, PSE output power).
  t.deepEqual(ctl.status(0).ethtool, {
    adminState: 'enabled',
    pwStatus: 'delivering',
    pwClass: 3,
    actualPwMw: 9_000,
  });
  t.is(ctl.status(0).allocatedMw, 15_400);
  ctl.removePd(0);
  t.deepEqual(
    events.slice(4).map((e) => e.type),
    ['pse.power-off', 'pse.pd-removed'],
  );
  t.is(ctl.status(0).ethtool.pwStatus, 'searching');
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
  ctl.attachPd(1, pd(3)); // 15.4 W > 10 W left
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
