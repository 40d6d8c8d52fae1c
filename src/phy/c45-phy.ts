import { RegisterMap, type Register } from '../regs/index.js';
import type { LocalLinkConfig } from './autoneg.js';
import { defineAnEee, definePcsEee } from './c22-registers.js';
import {
  ADVERTISE,
  AN_10GBT_CTRL,
  encodeBasePage,
  encodeBits,
  type EeeMode,
  type LinkMode,
  type Speed,
} from './modes.js';
import { Phy, type PhyOptions } from './phy.js';

export const MMD = { PMAPMD: 1, PCS: 3, AN: 7, VEND1: 30, VEND2: 31 } as const;

export interface Clause45Config {
  readonly phyId: number;
  readonly modes: readonly LinkMode[];
  readonly eee?: readonly EeeMode[];
  /** MMDs present besides PMA/PMD, PCS and AN (vendor MMDs 30/31). */
  readonly vendorMmds?: readonly number[];
}

/** 45.2.1.1 speed selection (bits 13, 6 and 5:2), as phy-c45.c genphy_c45_read_pma() decodes it. */
const SPEED_SEL: Record<Speed, number> = {
  10: 0x0000,
  100: 0x2000,
  1000: 0x0040,
  2500: 0x2058,
  5000: 0x205c,
  10000: 0x2040,
};

/**
 * A Clause 45 PHY addressed directly (45.2): PMA/PMD (1), PCS (3), AN (7) and optional vendor MMDs, each
 * with DEVID, devices-in-package (5/6) and STAT2 "device present", as drivers/net/phy/phy_device.c
 * get_phy_c45_ids() and phy-c45.c genphy_c45_pma_read_abilities()/read_link()/read_lpa() read them.
 */
export class Clause45Phy extends Phy {
  readonly phyId: number;
  readonly model: string;
  protected readonly clause45 = true;
  readonly #config: Clause45Config;
  #pmaCtrl!: Register;
  #anCtrl!: Register;
  #anAdv!: Register;
  #an10gCtrl!: Register;

  constructor(options: PhyOptions & { readonly model?: string }, config: Clause45Config) {
    super(options);
    this.phyId = config.phyId >>> 0;
    this.model = options.model ?? 'generic-c45';
    this.#config = config;
    const present = [MMD.PMAPMD, MMD.PCS, MMD.AN, ...(config.vendorMmds ?? [])];
    const devs = present.reduce((v, d) => v | (1 << d), 0) >>> 0;
    for (const devad of present) {
      const map = new RegisterMap({
        name: `${this.name}:mmd${devad}`,
        clock: options.clock,
        ...this.mapEvents(),
      });
      this.#common(map, devad, devs);
      this.mmds.set(devad, map);
    }
    this.#pma(this.#mmd(MMD.PMAPMD));
    this.#pcs(this.#mmd(MMD.PCS));
    this.#an(this.#mmd(MMD.AN));
  }

  maps(): RegisterMap[] {
    return [...this.mmds.values()];
  }

  protected c22Map(): undefined {
    return undefined;
  }

  #mmd(devad: number): RegisterMap {
    const m = this.mmds.get(devad);
    if (!m) throw new RangeError(`MMD ${devad} missing`);
    return m;
  }

  #has(m: LinkMode): boolean {
    return this.#config.modes.includes(m);
  }

  /** Registers every MMD has: 45.2.x.3/4 identifiers, 45.2.x.5/6 devices in package, 45.2.x.8 status 2. */
  #common(map: RegisterMap, devad: number, devs: number): void {
    map.define(2, 'DEVID1', this.phyId >>> 16).field(0, 16, 'OUI_MSB', 'ro');
    map.define(3, 'DEVID2', this.phyId & 0xffff).field(0, 16, 'OUI_MODEL_REV', 'ro');
    map.define(5, 'DEVS1', devs & 0xffff).field(0, 16, 'DEVICES', 'ro');
    map.define(6, 'DEVS2', devs >>> 16).field(0, 16, 'DEVICES', 'ro');
    if (devad === MMD.PMAPMD) return; // PMA defines its own STAT2 with abilities
    map.define(8, 'STAT2', 0x8000).reserved(0, 14).field(14, 2, 'DEVICE_PRESENT', 'ro');
    map.define(14, 'PKGID1', this.phyId >>> 16).field(0, 16, 'OUI_MSB', 'ro');
    map.define(15, 'PKGID2', this.phyId & 0xffff).field(0, 16, 'OUI_MODEL_REV', 'ro');
  }

  #top(): Speed {
    const order: [LinkMode, Speed][] = [
      ['10000baseT-Full', 10000],
      ['5000baseT-Full', 5000],
      ['2500baseT-Full', 2500],
      ['1000baseT-Full', 1000],
      ['100baseTX-Full', 100],
    ];
    return order.find(([m]) => this.#has(m))?.[1] ?? 10;
  }

  #pma(map: RegisterMap): void {
    const up = () => (this.status.up ? 1 : 0);
    this.#pmaCtrl = map
      .define(0, 'PMA_CTRL1', SPEED_SEL[this.#top()])
      .flag(0, 'PMA_LOOPBACK', 'rw', {
        onWrite: () => {
          this.restartNegotiation();
        },
      })
      .reserved(1, 1)
      .field(2, 4, 'SPEED_SEL', 'rw')
      .flag(6, 'SPEED_SEL_LSB', 'rw')
      .reserved(7, 4)
      .flag(11, 'LOW_POWER', 'rw', {
        onWrite: () => {
          this.restartNegotiation();
        },
      })
      .reserved(12, 1)
      .flag(13, 'SPEED_SEL_MSB', 'rw')
      .reserved(14, 1)
      .flag(15, 'RESET', 'sc', this.resetBit('hard'));
    map
      .define(1, 'PMA_STAT1', 0x0002)
      .reserved(0, 1)
      .flag(1, 'LOW_POWER_ABLE', 'ro')
      .flag(2, 'RX_LINK', 'll', { value: up }) // 45.2.1.2.3: latching low
      .reserved(3, 4)
      .flag(7, 'FAULT', 'ro')
      .reserved(8, 8);
    const speedAbility =
      (this.#has('10000baseT-Full') ? 0x0001 : 0) |
      (this.#has('1000baseT-Full') ? 0x0010 : 0) |
      (this.#has('100baseTX-Full') ? 0x0020 : 0) |
      (this.#has('10baseT-Full') ? 0x0040 : 0) |
      (this.#has('2500baseT-Full') ? 0x2000 : 0) |
      (this.#has('5000baseT-Full') ? 0x4000 : 0);
    map.define(4, 'PMA_SPEED', speedAbility).field(0, 16, 'ABILITY', 'ro');
    const type = this.#has('10000baseT-Full')
      ? 0x09
      : this.#has('5000baseT-Full')
        ? 0x31
        : this.#has('2500baseT-Full')
          ? 0x30
          : 0x0c;
    map.define(7, 'PMA_CTRL2', type).field(0, 7, 'PMA_TYPE', 'rw').reserved(7, 9);
    // 45.2.1.7: device present (10b), extended abilities in 1.11
    map
      .define(8, 'PMA_STAT2', 0x8000 | 0x0200)
      .reserved(0, 9)
      .flag(9, 'EXTABLE', 'ro')
      .reserved(10, 4)
      .field(14, 2, 'DEVICE_PRESENT', 'ro');
    const ext =
      (this.#has('10000baseT-Full') ? 0x0004 : 0) |
      (this.#has('1000baseT-Full') ? 0x0020 : 0) |
      (this.#has('100baseTX-Full') ? 0x0080 : 0) |
      (this.#has('10baseT-Full') ? 0x0100 : 0) |
      (this.#has('2500baseT-Full') || this.#has('5000baseT-Full') ? 0x4000 : 0);
    map.define(11, 'PMA_EXTABLE', ext).field(0, 16, 'ABILITY', 'ro');
    map.define(14, 'PKGID1', this.phyId >>> 16).field(0, 16, 'OUI_MSB', 'ro');
    map.define(15, 'PKGID2', this.phyId & 0xffff).field(0, 16, 'OUI_MODEL_REV', 'ro');
    map
      .define(
        21,
        'PMA_NG_EXTABLE',
        (this.#has('2500baseT-Full') ? 1 : 0) | (this.#has('5000baseT-Full') ? 2 : 0),
      )
      .field(0, 2, 'ABILITY', 'ro')
      .reserved(2, 14);
    // 45.2.1.65: pair swap/polarity, read by genphy_c45_read_mdix() at 10G: pairs uncrossed.
    map.define(130, 'PMA_10GBT_SWAPPOL', 0x0003).field(0, 16, 'SWAPPOL', 'ro');
  }

  #pcs(map: RegisterMap): void {
    map
      .define(0, 'PCS_CTRL1', 0x2040)
      .tagged(0, 14, 'PCS_CONTROL')
      .flag(14, 'LOOPBACK', 'rw')
      .flag(15, 'RESET', 'sc');
    map
      .define(1, 'PCS_STAT1', 0)
      .reserved(0, 2)
      .flag(2, 'RX_LINK', 'll', { value: () => (this.status.up ? 1 : 0) })
      .reserved(3, 13);
    definePcsEee(map, this.#config.eee ?? []);
  }

  #an(map: RegisterMap): void {
    const st = () => this.status;
    this.#anCtrl = map
      .define(0, 'AN_CTRL1', 0x3000)
      .reserved(0, 9)
      .flag(9, 'RESTART', 'sc', {
        onWrite: () => {
          this.restartNegotiation();
        },
      })
      .reserved(10, 2)
      .flag(12, 'AN_ENABLE', 'rw', {
        onWrite: () => {
          this.restartNegotiation();
        },
      })
      .flag(13, 'XNP', 'rw')
      .reserved(14, 1)
      .flag(15, 'RESET', 'sc', this.resetBit('soft'));
    const anStat = map
      .define(1, 'AN_STAT1', 0x0008)
      .flag(0, 'LP_AN_ABLE', 'ro', { value: () => (st().partnerAutoneg && st().autonegComplete ? 1 : 0) })
      .reserved(1, 1)
      .flag(2, 'LINK_STATUS', 'll', { value: () => (st().up ? 1 : 0) })
      .flag(3, 'AN_ABLE', 'ro')
      .flag(4, 'REMOTE_FAULT', 'lh', {
        value: () => (st().partnerAutoneg && this.partner?.remoteFault ? 1 : 0),
      })
      .flag(5, 'AN_COMPLETE', 'ro', { value: () => (st().autonegComplete ? 1 : 0) })
      .flag(6, 'PAGE_RECEIVED', 'cor')
      .flag(7, 'XNP_STATUS', 'ro')
      .reserved(8, 8);
    this.anStatus = anStat;
    this.#anAdv = map
      .define(16, 'AN_ADVERTISE', encodeBasePage(this.#config.modes))
      .field(0, 16, 'BASE_PAGE', 'rw');
    map
      .define(19, 'AN_LPA', 0)
      .field(0, 16, 'LP_BASE_PAGE', 'ro', { value: () => (st().autonegComplete ? st().partnerBasePage : 0) });
    this.#an10gCtrl = map
      .define(32, 'AN_10GBT_CTRL', encodeBits(AN_10GBT_CTRL, this.#config.modes))
      .reserved(0, 7)
      .flag(7, 'ADV_2500', this.#has('2500baseT-Full') ? 'rw' : 'ro')
      .flag(8, 'ADV_5000', this.#has('5000baseT-Full') ? 'rw' : 'ro')
      .reserved(9, 3)
      .flag(12, 'ADV_10000', this.#has('10000baseT-Full') ? 'rw' : 'ro')
      .reserved(13, 3);
    const lp = (m: LinkMode) => () =>
      st().autonegComplete && st().partnerAutoneg && this.partner?.modes.includes(m) ? 1 : 0;
    const localOk = () => (st().up && (st().resolution?.speed ?? 0) >= 2500 ? 1 : 0);
    map
      .define(33, 'AN_10GBT_STAT', 0)
      .reserved(0, 5)
      .flag(5, 'LP_2500', 'ro', { value: lp('2500baseT-Full') })
      .flag(6, 'LP_5000', 'ro', { value: lp('5000baseT-Full') })
      .reserved(7, 4)
      .flag(11, 'LP_10000', 'ro', { value: lp('10000baseT-Full') })
      .flag(12, 'REMOTE_OK', 'ro', { value: localOk })
      .flag(13, 'LOCAL_OK', 'ro', { value: localOk })
      .flag(14, 'MS_RESOLUTION', 'ro', { value: () => (localOk() && st().resolution?.master ? 1 : 0) })
      .flag(15, 'MS_FAULT', 'lh', {
        value: () => (st().autonegComplete && st().resolution?.masterSlaveFault ? 1 : 0),
      });
    defineAnEee(map, this, this.#config.eee ?? []);
  }

  /** AN STAT1, where a received page is flagged. */
  anStatus: Register | undefined;

  protected override onStatusChange(
    previous: { autonegComplete: boolean },
    next: { autonegComplete: boolean; partnerAutoneg: boolean },
  ): void {
    if (!previous.autonegComplete && next.autonegComplete && next.partnerAutoneg)
      this.anStatus?.raise(0x0040);
  }

  protected localConfig(): LocalLinkConfig {
    const ctrl = this.#pmaCtrl.peek();
    const speed = (Object.entries(SPEED_SEL).find(([, v]) => v === (ctrl & 0x207c))?.[0] ??
      '10000') as `${Speed}`;
    const adv = this.#anAdv.peek();
    const adv10g = this.#an10gCtrl.peek();
    const advertised = this.#config.modes.filter((m) => {
      if (m in AN_10GBT_CTRL) return (adv10g & AN_10GBT_CTRL[m as keyof typeof AN_10GBT_CTRL]) !== 0;
      if (m in ADVERTISE) return (adv & ADVERTISE[m as keyof typeof ADVERTISE]) !== 0;
      return true; // 1000BASE-T advertisement is vendor-specific on C45 parts; always offered
    });
    return {
      autoneg: (this.#anCtrl.peek() & 0x1000) !== 0,
      advertised,
      supported: this.#config.modes,
      forced: { speed: Number(speed) as Speed, duplex: 'full' },
      masterSlave: 'auto',
      multiport: this.multiport,
      seed: this.seed,
    };
  }

  protected poweredDown(): boolean {
    return (this.#pmaCtrl.peek() & 0x0800) !== 0;
  }

  protected override loopback(): boolean {
    return (this.#pmaCtrl.peek() & 0x0001) !== 0;
  }
}

export function genericClause45Config(phyId: number): Clause45Config {
  return {
    phyId,
    modes: ['100baseTX-Full', '1000baseT-Full', '2500baseT-Full', '5000baseT-Full', '10000baseT-Full'],
    eee: ['100baseTX-Full', '1000baseT-Full', '10000baseT-Full'],
    vendorMmds: [MMD.VEND1],
  };
}
