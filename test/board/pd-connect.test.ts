import test from 'ava';
import { buildBoard } from '../../src/board/index.js';
import { VirtualClock } from '../../src/clock.js';
import { compileDts } from '../../src/dts/compile.js';
import type { Tps23881 } from '../../src/pse/index.js';
import { parseScenario } from '../../src/scenario/parse.js';

/** A TPS23881 on I2C whose PI 0 is 4-pair (alternative A on channel 1, B on channel 2), as qemu-tps23881.dts. */
const DTS = `/dts-v1/;
/ {
	#address-cells = <1>;
	#size-cells = <0>;
	i2c {
		#address-cells = <1>;
		#size-cells = <0>;
		pse: ethernet-pse@20 {
			compatible = "ti,tps23881";
			reg = <0x20>;
			channels {
				#address-cells = <1>;
				#size-cells = <0>;
				ch1: channel@1 { reg = <1>; };
				ch2: channel@2 { reg = <2>; };
			};
			pse-pis {
				#address-cells = <1>;
				#size-cells = <0>;
				pse-pi@0 {
					reg = <0>;
					#pse-cells = <0>;
					pairset-names = "alternative-a", "alternative-b";
					pairsets = <&ch1>, <&ch2>;
				};
			};
		};
	};
};
`;

function board() {
  const r = compileDts(DTS, { fileName: 'board.dts' });
  if (!r.tree) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  const b = buildBoard(r.tree, { clock: new VirtualClock() });
  const chip: Tps23881 | undefined = b.i2c.flatMap((bus) => [...bus.chips.values()])[0];
  if (!chip) throw new Error('no TPS23881 on the board');
  return { b, chip };
}

test('pd-connect "dual": a dual-signature PD on both channels of the 4-pair PI, pairset B with its own class', (t) => {
  const { b, chip } = board();
  b.apply({
    kind: 'pd-connect',
    controller: '/i2c/ethernet-pse@20',
    port: 0,
    class: 3,
    signature: 'dual',
    classB: 4,
  });
  const [a, bb] = [chip.channelState(1), chip.channelState(2)];
  t.is(a.pd, bb.pd, 'one PD on both channels');
  t.deepEqual([a.pdChannels, a.pairset, bb.pairset], [2, 0, 1]);
  t.is(a.pd?.pdClass, 3);
  t.deepEqual(a.pd?.dualSignature, { pdClassB: 4 });
  // 80 % of 15.4 W + 30 W (IEEE 802.3 Table 145-13, PSE side).
  t.is(a.pd?.loadMw, 36_320);
});

test('pd-connect "dual" without classB: both pairsets of the given class; "single" stays single-signature', (t) => {
  const { b, chip } = board();
  b.apply({ kind: 'pd-connect', controller: '/i2c/ethernet-pse@20', port: 0, class: 2, signature: 'dual' });
  t.deepEqual(chip.channelState(1).pd?.dualSignature, { pdClassB: 2 });
  b.apply({ kind: 'pd-disconnect', controller: '/i2c/ethernet-pse@20', port: 0 });
  b.apply({ kind: 'pd-connect', controller: '/i2c/ethernet-pse@20', port: 0, class: 6 });
  t.is(chip.channelState(2).pd?.dualSignature, undefined);
  t.is(chip.channelState(2).pd?.pdClass, 6);
});

test('a dual-signature PD of class 6 is refused: each pairset classifies as 0-5', (t) => {
  const { b } = board();
  t.throws(() =>
    b.apply({ kind: 'pd-connect', controller: '/i2c/ethernet-pse@20', port: 0, class: 6, signature: 'dual' }),
  );
});

test('the scenario parser: classB needs "signature": "dual", and a dual-signature class is 0-5', (t) => {
  const file = (step: object) =>
    JSON.stringify({
      format: 2,
      dts: 'x.dts',
      steps: [{ action: 'pd-connect', controller: '&pse', port: 1, ...step }],
      expect: [],
    });
  const action = parseScenario(file({ class: 3, signature: 'dual', classB: 4 }), 's.json').scenario.steps[0]
    ?.action;
  t.deepEqual(action, {
    kind: 'pd-connect',
    controller: '&pse',
    port: 1,
    class: 3,
    signature: 'dual',
    classB: 4,
  });
  for (const bad of [
    { class: 3, classB: 4 },
    { class: 6, signature: 'dual' },
    { class: 3, signature: 'dual', classB: 6 },
  ]) {
    const e = t.throws(() => parseScenario(file(bad), 's.json'));
    t.regex(e.message, /SCN00\d|class/, JSON.stringify(bad));
  }
});
