import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../src/clock.js';
import { ScenarioEngine, type GuestDriver } from '../../src/scenario/engine.js';
import type { GuestEvent } from '../../src/scenario/events.js';
import { loadScenarioBoard, readScenarioFile } from '../../src/scenario/load.js';
import {
  KNOWN_BUGS,
  appliesTo,
  bugEvidence,
  parseKernelVersion,
  reportText,
} from '../../src/scenario/known-bugs.js';

/**
 * The engine's handling of known kernel bugs and crashes, driven by hand-made guest events (what
 * src/qemu/kernel-log.ts makes of a real kernel's log): a bug is the reason for a failure only on kernels in
 * its range whose log shows its evidence; a crash fails the run unless such a bug names it.
 */
const DTS = `/dts-v1/;
/ {
	mdio {
		#address-cells = <1>;
		#size-cells = <0>;
		phy0: ethernet-phy@0 { reg = <0>; pses = <&pse0>; };
	};
	reg_pse: regulator-pse { compatible = "regulator-fixed"; regulator-name = "pse"; };
	pse0: ethernet-pse { compatible = "podl-pse-regulator"; pse-supply = <&reg_pse>; #pse-cells = <0>; };
};
`;
const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-known-bugs-'));
writeFileSync(join(dir, 'k.dts'), DTS);
let n = 0;

/** A guest that does each step at once and whose clock the test moves. */
class HandGuest implements GuestDriver {
  t = 0;
  engine: ScenarioEngine | undefined;
  /** Steps whose guest act fails (as an unbind of a device with no driver does). */
  failing = new Set<number>();
  now(): number {
    return this.t;
  }
  startStep(step: { index: number }): void {
    queueMicrotask(() => {
      this.engine?.push(this.t, { type: 'step.start', step: step.index });
      const ok = !this.failing.has(step.index);
      this.engine?.push(this.t, {
        type: 'step.done',
        step: step.index,
        ok,
        ...(ok ? {} : { detail: 'sh: write error: No such device' }),
      });
    });
  }
  wakeAt(): void {}
}

async function runWith(
  expect: unknown[],
  release: string,
  events: GuestEvent[],
  steps: unknown[] = [{ action: 'load-module', module: 'pse_regulator' }],
  failing: number[] = [],
) {
  const file = join(dir, `k${n++}.scenario.json`);
  writeFileSync(
    file,
    JSON.stringify({
      dts: 'k.dts',
      steps,
      expect,
      settleMs: 100000,
    }),
  );
  const { board, scenario } = loadScenarioBoard(readScenarioFile(file), {
    guest: 'real-kernel',
    clock: new VirtualClock(),
  });
  const guest = new HandGuest();
  guest.failing = new Set(failing);
  const engine = new ScenarioEngine(scenario, board, guest, { kernelRelease: release });
  guest.engine = engine;
  engine.push(1, { type: 'guest.up' });
  await new Promise((r) => setTimeout(r, 0));
  for (const e of events) engine.push((guest.t += 10), e);
  if (!engine.ended) engine.guestStopped('test over');
  return engine.result({ psePort: () => 'disabled' });
}

const oops = (frames: string[]): GuestEvent => ({
  type: 'guest.report',
  report: 'oops',
  title: 'Unable to handle kernel paging request at virtual address 0019001a00400036',
  frames,
  fatal: true,
});
const uafExpect = {
  kind: 'kernel-report',
  report: 'oops',
  function: 'pse_control_put',
  present: false,
  knownBug: 'pse-control-put-uaf',
};
const UAF_FRAMES = [
  'pse_control_put',
  'phy_mdio_device_remove',
  'mdiobus_unregister',
  'mvusb_mdio_disconnect',
];

test('a crash named by an expected known bug ends the run at once and passes, with the first frames', async (t) => {
  const r = await runWith([uafExpect], '7.2.13', [
    oops(UAF_FRAMES),
    { type: 'guest.log', level: 6, text: 'later' },
  ]);
  t.is(r.end.reason, 'guest-crashed');
  t.regex(r.end.detail, /paging request .*\(pse_control_put <- phy_mdio_device_remove <- mdiobus_unregister/);
  t.is(r.expectations[0]?.status, 'expected-failure');
  t.regex(r.expectations[0]?.message ?? '', /known bug pse-control-put-uaf/);
  t.is(r.crash?.knownBug, 'pse-control-put-uaf');
  t.true(r.pass);
});

test('a crash no known bug names fails the run, even with every expectation held', async (t) => {
  const r = await runWith([uafExpect], '7.2.13', [oops(['kfree', 'lan78xx_disconnect'])]);
  t.is(r.end.reason, 'guest-crashed');
  t.is(r.expectations[0]?.status, 'held');
  t.is(r.crash?.knownBug, undefined);
  t.false(r.pass);
});

test("outside the bug's kernel range the same crash is a plain failure", async (t) => {
  const r = await runWith([uafExpect], '5.15.0', [oops(UAF_FRAMES)]);
  t.is(r.expectations[0]?.status, 'failed');
  t.false(r.pass);
});

test('evidence decides: the kfifo bug excuses a PHY that never registers only when its log lines are there', async (t) => {
  const expect = [{ kind: 'phy-registered', phy: '&phy0', knownBug: 'pse-kfifo-nr-lines' }];
  const kfifo: GuestEvent = {
    type: 'guest.log',
    level: 3,
    text: 'PSE regulator ethernet-pse: failed to allocate kfifo notifications',
  };
  const base = await runWith(expect, '7.2.13', [kfifo]);
  t.is(base.expectations[0]?.status, 'expected-failure');
  t.regex(base.expectations[0]?.message ?? '', /seen: PSE regulator ethernet-pse: failed to allocate kfifo/);
  // A patched 7.2.13 (same release) that fails for another reason is a real failure, not the known bug.
  const other = await runWith(expect, '7.2.13', [{ type: 'guest.log', level: 3, text: 'something else' }]);
  t.is(other.expectations[0]?.status, 'failed');
  // And one where it holds is simply held, not "fixed?".
  const fixed = await runWith(expect, '7.2.13', [
    {
      type: 'guest.device',
      action: 'add',
      subsystem: 'mdio_bus',
      name: 'mvusb-1-1:1.0:00',
      node: '/mdio/ethernet-phy@0',
    },
  ]);
  t.is(fixed.expectations[0]?.status, 'held');
  t.true(fixed.expectations[0]?.pass);
});

test('the catalogue: ranges and evidence as docs/kernel-findings.md states them', (t) => {
  const v = (s: string) => parseKernelVersion(s)!;
  const kfifo = KNOWN_BUGS['pse-kfifo-nr-lines']!;
  t.true(appliesTo(kfifo, v('7.2.13')));
  t.false(appliesTo(kfifo, v('6.12.117')));
  t.false(appliesTo(kfifo, v('6.1.192')));
  // 7.2's WARN wording and 6.1's are both classified as "WARN in _regulator_put" by the log reader.
  const leak = KNOWN_BUGS['pse-regulator-enable-leak']!;
  const warn = reportText({
    report: 'warning',
    title: 'WARN in _regulator_put (drivers/regulator/core.c:2675)',
    function: '_regulator_put',
    frames: ['_regulator_put', 'regulator_put', 'devm_regulator_release'],
  });
  t.truthy(bugEvidence(leak, [warn]));
  // A WARN elsewhere whose chain passes through _regulator_put (kernfs at the unplug) is not this bug.
  t.falsy(
    bugEvidence(leak, [
      'warning: WARN in kernfs_remove_by_name_ns (fs/kernfs/dir.c:1785) <- sysfs_remove_link <- _regulator_put',
    ]),
  );
  // lockdep's "already holding" line of the 7.2 report (ethtool --set-pse ... disable on a PoDL PI).
  const lock = KNOWN_BUGS['pse-pi-lock-inversion']!;
  t.truthy(bugEvidence(lock, ['ffff000002874520 (&pcdev->lock){+.+.}-{4:4}, at: pse_pi_disable+0x3c/0x74']));
  t.falsy(bugEvidence(lock, ['ffff000002874520 (rtnl_mutex){+.+.}-{4:4}, at: rtnl_lock+0x1c/0x28']));
});

test('an expectation for a kernel range is judged there only, and reported as not applicable elsewhere', async (t) => {
  const expect = [{ kind: 'phy-not-registered', phy: '&phy0', kernels: '<6.17' }];
  const added: GuestEvent = {
    type: 'guest.device',
    action: 'add',
    subsystem: 'mdio_bus',
    name: 'mvusb-1-1:1.0:00',
    node: '/mdio/ethernet-phy@0',
  };
  const old = await runWith(expect, '6.12.117', [added]);
  t.is(old.expectations[0]?.status, 'failed');
  const newer = await runWith(expect, '7.2.13', [added]);
  t.is(newer.expectations[0]?.status, 'not-applicable');
  t.true(newer.expectations[0]?.pass);
});

test("a step that fails where a bug it names shows is that bug's consequence; elsewhere it fails the run", async (t) => {
  const steps = [
    { action: 'load-module', module: 'pse_regulator' },
    {
      action: 'unbind',
      bus: 'platform',
      driver: 'PSE regulator',
      device: 'ethernet-pse',
      knownBug: 'pse-kfifo-nr-lines',
    },
    { action: 'load-module', module: 'mdio-mvusb' },
  ];
  const expect = [{ kind: 'kernel-log', pattern: 'never printed', present: false }];
  const kfifo: GuestEvent = {
    type: 'guest.log',
    level: 3,
    text: 'PSE regulator ethernet-pse: failed to allocate kfifo notifications',
  };
  const shown = await runWith(expect, '7.2.13', [kfifo], steps, [1]);
  t.is(shown.end.reason, 'step-failed');
  t.deepEqual(
    shown.steps.map((s) => s.status),
    ['done', 'failed', 'skipped'],
  );
  t.deepEqual(shown.knownBugs, ['pse-kfifo-nr-lines']);
  t.true(shown.pass);
  // The same failure without the bug's evidence (a patched build, or another cause) fails the run.
  const other = await runWith(expect, '7.2.13', [], steps, [1]);
  t.false(other.pass);
  // And a step that names no bug is not excused by a bug the log shows.
  const unnamed = await runWith(
    expect,
    '7.2.13',
    [kfifo],
    steps.map((s) => ({ ...s, knownBug: undefined })),
    [1],
  );
  t.false(unnamed.pass);
});

test("a KASAN report's first frames are the crash's, not KASAN's own printing", async (t) => {
  const kasan: GuestEvent = {
    type: 'guest.report',
    report: 'kasan',
    title: 'KASAN: use-after-free in pse_control_put',
    function: 'pse_control_put',
    frames: [
      'dump_backtrace',
      'show_stack',
      'dump_stack_lvl',
      'print_report',
      'kasan_report',
      '__asan_load4',
      'pse_control_put',
      'phy_mdio_device_remove',
    ],
    fatal: true,
  };
  const r = await runWith([{ ...uafExpect, report: 'kasan' }], '6.1.192', [kasan]);
  t.is(r.end.detail, 'KASAN: use-after-free in pse_control_put (pse_control_put <- phy_mdio_device_remove)');
  t.true(r.pass);
});
