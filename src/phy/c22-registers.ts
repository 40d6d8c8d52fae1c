import type { Register, RegisterMap } from '../regs/index.js';
import { ADVERTISE, CTRL1000, EEE, encodeBasePage, type EeeMode, type LinkMode } from './modes.js';
import type { Phy } from './phy.js';

/** Abilities and reset values of a Clause 22 PHY; everything else follows from 802.3 clause 22. */
export interface Clause22Config {
  readonly phyId: number;
  /** Link modes the PMA supports (BMSR/ESTATUS ability bits, writable ANAR/CTRL1000 bits). */
  readonly modes: readonly LinkMode[];
  /** ANAR PAUSE/ASYM_DIR writable (most gigabit parts). */
  readonly pause?: boolean;
  readonly preambleSuppression?: boolean;
  readonly nextPage?: boolean;
  /** Registers 13/14 give Annex 22D access to MMDs. */
  readonly mmdIndirect?: boolean;
  readonly eee?: readonly EeeMode[];
  readonly bmcrReset?: number;
  readonly anarReset?: number;
  readonly ctrl1000Reset?: number;
  /** BMCR bits a soft reset keeps (Marvell: speed, duplex and AN enable are "retain"). */
  readonly softResetRetains?: number;
  /** Speed/duplex/AN-enable writes take effect only at the next soft reset (Marvell 88E1xxx). */
  readonly controlCommitsOnReset?: boolean;
}

export const BMCR_BITS = {
  RESET: 0x8000,
  LOOPBACK: 0x4000,
  SPEED_LSB: 0x2000,
  AN_ENABLE: 0x1000,
  POWER_DOWN: 0x0800,
  ISOLATE: 0x0400,
  AN_RESTART: 0x0200,
  DUPLEX: 0x0100,
  SPEED_MSB: 0x0040,
} as const;

/** Bits whose change retrains the link (22.2.4.1): speed, duplex, AN enable, power down, loopback. */
const RETRAIN =
  BMCR_BITS.SPEED_LSB |
  BMCR_BITS.SPEED_MSB |
  BMCR_BITS.DUPLEX |
  BMCR_BITS.AN_ENABLE |
  BMCR_BITS.POWER_DOWN |
  BMCR_BITS.LOOPBACK;

export interface Clause22Registers {
  readonly bmcr: Register;
  readonly bmsr: Register;
  readonly anar: Register;
  readonly aner: Register;
  readonly ctrl1000: Register;
  readonly stat1000: Register;
}

const has = (cfg: Clause22Config, m: LinkMode): number => (cfg.modes.includes(m) ? 1 : 0);
const gigabit = (cfg: Clause22Config): boolean =>
  cfg.modes.includes('1000baseT-Full') || cfg.modes.includes('1000baseT-Half');

export function defaultBmcr(cfg: Clause22Config): number {
  // 22.2.4.1: AN enabled; speed select shows the highest speed, full duplex when supported.
  if (gigabit(cfg))
    return (
      BMCR_BITS.AN_ENABLE |
      BMCR_BITS.SPEED_MSB |
      (cfg.modes.includes('1000baseT-Full') ? BMCR_BITS.DUPLEX : 0)
    );
  if (cfg.modes.includes('100baseTX-Full') || cfg.modes.includes('100baseTX-Half'))
    return (
      BMCR_BITS.AN_ENABLE |
      BMCR_BITS.SPEED_LSB |
      (cfg.modes.includes('100baseTX-Full') ? BMCR_BITS.DUPLEX : 0)
    );
  return BMCR_BITS.AN_ENABLE;
}

/**
 * Declares registers 0-15 as 802.3 clause 22 (22.2.4) defines them, on `page` of `map` when the part is
 * page-banked. Live state comes from `phy.status`; control writes call back into `phy`.
 */
export function defineClause22(
  map: RegisterMap,
  phy: Phy,
  cfg: Clause22Config,
  page?: number,
): Clause22Registers {
  const at = page === undefined ? {} : { page };
  const st = () => phy.status;
  const bmcrReset = cfg.bmcrReset ?? defaultBmcr(cfg);
  const retains = cfg.softResetRetains ?? 0;
  let retained = 0;
  const statusRegs: Register[] = [];

  // 22.2.4.1 control register
  const bmcr = map
    .define(0x00, 'BMCR', bmcrReset, at)
    .reserved(0, 6)
    .flag(6, 'SPEED_MSB', 'rw')
    .flag(7, 'COLLISION_TEST', 'rw')
    .flag(8, 'DUPLEX', 'rw')
    // 22.2.4.1.7: restart autoneg self-clears once negotiation has restarted.
    .flag(9, 'AN_RESTART', 'sc', {
      onWrite: () => {
        phy.restartNegotiation();
      },
    })
    .flag(10, 'ISOLATE', 'rw')
    .flag(11, 'POWER_DOWN', 'rw')
    .flag(12, 'AN_ENABLE', 'rw')
    .flag(13, 'SPEED_LSB', 'rw')
    .flag(14, 'LOOPBACK', 'rw')
    // 22.2.4.1.1: reset reads 1 until the reset completes, then control and status registers hold defaults.
    .flag(15, 'RESET', 'sc', {
      clearAfterNs: () => phy.timing.softResetNs,
      onWrite: () => {
        retained = bmcr.peek() & retains;
        phy.beginSoftReset();
      },
      onClear: () => {
        bmcr.reset();
        bmcr.restore(retained, retains);
        for (const r of statusRegs) r.reset();
        phy.endSoftReset();
      },
    })
    .onWrite((value, previous) => {
      if (value & BMCR_BITS.RESET) return;
      const changed = (value ^ previous) & RETRAIN;
      const commitNow = cfg.controlCommitsOnReset
        ? changed & (BMCR_BITS.POWER_DOWN | BMCR_BITS.LOOPBACK)
        : changed;
      if (commitNow) phy.restartNegotiation();
    });

  // 22.2.4.2 status register
  const bmsr = map
    .define(0x01, 'BMSR', 0, at)
    .flag(0, 'EXTENDED_CAPABILITY', 'ro', { value: () => 1 })
    .flag(1, 'JABBER_DETECT', 'lh', { value: () => (phy.jabber ? 1 : 0) }) // 22.2.4.2.12
    .flag(2, 'LINK_STATUS', 'll', { value: () => (st().up ? 1 : 0) }) // 22.2.4.2.13: link status latches low
    .flag(3, 'AN_ABILITY', 'ro', { value: () => 1 })
    .flag(4, 'REMOTE_FAULT', 'lh', { value: () => (st().partnerAutoneg && phy.partner?.remoteFault ? 1 : 0) }) // 22.2.4.2.11
    .flag(5, 'AN_COMPLETE', 'ro', { value: () => (st().autonegComplete ? 1 : 0) })
    .flag(6, 'MF_PREAMBLE_SUPPRESSION', 'ro', { value: () => (cfg.preambleSuppression ? 1 : 0) })
    .flag(7, 'UNIDIRECTIONAL_ABILITY', 'ro')
    .flag(8, 'EXTENDED_STATUS', 'ro', { value: () => (gigabit(cfg) ? 1 : 0) })
    .flag(9, '100BASE_T2_HD', 'ro')
    .flag(10, '100BASE_T2_FD', 'ro')
    .flag(11, '10BASE_T_HD', 'ro', { value: () => has(cfg, '10baseT-Half') })
    .flag(12, '10BASE_T_FD', 'ro', { value: () => has(cfg, '10baseT-Full') })
    .flag(13, '100BASE_X_HD', 'ro', { value: () => has(cfg, '100baseTX-Half') })
    .flag(14, '100BASE_X_FD', 'ro', { value: () => has(cfg, '100baseTX-Full') })
    .flag(15, '100BASE_T4', 'ro');
  statusRegs.push(bmsr);

  // 22.2.4.3.1 PHY identifier
  map.define(0x02, 'PHYID1', (cfg.phyId >>> 16) & 0xffff, at).field(0, 16, 'OUI_MSB', 'ro');
  map
    .define(0x03, 'PHYID2', cfg.phyId & 0xffff, at)
    .field(0, 4, 'REVISION', 'ro')
    .field(4, 6, 'MODEL', 'ro')
    .field(10, 6, 'OUI_LSB', 'ro');

  // 28.2.4.1.3 advertisement: ability bits for unsupported technologies read 0.
  const ability = (m: LinkMode): 'rw' | 'ro' => (cfg.modes.includes(m) ? 'rw' : 'ro');
  const anarDefault = cfg.anarReset ?? encodeBasePage(cfg.modes);
  const anar = map
    .define(0x04, 'ANAR', anarDefault, at)
    .field(0, 5, 'SELECTOR', 'rw')
    .flag(5, '10BASE_T_HD', ability('10baseT-Half'))
    .flag(6, '10BASE_T_FD', ability('10baseT-Full'))
    .flag(7, '100BASE_TX_HD', ability('100baseTX-Half'))
    .flag(8, '100BASE_TX_FD', ability('100baseTX-Full'))
    .flag(9, '100BASE_T4', 'ro')
    .flag(10, 'PAUSE', cfg.pause ? 'rw' : 'ro')
    .flag(11, 'ASYM_PAUSE', cfg.pause ? 'rw' : 'ro')
    .flag(12, 'XNP', 'reserved')
    .flag(13, 'REMOTE_FAULT', 'rw')
    .flag(14, 'ACK', 'reserved')
    .flag(15, 'NEXT_PAGE', cfg.nextPage ? 'rw' : 'ro');

  // 28.2.4.1.4 link partner ability: the received base page.
  const lpa = () => (st().autonegComplete ? st().partnerBasePage : 0);
  const lpaBit = (bit: number) => () => (lpa() >>> bit) & 1;
  map
    .define(0x05, 'ANLPAR', 0, at)
    .field(0, 5, 'SELECTOR', 'ro', { value: () => lpa() & 0x1f })
    .flag(5, '10BASE_T_HD', 'ro', { value: lpaBit(5) })
    .flag(6, '10BASE_T_FD', 'ro', { value: lpaBit(6) })
    .flag(7, '100BASE_TX_HD', 'ro', { value: lpaBit(7) })
    .flag(8, '100BASE_TX_FD', 'ro', { value: lpaBit(8) })
    .flag(9, '100BASE_T4', 'ro', { value: lpaBit(9) })
    .flag(10, 'PAUSE', 'ro', { value: lpaBit(10) })
    .flag(11, 'ASYM_PAUSE', 'ro', { value: lpaBit(11) })
    .flag(12, 'XNP', 'ro', { value: lpaBit(12) })
    .flag(13, 'REMOTE_FAULT', 'ro', { value: lpaBit(13) })
    .flag(14, 'ACK', 'ro', { value: lpaBit(14) })
    .flag(15, 'NEXT_PAGE', 'ro', { value: lpaBit(15) });

  // 28.2.4.1.5 expansion
  const aner = map
    .define(0x06, 'ANER', 0, at)
    .flag(0, 'LP_AN_ABLE', 'ro', { value: () => (st().partnerAutoneg && st().autonegComplete ? 1 : 0) })
    .flag(1, 'PAGE_RECEIVED', 'cor') // "latching high, cleared on read": raised when a page arrives
    .flag(2, 'NEXT_PAGE_ABLE', 'ro', { value: () => (cfg.nextPage ? 1 : 0) })
    .flag(3, 'LP_NEXT_PAGE_ABLE', 'ro', { value: lpaBit(15) })
    .flag(4, 'PARALLEL_DETECTION_FAULT', 'lh', { value: () => 0 })
    .reserved(5, 11);
  statusRegs.push(aner);

  // 28.2.4.1.6/7 next page transmit / link partner received next page: the null message page by default.
  map
    .define(0x07, 'ANNPTR', 0x2001, at)
    .field(0, 11, 'MESSAGE', 'rw')
    .flag(11, 'TOGGLE', 'ro')
    .flag(12, 'ACK2', 'rw')
    .flag(13, 'MESSAGE_PAGE', 'rw')
    .flag(14, 'RESERVED_14', 'reserved')
    .flag(15, 'NEXT_PAGE', 'rw');
  map
    .define(0x08, 'ANLPRNP', 0, at)
    .field(0, 11, 'MESSAGE', 'ro')
    .flag(11, 'TOGGLE', 'ro')
    .flag(12, 'ACK2', 'ro')
    .flag(13, 'MESSAGE_PAGE', 'ro')
    .flag(14, 'ACK', 'ro')
    .flag(15, 'NEXT_PAGE', 'ro');

  // 40.5.1.1 1000BASE-T control and status (reserved on 10/100 parts).
  const g = gigabit(cfg);
  const ctrl1000 = map
    .define(
      0x09,
      'CTRL1000',
      cfg.ctrl1000Reset ??
        (g
          ? (has(cfg, '1000baseT-Full') ? CTRL1000['1000baseT-Full'] : 0) |
            (has(cfg, '1000baseT-Half') ? CTRL1000['1000baseT-Half'] : 0)
          : 0),
      at,
    )
    .reserved(0, 8)
    .flag(8, '1000BASE_T_HD', g ? ability('1000baseT-Half') : 'reserved')
    .flag(9, '1000BASE_T_FD', g ? ability('1000baseT-Full') : 'reserved')
    .flag(10, 'PORT_TYPE', g ? 'rw' : 'reserved')
    .flag(11, 'MS_VALUE', g ? 'rw' : 'reserved')
    .flag(12, 'MS_MANUAL', g ? 'rw' : 'reserved')
    .field(13, 3, 'TEST_MODE', g ? 'rw' : 'reserved');
  const gigUp = () => (g && st().up && (st().resolution?.speed ?? 0) >= 1000 ? 1 : 0);
  const lpHas = (m: LinkMode) => () =>
    g && st().autonegComplete && st().partnerAutoneg && phy.partner?.modes.includes(m) ? 1 : 0;
  const stat1000 = map
    .define(0x0a, 'STAT1000', 0, at)
    .field(0, 8, 'IDLE_ERROR_COUNT', g ? 'cor' : 'reserved')
    .reserved(8, 2)
    .flag(10, 'LP_1000BASE_T_HD', 'ro', { value: lpHas('1000baseT-Half') })
    .flag(11, 'LP_1000BASE_T_FD', 'ro', { value: lpHas('1000baseT-Full') })
    .flag(12, 'REMOTE_RECEIVER_STATUS', 'ro', { value: gigUp })
    .flag(13, 'LOCAL_RECEIVER_STATUS', 'ro', { value: gigUp })
    .flag(14, 'MS_RESOLUTION', 'ro', { value: () => (gigUp() && st().resolution?.master ? 1 : 0) })
    // 40.5.1.1: the configuration fault bit latches high and clears on read.
    .flag(15, 'MS_FAULT', 'lh', {
      value: () => (g && st().autonegComplete && st().resolution?.masterSlaveFault ? 1 : 0),
    });
  statusRegs.push(stat1000);

  map.define(0x0b, 'RESERVED_11', 0, at).reserved(0, 16);
  map.define(0x0c, 'RESERVED_12', 0, at).reserved(0, 16);
  if (cfg.mmdIndirect) defineMmdIndirect(map, phy, page);
  else {
    map.define(0x0d, 'RESERVED_13', 0, at).reserved(0, 16);
    map.define(0x0e, 'RESERVED_14', 0, at).reserved(0, 16);
  }

  // 22.2.4.4 extended status
  map
    .define(0x0f, 'ESTATUS', 0, at)
    .reserved(0, 12)
    .flag(12, '1000BASE_T_HD', 'ro', { value: () => has(cfg, '1000baseT-Half') })
    .flag(13, '1000BASE_T_FD', 'ro', { value: () => has(cfg, '1000baseT-Full') })
    .flag(14, '1000BASE_X_HD', 'ro')
    .flag(15, '1000BASE_X_FD', 'ro');

  return { bmcr, bmsr, anar, aner, ctrl1000, stat1000 };
}

/** 22.2.4.3.11/12 and Annex 22D: MMD access control (13) and address/data (14). */
export const MMD_FUNCTION = { ADDRESS: 0, DATA: 1, DATA_POST_INC_RW: 2, DATA_POST_INC_W: 3 } as const;

function defineMmdIndirect(map: RegisterMap, phy: Phy, page: number | undefined): void {
  const at = page === undefined ? {} : { page };
  const ctrl = map
    .define(0x0d, 'MMDCTRL', 0, at)
    .field(0, 5, 'DEVAD', 'rw')
    .reserved(5, 9)
    .field(14, 2, 'FUNCTION', 'rw');
  const devad = () => ctrl.get('DEVAD');
  const fn = () => ctrl.get('FUNCTION');
  map
    .define(0x0e, 'MMDAAD', 0, at)
    .field(0, 16, 'ADDRESS_DATA', 'rw', {
      value: () =>
        fn() === MMD_FUNCTION.ADDRESS
          ? (phy.mmdAddress.get(devad()) ?? 0)
          : (phy.mmds.get(devad())?.peek(phy.mmdAddress.get(devad()) ?? 0) ?? 0),
    })
    .onRead(() => {
      const f = fn();
      if (f === MMD_FUNCTION.ADDRESS) return;
      phy.mmdRead(devad()); // the read's side effects (clear-on-read, latches) happen in the MMD
      if (f === MMD_FUNCTION.DATA_POST_INC_RW) phy.mmdIncrement(devad());
    })
    .onWrite((value) => {
      const f = fn();
      if (f === MMD_FUNCTION.ADDRESS) {
        phy.mmdAddress.set(devad(), value);
        return;
      }
      phy.mmdWrite(devad(), value);
      if (f !== MMD_FUNCTION.DATA) phy.mmdIncrement(devad());
    });
}

/** 45.2.3.9 PCS EEE capability (3.20) and wake error counter (3.22), as Clause 22 PHYs expose them via 22D. */
export function definePcsEee(map: RegisterMap, eee: readonly EeeMode[]): void {
  map
    .define(
      20,
      'EEE_ABLE',
      eee.reduce((v, m) => v | EEE[m], 0),
    )
    .flag(0, 'RESERVED_0', 'reserved')
    .flag(1, '100BASE_TX_EEE', 'ro')
    .flag(2, '1000BASE_T_EEE', 'ro')
    .flag(3, '10GBASE_T_EEE', 'ro')
    .reserved(4, 12);
  map.define(22, 'EEE_WAKE_ERR', 0).field(0, 16, 'COUNT', 'cor');
}

/** 45.2.7.13/14 EEE advertisement (7.60) and link partner ability (7.61). */
export function defineAnEee(map: RegisterMap, phy: Phy, eee: readonly EeeMode[]): void {
  const able = (m: EeeMode): 'rw' | 'ro' => (eee.includes(m) ? 'rw' : 'ro');
  map
    .define(
      60,
      'EEE_ADV',
      eee.reduce((v, m) => v | EEE[m], 0),
    )
    .flag(0, 'RESERVED_0', 'reserved')
    .flag(1, '100BASE_TX_EEE', able('100baseTX-Full'))
    .flag(2, '1000BASE_T_EEE', able('1000baseT-Full'))
    .flag(3, '10GBASE_T_EEE', able('10000baseT-Full'))
    .reserved(4, 12);
  const lp = (m: EeeMode) => () =>
    phy.status.autonegComplete && phy.status.partnerAutoneg && phy.partner?.eee?.includes(m) ? 1 : 0;
  map
    .define(61, 'EEE_LPABLE', 0)
    .flag(0, 'RESERVED_0', 'reserved')
    .flag(1, '100BASE_TX_EEE', 'ro', { value: lp('100baseTX-Full') })
    .flag(2, '1000BASE_T_EEE', 'ro', { value: lp('1000baseT-Full') })
    .flag(3, '10GBASE_T_EEE', 'ro', { value: lp('10000baseT-Full') })
    .reserved(4, 12);
}

/** Reads the link configuration out of clause 22 control registers (22.2.4.1.3 speed selection). */
export function clause22LocalConfig(
  regs: Clause22Registers,
  cfg: Clause22Config,
  seed: number,
  multiport: boolean,
) {
  const bmcr = regs.bmcr.peek();
  const anar = regs.anar.peek();
  const c1000 = regs.ctrl1000.peek();
  const advertised: LinkMode[] = [];
  const adv = (m: LinkMode, on: number) => {
    if (on && cfg.modes.includes(m)) advertised.push(m);
  };
  adv('10baseT-Half', anar & ADVERTISE['10baseT-Half']);
  adv('10baseT-Full', anar & ADVERTISE['10baseT-Full']);
  adv('100baseTX-Half', anar & ADVERTISE['100baseTX-Half']);
  adv('100baseTX-Full', anar & ADVERTISE['100baseTX-Full']);
  adv('1000baseT-Half', c1000 & CTRL1000['1000baseT-Half']);
  adv('1000baseT-Full', c1000 & CTRL1000['1000baseT-Full']);
  const msb = bmcr & BMCR_BITS.SPEED_MSB;
  const lsb = bmcr & BMCR_BITS.SPEED_LSB;
  const speed = msb && !lsb ? 1000 : !msb && lsb ? 100 : 10;
  return {
    autoneg: (bmcr & BMCR_BITS.AN_ENABLE) !== 0,
    advertised,
    supported: cfg.modes,
    forced: { speed, duplex: bmcr & BMCR_BITS.DUPLEX ? 'full' : 'half' },
    masterSlave: c1000 & CTRL1000.MS_MANUAL ? (c1000 & CTRL1000.MS_VALUE ? 'master' : 'slave') : 'auto',
    multiport: multiport || (c1000 & CTRL1000.PORT_TYPE) !== 0,
    seed,
  } as const;
}
