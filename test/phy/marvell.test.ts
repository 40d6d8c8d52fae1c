import test from 'ava';
import { ms } from '../../src/clock.js';
import { caught, phyBoard } from './board.js';
import { ADV, BMCR, BMSR, C1000, MII } from './linux.js';

// Register walks of drivers/net/phy/marvell.c (Linux 6.1) for the 88E1510 ops, restated from the driver.
const ID = 0x01410dd0;
const PAGE = 22; // MII_MARVELL_PHY_PAGE
const COPPER = 0,
  FIBER = 1,
  MSCR = 2,
  LED = 3,
  MISC = 6;
const SSR = 0x11,
  IMASK = 0x12,
  IEVENT = 0x13,
  SCR = 0x10; // MII_M1011_*
const IMASK_INIT = 0x6400; // speed | duplex | link changed
const STATUS_1000 = 0x8000,
  STATUS_100 = 0x4000,
  FULLDUPLEX = 0x2000,
  RESOLVED = 0x0800,
  LINK = 0x0400;

function probeAndInit(l: ReturnType<typeof phyBoard>['linux'], clock: ReturnType<typeof phyBoard>['clock']) {
  // m88e1510_config_init(): errata writes on pages 0xff and 0xfb, back to copper
  l.phy_write(PAGE, 0x00ff);
  for (const [r17, r16] of [
    [0x214b, 0x2144],
    [0x0c28, 0x2146],
    [0xb233, 0x214d],
    [0xcc0c, 0x2159],
  ] as const) {
    l.phy_write(17, r17);
    l.phy_write(16, r16);
  }
  l.phy_write(PAGE, 0x00fb);
  l.phy_write(7, 0xc00d);
  l.phy_write(PAGE, COPPER);
  // m88e1011_set_downshift(phydev, 3): enable | (3 - 1) << 12, then genphy_soft_reset()
  l.phy_modify(SCR, 0x0800 | 0x7000, 0x0800 | (2 << 12));
  l.phy_modify(MII.BMCR, BMCR.ISOLATE, BMCR.RESET | BMCR.ANRESTART);
  while (l.phy_read(MII.BMCR) & BMCR.RESET) clock.advance(ms(50)); // phy_poll_reset()
  // m88e1318_config_init() with a valid interrupt: LED timer control routes INTn
  l.paged(LED, () => {
    l.phy_modify(18, 0x8000, 0x0080 | 0x0800);
  });
  // marvell_config_led(): LED[0] 1000 link, LED[1] 100 link, LED[2] activity
  l.phy_write_paged(LED, 16, 0x1177);
}

test('probe/config_init: page 0 holds the standard registers, errata pages exist, soft reset keeps downshift', (t) => {
  const { linux, clock, unmodelled } = phyBoard(ID, { pageReg: PAGE });
  t.is(((linux.phy_read(MII.PHYSID1) << 16) | linux.phy_read(MII.PHYSID2)) >>> 0, ID);
  probeAndInit(linux, clock);
  t.is(linux.phy_read(PAGE), COPPER);
  t.is(linux.phy_read(SCR) & 0x7800, 0x0800 | (2 << 12), 'downshift enabled, 3 tries');
  t.is(linux.phy_read_paged(LED, 16), 0x1177);
  t.is(linux.phy_read_paged(LED, 18) & 0x8880, 0x0880);
  // m88e1510_get_temp(): page 6 reg 27 reads temperature + 25
  t.is((linux.phy_read_paged(MISC, 27) & 0xff) - 25, 25);
  t.deepEqual(unmodelled, []);
  // The check above can fail for each kind of map a walk goes through: a page no model has, the EEE MMDs.
  t.deepEqual(
    caught(unmodelled, () => {
      linux.phy_read_paged(0xfe, 0x10);
      linux.phy_read_mmd(7, 0x7fff);
      linux.phy_read_mmd(3, 0x7fff);
    }),
    ['phy0:c22 page 0xfe 0x10', 'phy0:mmd7 0x7fff', 'phy0:mmd3 0x7fff'],
  );
});

test('config_aneg + read_status: copper then fiber page; specific status 17 gives resolved speed/duplex', (t) => {
  const { linux, clock, unmodelled } = phyBoard(ID, { pageReg: PAGE });
  probeAndInit(linux, clock);
  // m88e1510_config_aneg() -> m88e1318_config_aneg(): MSCR page reg 16 PAD_ODD, RGMII delays reg 21
  linux.paged(MSCR, () => {
    linux.phy_modify(16, 0, 0x0040);
  });
  linux.phy_modify_paged_changed(MSCR, 21, 0x0030, 0x0030);
  linux.phy_modify_changed(SCR, 0x0060, 0x0060); // marvell_set_polarity(auto)
  linux.phy_modify_changed(
    MII.ADVERTISE,
    0x0de0,
    ADV._10HALF | ADV._10FULL | ADV._100HALF | ADV._100FULL | ADV.PAUSE_CAP | ADV.PAUSE_ASYM,
  );
  linux.phy_modify_changed(MII.CTRL1000, C1000.ADV_1000FULL | C1000.ADV_1000HALF, C1000.ADV_1000FULL);
  linux.phy_modify(MII.BMCR, BMCR.ISOLATE, BMCR.ANENABLE | BMCR.ANRESTART);
  // marvell_config_aneg_fiber() on page 1, then back to copper
  linux.phy_write(PAGE, FIBER);
  linux.phy_modify_changed(MII.ADVERTISE, 0x01e0, 0x0020);
  linux.phy_modify(MII.BMCR, BMCR.ISOLATE, BMCR.ANENABLE | BMCR.ANRESTART);
  linux.phy_write(PAGE, COPPER);
  // marvell_config_intr(enabled): ack by reading 19, then IMASK_INIT
  linux.phy_read(IEVENT);
  linux.phy_write(IMASK, IMASK_INIT);

  clock.advance(ms(1500));
  // marvell_read_status(): fiber first (PHY_GBIT_FIBRE_FEATURES); fiber link down -> copper page
  linux.phy_write(PAGE, FIBER);
  t.is(linux.phy_read(SSR) & LINK, 0);
  linux.phy_write(PAGE, COPPER);
  const status = linux.phy_read(SSR);
  t.is(
    status & (STATUS_1000 | STATUS_100 | FULLDUPLEX | RESOLVED | LINK),
    STATUS_1000 | FULLDUPLEX | RESOLVED | LINK,
  );
  linux.phy_read(MII.BMSR);
  t.truthy(linux.phy_read(MII.BMSR) & BMSR.LSTATUS);
  t.deepEqual(unmodelled, []);
  // The check above can fail for each kind of map a walk goes through: a page no model has, the EEE MMDs.
  t.deepEqual(
    caught(unmodelled, () => {
      linux.phy_read_paged(0xfe, 0x10);
      linux.phy_read_mmd(7, 0x7fff);
      linux.phy_read_mmd(3, 0x7fff);
    }),
    ['phy0:c22 page 0xfe 0x10', 'phy0:mmd7 0x7fff', 'phy0:mmd3 0x7fff'],
  );
});

test('interrupts: link change raises IEVENT bits, INTn asserts, reading 19 clears and deasserts', (t) => {
  const { linux, clock, phy } = phyBoard(ID, { pageReg: PAGE });
  probeAndInit(linux, clock);
  linux.phy_read(IEVENT);
  linux.phy_write(IMASK, IMASK_INIT);
  const edges: boolean[] = [];
  phy.onIrq((a) => edges.push(a));
  clock.advance(ms(1500));
  t.true(phy.irq);
  // marvell_handle_interrupt(): read status; IMASK_INIT bits must be present
  const events = linux.phy_read(IEVENT);
  t.is(events & IMASK_INIT, IMASK_INIT, 'link, speed and duplex changed');
  t.false(phy.irq);
  t.is(linux.phy_read(IEVENT), 0, 'clear on read');
  phy.unplug();
  t.true(phy.irq);
  t.is(linux.phy_read(IEVENT) & IMASK_INIT, 0x0400, 'link change only');
  t.deepEqual(edges, [true, false, true, false]);
});

test('speed/duplex writes commit only at soft reset, which retains them (marvell_config_aneg comment)', (t) => {
  const { linux, clock, phy } = phyBoard(ID, { pageReg: PAGE });
  clock.advance(ms(1500));
  t.is(phy.status.resolution?.speed, 1000);
  // 100 full, AN off; no effect until the reset
  linux.genphy_setup_forced(100, 'full');
  clock.advance(ms(200));
  t.is(phy.status.resolution?.speed, 1000);
  linux.phy_modify(MII.BMCR, BMCR.ISOLATE, BMCR.RESET);
  clock.advance(ms(1));
  t.is(linux.phy_read(MII.BMCR), BMCR.SPEED100 | BMCR.FULLDPLX);
  clock.advance(ms(100));
  t.is(phy.status.resolution?.speed, 100);
  t.is(phy.status.resolution?.method, 'parallel-detect');
});

test('every bit of every 88E1510 register is declared', (t) => {
  const { phy } = phyBoard(ID);
  for (const m of phy.maps()) t.deepEqual(m.undeclared(), [], m.name);
});
