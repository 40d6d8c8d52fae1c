import test from 'ava';
import { ms } from '../../src/clock.js';
import { caught, phyBoard } from './board.js';
import { BMSR, MII } from './linux.js';

// Register walks of drivers/net/phy/dp83867.c (Linux 6.1), restated from the driver.
const ID = 0x2000a231;
const DEVADDR = 0x1f;
const PHYCTRL = 0x10,
  PHYSTS = 0x11,
  MICR = 0x12,
  ISR = 0x13,
  CFG2 = 0x14,
  CFG3 = 0x1e,
  CTRL = 0x1f;
const SW_RESET = 0x8000,
  SW_RESTART = 0x4000,
  FORCE_LINK_GOOD = 0x0400;
const RGMIICTL = 0x0032,
  RGMIIDCTL = 0x0086,
  STRAP_STS1 = 0x006e,
  STRAP_STS2 = 0x006f,
  DSP_FFE_CFG = 0x012c,
  IO_MUX_CFG = 0x0170;
const MICR_ENABLE = 0x8000 | 0x4000 | 0x0800 | 0x0400 | 0x2000 | 0x0010;

function phyReset(l: ReturnType<typeof phyBoard>['linux'], clock: ReturnType<typeof phyBoard>['clock']) {
  // dp83867_phy_reset()
  l.phy_write(CTRL, SW_RESET);
  clock.advance(ms(1));
  l.phy_modify(PHYCTRL, FORCE_LINK_GOOD, 0);
  l.phy_write_mmd(DEVADDR, DSP_FFE_CFG, 0x0e81);
  l.phy_write(CTRL, SW_RESTART);
  clock.advance(ms(1));
}

test('probe (non-OF) + soft_reset + config_init (rgmii-id): extended registers through MMD 0x1f', (t) => {
  const { linux, clock, unmodelled } = phyBoard(ID);
  // dp83867_of_init() without OF: delays from RGMIIDCTL
  const delay = linux.phy_read_mmd(DEVADDR, RGMIIDCTL);
  t.is(delay & 0x0f, 0x7, 'strapped RX delay 2.00 ns');
  phyReset(linux, clock);
  t.is(linux.phy_read_mmd(DEVADDR, DSP_FFE_CFG), 0x0e81);
  t.is(linux.phy_read(CTRL), 0, 'reset and restart bits self-clear');
  // dp83867_config_init()
  linux.phy_modify(CFG2, 0x0300, 0x0300);
  t.is(linux.phy_read(CFG2) & 0x0300, 0x0300);
  const bs = linux.phy_read_mmd(DEVADDR, STRAP_STS2);
  t.is(bs & 0x0400, 0, 'fast link drop not strapped');
  let val = linux.phy_read(PHYCTRL);
  val = (val & ~0xc000) | (1 << 14);
  linux.phy_write(PHYCTRL, val);
  t.is(linux.phy_read_mmd(DEVADDR, STRAP_STS1) & 0x0800, 0);
  let ctl = linux.phy_read_mmd(DEVADDR, RGMIICTL);
  ctl = (ctl & ~0x3) | 0x3;
  linux.phy_write_mmd(DEVADDR, RGMIICTL, ctl);
  linux.phy_write_mmd(DEVADDR, RGMIIDCTL, (0x7 << 4) | 0x7);
  linux.phy_modify_mmd(DEVADDR, IO_MUX_CFG, 0x1f, (0x1f / 2) | 0);
  const cfg3 = linux.phy_read(CFG3) | 0x0080 | 0x0200;
  linux.phy_write(CFG3, cfg3);
  t.is(linux.phy_read(CFG3) & 0x0280, 0x0280);
  t.is(linux.phy_read_mmd(DEVADDR, RGMIICTL) & 0x3, 0x3);
  t.is(linux.phy_read_mmd(DEVADDR, IO_MUX_CFG) & 0x1f, 15);
  t.deepEqual(unmodelled, []);
  // The check above can fail for each map this walk went through (the extended bank 0x1f was once unseen).
  t.deepEqual(
    caught(unmodelled, () => {
      linux.phy_read_mmd(DEVADDR, 0x0fff);
      linux.phy_read_mmd(7, 0x7fff);
      linux.phy_read_mmd(3, 0x7fff);
    }),
    ['phy0:mmd31 0xfff', 'phy0:mmd7 0x7fff', 'phy0:mmd3 0x7fff'],
  );
});

test('SW_RESET restores extended registers; SW_RESTART keeps them', (t) => {
  const { linux, clock } = phyBoard(ID);
  linux.phy_write_mmd(DEVADDR, DSP_FFE_CFG, 0x0e81);
  linux.phy_write(CTRL, SW_RESTART);
  clock.advance(ms(1));
  t.is(linux.phy_read_mmd(DEVADDR, DSP_FFE_CFG), 0x0e81);
  linux.phy_write(CTRL, SW_RESET);
  t.is(linux.phy_read(CTRL) & SW_RESET, SW_RESET, 'reads 1 while resetting');
  clock.advance(ms(1));
  t.not(linux.phy_read_mmd(DEVADDR, DSP_FFE_CFG), 0x0e81);
});

test('dp83867_read_status(): PHYSTS speed/duplex/link, interrupts through MICR/ISR with INT_OE', (t) => {
  const { linux, clock, phy } = phyBoard(ID);
  linux.phy_write(CFG3, linux.phy_read(CFG3) | 0x0080);
  linux.phy_read(ISR); // dp83867_ack_interrupt()
  linux.phy_write(MICR, linux.phy_read(MICR) | MICR_ENABLE);
  clock.advance(ms(1500));
  t.true(phy.irq);
  // dp83867_handle_interrupt(): ISR & MICR non-zero
  const isr = linux.phy_read(ISR);
  t.truthy(isr & linux.phy_read(MICR));
  t.truthy(isr & 0x0400, 'link status changed');
  t.truthy(isr & 0x0800, 'autoneg complete');
  t.false(phy.irq);
  const sts = linux.phy_read(PHYSTS);
  t.is(sts & (0x8000 | 0x4000 | 0x2000 | 0x0400), 0x8000 | 0x2000 | 0x0400, '1000 full, link');
  linux.phy_read(MII.BMSR);
  t.truthy(linux.phy_read(MII.BMSR) & BMSR.LSTATUS);
});

test('every bit of every DP83867 register is declared', (t) => {
  const { phy } = phyBoard(ID);
  for (const m of phy.maps()) t.deepEqual(m.undeclared(), [], m.name);
});
