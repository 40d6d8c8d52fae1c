import test from 'ava';
import { compileDts } from '../../src/dts/compile.js';
import type { DeviceTree } from '../../src/dts/tree.js';
import {
  diffTraces,
  formatDiff,
  formatTrace,
  parseTrace,
  ReplayServer,
  verifyTrace,
  type TraceRecord,
} from '../../src/replay/index.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { boardVerifyTarget as boardTarget } from '../../src/board/verify-target.js';
import { readScenarioFile, runInModel } from '../../src/scenario/index.js';

const DTS = `/dts-v1/;
/ {
	mdio {
		#address-cells = <1>;
		#size-cells = <0>;
		phy0: ethernet-phy@1 { compatible = "ethernet-phy-id0141.0dd1"; reg = <1>; pses = <&pse0>; };
		phy1: ethernet-phy@4 { reg = <4>; };
	};
	reg_pse: regulator-pse { compatible = "regulator-fixed"; regulator-name = "pse"; };
	pse0: ethernet-pse { compatible = "podl-pse-regulator"; pse-supply = <&reg_pse>; #pse-cells = <0>; };
};
`;
function tree(source = DTS): DeviceTree {
  const r = compileDts(source, { fileName: 'board.dts' });
  if (!r.tree) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.tree;
}
const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-modes-'));
writeFileSync(join(dir, 'board.dts'), DTS);
writeFileSync(
  join(dir, 'record.scenario.json'),
  JSON.stringify({
    dts: 'board.dts',
    settleMs: 4500,
    steps: [{ id: 'pse', delayMs: 1500, action: 'pse-register', controller: '&pse0' }],
    expect: [{ kind: 'first-access-after', phy: '&phy0', after: 'pse' }],
  }),
);

function record(): TraceRecord[] {
  const out: TraceRecord[] = [];
  const report = runInModel(readScenarioFile(join(dir, 'record.scenario.json')), {
    record: (r) => out.push(r),
  });
  if (!report.pass) throw new Error('scenario failed');
  // Through the text format, as a file would carry it.
  return parseTrace(formatTrace(out)).records;
}

test('round trip: a recording replayed against the same model gives zero differences', (t) => {
  const recorded = record();
  t.true(recorded.length > 20);
  t.true(recorded.some((r) => r.op === 'write'));
  const report = verifyTrace(recorded, boardTarget(tree()));
  t.deepEqual(report.differences, []);
  t.is(report.reads, recorded.filter((r) => r.op === 'read').length);
});

test('verify reports every read a different model answers differently', (t) => {
  const recorded = record();
  // The same board with a Realtek RTL8211F (ID 0x001cc916) at address 4: its ID reads must differ.
  const other = tree(
    DTS.replace(
      'phy1: ethernet-phy@4 { reg = <4>; };',
      'phy1: ethernet-phy@4 { compatible = "ethernet-phy-id001c.c916"; reg = <4>; };',
    ),
  );
  const report = verifyTrace(recorded, boardTarget(other));
  const idReads = report.differences.filter(
    (d) => d.record.addr === 4 && (d.record.reg === 2 || d.record.reg === 3),
  );
  t.deepEqual(
    idReads.map((d) => [d.record.reg, d.got]),
    [
      [2, 0x001c],
      [3, 0xc916],
    ],
  );
  t.true(report.differences.every((d) => d.record.addr === 4));
});

test('verify of a kernel capture maps its bus name onto the only DT bus', (t) => {
  const kernel: TraceRecord[] = [
    { vtNs: 5e9, bus: 'mvusb-1-1:1.0', op: 'read', addr: 1, reg: 2, value: 0x0141, result: 'ok' },
    { vtNs: 5e9 + 1000, bus: 'mvusb-1-1:1.0', op: 'read', addr: 1, reg: 3, value: 0x0dd1, result: 'ok' },
    {
      vtNs: 5e9 + 2000,
      bus: 'mvusb-1-1:1.0',
      op: 'read',
      addr: 9,
      reg: 2,
      value: 0xffff,
      result: 'no-response',
    },
  ];
  const report = verifyTrace(kernel, boardTarget(tree()), { timeBase: 'first-record' });
  t.deepEqual(report.differences, []);
  t.is(report.busMap.get('mvusb-1-1:1.0'), '/mdio');
});

test('serve strict: answers in order and reports the first request out of order', (t) => {
  const recorded = record();
  const server = new ReplayServer(recorded, 'strict');
  const first = recorded[0]!;
  t.is(server.read(first.bus, first.addr, first.reg), first.value);
  // Skip one recorded transaction: the server says what it expected instead.
  const third = recorded[2]!;
  t.is(server.read(third.bus, third.addr, third.reg), 0xffff);
  t.is(server.unforeseen.length, 1);
  t.is(server.unforeseen[0]!.expected, recorded[1]);
  t.regex(
    server.report()[0]!,
    /request 2: read \/mdio phy \d+ reg 0x0\d: the recording expects read \/mdio phy \d+ reg 0x0\d = 0x[0-9a-f]{4} \(line \d+\)/,
  );
  t.regex(
    server.report().at(-1)!,
    new RegExp(`^${recorded.length - 1} recorded transaction\\(s\\) never requested`),
  );
});

test('serve per-register: polling collapses, the last value sticks, unknown registers and writes are reported', (t) => {
  const bmsr = (vtNs: number, value: number): TraceRecord => ({
    vtNs,
    bus: '/mdio',
    op: 'read',
    addr: 1,
    reg: 1,
    value,
    result: 'ok',
  });
  const recording = [
    bmsr(0, 0x7949),
    bmsr(1, 0x7949),
    bmsr(2, 0x7949),
    bmsr(3, 0x796d),
    bmsr(4, 0x796d),
    { ...bmsr(5, 0x1340), op: 'write' as const, reg: 0 },
  ];
  const server = new ReplayServer(recording, 'per-register');
  t.deepEqual(
    [1, 2, 3, 4].map(() => server.read('/mdio', 1, 1)),
    [0x7949, 0x796d, 0x796d, 0x796d],
  );
  server.write('/mdio', 1, 0, 0x1340);
  t.deepEqual(server.unforeseen, []);
  t.is(server.read('/mdio', 1, 9), 0xffff);
  server.write('/mdio', 1, 0, 0x8000);
  t.deepEqual(server.report(), [
    'request 6: read /mdio phy 1 reg 0x09: the recording never reads this register',
    'request 7: write /mdio phy 1 reg 0x00 <- 0x8000: the recording writes only 0x1340 here',
  ]);
});

test('diff: equal traces, one changed value, one extra transaction, aligned', (t) => {
  const a = record();
  t.true(diffTraces(a, a).equal);
  const b = a.map((r) => ({ ...r }));
  // PHYID2: its neighbours read other registers, so the alignment is unambiguous.
  const changed = b.findIndex((r) => r.op === 'read' && r.reg === 3);
  t.true(changed >= 0 && changed < 10);
  b[changed]!.value ^= 0x0004;
  const extra: TraceRecord = { ...b[10]!, op: 'write', reg: 0x1f, value: 0x0003 };
  b.splice(10, 0, extra);
  const diff = diffTraces(a, b);
  t.false(diff.equal);
  t.deepEqual(diff.entries, [
    { kind: 'changed', a: changed, b: changed },
    { kind: 'only-b', b: 10 },
  ]);
  const lines = formatDiff(diff, a, b, ['a.trace', 'b.trace']);
  t.regex(lines[0]!, /^traces differ: 1 changed, 0 only in a\.trace, 1 only in b\.trace/);
  t.true(lines.some((l) => /^\+ b\.trace:\d+ {2}write \/mdio phy \d+ reg 0x1f <- 0x0003$/.test(l)));
});

test('diff compares buses by order of use when the traces share no bus name', (t) => {
  const r = (bus: string, value: number): TraceRecord => ({
    vtNs: 0,
    bus,
    op: 'read',
    addr: 0,
    reg: 2,
    value,
    result: 'ok',
  });
  const diff = diffTraces([r('/mdio@5', 0x141)], [r('mvusb-1-1:1.0', 0x141)]);
  t.true(diff.equal);
  t.is(diff.busMatching, 'order');
});
