import test from 'ava';
import { buildBoard } from '../../src/board/board.js';
import type { PhyHardwareEvent } from '../../src/board/verify-target.js';
import { ms, VirtualClock } from '../../src/clock.js';
import { compileDts } from '../../src/dts/compile.js';
import type { DeviceTree } from '../../src/dts/tree.js';
import { verifyGuestTrace, type ServedAccess } from '../../src/qemu/replay-check.js';
import type { Lan7801 } from '../../src/usbredir/devices/lan7801.js';
import { B, R } from '../../src/usbredir/devices/lan7801-regs.js';

/** A LAN7801 with an 88E1510 on its mdio child, under a bare xHCI node (no QEMU). */
function lanTree(): DeviceTree {
  const source = `/dts-v1/;
/ { pcie@10000000 { #address-cells = <3>; #size-cells = <2>;
  usb@2,0 { reg = <0x1000 0 0 0 0>; #address-cells = <1>; #size-cells = <0>;
    ethernet@5 { compatible = "usb424,7801"; reg = <5>;
      mdio { #address-cells = <1>; #size-cells = <0>; ethernet-phy@1 { compatible = "ethernet-phy-id0141.0dd0"; reg = <1>; }; }; }; }; }; };`;
  const r = compileDts(source, { fileName: 'scenario.dts' });
  if (!r.ok || !r.tree) throw new Error(JSON.stringify(r.diagnostics));
  return r.tree;
}

/** One lan78xx_mdiobus_read(): MII_ACC with the PHY address, register and BUSY, then MII_DATA. */
function miiRead(lan: Lan7801, phy: number, reg: number): number {
  lan.writeRegister(
    R.MII_ACC,
    (phy << B.MII_ACC_PHY_ADDR_SHIFT) | (reg << B.MII_ACC_MIIRINDA_SHIFT) | B.MII_ACC_MII_BUSY,
  );
  return lan.readRegister(R.MII_DATA);
}

/** The served accesses as the guest's ftrace would print them (include/trace/events/mdio.h), guest clock 7 s ahead. */
function asMdioAccess(served: readonly ServedAccess[]): string[] {
  const hex = (n: number, w: number): string => n.toString(16).padStart(w, '0');
  return served.map(
    (a) =>
      `  kworker/0:1-20 [000] ..... ${((a.atNs / 1e6 + 7000) / 1000).toFixed(6)}: mdio_access: usb-001:002 ${a.op.padEnd(5)} phy:0x${hex(a.addr, 2)} reg:0x${hex(a.reg, 2)} val:0x${hex(a.value, 4)}`,
  );
}

test('a PHY reset pulse from the MAC (PMT_CTL.PHY_RST) is part of the replay: with it no read differs, without it BMSR does', (t) => {
  const tree = lanTree();
  const clock = new VirtualClock();
  let nowMs = 0;
  const served: ServedAccess[] = [];
  const events: PhyHardwareEvent[] = [];
  const board = buildBoard(tree, {
    clock,
    beforeDeviceAccess: () => clock.advanceTo(Math.max(clock.now(), ms(nowMs))),
  });
  board.events.on((e) => {
    if (e.type === 'mdio.read' || e.type === 'mdio.write')
      served.push({
        bus: e.bus,
        op: e.type === 'mdio.read' ? 'read' : 'write',
        addr: e.addr,
        reg: e.reg,
        value: e.value,
        atNs: e.t,
      });
    if (e.type === 'phy.reset' && e.kind === 'hard')
      events.push({ phy: e.phy, kind: 'hard-reset', atNs: e.t });
  });
  const lan = board.usb[0]?.model as Lan7801;
  const BMSR = 1;
  // Powered long enough for the power-on autonegotiation with the gigabit partner to finish, then reset.
  nowMs = 3000;
  const before = [miiRead(lan, 1, BMSR), miiRead(lan, 1, BMSR)];
  nowMs = 3100;
  lan.writeRegister(R.PMT_CTL, B.PMT_CTL_PHY_RST);
  nowMs = 3200;
  const after = [miiRead(lan, 1, BMSR), miiRead(lan, 1, BMSR)];
  // 802.3 22.2.4.2.13/.10: link status and autoneg complete; a PHY 100 ms out of reset has neither.
  t.is(before[1]! & 0x0024, 0x0024);
  t.is(after[1]! & 0x0024, 0);
  t.deepEqual(
    events.map((e) => [e.kind, e.phy, e.atNs]),
    [['hard-reset', '/pcie@10000000/usb@2,0/ethernet@5/mdio/ethernet-phy@1', ms(3100)]],
  );

  const path = '/pcie@10000000/usb@2,0/ethernet@5/mdio';
  const withEvents = verifyGuestTrace(tree, asMdioAccess(served), served, events);
  t.deepEqual(withEvents.differences, []);
  t.is(withEvents.reads, 4);
  t.is(withEvents.timing, 'emulator');
  t.deepEqual(withEvents.busMap, { 'usb-001:002': path });
  const without = verifyGuestTrace(tree, asMdioAccess(served), served, []);
  t.true(without.differences.length > 0, 'without the pulse the fresh model still has link');
});
