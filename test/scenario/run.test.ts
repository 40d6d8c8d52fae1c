import test from 'ava';
import { compileDts } from '../../src/dts/compile.js';
import type { TraceRecord } from '../../src/replay/record.js';
import { parseEmulatorScenario } from '../../src/scenario/emulator-kinds.js';
import { ConfigError } from '../../src/scenario/errors.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { runScenario } from '../../src/scenario/run.js';

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
const tree = () => compileDts(DTS, { fileName: 'run.dts' }).tree!;
const scenario = (timeline: unknown[], expect: unknown[], extra: object = {}) =>
  parseEmulatorScenario(JSON.stringify({ dts: 'run.dts', end: 5000, timeline, expect, ...extra }));
const fieldOf = (f: () => unknown) => {
  try {
    f();
  } catch (err) {
    if (err instanceof ConfigError) return `${err.code} ${err.field}`;
    throw err;
  }
  return 'no error';
};

test('emulator-only kinds are validated with the field named', (t) => {
  t.is(
    fieldOf(() => scenario([{ at: 0, action: 'pd-plug', controller: '&pse0', port: -1 }], [])),
    'SCN002 timeline[0].port',
  );
  t.is(
    fieldOf(() => scenario([{ at: 0, action: 'pd-plug', controller: '&pse0', port: 0, class: 9 }], [])),
    'SCN002 timeline[0].class',
  );
  t.is(
    fieldOf(() => scenario([{ at: 0, action: 'phy-fault', phy: '&plain', fault: 'bit-error', xor: 4 }], [])),
    'SCN003 timeline[0].reg',
  );
  t.is(
    fieldOf(() => scenario([{ at: 0, action: 'link-down', phy: '&plain', port: 1 }], [])),
    'SCN005 timeline[0].port',
  );
  t.is(
    fieldOf(() => scenario([], [{ kind: 'pse-port', controller: '&pse0', port: 0, power: 'on' }])),
    'SCN004 expect[0].power',
  );
  t.is(
    fieldOf(() => scenario([{ at: 0, action: 'pse-explode', controller: '&pse0' }], [])),
    'SCN004 timeline[0].action',
  );
});

test('the QEMU parser still refuses emulator-only kinds, and the clock defaults to virtual', (t) => {
  const text = JSON.stringify({
    dts: 'x.dts',
    timeline: [{ at: 0, action: 'pse-register', controller: '&pse0' }],
    expect: [],
  });
  t.is(
    fieldOf(() => parseScenario(text)),
    'SCN004 timeline[0].action',
  );
  t.is(parseScenario(JSON.stringify({ dts: 'x.dts', timeline: [], expect: [] })).clock, 'virtual');
});

test('guest-only expectations and bad references are refused before the run', async (t) => {
  await t.throwsAsync(runScenario(scenario([], [{ kind: 'traces-agree' }]), tree()), {
    instanceOf: ConfigError,
    message: /expect\[0\]\.kind/,
  });
  await t.throwsAsync(
    runScenario(scenario([{ at: 0, action: 'pd-plug', controller: '&pse0', port: 1 }], []), tree()),
    { instanceOf: ConfigError, message: /timeline\[0\]\.port.*1 PI/ },
  );
  await t.throwsAsync(runScenario(scenario([{ at: 0, action: 'link-down', phy: '&nothing' }], []), tree()), {
    instanceOf: ConfigError,
    message: /timeline\[0\]\.phy: SCN006: no node has the label &nothing/,
  });
});

test('of_mdiobus_register unwinds: a PHY before the deferring one is read, then dropped until the PSE registers', async (t) => {
  const records: TraceRecord[] = [];
  const report = await runScenario(
    scenario(
      [{ at: 1000, id: 'pse', action: 'pse-register', controller: '&pse0' }],
      [
        { kind: 'probe-deferred', device: '&bus', before: 'pse' },
        { kind: 'no-access', phy: '&powered', before: 'pse' },
        { kind: 'first-access-after', phy: '&powered', event: 'pse', withinMs: 5 },
        // No ID compatible: the kernel reads the ID of the generic default PHY (DEFAULT_PHY_ID, 0) and binds genphy.
        { kind: 'phy-registered', phy: '&plain', phyId: '0x00000000', driver: 'Generic PHY' },
      ],
    ),
    tree(),
    { record: (r) => records.push(r) },
  );
  t.deepEqual(
    report.expectations.filter((o) => !o.pass).map((o) => o.message),
    [],
  );
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
});

test('a PHY that does not answer reads all ones and is skipped as missing; the bus carries on', async (t) => {
  const report = await runScenario(
    scenario(
      [
        { at: 0, action: 'phy-fault', phy: '&plain', fault: 'no-response' },
        { at: 0, action: 'pse-register', controller: '&pse0' },
      ],
      [
        { kind: 'phy-not-registered', phy: '&plain' },
        { kind: 'phy-registered', phy: '&powered' },
      ],
    ),
    tree(),
  );
  t.true(report.pass, report.expectations.map((o) => o.message).join('\n'));
  t.true(report.log.some((l) => /MDIO device at address 1 is missing/.test(l)));
});

test('cable, PD and PSE events show in link, PI power and stale-reference expectations', async (t) => {
  const report = await runScenario(
    scenario(
      [
        { at: 0, action: 'pse-register', controller: '&pse0' },
        { at: 100, action: 'pd-plug', controller: '&pse0', port: 0, class: 2 },
        { at: 3000, action: 'link-down', phy: '&plain' },
        { at: 3500, action: 'pse-unregister', controller: '&pse0' },
      ],
      [
        { kind: 'phy-link', phy: '&plain', up: false },
        { kind: 'phy-link', phy: '&powered', up: true },
        { kind: 'pse-port', controller: '&pse0', port: 0, power: 'disabled' },
        { kind: 'stale-pse', phy: '&powered', present: true },
        { kind: 'stale-pse', phy: '&plain', present: false },
      ],
    ),
    tree(),
  );
  t.deepEqual(
    report.expectations.filter((o) => !o.pass).map((o) => o.message),
    [],
  );
  // And a failing expectation says what was seen.
  const wrong = await runScenario(scenario([], [{ kind: 'phy-registered', phy: '&powered' }]), tree());
  t.false(wrong.pass);
  t.is(wrong.expectations[0]!.message, '/mdio/ethernet-phy@2 was never registered');
});

test('wall clock runs take real time', async (t) => {
  const started = performance.now();
  const report = await runScenario(scenario([], [], { clock: 'wall', end: 300 }), tree());
  t.true(report.pass);
  t.true(performance.now() - started >= 290);
});
