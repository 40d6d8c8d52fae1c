import { defineInterruptPair, type InterruptPair, type RegisterMap } from '../regs/index.js';
import { Clause22Phy } from './c22-phy.js';
import type { PhyStatus } from './phy.js';
import { idInFamily, type ModelOptions } from './phy-id.js';
import { InterruptCauses, speedCode } from './vendor-status.js';

export const RTL8211F_ID = 0x001cc916;
/** realtek.c matches the RTL8211F with PHY_ID_MATCH_EXACT: its family is that one ID. */
export const RTL8211F_MASK = 0xffffffff;

/** INER (page 0xa42 reg 18) / INSR (page 0xa43 reg 29) bits; realtek.c uses LINK_STATUS (bit 4). */
const INT = { AN_ERROR: 2, PAGE_RECEIVED: 3, LINK_STATUS: 4, ALDPS_STATE: 5, PME: 7, JABBER: 10 } as const;

/**
 * Realtek RTL8211F: IEEE registers 0-15 on every page; registers 16-30 are banked by the page in register 31
 * (PAGSR). Page 0 is an alias: registers 16-23 answer as page 0xa42, 24-30 as page 0xa43.
 */
export class RealtekRtl8211f extends Clause22Phy {
  #int!: InterruptPair;
  #intCauses!: InterruptCauses;

  constructor(options: ModelOptions) {
    super(
      {
        ...options,
        model: 'realtek-rtl8211f',
        pages: {
          register: 31,
          banked: (a) => a >= 16 && a <= 30,
          alias: (page, a) => (page === 0 ? (a <= 23 ? 0xa42 : 0xa43) : page),
        },
      },
      {
        phyId: idInFamily('realtek-rtl8211f', RTL8211F_ID, RTL8211F_MASK, options.phyId),
        modes: ['10baseT-Half', '10baseT-Full', '100baseTX-Half', '100baseTX-Full', '1000baseT-Full'],
        pause: true,
        preambleSuppression: true,
        mmdIndirect: true,
        eee: ['100baseTX-Full', '1000baseT-Full'],
      },
    );
    this.#defineVendor(this.regs);
  }

  #defineVendor(map: RegisterMap): void {
    map.define(31, 'PAGSR', 0).field(0, 12, 'PAGE', 'rw').reserved(12, 4);
    const a42 = { page: 0xa42 };
    const a43 = { page: 0xa43 };
    // INER (enable) is on page 0xa42, INSR (status, clear on read) on page 0xa43.
    this.#int = defineInterruptPair(
      map,
      { address: 18, name: 'INER', ...a42 },
      { address: 0x1d, name: 'INSR', ...a43 },
      INT,
    );
    this.#int.enable.onWrite(() => {
      this.refresh();
    });
    this.#intCauses = new InterruptCauses(this.#int.status, {
      linkChanged: INT.LINK_STATUS,
      pageReceived: INT.PAGE_RECEIVED,
    });

    // PHYCR1/PHYCR2 (rtl821x_probe, rtl8211f_config_init): ALDPS off and CLKOUT on after reset.
    map
      .define(0x18, 'PHYCR1', 0x2118, a43)
      .tagged(0, 1, 'PHYCR1_0')
      .flag(1, 'ALDPS_PLL_OFF', 'rw')
      .flag(2, 'ALDPS_ENABLE', 'rw')
      .tagged(3, 9, 'PHYCR1_MID')
      .flag(12, 'ALDPS_XTAL_OFF', 'rw')
      .tagged(13, 3, 'PHYCR1_HIGH');
    map.define(0x19, 'PHYCR2', 0x0021, a43).flag(0, 'CLKOUT_EN', 'rw').tagged(1, 15, 'PHYCR2_HIGH');

    const st = () => this.status;
    const up = () => st().up;
    // PHYSR: real-time link, duplex and speed (RTL8211F datasheet, page 0xa43 reg 26).
    map
      .define(0x1a, 'PHYSR', 0, a43)
      .reserved(0, 2)
      .flag(2, 'LINK', 'ro', { value: () => (up() ? 1 : 0) })
      .flag(3, 'DUPLEX', 'ro', { value: () => (up() && st().resolution?.duplex === 'full' ? 1 : 0) })
      .field(4, 2, 'SPEED', 'ro', { value: () => (up() ? speedCode(st()) : 0) })
      .reserved(6, 5)
      .flag(11, 'MASTER_MODE', 'ro', { value: () => (up() && st().resolution?.master ? 1 : 0) })
      .reserved(12, 4);
    // Linux 6.1 rtlgen_get_speed() reads page 0xa43 reg 0x12 with mask 0x0630 for this part too; the model
    // answers with the same 10/100/1000 speed encoding PHYSR uses in bits 5:4 (bits 10:9 are the
    // 2.5G+ extension, never set on a gigabit part), so the kernel's speed agrees with PHYSR.
    map
      .define(0x12, 'GENERIC_SPEED', 0, a43)
      .reserved(0, 4)
      .field(4, 2, 'SPEED', 'ro', { value: () => (up() ? speedCode(st()) : 0) })
      .reserved(6, 3)
      .field(9, 2, 'SPEED_EXT', 'ro')
      .reserved(11, 5);

    // Page 0xd08: RGMII delay controls (rtl8211f_config_init): TX delay reg 0x11 bit 8, RX delay reg 0x15 bit 3.
    const d08 = { page: 0xd08 };
    map
      .define(0x11, 'MIICR1', 0x0009, d08)
      .tagged(0, 8, 'MIICR1_LOW')
      .flag(8, 'TX_DELAY', 'rw')
      .tagged(9, 7, 'MIICR1_HIGH');
    map
      .define(0x15, 'MIICR2', 0x0000, d08)
      .tagged(0, 3, 'MIICR2_LOW')
      .flag(3, 'RX_DELAY', 'rw')
      .tagged(4, 12, 'MIICR2_HIGH');
  }

  /** INTB is asserted while an enabled cause is pending in INSR. */
  protected override irqAsserted(): boolean {
    return this.#int.pending();
  }

  protected override onStatusChange(previous: PhyStatus, next: PhyStatus): void {
    super.onStatusChange(previous, next);
    this.#intCauses.raise(previous, next);
  }
}
