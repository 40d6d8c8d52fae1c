import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { buildBoard, BoardError, DEFAULT_PHY_ID } from '../../src/board/index.js';
import { VirtualClock } from '../../src/clock.js';
import { compileDts } from '../../src/dts/compile.js';
import type { DeviceTree } from '../../src/dts/tree.js';
import type { I2cBus } from '../../src/i2c/index.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tree = (dts: string): DeviceTree => {
  const r = compileDts(dts, { fileName: 'board.dts' });
  if (!r.tree) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.tree;
};
/** A one-byte register read at 0: acknowledged or not. */
const acks = (bus: I2cBus, addr: number): boolean =>
  bus.transfer([
    { addr, kind: 'write', data: new Uint8Array([0]) },
    { addr, kind: 'read', length: 1 },
  ]).ok;

test('a shipped TPS23881 board: mdio-N buses (mdio.yaml node names), vendor models by ID, PSE on its I2C bus', (t) => {
  const board = buildBoard(
    tree(readFileSync(join(repo, 'dts', 'gen-tps23881x4-phy-first-2x2.dts'), 'utf8')),
    {
      clock: new VirtualClock(),
    },
  );
  t.deepEqual(
    board.mdio.map((b) => [b.path, b.kind, b.phys.map((p) => [p.address, p.phy.model, p.phy.phyId])]),
    [
      [
        '/mdio-0',
        'mdio-node',
        [
          [1, 'marvell-88e1510', 0x01410dd0],
          [2, 'realtek-rtl8211f', 0x001cc916],
        ],
      ],
      [
        '/mdio-1',
        'mdio-node',
        [
          [1, 'marvell-88e1510', 0x01410dd0],
          [2, 'realtek-rtl8211f', 0x001cc916],
        ],
      ],
    ],
  );
  // `pses = <&pse_pi0>` on the first PHY of each bus: the first two PIs of the one controller.
  t.deepEqual(
    board.mdio.flatMap((b) => b.phys.flatMap((p) => p.pses.map((l) => [p.path, l.controller, l.pi]))),
    [
      ['/mdio-0/ethernet-phy@1', '/i2c/ethernet-pse@20', 0],
      ['/mdio-1/ethernet-phy@1', '/i2c/ethernet-pse@20', 1],
    ],
  );
  const [pse] = board.pse;
  t.is(board.pse.length, 1);
  t.is(pse?.module, 'tps23881');
  t.is(pse?.model.piCount, 4);
  t.is(pse?.lifecycle.state, 'present');
  t.deepEqual(
    board.i2c.map((b) => [b.path, b.devices]),
    [['/i2c', [{ addr: 0x20, path: '/i2c/ethernet-pse@20', compatible: 'ti,tps23881' }]]],
  );
  const i2c = board.i2c[0]!.bus;
  t.true(acks(i2c, 0x20), 'the TPS23881 acknowledges its reg address');
  t.false(acks(i2c, 0x21), 'nothing else is on the bus');
  pse?.lifecycle.remove();
  t.false(acks(i2c, 0x20), 'a removed chip NACKs');
});

test('a PHY node without an ID compatible is the generic Clause 22 PHY answering DEFAULT_PHY_ID', (t) => {
  const board = buildBoard(
    tree(`/dts-v1/;
/ {
	mdio-bus@100 {
		#address-cells = <1>;
		#size-cells = <0>;
		plain: ethernet-phy@3 { reg = <3>; };
		named: ethernet-phy@4 { compatible = "ethernet-phy-id0141.0dd1"; reg = <4>; };
	};
	i2c@200 {
		#address-cells = <1>;
		#size-cells = <0>;
		eeprom@50 { compatible = "atmel,24c02"; reg = <0x50>; mdio-emu,contents = [de ad be ef]; };
		eeprom@51 { compatible = "atmel,24c02"; reg = <0x51>; status = "disabled"; };
	};
};
`),
    { clock: new VirtualClock() },
  );
  const bus = board.busAt('/mdio-bus@100')!;
  t.deepEqual(
    bus.phys.map((p) => [p.address, p.phy.model, p.idFromCompatible]),
    [
      [3, 'generic-c22', undefined],
      [4, 'marvell-88e1510', 0x01410dd1],
    ],
  );
  // 22.2.4.3.1: PHYID1 holds bits 31..16, PHYID2 bits 15..0.
  t.is(bus.bus.read(3, 2), DEFAULT_PHY_ID >>> 16);
  t.is(bus.bus.read(3, 3), DEFAULT_PHY_ID & 0xffff);
  t.is(bus.bus.read(4, 3), 0x0dd1);
  t.is(board.resolve('&named'), '/mdio-bus@100/ethernet-phy@4');
  t.is(board.resolve('&nothing'), undefined);
  t.is(board.resolve('/mdio-bus@100/ethernet-phy@9'), undefined);
  // The EEPROM answers the bytes the property seeds; the disabled one is not on the bus.
  const i2c = board.i2c[0]!;
  t.deepEqual(
    i2c.devices.map((d) => d.addr),
    [0x50],
  );
  const r = i2c.bus.transfer([
    { addr: 0x50, kind: 'write', data: new Uint8Array([0]) },
    { addr: 0x50, kind: 'read', length: 5 },
  ]);
  t.true(r.ok);
  t.deepEqual([...(r.ok ? (r.reads[0] ?? []) : [])], [0xde, 0xad, 0xbe, 0xef, 0xff]);
});

test('two I2C devices at one address are refused with the node named', (t) => {
  const err = t.throws(
    () =>
      buildBoard(
        tree(`/dts-v1/;
/ {
	i2c {
		#address-cells = <1>;
		#size-cells = <0>;
		a: eeprom@50 { compatible = "atmel,24c02"; reg = <0x50>; };
		b: eeprom-b@50 { compatible = "atmel,24c02"; reg = <0x50>; };
	};
};
`),
        { clock: new VirtualClock() },
      ),
    { instanceOf: BoardError },
  );
  t.is(err.code, 'BOARD1001');
  t.is(err.nodePath, '/i2c/eeprom-b@50');
});
