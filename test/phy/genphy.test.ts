import test from 'ava';
import { ms, VirtualClock } from '../../src/clock.js';
import { MdioBus } from '../../src/mdio/index.js';
import { Clause22Phy, genericClause22Config } from '../../src/phy/c22-phy.js';
import { GIGABIT_SWITCH_PORT, type LinkPartner } from '../../src/phy/partner.js';
import { ADV, BMCR, BMSR, C1000, ESTATUS, EXPANSION, LinuxPhyAccess, MII, S1000 } from './linux.js';

// Walks of the register sequences drivers/net/phy/phy_device.c (Linux 6.1) issues for a generic PHY.

const ID = 0x01234567;

function board(partner: LinkPartner | undefined = GIGABIT_SWITCH_PORT) {
  const clock = new VirtualClock();
  const bus = new MdioBus({ name: '/mdio', clock });
  const phy = new Clause22Phy(
    { clock, name: 'phy1', timing: { autonegNs: ms(1500), softResetNs: ms(2), forcedLinkNs: ms(100) } },
    genericClause22Config(ID),
  );
  phy.setPartner(partner);
  bus.attach(1, phy);
  return { clock, bus, phy, linux: new LinuxPhyAccess(bus, 1) };
}

/** genphy_update_link(): BMCR, then BMSR twice unless the first read shows link (not polling). */
function genphyUpdateLink(l: LinuxPhyAccess): { link: boolean; anComplete: boolean } {
  const bmcr = l.phy_read(MII.BMCR);
  if (bmcr & BMCR.ANRESTART) return { link: false, anComplete: false };
  let status = l.phy_read(MII.BMSR);
  if (!(status & BMSR.LSTATUS)) status = l.phy_read(MII.BMSR);
  return {
    link: (status & BMSR.LSTATUS) !== 0 && (status & BMSR.ANEGCOMPLETE) !== 0,
    anComplete: (status & BMSR.ANEGCOMPLETE) !== 0,
  };
}

test('get_phy_c22_id(): PHYSID1/2 give the identifier', (t) => {
  const { linux } = board();
  t.is(((linux.phy_read(MII.PHYSID1) << 16) | linux.phy_read(MII.PHYSID2)) >>> 0, ID);
});

test('genphy_read_abilities(): BMSR and ESTATUS report a 10/100/1000 PHY', (t) => {
  const { linux } = board();
  const bmsr = linux.phy_read(MII.BMSR);
  const expected =
    BMSR._100FULL |
    BMSR._100HALF |
    BMSR._10FULL |
    BMSR._10HALF |
    BMSR.ESTATEN |
    BMSR.ANEGCAPABLE |
    BMSR.ERCAP |
    0x0040; /* MF preamble suppression */
  t.is(bmsr, expected); // no link yet: LSTATUS and ANEGCOMPLETE clear
  t.is(linux.phy_read(MII.ESTATUS), ESTATUS._1000_TFULL);
});

test('genphy_soft_reset(): RESET reads back set until the reset time, then BMCR holds defaults', (t) => {
  const { linux, clock } = board();
  linux.phy_write(MII.BMCR, BMCR.LOOPBACK | BMCR.ISOLATE);
  linux.phy_modify(MII.BMCR, BMCR.ISOLATE, BMCR.RESET | BMCR.ANRESTART);
  t.truthy(linux.phy_read(MII.BMCR) & BMCR.RESET);
  clock.advance(ms(2));
  // 22.2.4.1.1 defaults of a gigabit PHY: AN enabled, speed 1000, full duplex.
  t.is(linux.phy_read(MII.BMCR), BMCR.ANENABLE | BMCR.SPEED1000 | BMCR.FULLDPLX);
});

test('genphy_config_aneg() then genphy_read_status(): link latches, LPA/STAT1000 show the partner', (t) => {
  const { linux, clock } = board();
  // genphy_config_advert(): 10/100 + pause, 1000 full only
  linux.phy_modify_changed(
    MII.ADVERTISE,
    ADV._10HALF | ADV._10FULL | ADV._100HALF | ADV._100FULL | ADV.PAUSE_CAP | ADV.PAUSE_ASYM,
    ADV._10HALF | ADV._10FULL | ADV._100HALF | ADV._100FULL | ADV.PAUSE_CAP,
  );
  linux.phy_modify_changed(MII.CTRL1000, C1000.ADV_1000HALF | C1000.ADV_1000FULL, C1000.ADV_1000FULL);
  // genphy_check_and_restart_aneg() -> genphy_restart_aneg()
  linux.phy_modify(MII.BMCR, BMCR.ISOLATE, BMCR.ANENABLE | BMCR.ANRESTART);
  t.falsy(linux.phy_read(MII.BMCR) & BMCR.ANRESTART, 'ANRESTART self-clears');
  t.deepEqual(genphyUpdateLink(linux), { link: false, anComplete: false });
  clock.advance(ms(1499));
  t.deepEqual(genphyUpdateLink(linux), { link: false, anComplete: false });
  clock.advance(ms(1));
  // first BMSR read returns the latched-low 0, the second the live link
  t.is(linux.phy_read(MII.BMSR) & BMSR.LSTATUS, 0);
  t.is(linux.phy_read(MII.BMSR) & (BMSR.LSTATUS | BMSR.ANEGCOMPLETE), BMSR.LSTATUS | BMSR.ANEGCOMPLETE);
  // genphy_read_lpa(): partner is a multiport switch -> it is master, we are slave (40.5.1.1)
  t.is(linux.phy_read(MII.STAT1000), S1000.LPA_1000FULL | S1000.LPA_1000LOCALRXOK | S1000.LPA_1000REMRXOK);
  t.is(
    linux.phy_read(MII.LPA),
    ADV.CSMA | ADV._10HALF | ADV._10FULL | ADV._100HALF | ADV._100FULL | ADV.PAUSE_CAP | ADV.LPACK,
  );
  // 28.2.4.1.5: partner is AN able; page received latched then cleared by the read
  t.is(linux.phy_read(MII.EXPANSION), EXPANSION.NWAY | EXPANSION.LCWP);
  t.is(linux.phy_read(MII.EXPANSION), EXPANSION.NWAY);
});

test('a short cable drop between polls is caught by the latched-low link bit', (t) => {
  const { linux, clock, phy } = board();
  clock.advance(ms(1500));
  linux.phy_read(MII.BMSR);
  t.truthy(linux.phy_read(MII.BMSR) & BMSR.LSTATUS);
  phy.unplug();
  phy.plug();
  clock.advance(ms(1500));
  t.is(linux.phy_read(MII.BMSR) & BMSR.LSTATUS, 0, 'the drop is remembered');
  t.truthy(linux.phy_read(MII.BMSR) & BMSR.LSTATUS);
});

test('forced 100/full (genphy_setup_forced) against an autonegotiating partner: link by parallel detection', (t) => {
  const { linux, clock } = board();
  linux.genphy_setup_forced(100, 'full');
  clock.advance(ms(100));
  linux.phy_read(MII.BMSR);
  const bmsr = linux.phy_read(MII.BMSR);
  t.truthy(bmsr & BMSR.LSTATUS);
  t.is(bmsr & BMSR.ANEGCOMPLETE, 0);
  t.is(linux.phy_read(MII.LPA), 0);
});

test('partner forced to 100 full: local autoneg parallel-detects 100 half, partner not AN-able', (t) => {
  const { linux, clock, phy } = board({ autoneg: false, modes: [], forced: { speed: 100, duplex: 'full' } });
  clock.advance(ms(100));
  t.is(phy.status.resolution?.speed, 100);
  t.is(phy.status.resolution?.duplex, 'half');
  linux.phy_read(MII.BMSR);
  t.is(linux.phy_read(MII.BMSR) & (BMSR.LSTATUS | BMSR.ANEGCOMPLETE), BMSR.LSTATUS | BMSR.ANEGCOMPLETE);
  t.is(linux.phy_read(MII.EXPANSION) & EXPANSION.NWAY, 0);
});

test('power down drops the link; clearing it renegotiates', (t) => {
  const { linux, clock } = board();
  clock.advance(ms(1500));
  linux.phy_set_bits(MII.BMCR, BMCR.PDOWN); // genphy_suspend()
  clock.advance(ms(5000));
  linux.phy_read(MII.BMSR);
  t.is(linux.phy_read(MII.BMSR) & BMSR.LSTATUS, 0);
  linux.phy_clear_bits(MII.BMCR, BMCR.PDOWN); // genphy_resume()
  clock.advance(ms(1500));
  linux.phy_read(MII.BMSR);
  t.truthy(linux.phy_read(MII.BMSR) & BMSR.LSTATUS);
});

test('remote fault from the partner latches high in BMSR', (t) => {
  const { linux, clock, phy } = board({ ...GIGABIT_SWITCH_PORT, remoteFault: true });
  clock.advance(ms(1500));
  t.truthy(linux.phy_read(MII.BMSR) & BMSR.RFAULT);
  t.truthy(linux.phy_read(MII.LPA) & ADV.RFAULT);
  phy.setPartner(GIGABIT_SWITCH_PORT);
  t.truthy(linux.phy_read(MII.BMSR) & BMSR.RFAULT, 'still latched until read');
  t.is(linux.phy_read(MII.BMSR) & BMSR.RFAULT, 0);
});

test('master/slave: both sides forced master is a configuration fault (LPA_1000MSFAIL)', (t) => {
  const { linux, clock } = board({ ...GIGABIT_SWITCH_PORT, masterSlave: 'master' });
  linux.phy_modify(
    MII.CTRL1000,
    C1000.ENABLE_MASTER | C1000.AS_MASTER,
    C1000.ENABLE_MASTER | C1000.AS_MASTER,
  );
  linux.phy_modify(MII.BMCR, 0, BMCR.ANENABLE | BMCR.ANRESTART);
  clock.advance(ms(1500));
  t.truthy(linux.phy_read(MII.BMSR) & BMSR.ANEGCOMPLETE);
  t.truthy(linux.phy_read(MII.STAT1000) & S1000.LPA_1000MSFAIL);
  linux.phy_write(MII.CTRL1000, C1000.ADV_1000FULL | C1000.ENABLE_MASTER); // manual slave now
  linux.phy_modify(MII.BMCR, 0, BMCR.ANRESTART);
  clock.advance(ms(1500));
  t.truthy(
    linux.phy_read(MII.STAT1000) & S1000.LPA_1000MSFAIL,
    'the old fault stays latched until read once',
  );
  const s = linux.phy_read(MII.STAT1000);
  t.is(s & (S1000.LPA_1000MSFAIL | S1000.LPA_1000MSRES), 0, 'resolved as slave');
});

test('EEE through MMD indirect access: 7.60 advertisement, 7.61 partner after autoneg, 3.20 ability', (t) => {
  const { linux, clock } = board();
  const MDIO_EEE_100TX = 0x0002;
  const MDIO_EEE_1000T = 0x0004;
  t.is(linux.phy_read_mmd(3, 20), MDIO_EEE_100TX | MDIO_EEE_1000T);
  t.is(linux.phy_read_mmd(7, 60), MDIO_EEE_100TX | MDIO_EEE_1000T);
  t.is(linux.phy_read_mmd(7, 61), 0);
  linux.phy_write_mmd(7, 60, MDIO_EEE_1000T);
  t.is(linux.phy_read_mmd(7, 60), MDIO_EEE_1000T);
  clock.advance(ms(1500));
  t.is(linux.phy_read_mmd(7, 61), MDIO_EEE_100TX | MDIO_EEE_1000T);
  // 22D function 10: data with post-increment on reads and writes
  linux.phy_write(MII.MMD_CTRL, 7);
  linux.phy_write(MII.MMD_DATA, 60);
  linux.phy_write(MII.MMD_CTRL, 0x8000 | 7);
  t.is(linux.phy_read(MII.MMD_DATA), MDIO_EEE_1000T);
  t.is(linux.phy_read(MII.MMD_DATA), MDIO_EEE_100TX | MDIO_EEE_1000T);
  linux.phy_write(MII.MMD_CTRL, 7);
  t.is(linux.phy_read(MII.MMD_DATA), 62, 'address register advanced twice');
});

test('every bit of every register is declared', (t) => {
  const { phy } = board();
  for (const m of phy.maps()) t.deepEqual(m.undeclared(), [], m.name);
});

test('loopback brings the link up on its own (genphy_loopback polls BMSR for it)', (t) => {
  const { linux, clock } = board(undefined);
  linux.phy_write(MII.BMCR, BMCR.LOOPBACK | BMCR.SPEED1000 | BMCR.FULLDPLX);
  clock.advance(ms(100));
  linux.phy_read(MII.BMSR);
  t.truthy(linux.phy_read(MII.BMSR) & BMSR.LSTATUS);
});

test('Annex 22D function 11 (post-increment on writes only) walks the MMD on writes, not reads', (t) => {
  const { linux } = board();
  linux.phy_write(MII.MMD_CTRL, 7);
  linux.phy_write(MII.MMD_DATA, 60);
  linux.phy_write(MII.MMD_CTRL, 0xc000 | 7);
  linux.phy_write(MII.MMD_DATA, 0x0002); // 7.60, then the address moves to 61
  linux.phy_read(MII.MMD_DATA); // reads 7.61 without moving
  linux.phy_write(MII.MMD_CTRL, 7);
  t.is(linux.phy_read(MII.MMD_DATA), 61);
  t.is(linux.phy_read_mmd(7, 60), 0x0002);
});
