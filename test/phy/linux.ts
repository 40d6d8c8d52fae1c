import type { MdioBus } from '../../src/mdio/index.js';

/**
 * The few kernel accessors the register walks need, with the kernel's semantics, so tests read like the
 * driver code they reconstruct (include/linux/phy.h, drivers/net/phy/phy-core.c).
 */
export class LinuxPhyAccess {
  constructor(
    readonly bus: MdioBus,
    readonly addr: number,
    /** Register holding the page number (Marvell 22, Realtek 31). */
    readonly pageReg = 0,
  ) {}

  phy_read(reg: number): number {
    return this.bus.read(this.addr, reg);
  }
  phy_write(reg: number, value: number): void {
    this.bus.write(this.addr, reg, value);
  }
  /** phy-core.c __phy_modify_changed(): read, mask, write only if different; returns 1 if changed. */
  phy_modify_changed(reg: number, mask: number, set: number): number {
    const old = this.phy_read(reg);
    const next = (old & ~mask) | set;
    if (next === old) return 0;
    this.phy_write(reg, next);
    return 1;
  }
  phy_modify(reg: number, mask: number, set: number): void {
    this.phy_modify_changed(reg, mask, set);
  }
  phy_set_bits(reg: number, bits: number): void {
    this.phy_modify(reg, 0, bits);
  }
  phy_clear_bits(reg: number, bits: number): void {
    this.phy_modify(reg, bits, 0);
  }
  /** phy-core.c phy_select_page()/phy_restore_page() around an access. */
  paged<T>(page: number, fn: () => T): T {
    const old = this.phy_read(this.pageReg);
    if (old !== page) this.phy_write(this.pageReg, page);
    try {
      return fn();
    } finally {
      if (old !== page) this.phy_write(this.pageReg, old);
    }
  }
  phy_read_paged(page: number, reg: number): number {
    return this.paged(page, () => this.phy_read(reg));
  }
  phy_write_paged(page: number, reg: number, value: number): void {
    this.paged(page, () => {
      this.phy_write(reg, value);
    });
  }
  phy_modify_paged_changed(page: number, reg: number, mask: number, set: number): number {
    return this.paged(page, () => this.phy_modify_changed(reg, mask, set));
  }
  /** phy-core.c mmd_phy_indirect(): 13 = devad, 14 = address, 13 = MII_MMD_CTRL_NOINCR | devad. */
  phy_read_mmd(devad: number, reg: number): number {
    this.phy_write(13, devad);
    this.phy_write(14, reg);
    this.phy_write(13, 0x4000 | devad);
    return this.phy_read(14);
  }
  phy_write_mmd(devad: number, reg: number, value: number): void {
    this.phy_write(13, devad);
    this.phy_write(14, reg);
    this.phy_write(13, 0x4000 | devad);
    this.phy_write(14, value);
  }
  phy_modify_mmd(devad: number, reg: number, mask: number, set: number): void {
    const old = this.phy_read_mmd(devad, reg);
    const next = (old & ~mask) | set;
    if (next !== old) this.phy_write_mmd(devad, reg, next);
  }
  /**
   * phy_device.c genphy_setup_forced(): BMCR = mii_bmcr_encode_fixed(speed, duplex), keeping only loopback,
   * isolate and power-down (AN enable, reset and restart are cleared).
   */
  genphy_setup_forced(speed: 10 | 100 | 1000, duplex: 'half' | 'full'): void {
    const ctl =
      (speed === 1000 ? BMCR.SPEED1000 : speed === 100 ? BMCR.SPEED100 : 0) |
      (duplex === 'full' ? BMCR.FULLDPLX : 0);
    this.phy_modify(MII.BMCR, ~(BMCR.LOOPBACK | BMCR.ISOLATE | BMCR.PDOWN) & 0xffff, ctl);
  }
  /** Clause 45 direct access (mdiobus_c45_read). */
  c45_read(devad: number, reg: number): number {
    return this.bus.readC45(this.addr, devad, reg);
  }
  c45_write(devad: number, reg: number, value: number): void {
    this.bus.writeC45(this.addr, devad, reg, value);
  }
}

/** include/uapi/linux/mii.h constants, restated from the header (not from the code under test). */
export const MII = {
  BMCR: 0x00,
  BMSR: 0x01,
  PHYSID1: 0x02,
  PHYSID2: 0x03,
  ADVERTISE: 0x04,
  LPA: 0x05,
  EXPANSION: 0x06,
  CTRL1000: 0x09,
  STAT1000: 0x0a,
  MMD_CTRL: 0x0d,
  MMD_DATA: 0x0e,
  ESTATUS: 0x0f,
} as const;
export const BMCR = {
  RESV: 0x003f,
  SPEED1000: 0x0040,
  CTST: 0x0080,
  FULLDPLX: 0x0100,
  ANRESTART: 0x0200,
  ISOLATE: 0x0400,
  PDOWN: 0x0800,
  ANENABLE: 0x1000,
  SPEED100: 0x2000,
  LOOPBACK: 0x4000,
  RESET: 0x8000,
} as const;
export const BMSR = {
  ERCAP: 0x0001,
  JCD: 0x0002,
  LSTATUS: 0x0004,
  ANEGCAPABLE: 0x0008,
  RFAULT: 0x0010,
  ANEGCOMPLETE: 0x0020,
  ESTATEN: 0x0100,
  _100HALF2: 0x0200,
  _100FULL2: 0x0400,
  _10HALF: 0x0800,
  _10FULL: 0x1000,
  _100HALF: 0x2000,
  _100FULL: 0x4000,
  _100BASE4: 0x8000,
} as const;
export const ADV = {
  CSMA: 0x0001,
  _10HALF: 0x0020,
  _10FULL: 0x0040,
  _100HALF: 0x0080,
  _100FULL: 0x0100,
  PAUSE_CAP: 0x0400,
  PAUSE_ASYM: 0x0800,
  RFAULT: 0x2000,
  LPACK: 0x4000,
  NPAGE: 0x8000,
} as const;
export const EXPANSION = {
  NWAY: 0x0001,
  LCWP: 0x0002,
  ENABLENPAGE: 0x0004,
  NPCAPABLE: 0x0008,
  MFAULTS: 0x0010,
} as const;
export const C1000 = {
  ADV_1000HALF: 0x0100,
  ADV_1000FULL: 0x0200,
  PREFER_MASTER: 0x0400,
  AS_MASTER: 0x0800,
  ENABLE_MASTER: 0x1000,
} as const;
export const S1000 = {
  LPA_1000MSFAIL: 0x8000,
  LPA_1000MSRES: 0x4000,
  LPA_1000LOCALRXOK: 0x2000,
  LPA_1000REMRXOK: 0x1000,
  LPA_1000FULL: 0x0800,
  LPA_1000HALF: 0x0400,
} as const;
export const ESTATUS = {
  _1000_XFULL: 0x8000,
  _1000_XHALF: 0x4000,
  _1000_TFULL: 0x2000,
  _1000_THALF: 0x1000,
} as const;
