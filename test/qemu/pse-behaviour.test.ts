import test from 'ava';
import { classifyPseAttach, sanitizerFinding } from '../../src/qemu/pse-behaviour.js';
import { RunLog } from '../../src/scenario/run-log.js';

const link = { phy: '/usb/mdio@5/ethernet-phy@0', pse: '/ethernet-pse', adapter: '/usb/mdio@5' };

/** A run log fed the events a guest reports (src/qemu/kernel-log.ts), at guest times in ms. */
function logOf(
  events: [
    number,
    'defer' | 'usb-device-bind' | 'adapter-bind' | 'pse-bind' | 'pse-unbind' | 'phy' | 'phy-gone',
  ][],
): RunLog {
  const log = new RunLog(() => undefined);
  for (const [t, what] of events) {
    // usbcore's generic driver binds the USB device itself, at the same DT node, before any interface driver.
    if (what === 'usb-device-bind')
      log.push(t, {
        type: 'guest.device',
        action: 'bind',
        subsystem: 'usb',
        name: '1-1',
        node: link.adapter,
        driver: 'usb',
      });
    if (what === 'adapter-bind')
      log.push(t, {
        type: 'guest.device',
        action: 'bind',
        subsystem: 'usb',
        name: '1-1:1.0',
        node: link.adapter,
        driver: 'mdio-mvusb',
      });
    if (what === 'defer')
      log.push(t, { type: 'guest.deferred', name: '1-1:1.0', node: link.adapter, driver: 'mdio-mvusb' });
    if (what === 'pse-bind' || what === 'pse-unbind')
      log.push(t, {
        type: 'guest.device',
        action: what === 'pse-bind' ? 'bind' : 'unbind',
        subsystem: 'platform',
        name: 'ethernet-pse',
        node: link.pse,
        driver: 'PSE regulator',
      });
    if (what === 'phy' || what === 'phy-gone')
      log.push(t, {
        type: 'guest.device',
        action: what === 'phy' ? 'add' : 'remove',
        subsystem: 'mdio_bus',
        name: 'mvusb-1-1:1.0:00',
        node: link.phy,
        phyId: 0x01410dd0,
      });
  }
  return log;
}

test('Linux 6.1: the adapter deferred with no PHY before the PSE binds is probe-time deferral, attempts counted', (t) => {
  const f = classifyPseAttach(
    link,
    logOf([
      [2000, 'defer'],
      [2100, 'defer'],
      [2500, 'pse-bind'],
      [2532, 'phy'],
    ]),
  );
  t.is(f.behaviour, 'probe-time-deferral');
  t.is(f.deferredAttempts, 2);
  t.is(f.pseToPhyMs, 32);
  t.regex(f.evidence, /2 time\(s\) from 2000 ms/);
});

test('an adapter bound with its PHY registered while the PSE has no driver is a notifier-based attach', (t) => {
  const f = classifyPseAttach(
    link,
    logOf([
      [1500, 'usb-device-bind'],
      [2000, 'phy'],
      [2001, 'adapter-bind'],
      [2500, 'pse-bind'],
    ]),
  );
  t.is(f.behaviour, 'notifier-attach');
  t.regex(f.evidence, /bound \(mdio-mvusb\) at 2001 ms with .* registered at 2000 ms/);
});

test('Linux 7.x: the attempt in flight when the PSE binds registered its PHY first; still probe-time deferral', (t) => {
  // tps23881-late: the retry storm's last deferring attempt registers the PHY just before the PSE binds and
  // removes it just after; the next attempt finds the PSE.
  const f = classifyPseAttach(
    link,
    logOf([
      [1500, 'usb-device-bind'],
      [2000, 'phy'],
      [2001, 'phy-gone'],
      [2001, 'defer'],
      [2490, 'phy'],
      [2500, 'pse-bind'],
      [2510, 'phy-gone'],
      [2510, 'defer'],
      [2600, 'phy'],
      [2601, 'adapter-bind'],
    ]),
  );
  t.is(f.behaviour, 'probe-time-deferral');
  t.is(f.pseToPhyMs, 100);
});

test('Linux 7.x: a PSE that never binds, the run ending mid-attempt with a PHY registered, is probe-time deferral', (t) => {
  // tps23881-pse-never: the last attempt's PHY is still registered when the run ends.
  const f = classifyPseAttach(
    link,
    logOf([
      [1500, 'usb-device-bind'],
      [2000, 'phy'],
      [2001, 'phy-gone'],
      [2001, 'defer'],
      [2300, 'phy'],
    ]),
  );
  t.is(f.behaviour, 'probe-time-deferral');
  t.regex(f.evidence, /it never did/);
});

test('Linux 7.x: a PHY registered and removed again as each probe defers is still probe-time deferral', (t) => {
  const f = classifyPseAttach(
    link,
    logOf([
      [2000, 'phy'],
      [2001, 'phy-gone'],
      [2001, 'defer'],
      [2100, 'phy'],
      [2101, 'phy-gone'],
      [2101, 'defer'],
      [2500, 'pse-bind'],
      [2532, 'phy'],
    ]),
  );
  t.is(f.behaviour, 'probe-time-deferral');
  t.is(f.deferredAttempts, 2);
  t.regex(f.evidence, /registered and removed 2 time\(s\)/);
  t.is(f.pseToPhyMs, 32);
});

test('a PHY left registered after the PSE is unbound is not a notifier attach', (t) => {
  // pse-removed: PSE first, then the adapter, then the PSE unbound under the PHY.
  t.is(
    classifyPseAttach(
      link,
      logOf([
        [10, 'pse-bind'],
        [1000, 'phy'],
        [2000, 'pse-unbind'],
      ]),
    ).behaviour,
    'undetermined',
  );
});

test('an adapter that never probes tells nothing', (t) => {
  t.is(classifyPseAttach(link, logOf([])).behaviour, 'undetermined');
});

test('sanitizers: enabled from their boot lines, reports listed by title', (t) => {
  const log = new RunLog(() => undefined);
  log.push(0, { type: 'guest.log', level: 6, text: 'KernelAddressSanitizer initialized (generic)' });
  log.push(3120, {
    type: 'guest.report',
    report: 'kasan',
    title: 'KASAN: use-after-free in pse_control_put',
    function: 'pse_control_put',
    frames: [],
    fatal: true,
  });
  t.deepEqual(sanitizerFinding(log), {
    kasan: true,
    lockdep: false,
    reports: ['KASAN: use-after-free in pse_control_put'],
  });
  t.deepEqual(sanitizerFinding(new RunLog(() => undefined)), { kasan: false, lockdep: false, reports: [] });
});
