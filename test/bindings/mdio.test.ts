import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BindingError as ConfigError } from '../../src/bindings/errors.js';
import { findMdioBuses, MdioConfigCode } from '../../src/bindings/mdio.js';
import { ms } from '../../src/clock.js';
import { createMdioEmulation, loadTree } from '../../src/mdio/index.js';

const BOARD = `/dts-v1/;
/ {
	#address-cells = <1>;
	#size-cells = <0>;
	ethernet@1000 {
		reg = <0x1000>;
		mdio {
			#address-cells = <1>;
			#size-cells = <0>;
			phy1: ethernet-phy@1 {
				compatible = "ethernet-phy-id0141.0dd0", "ethernet-phy-ieee802.3-c22";
				reg = <1>;
				max-speed = <1000>;
				interrupts = <5 8>;
				reset-gpios = <&gpio 3 1>;
			};
			ethernet-phy@4 {
				compatible = "ethernet-phy-id2000.a231";
				reg = <4>;
				broken-turn-around;
			};
			ethernet-phy@7 {
				compatible = "ethernet-phy-idabcd.1234";
				reg = <7>;
			};
			ethernet-phy@9 {
				compatible = "ethernet-phy-ieee802.3-c45";
				reg = <9>;
			};
			ethernet-phy@a {
				reg = <10>;
				status = "disabled";
			};
		};
	};
	gpio: gpio@2000 { reg = <0x2000>; gpio-controller; #gpio-cells = <2>; };
	usb {
		#address-cells = <1>;
		#size-cells = <0>;
		adapter@1 {
			compatible = "usb1286,1fa4";
			reg = <1>;
			#address-cells = <1>;
			#size-cells = <0>;
			ethernet-phy@0 { compatible = "ethernet-phy-id001c.c916"; reg = <0>; };
		};
		ethernet@2 {
			compatible = "usb424,7801";
			reg = <2>;
			mdio {
				#address-cells = <1>;
				#size-cells = <0>;
				ethernet-phy@3 { reg = <3>; };
			};
		};
	};
	mdio-controller@3000 {
		compatible = "virtual,mdio-gpio";
		reg = <0x3000>;
		#address-cells = <1>;
		#size-cells = <0>;
		ethernet-phy@2 { reg = <2>; };
	};
};
`;

test('the tree yields every MDIO bus, including USB adapters, with addresses, IDs and models', (t) => {
  const buses = findMdioBuses(loadTree({ dts: BOARD }));
  const summary = buses.map((b) => ({
    path: b.path,
    kind: b.kind,
    phys: b.phys.map((p) => [p.address, p.phyId.toString(16), p.model]),
  }));
  t.deepEqual(summary, [
    {
      path: '/ethernet@1000/mdio',
      kind: 'mdio-node',
      phys: [
        [1, '1410dd0', 'marvell-88e1510'],
        [4, '2000a231', 'ti-dp83867'],
        [7, 'abcd1234', 'generic-c22'],
        [9, '0', 'generic-c45'],
      ],
    },
    { path: '/usb/adapter@1', kind: 'usb-adapter', phys: [[0, '1cc916', 'realtek-rtl8211f']] },
    { path: '/usb/ethernet@2/mdio', kind: 'usb-ethernet', phys: [[3, '0', 'generic-c22']] },
    { path: '/mdio-controller@3000', kind: 'controller', phys: [[2, '0', 'generic-c22']] },
  ]);
  const p1 = buses[0]?.phys[0];
  t.is(p1?.maxSpeed, 1000);
  t.deepEqual(p1?.interrupts, [5, 8]);
  t.is(p1?.resetGpios?.length, 3);
  t.true(buses[0]?.phys[1]?.brokenTurnAround);
});

test('the emulation answers with the IDs from the tree, and a generic PHY keeps an unknown ID', (t) => {
  const emu = createMdioEmulation({ dts: BOARD }, { record: true });
  t.is(emu.read('/ethernet@1000/mdio', 1, 2), 0x0141);
  t.is(emu.read('/ethernet@1000/mdio', 7, 2), 0xabcd);
  t.is(emu.read('/ethernet@1000/mdio', 7, 3), 0x1234);
  t.is(emu.read('/ethernet@1000/mdio', 10, 2), 0xffff, 'disabled node: empty address');
  t.is(emu.read('/ethernet@1000/mdio', 9, 2), 0xffff, 'C45 PHY ignores C22');
  t.is(emu.readC45('/ethernet@1000/mdio', 9, 1, 8) & 0xc000, 0x8000);
  t.is(emu.read('adapter@1', 0, 3), 0xc916);
  emu.advance(ms(1500));
  t.true(emu.phy('/usb/adapter@1', 0).status.up);
  t.true(emu.events.some((e) => e.type === 'phy.link' && e.phy === '/usb/adapter@1/ethernet-phy@0' && e.up));
});

test('a DTB made by dtc gives the same topology', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-bind-'));
  try {
    writeFileSync(join(dir, 'b.dts'), BOARD);
    execFileSync('dtc', ['-q', '-I', 'dts', '-O', 'dtb', '-o', join(dir, 'b.dtb'), join(dir, 'b.dts')]);
    const fromDtb = findMdioBuses(loadTree({ dtb: readFileSync(join(dir, 'b.dtb')) }));
    const fromDts = findMdioBuses(loadTree({ dts: BOARD }));
    t.deepEqual(
      fromDtb.map((b) => [b.path, b.phys.map((p) => [p.address, p.phyId])]),
      fromDts.map((b) => [b.path, b.phys.map((p) => [p.address, p.phyId])]),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function errorFor(body: string): ConfigError | undefined {
  const dts = `/dts-v1/;\n/ { mdio { #address-cells = <1>; #size-cells = <0>; ${body} }; };`;
  try {
    findMdioBuses(loadTree({ dts }));
    return undefined;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
}

test('nodes that cannot be modelled are ConfigErrors with a code and the node path', (t) => {
  t.like(errorFor('ethernet-phy@20 { reg = <32>; };'), {
    code: MdioConfigCode.BAD_ADDRESS,
    nodePath: '/mdio/ethernet-phy@20',
  });
  t.like(errorFor('ethernet-phy { };'), { code: MdioConfigCode.BAD_ADDRESS, nodePath: '/mdio/ethernet-phy' });
  t.like(errorFor('a: ethernet-phy@1 { reg = <1>; }; b: phy@1 { reg = <1>; };'), {
    code: MdioConfigCode.DUPLICATE_ADDRESS,
    nodePath: '/mdio/phy@1',
  });
  t.like(errorFor('ethernet-phy@1 { reg = <1>; compatible = "ethernet-phy-idxyz"; };'), {
    code: MdioConfigCode.BAD_PHY_ID,
  });
  t.like(errorFor('switch@10 { reg = <16>; compatible = "marvell,mv88e6085"; };'), {
    code: MdioConfigCode.UNSUPPORTED_DEVICE,
    nodePath: '/mdio/switch@10',
  });
  t.like(errorFor('ethernet-phy@1 { reg = <1>; max-speed = <1 2>; };'), {
    code: MdioConfigCode.BAD_PROPERTY,
  });
  t.is(errorFor('ethernet-phy@1 { reg = <1>; };'), undefined);
});
