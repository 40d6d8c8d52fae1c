import test from 'ava';
import { ms, VirtualClock } from '../../src/clock.js';
import { MdioBus } from '../../src/mdio/index.js';
import { Clause22Phy, genericClause22Config, resolveLink, type LinkMode } from '../../src/phy/index.js';
import { ADV, BMCR, C1000, LinuxPhyAccess, MII, S1000 } from './linux.js';

// 802.3 Annex 28B.3 priority for the modes a 10/100/1000BASE-T PHY has, highest first, restated from the
// standard (100BASE-T2 and 100BASE-T4 are absent from these parts).
const SPEC_PRIORITY = ['1000FD', '1000HD', '100FD', '100HD', '10FD', '10HD'] as const;
type Short = (typeof SPEC_PRIORITY)[number];
const MODE: Record<Short, LinkMode> = {
  '1000FD': '1000baseT-Full',
  '1000HD': '1000baseT-Half',
  '100FD': '100baseTX-Full',
  '100HD': '100baseTX-Half',
  '10FD': '10baseT-Full',
  '10HD': '10baseT-Half',
};
const ANAR_BIT: Partial<Record<Short, number>> = {
  '100FD': ADV._100FULL,
  '100HD': ADV._100HALF,
  '10FD': ADV._10FULL,
  '10HD': ADV._10HALF,
};
const C1000_BIT: Partial<Record<Short, number>> = {
  '1000FD': C1000.ADV_1000FULL,
  '1000HD': C1000.ADV_1000HALF,
};

function subsets(): Short[][] {
  const out: Short[][] = [];
  for (let m = 0; m < 1 << SPEC_PRIORITY.length; m++) out.push(SPEC_PRIORITY.filter((_, i) => m & (1 << i)));
  return out;
}

test('autoneg resolves to the highest common mode for every pair of 10/100/1000 half/full ability sets', (t) => {
  const clock = new VirtualClock();
  const bus = new MdioBus({ name: '/mdio', clock });
  const config = { ...genericClause22Config(0x00112233), modes: SPEC_PRIORITY.map((s) => MODE[s]) };
  const phy = new Clause22Phy({ clock, name: 'p', timing: { autonegNs: ms(10) } }, config);
  bus.attach(0, phy);
  const l = new LinuxPhyAccess(bus, 0);
  let checked = 0;
  const mismatches: string[] = [];
  for (const local of subsets()) {
    l.phy_write(MII.ADVERTISE, ADV.CSMA | local.reduce((v, s) => v | (ANAR_BIT[s] ?? 0), 0));
    l.phy_write(
      MII.CTRL1000,
      local.reduce((v, s) => v | (C1000_BIT[s] ?? 0), 0),
    );
    for (const partner of subsets()) {
      phy.setPartner({ autoneg: true, modes: partner.map((s) => MODE[s]), multiport: true });
      l.phy_modify(MII.BMCR, 0, BMCR.ANENABLE | BMCR.ANRESTART);
      clock.advance(ms(10));
      // Independent expectation: the first mode in the spec order both sides list.
      const expected = SPEC_PRIORITY.find((s) => local.includes(s) && partner.includes(s));
      const r = phy.status.resolution;
      const got =
        phy.status.up && r
          ? (Object.keys(MODE) as Short[]).find((s) => s === `${r.speed}${r.duplex === 'full' ? 'FD' : 'HD'}`)
          : undefined;
      if (got !== expected)
        mismatches.push(
          `local [${local.join()}] partner [${partner.join()}]: expected ${expected ?? 'no link'}, got ${got ?? 'no link'}`,
        );
      // What the partner page registers show must let Linux reach the same answer (phy_resolve_aneg_linkmode).
      if (expected) {
        const lpa = l.phy_read(MII.LPA);
        const stat1000 = l.phy_read(MII.STAT1000);
        const lpModes = SPEC_PRIORITY.filter(
          (s) =>
            (ANAR_BIT[s] ? lpa & ANAR_BIT[s] : 0) ||
            (s === '1000FD' && stat1000 & S1000.LPA_1000FULL) ||
            (s === '1000HD' && stat1000 & S1000.LPA_1000HALF),
        );
        const linuxView = SPEC_PRIORITY.find((s) => local.includes(s) && lpModes.includes(s));
        if (linuxView !== expected)
          mismatches.push(
            `registers disagree for local [${local.join()}] partner [${partner.join()}]: ${linuxView}`,
          );
      }
      checked++;
    }
    if (mismatches.length > 5) break;
  }
  t.deepEqual(mismatches, []);
  t.is(checked, 64 * 64);
});

test('parallel detection: a forced 10/100 partner is detected at half duplex; forced 1000 never links', (t) => {
  const local = {
    autoneg: true,
    advertised: Object.values(MODE),
    supported: Object.values(MODE),
    forced: { speed: 1000, duplex: 'full' },
    masterSlave: 'auto',
    multiport: false,
    seed: 1,
  } as const;
  for (const speed of [10, 100, 1000] as const) {
    for (const duplex of ['half', 'full'] as const) {
      const r = resolveLink(local, { autoneg: false, modes: [], forced: { speed, duplex } });
      if (speed === 1000) t.false(r.up, `${speed}/${duplex}`);
      else
        t.deepEqual(
          [r.up, r.speed, r.duplex, r.method],
          [true, speed, 'half', 'parallel-detect'],
          `${speed}/${duplex}`,
        );
    }
  }
});

test('both sides forced: link only when the speeds match', (t) => {
  const base = {
    autoneg: false,
    advertised: [],
    supported: Object.values(MODE),
    masterSlave: 'auto',
    multiport: false,
    seed: 1,
  } as const;
  t.true(
    resolveLink(
      { ...base, forced: { speed: 100, duplex: 'full' } },
      { autoneg: false, modes: [], forced: { speed: 100, duplex: 'half' } },
    ).up,
    'duplex mismatch still links',
  );
  t.false(
    resolveLink(
      { ...base, forced: { speed: 10, duplex: 'full' } },
      { autoneg: false, modes: [], forced: { speed: 100, duplex: 'full' } },
    ).up,
  );
});
