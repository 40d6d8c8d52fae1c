import test from 'ava';
import { buildBoard, type BoardEvent } from '../../src/board/index.js';
import { VirtualClock } from '../../src/clock.js';
import { compileDts } from '../../src/dts/compile.js';
import { SmbusClient } from '../../src/i2c/smbus.js';
import { generateTps23881Firmware } from '../../src/pse/index.js';
import { Tps23881Driver } from '../pse/tps23881-driver.js';

/**
 * report.html's PSE lanes under a real kernel: the kernel is the PSE framework, so the board's own framework
 * model never hears what the driver did; the lanes must follow the register-level chip instead. The driver
 * here is the line-by-line transcription of Linux 7.2's tps23881.c (test/pse/tps23881-driver.ts).
 */
const DTS = `/dts-v1/;
/ {
	#address-cells = <1>;
	#size-cells = <0>;
	i2c {
		#address-cells = <1>;
		#size-cells = <0>;
		ethernet-pse@20 {
			compatible = "ti,tps23881";
			reg = <0x20>;
			channels {
				#address-cells = <1>;
				#size-cells = <0>;
				ch0: channel@0 { reg = <0>; };
				ch1: channel@1 { reg = <1>; };
				ch2: channel@2 { reg = <2>; };
			};
			pse-pis {
				#address-cells = <1>;
				#size-cells = <0>;
				pse-pi@0 {
					reg = <0>;
					#pse-cells = <0>;
					pairset-names = "alternative-a";
					pairsets = <&ch0>;
				};
				pse-pi@1 {
					reg = <1>;
					#pse-cells = <0>;
					pairset-names = "alternative-a", "alternative-b";
					pairsets = <&ch1>, <&ch2>;
				};
			};
		};
	};
};
`;
const PSE = '/i2c/ethernet-pse@20';
const fw = generateTps23881Firmware();

function rig(portStatesFrom: 'model' | 'chips' | undefined) {
  const r = compileDts(DTS, { fileName: 'board.dts' });
  if (!r.tree) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  const clock = new VirtualClock();
  const b = buildBoard(r.tree, { clock, ...(portStatesFrom ? { portStatesFrom } : {}) });
  const ports: Extract<BoardEvent, { type: 'pse.port' }>[] = [];
  b.events.on((e) => {
    if (e.type === 'pse.port') ports.push(e);
  });
  const bus = b.i2c[0]?.bus;
  if (!bus) throw new Error('no I2C bus');
  const driver = new Tps23881Driver(new SmbusClient(bus, 0x20));
  if (driver.probe({ devId: 0x22, firmware: { parity: fw.parity, sram: fw.sram } }) !== 0)
    throw new Error(driver.log.join('; '));
  if (driver.setupPiMatrix([{ pairsetChannels: [0] }, { pairsetChannels: [1, 2] }]) !== 0)
    throw new Error('setup_pi_matrix failed');
  // Detection and classification take the board's 20 ms.
  const settle = () => clock.advance(100_000_000);
  const seen = () => ports.map((p) => [p.port, p.power, p.pdClass ?? p.reason]);
  return { b, driver, settle, seen };
}

test('chips: a PI powered by its driver delivers with the class the chip assigned; a host power-off is disabled', (t) => {
  const { b, driver, settle, seen } = rig('chips');
  b.apply({ kind: 'pd-connect', controller: PSE, port: 0, class: 3 });
  settle();
  t.deepEqual(seen(), [], 'a PD alone powers nothing: the driver has not enabled the PI');
  t.is(driver.piEnable(0), 0);
  settle();
  t.deepEqual(seen(), [[0, 'delivering', 3]]);
  t.is(driver.piDisable(0), 0);
  t.deepEqual(seen(), [
    [0, 'delivering', 3],
    [0, 'disabled', 'host'],
  ]);
});

test('chips: a 4-pair PI is drawn once, from its first channel; an overload is a fault, a PD leaving searching', (t) => {
  const { b, driver, settle, seen } = rig('chips');
  b.apply({ kind: 'pd-connect', controller: PSE, port: 1, class: 8 });
  t.is(driver.piEnable(1), 0);
  settle();
  t.deepEqual(seen(), [[1, 'delivering', 8]]);
  b.apply({ kind: 'pd-overload', controller: PSE, port: 1 });
  t.deepEqual(seen().slice(1), [[1, 'fault', 'over-current']]);

  b.apply({ kind: 'pd-connect', controller: PSE, port: 0, class: 2 });
  t.is(driver.piEnable(0), 0);
  settle();
  b.apply({ kind: 'pd-disconnect', controller: PSE, port: 0 });
  settle();
  t.deepEqual(seen().slice(2), [
    [0, 'delivering', 2],
    [0, 'searching', 'pd-removed'],
  ]);
});

test('model (the default): the lanes follow the framework model, which the driver above never reaches', (t) => {
  const { b, driver, settle, seen } = rig(undefined);
  b.apply({ kind: 'pd-connect', controller: PSE, port: 0, class: 3 });
  t.is(driver.piEnable(0), 0);
  settle();
  // The framework model saw the PD arrive on a PI it holds admin-disabled, and nothing of the driver's power-on.
  t.deepEqual(seen(), [[0, 'disabled', undefined]]);
});
