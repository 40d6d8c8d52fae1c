import test from 'ava';
import { ms } from '../../src/clock.js';
import { caught, phyBoard } from './board.js';
import { BMCR, BMSR, MII } from './linux.js';

// Register walks of drivers/net/phy/realtek.c (Linux 6.1) for the RTL8211F, restated from the driver.
const ID = 0x001cc916;
const PAGSR = 0x1f; // RTL821x_PAGE_SELECT
const PHYCR1 = 0x18,
  PHYCR2 = 0x19,
  INER = 0x12,
  INSR = 0x1d;
const ALDPS = 0x0002 | 0x0004 | 0x1000; // PLL_OFF | ENABLE | XTAL_OFF
const CLKOUT_EN = 0x0001;
const INER_LINK_STATUS = 0x0010;

test('rtl821x_probe + rtl8211f_config_init (rgmii-id): PHYCR1/2 and the 0xd08 delay registers', (t) => {
  const { linux, clock, unmodelled } = phyBoard(ID, { pageReg: PAGSR });
  // rtl821x_probe(): ALDPS bits off after reset, CLKOUT on
  const phycr1 = linux.phy_read_paged(0xa43, PHYCR1) & ALDPS;
  const phycr2 = linux.phy_read_paged(0xa43, PHYCR2) & CLKOUT_EN;
  t.is(phycr1, 0);
  t.is(phycr2, CLKOUT_EN);
  // rtl8211f_config_init()
  t.is(linux.phy_modify_paged_changed(0xa43, PHYCR1, ALDPS, phycr1), 0, 'nothing to change');
  t.is(linux.phy_modify_paged_changed(0xd08, 0x11, 0x0100, 0x0100), 1, 'TX delay enabled (was off)');
  t.is(linux.phy_modify_paged_changed(0xd08, 0x15, 0x0008, 0x0008), 1, 'RX delay enabled (was off)');
  linux.phy_modify_paged_changed(0xa43, PHYCR2, CLKOUT_EN, phycr2);
  linux.phy_modify(MII.BMCR, BMCR.ISOLATE, BMCR.RESET | BMCR.ANRESTART); // genphy_soft_reset()
  clock.advance(ms(1));
  t.is(linux.phy_read(MII.BMCR) & BMCR.RESET, 0);
  t.is(linux.phy_read(PAGSR), 0, 'page restored');
  t.is(linux.phy_read_paged(0xd08, 0x11) & 0x0100, 0x0100, 'a soft reset keeps the delay configuration');
  t.deepEqual(unmodelled, []);
  // The check above can fail for each kind of map a walk goes through: a page no model has, the EEE MMDs.
  t.deepEqual(
    caught(unmodelled, () => {
      linux.phy_read_paged(0xfff, 0x10);
      linux.phy_read_mmd(7, 0x7fff);
      linux.phy_read_mmd(3, 0x7fff);
    }),
    ['phy0:c22 page 0xfff 0x10', 'phy0:mmd7 0x7fff', 'phy0:mmd3 0x7fff'],
  );
});

test('rtlgen_read_status(): genphy status, then the speed from page 0xa43; PHYSR agrees', (t) => {
  const { linux, clock, unmodelled } = phyBoard(ID, {
    pageReg: PAGSR,
    partner: { autoneg: true, modes: ['100baseTX-Half', '100baseTX-Full'] },
  });
  clock.advance(ms(1500));
  linux.phy_read(MII.BMSR);
  t.truthy(linux.phy_read(MII.BMSR) & BMSR.LSTATUS);
  // rtlgen_get_speed(): (val & 0x0630) == 0x0010 means 100
  t.is(linux.phy_read_paged(0xa43, 0x12) & 0x0630, 0x0010);
  // RTL8211F PHYSR (page 0xa43 reg 0x1a): link bit 2, duplex bit 3, speed bits 5:4 (01 = 100)
  t.is(linux.phy_read_paged(0xa43, 0x1a) & 0x003c, 0x0004 | 0x0008 | 0x0010);
  t.deepEqual(unmodelled, []);
  // The check above can fail for each kind of map a walk goes through: a page no model has, the EEE MMDs.
  t.deepEqual(
    caught(unmodelled, () => {
      linux.phy_read_paged(0xfff, 0x10);
      linux.phy_read_mmd(7, 0x7fff);
      linux.phy_read_mmd(3, 0x7fff);
    }),
    ['phy0:c22 page 0xfff 0x10', 'phy0:mmd7 0x7fff', 'phy0:mmd3 0x7fff'],
  );
});

test('rtl8211f_config_intr + handle_interrupt: INER on page 0xa42, INSR on 0xa43 clears on read', (t) => {
  const { linux, clock, phy } = phyBoard(ID, { pageReg: PAGSR });
  linux.phy_read_paged(0xa43, INSR); // rtl8211f_ack_interrupt()
  linux.phy_write_paged(0xa42, INER, INER_LINK_STATUS);
  t.false(phy.irq);
  clock.advance(ms(1500));
  t.true(phy.irq);
  t.truthy(linux.phy_read_paged(0xa43, INSR) & INER_LINK_STATUS);
  t.false(phy.irq);
  t.is(linux.phy_read_paged(0xa43, INSR) & INER_LINK_STATUS, 0);
  // page 0 aliases: INER is reachable as page 0 reg 18, INSR as page 0 reg 29
  t.is(linux.phy_read(INER), INER_LINK_STATUS);
  phy.unplug();
  t.truthy(linux.phy_read(INSR) & INER_LINK_STATUS);
});

test('every bit of every RTL8211F register is declared', (t) => {
  const { phy } = phyBoard(ID);
  for (const m of phy.maps()) t.deepEqual(m.undeclared(), [], m.name);
});
