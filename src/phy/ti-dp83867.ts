import { defineInterruptPair, RegisterMap, type InterruptPair, type Register } from '../regs/index.js';
import { Clause22Phy } from './c22-phy.js';
import type { PhyStatus } from './phy.js';
import { idInFamily, type ModelOptions } from './phy-id.js';
import { InterruptCauses, speedCode } from './vendor-status.js';

export const DP83867_ID = 0x2000a231;
/** dp83867.c PHY_ID_MATCH_MODEL(DP83867_PHY_ID): the low 4 bits are the revision. */
export const DP83867_MASK = 0xfffffff0;
/** dp83867.c DP83867_DEVADDR: extended registers are MMD 0x1f, reached through registers 13/14. */
export const DP83867_DEVADDR = 0x1f;

/** MICR (0x12) / ISR (0x13) bits, dp83867.c MII_DP83867_MICR_*. */
const INT = {
  JABBER: 0,
  POLARITY_CHANGED: 1,
  XGMII_ERROR: 2,
  WOL: 3,
  SLEEP_MODE_CHANGED: 4,
  RESERVED_5: 5,
  RESERVED_6: 6,
  RESERVED_7: 7,
  FALSE_CARRIER: 8,
  RESERVED_9: 9,
  LINK_STATUS_CHANGED: 10,
  AUTONEG_COMPLETE: 11,
  PAGE_RECEIVED: 12,
  DUPLEX_CHANGED: 13,
  SPEED_CHANGED: 14,
  AN_ERROR: 15,
} as const;

/**
 * TI DP83867: standard registers plus PHYCR/PHYSTS/MICR/ISR/CFG2/CFG3/CTRL, and extended registers in
 * MMD 0x1f. CTRL (0x1f) bit 15 is a full software reset (every register, extended ones too); bit 14 restarts
 * the PHY without touching registers (dp83867_phy_reset()).
 */
export class TiDp83867 extends Clause22Phy {
  #int!: InterruptPair;
  #intCauses!: InterruptCauses;
  #cfg3!: Register;
  readonly extended: RegisterMap;

  constructor(options: ModelOptions) {
    super(
      { ...options, model: 'ti-dp83867' },
      {
        phyId: idInFamily('ti-dp83867', DP83867_ID, DP83867_MASK, options.phyId),
        modes: ['10baseT-Half', '10baseT-Full', '100baseTX-Half', '100baseTX-Full', '1000baseT-Full'],
        pause: true,
        preambleSuppression: true,
        mmdIndirect: true,
        eee: ['100baseTX-Full', '1000baseT-Full'],
      },
    );
    this.#defineVendor(this.regs);
    this.extended = new RegisterMap({
      name: `${this.name}:mmd31`,
      clock: options.clock,
      ...this.mapEvents(),
    });
    this.#defineExtended(this.extended);
    this.mmds.set(DP83867_DEVADDR, this.extended);
  }

  #defineVendor(map: RegisterMap): void {
    map
      .define(0x10, 'PHYCR', 0x5048, {})
      .tagged(0, 10, 'PHYCR_LOW')
      .flag(10, 'FORCE_LINK_GOOD', 'rw')
      .flag(11, 'PORT_MIRROR_RESERVED', 'rw')
      .field(12, 2, 'RX_FIFO_DEPTH', 'rw')
      .field(14, 2, 'TX_FIFO_DEPTH', 'rw');
    const st = () => this.status;
    const up = () => st().up;
    map
      .define(0x11, 'PHYSTS', 0x0002)
      .flag(0, 'JABBER', 'ro', { value: () => (this.jabber ? 1 : 0) })
      .flag(1, 'POLARITY', 'ro') // reset 1 per datasheet: normal polarity reported as 1
      .reserved(2, 4)
      .flag(6, 'MDI_X_MODE_CD', 'ro')
      .flag(7, 'MDI_X_MODE_AB', 'ro')
      .reserved(8, 1)
      .flag(9, 'SLEEP', 'ro')
      .flag(10, 'LINK', 'ro', { value: () => (up() ? 1 : 0) })
      .flag(11, 'SPEED_DUPLEX_RESOLVED', 'ro', { value: () => (up() ? 1 : 0) })
      .flag(12, 'PAGE_RECEIVED', 'ro', { value: () => (st().autonegComplete && st().partnerAutoneg ? 1 : 0) })
      .flag(13, 'DUPLEX', 'ro', { value: () => (up() && st().resolution?.duplex === 'full' ? 1 : 0) })
      .field(14, 2, 'SPEED', 'ro', { value: () => (up() ? speedCode(st()) : 0) });
    this.#int = defineInterruptPair(
      map,
      { address: 0x12, name: 'MICR' },
      { address: 0x13, name: 'ISR' },
      INT,
    );
    this.#int.enable.onWrite(() => {
      this.refresh();
    });
    this.#intCauses = new InterruptCauses(this.#int.status, {
      linkChanged: INT.LINK_STATUS_CHANGED,
      speedChanged: INT.SPEED_CHANGED,
      duplexChanged: INT.DUPLEX_CHANGED,
      autonegCompleted: INT.AUTONEG_COMPLETE,
      pageReceived: INT.PAGE_RECEIVED,
    });
    map
      .define(0x14, 'CFG2', 0x29c7)
      .tagged(0, 7, 'CFG2_LOW')
      .flag(7, 'SGMII_AUTONEG_EN', 'rw')
      .field(8, 2, 'SPEED_OPT_EN', 'rw')
      .field(10, 2, 'SPEED_OPT_ATTEMPT_CNT', 'rw')
      .tagged(12, 4, 'CFG2_HIGH');
    map.define(0x15, 'RECR', 0).field(0, 16, 'RX_ERROR_COUNT', 'cor');
    map.define(0x16, 'BISCR', 0).tagged(0, 16, 'BIST');
    map.define(0x17, 'STS2', 0).tagged(0, 16, 'STATUS_2');
    map.define(0x18, 'LEDCR1', 0x6150).field(0, 16, 'LED_SELECT', 'rw');
    map.define(0x19, 'LEDCR2', 0x4444).field(0, 16, 'LED_CONTROL', 'rw');
    map.define(0x1a, 'LEDCR3', 0x0002).field(0, 16, 'LED_RATE', 'rw');
    map.define(0x1b, 'RESERVED_1B', 0).reserved(0, 16);
    map.define(0x1c, 'RESERVED_1C', 0).reserved(0, 16);
    map.define(0x1d, 'RESERVED_1D', 0).reserved(0, 16);
    this.#cfg3 = map
      .define(0x1e, 'CFG3', 0x0002)
      .tagged(0, 7, 'CFG3_LOW')
      .flag(7, 'INT_OE', 'rw', {
        onWrite: () => {
          this.refresh();
        },
      })
      .tagged(8, 1, 'CFG3_8')
      .flag(9, 'ROBUST_AUTO_MDIX', 'rw')
      .tagged(10, 6, 'CFG3_HIGH');
    map
      .define(0x1f, 'CTRL', 0)
      .reserved(0, 14)
      // SW_RESTART: the PHY restarts (link retrains) without resetting any register.
      .flag(14, 'SW_RESTART', 'sc', this.resetBit('soft'))
      // SW_RESET: every register, including MMD 0x1f, goes back to its reset value.
      .flag(15, 'SW_RESET', 'sc', this.resetBit('hard'));
  }

  #defineExtended(mmd: RegisterMap): void {
    const word = (address: number, name: string, reset: number) =>
      mmd.define(address, name, reset).field(0, 16, 'VALUE', 'rw');
    mmd
      .define(0x002e, 'FLD_THR_CFG', 0x0001)
      .field(0, 3, 'ENERGY_LOST_THR', 'rw')
      .tagged(3, 13, 'FLD_THR_HIGH');
    mmd
      .define(0x0031, 'CFG4', 0x0031)
      .flag(0, 'PORT_MIRROR_EN', 'rw')
      .tagged(1, 4, 'CFG4_LOW')
      .field(5, 2, 'SGMII_ANEG_TIMER', 'rw')
      .flag(7, 'RXCTRL_STRAP_QUIRK', 'rw')
      .flag(8, 'SGMII_QUIRK', 'rw')
      .tagged(9, 7, 'CFG4_HIGH');
    mmd
      .define(0x0032, 'RGMIICTL', 0x00d3)
      .flag(0, 'RX_CLK_DELAY_EN', 'rw')
      .flag(1, 'TX_CLK_DELAY_EN', 'rw')
      .tagged(2, 14, 'RGMII_CONTROL');
    // Strap status: mode 0 straps, no fast link drop, 2.00 ns skews (dp83867_verify_rgmii_cfg).
    mmd
      .define(0x006e, 'STRAP_STS1', 0x0000)
      .tagged(0, 11, 'STRAPS_LOW')
      .flag(11, 'RESERVED_STRAP', 'ro')
      .tagged(12, 4, 'STRAPS_HIGH');
    mmd
      .define(0x006f, 'STRAP_STS2', 0x0077)
      .field(0, 3, 'CLK_SKEW_RX', 'ro')
      .reserved(3, 1)
      .field(4, 3, 'CLK_SKEW_TX', 'ro')
      .reserved(7, 3)
      .flag(10, 'STRAP_FLD', 'ro')
      .reserved(11, 5);
    mmd
      .define(0x0086, 'RGMIIDCTL', 0x0077)
      .field(0, 4, 'RX_DELAY', 'rw')
      .field(4, 4, 'TX_DELAY', 'rw')
      .reserved(8, 8);
    mmd
      .define(0x00d3, 'SGMIICTL', 0x0000)
      .tagged(0, 14, 'SGMII_CONTROL')
      .flag(14, 'SGMII_TYPE', 'rw')
      .tagged(15, 1, 'SGMII_CONTROL_15');
    word(0x012c, 'DSP_FFE_CFG', 0x0e80);
    word(0x0134, 'RXFCFG', 0x1000);
    for (const [a, n] of [
      [0x0136, 'RXFPMD1'],
      [0x0137, 'RXFPMD2'],
      [0x0138, 'RXFPMD3'],
      [0x0139, 'RXFSOP1'],
      [0x013a, 'RXFSOP2'],
      [0x013b, 'RXFSOP3'],
    ] as const)
      word(a, n, 0);
    mmd
      .define(0x016f, '10M_SGMII_CFG', 0x0080)
      .tagged(0, 7, 'SGMII_CFG_LOW')
      .flag(7, 'RATE_ADAPT', 'rw')
      .tagged(8, 8, 'SGMII_CFG_HIGH');
    mmd
      .define(0x0170, 'IO_MUX_CFG', 0x0010)
      .field(0, 5, 'IO_IMPEDANCE', 'rw')
      .reserved(5, 1)
      .flag(6, 'CLK_O_DISABLE', 'rw')
      .reserved(7, 1)
      .field(8, 5, 'CLK_O_SEL', 'rw')
      .reserved(13, 3);
  }

  /** INT is driven when CFG3.INT_OE routes it out and an enabled cause is pending. */
  protected override irqAsserted(): boolean {
    return (this.#cfg3.peek() & 0x0080) !== 0 && this.#int.pending();
  }

  protected override onStatusChange(previous: PhyStatus, next: PhyStatus): void {
    super.onStatusChange(previous, next);
    this.#intCauses.raise(previous, next);
  }
}
