import { RegisterMap, type PageSelect } from '../regs/index.js';
import type { LocalLinkConfig } from './autoneg.js';
import {
  BMCR_BITS,
  clause22LocalConfig,
  defineAnEee,
  defineClause22,
  definePcsEee,
  type Clause22Config,
  type Clause22Registers,
} from './c22-registers.js';
import { Phy, type PhyOptions, type PhyStatus } from './phy.js';

export const MDIO_MMD_PCS = 3;
export const MDIO_MMD_AN = 7;

/**
 * A Clause 22 PHY: registers 0-15 per 802.3 22.2.4 (on the copper page of page-banked parts), EEE MMDs
 * behind registers 13/14 when the part has them. Catalogue models extend it with vendor registers.
 */
export class Clause22Phy extends Phy {
  readonly phyId: number;
  readonly model: string;
  readonly regs: RegisterMap;
  /** The standard registers the link configuration is read from. */
  readonly std: Clause22Registers;
  protected readonly config: Clause22Config;
  protected readonly clause45 = false;

  constructor(
    options: PhyOptions & {
      readonly model?: string;
      readonly pages?: PageSelect;
      readonly standardPage?: number;
    },
    config: Clause22Config,
  ) {
    super(options);
    this.phyId = config.phyId >>> 0;
    this.model = options.model ?? 'generic-c22';
    this.config = config;
    this.regs = new RegisterMap({
      name: `${this.name}:c22`,
      clock: options.clock,
      ...(options.pages ? { pages: options.pages } : {}),
      ...this.mapEvents(),
    });
    this.std = defineClause22(this.regs, this, config, options.standardPage);
    if (config.mmdIndirect) {
      const pcs = new RegisterMap({ name: `${this.name}:mmd3`, clock: options.clock, ...this.mapEvents() });
      definePcsEee(pcs, config.eee ?? []);
      const an = new RegisterMap({ name: `${this.name}:mmd7`, clock: options.clock, ...this.mapEvents() });
      defineAnEee(an, this, config.eee ?? []);
      this.mmds.set(MDIO_MMD_PCS, pcs);
      this.mmds.set(MDIO_MMD_AN, an);
    }
  }

  maps(): RegisterMap[] {
    return [this.regs, ...this.mmds.values()];
  }

  protected c22Map(): RegisterMap {
    return this.regs;
  }

  protected localConfig(): LocalLinkConfig {
    return clause22LocalConfig(this.std, this.config, this.seed, this.multiport);
  }

  protected poweredDown(): boolean {
    return (this.std.bmcr.peek() & BMCR_BITS.POWER_DOWN) !== 0;
  }

  protected override loopback(): boolean {
    return (this.std.bmcr.peek() & BMCR_BITS.LOOPBACK) !== 0;
  }

  protected override onStatusChange(previous: PhyStatus, next: PhyStatus): void {
    // 28.2.4.1.5: a received base page sets ANER.PAGE_RECEIVED.
    if (!previous.autonegComplete && next.autonegComplete && next.partnerAutoneg) this.std.aner.raise(0x0002);
  }
}

/** The catalogue's generic Clause 22 gigabit PHY (any ID without a specific model). */
export function genericClause22Config(phyId: number): Clause22Config {
  return {
    phyId,
    modes: ['10baseT-Half', '10baseT-Full', '100baseTX-Half', '100baseTX-Full', '1000baseT-Full'],
    pause: true,
    preambleSuppression: true,
    mmdIndirect: true,
    eee: ['100baseTX-Full', '1000baseT-Full'],
  };
}
