import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TraceRecord } from '../../src/replay/record.js';
import { ConfigError, readScenarioFile, runInModel, type RunReport } from '../../src/scenario/index.js';

// phy@1 has no pses and comes first in DT order; phy@2 references the PoDL PSE.
const DTS = `/dts-v1/;
/ {
	bus: mdio {
		#address-cells = <1>;
		#size-cells = <0>;
		plain: ethernet-phy@1 { reg = <1>; };
		powered: ethernet-phy@2 { reg = <2>; pses = <&pse0>; };
	};
	reg_pse: regulator-pse { compatible = "regulator-fixed"; regulator-name = "pse"; };
	pse0: ethernet-pse { compatible = "podl-pse-regulator"; pse-supply = <&reg_pse>; #pse-cells = <0>; };
};
`;
const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-run-'));
writeFileSync(join(dir, 'run.dts'), DTS);
let n = 0;
function run(steps: unknown[], expect: unknown[], record?: (r: TraceRecord) => void): RunReport {
  const file = join(dir, `s${n++}.scenario.json`);
  writeFileSync(file, JSON.stringify({ dts: 'run.dts', steps, expect }, null, 2));
  return runInModel(readScenarioFile(file), record ? { record } : {});
}
const failures = (r: RunReport): string[] =>
  r.expectations.filter((o) => !o.pass).map((o) => `${o.expectation.kind}: ${o.message}`);

test('references are checked against the board before the run, with the value located', (t) => {
  const cases: [unknown[], unknown[], RegExp][] = [
    [
      [{ action: 'pd-connect', controller: '&pse0', port: 1 }],
      [],
      /steps\[0\]\.port: \/ethernet-pse has 1 PI/,
    ],
    [[{ action: 'cable-unplug', phy: '&nothing' }], [], /steps\[0\]\.phy: no node has the label &nothing/],
    [[{ action: 'cable-unplug', phy: '&pse0' }], [], /steps\[0\]\.phy: \/ethernet-pse is not a PHY node/],
    [[], [{ kind: 'traces-agree' }], /expect\[0\]\.kind: "traces-agree" needs a guest kernel/],
    [[{ action: 'run', command: 'true' }], [], /steps\[0\]\.action: "run" needs a guest with a shell/],
  ];
  for (const [steps, expect, message] of cases) {
    const err = t.throws(() => run(steps, expect), { instanceOf: ConfigError });
    t.regex(err.report(), message);
    t.regex(err.report(), /^\S+\.scenario\.json:\d+:\d+: error SCN0\d\d: /);
  }
});

test('of_mdiobus_register unwinds: a PHY before the deferring one is read, then dropped until the PSE registers', (t) => {
  const records: TraceRecord[] = [];
  const report = run(
    [
      {
        id: 'pse',
        after: { event: 'probe-deferred', device: '&bus' },
        delayMs: 1000,
        action: 'pse-register',
        controller: '&pse0',
      },
    ],
    [
      { kind: 'probe-deferred', device: '&bus', before: 'pse' },
      { kind: 'no-access', phy: '&powered', before: 'pse' },
      { kind: 'first-access-after', phy: '&powered', after: 'pse', withinMs: 5 },
      // No ID compatible: the kernel reads the ID of the generic default PHY (DEFAULT_PHY_ID, 0) and binds genphy.
      { kind: 'phy-registered', phy: '&plain', phyId: '0x00000000', driver: 'Generic PHY' },
    ],
    (r) => records.push(r),
  );
  t.deepEqual(failures(report), []);
  // Boot pass: PHYID1/PHYID2 of address 1 only, then nothing until the retry 1 ms after the PSE registered.
  const boot = records.filter((r) => r.vtNs < 1_000_000_000);
  t.deepEqual(
    boot.map((r) => [r.op, r.addr, r.reg]),
    [
      ['read', 1, 2],
      ['read', 1, 3],
    ],
  );
  const retry = records
    .filter((r) => r.vtNs === 1_001_000_000 && r.op === 'read')
    .map((r) => [r.addr, r.reg]);
  t.deepEqual(retry, [
    [1, 2],
    [1, 3],
    [2, 2],
    [2, 3],
  ]);
  t.deepEqual(report.deferrals, [{ node: '/mdio', driver: 'mdio-bus', attempts: 1, boundAt: 1001 }]);
});

test('a PHY that does not answer reads all ones and is skipped as missing; the bus carries on', (t) => {
  const report = run(
    [
      { action: 'phy-fault', phy: '&plain', fault: 'no-response' },
      { action: 'pse-register', controller: '&pse0' },
    ],
    [
      { kind: 'phy-not-registered', phy: '&plain' },
      { kind: 'phy-registered', phy: '&powered' },
    ],
  );
  t.deepEqual(failures(report), []);
});

test('cable, PD and PSE events show in link, PI power and stale-reference expectations', (t) => {
  const report = run(
    [
      { action: 'pse-register', controller: '&pse0' },
      { delayMs: 100, action: 'pd-connect', controller: '&pse0', port: 0, class: 2 },
      { after: { event: 'link', phy: '&plain', up: true }, action: 'cable-unplug', phy: '&plain' },
      { delayMs: 500, action: 'pse-unregister', controller: '&pse0' },
    ],
    [
      { kind: 'phy-link', phy: '&plain', up: false },
      { kind: 'phy-link', phy: '&powered', up: true },
      { kind: 'pse-port', controller: '&pse0', port: 0, power: 'disabled' },
      { kind: 'stale-pse', phy: '&powered', present: true },
      { kind: 'stale-pse', phy: '&plain', present: false },
    ],
  );
  t.deepEqual(failures(report), []);
  // The power of the PI over time, as report.html draws it: delivering after the PD, off with the driver.
  t.deepEqual(
    report.psePorts[0]?.changes.map((c) => c.state),
    ['searching', 'delivering', 'disabled'],
  );
});

test('a failing expectation says what was seen, and a run waiting for what never comes ends when the guest is quiet', (t) => {
  const wrong = run([], [{ kind: 'phy-registered', phy: '&powered' }]);
  t.false(wrong.pass);
  t.is(wrong.expectations[0]?.message, 'no MDIO device of /mdio/ethernet-phy@2 appeared');
  t.is(wrong.end.reason, 'settled');
  t.regex(wrong.end.detail, /quiet for 3000 ms/);
  const stuck = run([{ after: { event: 'phy-registered', phy: '&powered' }, action: 'snapshot' }], []);
  t.false(stuck.pass);
  t.is(stuck.end.reason, 'step-failed');
  t.is(stuck.steps[0]?.status, 'failed');
  t.regex(stuck.steps[0]?.detail ?? '', /waited for \/mdio\/ethernet-phy@2 to register/);
});

test('a step waits for its event, then its delay, on the guest clock', (t) => {
  const report = run(
    [
      { action: 'pse-register', controller: '&pse0' },
      {
        id: 'late',
        after: { event: 'phy-registered', phy: '&powered' },
        delayMs: 250,
        action: 'cable-unplug',
        phy: '&powered',
      },
    ],
    [],
  );
  const registered = report.guestEvents.find(
    (m) => m.label.startsWith('add mdio_bus') && m.detail === '/mdio/ethernet-phy@2',
  );
  t.truthy(registered);
  t.is(report.steps[1]?.startedAt, (registered?.t ?? 0) + 250);
});
