import { defineInterruptPair, type InterruptPair, type Register, type RegisterMap } from '../regs/index.js';
import { Clause22Phy } from './c22-phy.js';
import { BMCR_BITS } from './c22-registers.js';
import type { PhyStatus } from './phy.js';
import { idInFamily, type ModelOptions } from './phy-id.js';
import { InterruptCauses, speedCode } from './vendor-status.js';

export const MARVELL_88E1510_ID = 0x01410dd0;
/** marvell.c MARVELL_PHY_ID_MASK: the low 4 bits are the silicon revision. */
export const MARVELL_88E1510_MASK = 0xfffffff0;

/** Page numbers as drivers/net/phy/marvell.c names them. */
export const MARVELL_PAGE = {
  COPPER: 0x00,
  FIBER: 0x01,
  MSCR: 0x02,
  LED: 0x03,
  MISC_TEST: 0x06,
  WOL: 0x11,
  MODE: 0x12,
} as const;

/** Copper interrupt enable (18) / status (19) bits, page 0 (88E1510 datasheet, marvell.c MII_M1011_IMASK_INIT). */
const INT = {
  JABBER: 0,
  POLARITY_CHANGED: 1,
  DTE_POWER: 2,
  FLP_NO_LINK: 3,
  ENERGY_DETECT: 4,
  DOWNSHIFT: 5,
  MDI_CROSSOVER_CHANGED: 6,
  RESERVED_7: 7,
  FALSE_CARRIER: 8,
  SYMBOL_ERROR: 9,
  LINK_STATUS_CHANGED: 10,
  AN_COMPLETED: 11,
  PAGE_RECEIVED: 12,
  DUPLEX_CHANGED: 13,
  SPEED_CHANGED: 14,
  AN_ERROR: 15,
} as const;

/**
 * Marvell Alaska 88E1510: page select in register 22, copper registers on page 0 (standard 0-15 plus
 * vendor 16-21, 26), fiber on page 1, MAC-specific on page 2, LED/interrupt pin on page 3, temperature
 * sensor on page 6, WoL on page 17, mode on page 18, and the errata pages 0xfb/0xff that
 * m88e1510_config_init() writes. Speed/duplex/AN-enable writes take effect at the next soft reset, which
 * retains them (hence marvell.c's genphy_soft_reset() after config changes).
 */
export class Marvell88E1510 extends Clause22Phy {
  #int!: InterruptPair;
  #intCauses!: InterruptCauses;
  #ledTimer!: Register;

  constructor(options: ModelOptions) {
    const retain =
      BMCR_BITS.SPEED_LSB |
      BMCR_BITS.SPEED_MSB |
      BMCR_BITS.DUPLEX |
      BMCR_BITS.AN_ENABLE |
      BMCR_BITS.POWER_DOWN;
    super(
      {
        ...options,
        model: 'marvell-88e1510',
        standardPage: MARVELL_PAGE.COPPER,
        pages: { register: 22, banked: (a) => a !== 22 },
      },
      {
        phyId: idInFamily('marvell-88e1510', MARVELL_88E1510_ID, MARVELL_88E1510_MASK, options.phyId),
        modes: [
          '10baseT-Half',
          '10baseT-Full',
          '100baseTX-Half',
          '100baseTX-Full',
          '1000baseT-Half',
          '1000baseT-Full',
        ],
        pause: true,
        preambleSuppression: true,
        mmdIndirect: true,
        eee: ['100baseTX-Full', '1000baseT-Full'],
        ctrl1000Reset: 0x0300,
        softResetRetains: retain,
        controlCommitsOnReset: true,
      },
    );
    this.#defineVendor(this.regs);
  }

  #defineVendor(map: RegisterMap): void {
    const copper = { page: MARVELL_PAGE.COPPER };
    map.define(22, 'PAGE_ADDRESS', 0).field(0, 8, 'PAGE', 'rw').reserved(8, 8);

    // Page 0 reg 16: copper specific control 1 (MII_M1011_PHY_SCR): MDI crossover auto, downshift off.
    map
      .define(16, 'COPPER_CONTROL_1', 0x3060, copper)
      .flag(0, 'DISABLE_JABBER', 'rw')
      .flag(1, 'POLARITY_REVERSAL_DISABLE', 'rw')
      .flag(2, 'POWER_DOWN', 'rw')
      .flag(3, 'TRANSMITTER_DISABLE', 'rw')
      .tagged(4, 1, 'RESERVED_4')
      .field(5, 2, 'MDI_CROSSOVER_MODE', 'rw')
      .tagged(7, 3, 'ENERGY_DETECT_AND_MISC')
      .flag(10, 'FORCE_LINK_GOOD', 'rw')
      .flag(11, 'DOWNSHIFT_ENABLE', 'rw')
      .field(12, 3, 'DOWNSHIFT_COUNTER', 'rw')
      .tagged(15, 1, 'DISABLE_LINK_PULSES');

    // Page 0 reg 17: copper specific status 1 (MII_M1011_PHY_STATUS): resolved speed/duplex and real-time link.
    const st = () => this.status;
    const up = () => st().up;
    map
      .define(17, 'COPPER_STATUS_1', 0, copper)
      .flag(0, 'JABBER_REALTIME', 'ro', { value: () => (this.jabber ? 1 : 0) })
      .flag(1, 'POLARITY', 'ro')
      .flag(2, 'RECEIVE_PAUSE', 'ro', { value: () => (up() && st().partnerBasePage & 0x0400 ? 1 : 0) })
      .flag(3, 'TRANSMIT_PAUSE', 'ro', { value: () => (up() && st().partnerBasePage & 0x0400 ? 1 : 0) })
      .flag(4, 'ENERGY_DETECT', 'ro', { value: () => (this.plugged && this.partner ? 0 : 1) }) // 1 = sleep (no energy)
      .flag(5, 'DOWNSHIFT_STATUS', 'ro')
      .flag(6, 'MDI_CROSSOVER_STATUS', 'ro')
      .reserved(7, 3)
      .flag(10, 'LINK_REALTIME', 'ro', { value: () => (up() ? 1 : 0) })
      .flag(11, 'SPEED_DUPLEX_RESOLVED', 'ro', { value: () => (up() ? 1 : 0) })
      .flag(12, 'PAGE_RECEIVED_REALTIME', 'ro', {
        value: () => (st().autonegComplete && st().partnerAutoneg ? 1 : 0),
      })
      .flag(13, 'DUPLEX', 'ro', { value: () => (up() && st().resolution?.duplex === 'full' ? 1 : 0) })
      .field(14, 2, 'SPEED', 'ro', { value: () => (up() ? speedCode(st()) : 0) });

    // 18/19: interrupt enable and status; status clears on read (marvell_ack_interrupt reads it to clear).
    this.#int = defineInterruptPair(
      map,
      { address: 18, name: 'COPPER_INT_ENABLE', ...copper },
      { address: 19, name: 'COPPER_INT_STATUS', ...copper },
      INT,
    );
    this.#intCauses = new InterruptCauses(this.#int.status, {
      linkChanged: INT.LINK_STATUS_CHANGED,
      speedChanged: INT.SPEED_CHANGED,
      duplexChanged: INT.DUPLEX_CHANGED,
      autonegCompleted: INT.AN_COMPLETED,
      pageReceived: INT.PAGE_RECEIVED,
    });
    map.define(20, 'COPPER_CONTROL_2', 0x0000, copper).tagged(0, 16, 'CONTROL_2');
    map.define(21, 'COPPER_RX_ERROR_COUNTER', 0, copper).field(0, 16, 'COUNT', 'cor');
    map
      .define(23, 'GLOBAL_INT_STATUS', 0, copper)
      .flag(0, 'PORT0_INTERRUPT', 'ro', { value: () => (this.#int.pending() ? 1 : 0) })
      .reserved(1, 15);
    // MII_88E1540_COPPER_CTRL3 (fast link down), read by m88e1540_get_fld
    map
      .define(26, 'COPPER_CONTROL_3', 0, copper)
      .tagged(0, 9, 'CONTROL_3')
      .flag(9, 'FAST_LINK_DOWN', 'rw')
      .field(10, 2, 'LINK_DOWN_DELAY', 'rw')
      .tagged(12, 4, 'CONTROL_3_HIGH');

    this.#defineFiber(map);

    // Page 2: MAC specific control 1 (MII_88E1318S_PHY_MSCR1_REG, PAD_ODD) and 2 (RGMII delays, reg 21).
    const mac = { page: MARVELL_PAGE.MSCR };
    map
      .define(16, 'MAC_CONTROL_1', 0x0000, mac)
      .tagged(0, 6, 'MAC_CONTROL_1_LOW')
      .flag(6, 'PAD_ODD', 'rw')
      .tagged(7, 9, 'MAC_CONTROL_1_HIGH');
    map
      .define(21, 'MAC_CONTROL_2', 0x1046, mac)
      .tagged(0, 4, 'MAC_CONTROL_2_LOW')
      .flag(4, 'RGMII_TX_TIMING', 'rw')
      .flag(5, 'RGMII_RX_TIMING', 'rw')
      .tagged(6, 10, 'MAC_CONTROL_2_HIGH');

    // Page 3: LEDs; reg 18 routes the interrupt to the INTn pin (MII_88E1318S_PHY_LED_TCR).
    const led = { page: MARVELL_PAGE.LED };
    map.define(16, 'LED_FUNCTION_CONTROL', 0x101e, led).field(0, 16, 'FUNCTION', 'rw');
    map.define(17, 'LED_POLARITY_CONTROL', 0x4405, led).field(0, 16, 'POLARITY', 'rw');
    this.#ledTimer = map
      .define(18, 'LED_TIMER_CONTROL', 0x4905, led)
      .tagged(0, 7, 'BLINK_AND_PULSE')
      .flag(7, 'INTN_ENABLE', 'rw', {
        onWrite: () => {
          this.refresh();
        },
      })
      .tagged(8, 3, 'PULSE_STRETCH')
      .flag(11, 'INT_ACTIVE_LOW', 'rw')
      .tagged(12, 3, 'TIMER_RESERVED')
      .flag(15, 'FORCE_INT', 'rw', {
        onWrite: () => {
          this.refresh();
        },
      });

    // Page 6: temperature sensor (m88e1510_get_temp reads reg 27; threshold in reg 26).
    const misc = { page: MARVELL_PAGE.MISC_TEST };
    map
      .define(26, 'MISC_TEST', 0x1900, misc) // threshold 25 -> 25 * 5 - 25 = 100 C (m88e1510_get_temp_critical)
      .tagged(0, 5, 'TEMP_LEGACY')
      .flag(5, 'TEMP_SENSOR_ENABLE', 'rw')
      .flag(6, 'TEMP_IRQ', 'ro')
      .flag(7, 'TEMP_IRQ_ENABLE', 'rw')
      .field(8, 5, 'TEMP_THRESHOLD', 'rw')
      .reserved(13, 3);
    // 25 C: the sensor reads temperature + 25 (marvell.c: (val & 0xff) - 25).
    map
      .define(27, 'TEMP_SENSOR', 0, misc)
      .field(0, 8, 'TEMPERATURE', 'ro', { value: () => 25 + 25 })
      .reserved(8, 8);

    // Page 17: WoL (m88e1318_get_wol/set_wol).
    const wol = { page: MARVELL_PAGE.WOL };
    map.define(16, 'WOL_CONTROL', 0, wol).tagged(0, 16, 'WOL_CONTROL');
    for (const [reg, name] of [
      [23, 'MAGIC_PACKET_WORD2'],
      [24, 'MAGIC_PACKET_WORD1'],
      [25, 'MAGIC_PACKET_WORD0'],
    ] as const)
      map.define(reg, name, 0, wol).field(0, 16, 'WORD', 'rw');

    // Page 18: general control 1: MODE[2:0] and a self-clearing reset (m88e1510_config_init SGMII path).
    map
      .define(20, 'GENERAL_CONTROL_1', 0x0000, { page: MARVELL_PAGE.MODE })
      .field(0, 3, 'MODE', 'rw')
      .tagged(3, 12, 'GENERAL_CONTROL_1')
      .flag(15, 'RESET', 'sc', this.resetBit('soft'));

    // Errata pages written by m88e1510_config_init() (Release Notes 88E1510 Rev A0, errata 5.1).
    map.define(16, 'ERRATA_16', 0, { page: 0xff }).tagged(0, 16, 'ERRATA');
    map.define(17, 'ERRATA_17', 0, { page: 0xff }).tagged(0, 16, 'ERRATA');
    map.define(7, 'ERRATA_7', 0, { page: 0xfb }).tagged(0, 16, 'ERRATA');
  }

  /** Page 1: 1000BASE-X fiber registers. Nothing is plugged into the fiber side, so its link stays down. */
  #defineFiber(map: RegisterMap): void {
    const fiber = { page: MARVELL_PAGE.FIBER };
    map
      .define(0, 'FIBER_CONTROL', 0x1140, fiber)
      .reserved(0, 6)
      .flag(6, 'SPEED_MSB', 'ro')
      .reserved(7, 1)
      .flag(8, 'DUPLEX', 'rw')
      .flag(9, 'AN_RESTART', 'sc')
      .flag(10, 'ISOLATE', 'rw')
      .flag(11, 'POWER_DOWN', 'rw')
      .flag(12, 'AN_ENABLE', 'rw')
      .flag(13, 'SPEED_LSB', 'ro')
      .flag(14, 'LOOPBACK', 'rw')
      .flag(15, 'RESET', 'sc');
    map
      .define(1, 'FIBER_STATUS', 0x0149, fiber)
      .flag(0, 'EXTENDED_CAPABILITY', 'ro')
      .flag(1, 'RESERVED_1', 'reserved')
      .flag(2, 'LINK_STATUS', 'll', { value: () => 0 })
      .flag(3, 'AN_ABILITY', 'ro')
      .flag(4, 'REMOTE_FAULT', 'lh', { value: () => 0 })
      .flag(5, 'AN_COMPLETE', 'ro')
      .flag(6, 'MF_PREAMBLE_SUPPRESSION', 'ro')
      .reserved(7, 1)
      .flag(8, 'EXTENDED_STATUS', 'ro')
      .reserved(9, 7);
    map.define(2, 'FIBER_PHYID1', this.phyId >>> 16, fiber).field(0, 16, 'OUI_MSB', 'ro');
    map.define(3, 'FIBER_PHYID2', this.phyId & 0xffff, fiber).field(0, 16, 'OUI_MODEL_REV', 'ro');
    // 37.2.5.1.3 1000BASE-X base page: FD bit 5, HD bit 6, PAUSE bits 8:7.
    map
      .define(4, 'FIBER_ADVERTISE', 0x0060, fiber)
      .reserved(0, 5)
      .flag(5, '1000BASE_X_FD', 'rw')
      .flag(6, '1000BASE_X_HD', 'rw')
      .field(7, 2, 'PAUSE', 'rw')
      .reserved(9, 3)
      .field(12, 2, 'REMOTE_FAULT', 'rw')
      .reserved(14, 1)
      .flag(15, 'NEXT_PAGE', 'rw');
    map.define(5, 'FIBER_LPA', 0, fiber).field(0, 16, 'LP_BASE_PAGE', 'ro');
    map
      .define(6, 'FIBER_EXPANSION', 0x0004, fiber)
      .flag(0, 'LP_AN_ABLE', 'ro')
      .flag(1, 'PAGE_RECEIVED', 'cor')
      .flag(2, 'NEXT_PAGE_ABLE', 'ro')
      .reserved(3, 13);
    map
      .define(15, 'FIBER_ESTATUS', 0xc000, fiber)
      .reserved(0, 14)
      .flag(14, '1000BASE_X_HD', 'ro')
      .flag(15, '1000BASE_X_FD', 'ro');
    map.define(16, 'FIBER_CONTROL_1', 0, fiber).tagged(0, 16, 'CONTROL');
    map
      .define(17, 'FIBER_STATUS_1', 0, fiber)
      .reserved(0, 10)
      .flag(10, 'LINK_REALTIME', 'ro')
      .flag(11, 'SPEED_DUPLEX_RESOLVED', 'ro')
      .reserved(12, 1)
      .flag(13, 'DUPLEX', 'ro')
      .field(14, 2, 'SPEED', 'ro');
    map.define(18, 'FIBER_INT_ENABLE', 0, fiber).field(0, 16, 'ENABLE', 'rw');
    map.define(19, 'FIBER_INT_STATUS', 0, fiber).field(0, 16, 'STATUS', 'cor');
  }

  /** INTn follows enabled, pending causes once page 3 reg 18 routes the interrupt to the pin (or forces it). */
  protected override irqAsserted(): boolean {
    const tcr = this.#ledTimer.peek();
    if (tcr & 0x8000) return true;
    return (tcr & 0x0080) !== 0 && this.#int.pending();
  }

  protected override onStatusChange(previous: PhyStatus, next: PhyStatus): void {
    super.onStatusChange(previous, next);
    this.#intCauses.raise(previous, next);
  }
}
