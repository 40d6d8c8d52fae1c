import test from 'ava';
import { ms } from '../../src/clock.js';
import { phyBoard } from './board.js';

// Clause 45 probing and status as drivers/net/phy/phy_device.c get_phy_c45_ids() and phy-c45.c read them.
const ID = 0x31c31c12;
const PMAPMD = 1,
  PCS = 3,
  AN = 7,
  VEND1 = 30;
const STAT1 = 1,
  DEVID1 = 2,
  DEVID2 = 3,
  DEVS1 = 5,
  DEVS2 = 6,
  CTRL2 = 7,
  STAT2 = 8,
  EXTABLE = 11,
  NG_EXTABLE = 21;
const AN_ADV = 16,
  AN_LPA = 19,
  AN_10GBT_CTRL = 32,
  AN_10GBT_STAT = 33;
const LSTATUS = 0x0004,
  AN_STAT1_ABLE = 0x0008,
  AN_STAT1_COMPLETE = 0x0020;

const XGBE_PARTNER = {
  autoneg: true,
  modes: ['1000baseT-Full', '2500baseT-Full', '5000baseT-Full'] as const,
  multiport: true,
};

test('get_phy_c45_ids(): devices in package from regs 5/6, vendor MMD present, DEVID per MMD', (t) => {
  const { linux, bus } = phyBoard(ID, { clause45: true });
  t.is(bus.read(0, 2), 0xffff, 'no Clause 22 answer');
  const devs = ((linux.c45_read(PMAPMD, DEVS2) << 16) | linux.c45_read(PMAPMD, DEVS1)) >>> 0;
  t.is(devs, (1 << PMAPMD) | (1 << PCS) | (1 << AN) | (1 << VEND1));
  t.is(linux.c45_read(VEND1, STAT2) & 0xc000, 0x8000, 'phy_c45_probe_present(): device present');
  for (const devad of [PMAPMD, PCS, AN, VEND1])
    t.is(((linux.c45_read(devad, DEVID1) << 16) | linux.c45_read(devad, DEVID2)) >>> 0, ID);
  t.is(bus.readC45(0, 2, DEVS1), 0, 'WIS not present: unmodelled MMD reads 0');
});

test('genphy_c45_pma_read_abilities(): STAT2 EXTABLE, 1.11 NBT, 1.21 2.5G/5G', (t) => {
  const { linux } = phyBoard(ID, { clause45: true });
  t.truthy(linux.c45_read(AN, STAT1) & AN_STAT1_ABLE);
  t.truthy(linux.c45_read(PMAPMD, STAT2) & 0x0200);
  const ext = linux.c45_read(PMAPMD, EXTABLE);
  t.is(ext & (0x0004 | 0x0020 | 0x0080 | 0x4000), 0x0004 | 0x0020 | 0x0080 | 0x4000); // 10GBT 1000BT 100BTX NBT
  t.is(linux.c45_read(PMAPMD, NG_EXTABLE), 0x0003);
  t.is(linux.c45_read(PMAPMD, CTRL2) & 0x7f, 0x09, '10GBASE-T type selected');
});

test('autoneg to 5G: read_link latches, read_lpa shows partner 10GBT bits', (t) => {
  const { linux, clock } = phyBoard(ID, { clause45: true, partner: XGBE_PARTNER });
  // genphy_c45_an_config_aneg(): advertise 2.5G and 5G only, then restart
  linux.c45_write(AN, AN_10GBT_CTRL, 0x0080 | 0x0100);
  linux.c45_write(AN, 0, 0x1000 | 0x0200);
  clock.advance(ms(1500));
  t.is(linux.c45_read(PMAPMD, STAT1) & LSTATUS, 0, 'latched low since the restart');
  t.is(linux.c45_read(PMAPMD, STAT1) & LSTATUS, LSTATUS);
  t.truthy(linux.c45_read(AN, STAT1) & AN_STAT1_COMPLETE);
  t.is(linux.c45_read(AN, AN_10GBT_STAT) & (0x0020 | 0x0040 | 0x0800), 0x0020 | 0x0040);
  t.is(linux.c45_read(AN, AN_LPA) & 0x4001, 0x4001, 'base page received with ACK');
  t.is(linux.c45_read(AN, AN_ADV) & 0x1f, 1);
});

test('Clause 45 post-read-increment frames walk consecutive registers', (t) => {
  const { bus } = phyBoard(ID, { clause45: true });
  bus.c45Address(0, PMAPMD, DEVID1);
  const a = bus.c45ReadIncrement(0, PMAPMD);
  const b = bus.c45ReadIncrement(0, PMAPMD);
  t.is(((a << 16) | b) >>> 0, ID);
});

test('every bit of every Clause 45 register is declared', (t) => {
  const { phy } = phyBoard(ID, { clause45: true });
  for (const m of phy.maps()) t.deepEqual(m.undeclared(), [], m.name);
});
