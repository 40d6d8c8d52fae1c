import test from 'ava';
import { VirtualClock } from '../../src/clock.js';
import { findMdioBuses } from '../../src/bindings/mdio.js';
import { loadTree } from '../../src/board/index.js';
import { createPhy, Marvell88E1510, TiDp83867, RealtekRtl8211f } from '../../src/phy/index.js';
import { phyBoard } from './board.js';

// Real parts report their silicon revision in the low 4 bits of PHYID2; the kernel drivers match the
// family with a mask: marvell.c MARVELL_PHY_ID_MASK 0xfffffff0, dp83867.c PHY_ID_MATCH_MODEL (0xfffffff0),
// realtek.c PHY_ID_MATCH_EXACT(0x001cc916) for the RTL8211F.

const ids = (phyId: number) => {
  const { linux, phy } = phyBoard(phyId);
  return { model: phy.model, phyId: phy.phyId, id1: linux.phy_read(2), id2: linux.phy_read(3) };
};

test('88E1510 revision 1 (ethernet-phy-id0141.0dd1): the Marvell model answers 0x0141/0x0dd1', (t) => {
  t.deepEqual(ids(0x01410dd1), { model: 'marvell-88e1510', phyId: 0x01410dd1, id1: 0x0141, id2: 0x0dd1 });
  t.deepEqual(ids(0x01410dd0), { model: 'marvell-88e1510', phyId: 0x01410dd0, id1: 0x0141, id2: 0x0dd0 });
});

test('88E1510 fiber page PHY ID registers carry the same revision', (t) => {
  const { linux } = phyBoard(0x01410dd4);
  linux.phy_write(22, 1); // MII_MARVELL_PHY_PAGE = MII_MARVELL_FIBER_PAGE
  t.is(linux.phy_read(2), 0x0141);
  t.is(linux.phy_read(3), 0x0dd4);
});

test('DP83867 of another revision keeps the TI model and answers its own ID', (t) => {
  t.deepEqual(ids(0x2000a232), { model: 'ti-dp83867', phyId: 0x2000a232, id1: 0x2000, id2: 0xa232 });
});

test('RTL8211F is matched exactly: a neighbouring ID is not the Realtek model', (t) => {
  t.deepEqual(ids(0x001cc916), { model: 'realtek-rtl8211f', phyId: 0x001cc916, id1: 0x001c, id2: 0xc916 });
  t.deepEqual(ids(0x001cc917), { model: 'generic-c22', phyId: 0x001cc917, id1: 0x001c, id2: 0xc917 });
});

test('a model refuses an ID outside its family', (t) => {
  const clock = new VirtualClock();
  t.throws(() => new Marvell88E1510({ clock, phyId: 0x01410e90 }), { instanceOf: RangeError });
  t.throws(() => new TiDp83867({ clock, phyId: 0x2000a241 }), { instanceOf: RangeError });
  t.throws(() => new RealtekRtl8211f({ clock, phyId: 0x001cc915 }), { instanceOf: RangeError });
  // Without an ID the model answers its catalogue ID.
  t.is(new Marvell88E1510({ clock }).phyId, 0x01410dd0);
  t.is(createPhy(0x01410dd1, { clock }).phyId, 0x01410dd1);
});

test('bindings pick the model by masked ID from the compatible', (t) => {
  const tree = loadTree({
    dts: `/dts-v1/;
/ {
	mdio {
		#address-cells = <1>;
		#size-cells = <0>;
		ethernet-phy@1 { compatible = "ethernet-phy-id0141.0dd1"; reg = <1>; };
		ethernet-phy@2 { compatible = "ethernet-phy-id2000.a23f"; reg = <2>; };
	};
};
`,
  });
  t.deepEqual(
    findMdioBuses(tree)[0]?.phys.map((p) => [p.address, p.phyId, p.model]),
    [
      [1, 0x01410dd1, 'marvell-88e1510'],
      [2, 0x2000a23f, 'ti-dp83867'],
    ],
  );
});
