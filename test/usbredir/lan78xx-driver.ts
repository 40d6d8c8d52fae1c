import { Status } from '../../src/usbredir/codec/constants.js';
import type { UsbDeviceModel } from '../../src/usbredir/device.js';

/**
 * A transcription of the register traffic of Linux 6.1 drivers/net/usb/lan78xx.c for a LAN7801, from probe
 * to link up: lan78xx_read_reg/write_reg (vendor requests 0xA1/0xA0), lan78xx_reset, init_mac_address with
 * its EEPROM and OTP fallbacks, lan78xx_mdiobus_read/write over MII_ACC, the data-port multicast write, the
 * open path (flush and start the FIFOs and MAC) and lan78xx_link_reset's interrupt acknowledge. Register
 * numbers and bits are copied from lan78xx.h, independently of the model's tables. Return values follow the
 * kernel: >= 0 success or value, negative errno. `HZ` worth of polling is counted in polls.
 */
export const EIO = 5;
export const EINVAL = 22;
export const ETIMEDOUT = 110;
const POLLS_PER_HZ = 1000;

export const INT_STS = 0x0c;
const ID_REV = 0x00,
  HW_CFG = 0x10,
  PMT_CTL = 0x14,
  DP_SEL = 0x24,
  DP_CMD = 0x28,
  DP_ADDR = 0x2c,
  DP_DATA = 0x30;
export const E2P_CMD = 0x40;
const E2P_DATA = 0x44,
  USB_CFG0 = 0x80,
  USB_CFG1 = 0x84,
  BURST_CAP = 0x90,
  BULK_IN_DLY = 0x94,
  INT_EP_CTL = 0x98;
const RFE_CTL = 0xb0,
  FCT_RX_CTL = 0xc0,
  FCT_TX_CTL = 0xc4,
  FCT_RX_FIFO_END = 0xc8,
  FCT_TX_FIFO_END = 0xcc,
  FCT_FLOW = 0xd0;
export const MAC_CR = 0x100,
  MAC_RX = 0x104;
const LTM_BELT_IDLE0 = 0xe0,
  MAC_TX = 0x108,
  FLOW = 0x10c,
  RX_ADDRH = 0x118,
  RX_ADDRL = 0x11c;
export const MII_ACC = 0x120;
const MII_DATA = 0x124;
const OTP_PWR_DN = 0x1000,
  OTP_ADDR1 = 0x1004,
  OTP_ADDR2 = 0x1008,
  OTP_RD_DATA = 0x1018,
  OTP_FUNC_CMD = 0x1020,
  OTP_CMD_GO = 0x1028,
  OTP_STATUS = 0x1030;
export const MAF_HI = (i: number): number => 0x400 + 8 * i;
export const MAF_LO = (i: number): number => 0x404 + 8 * i;
export const INT_STS_PHY_INT_ = 0x0002_0000;
export const INT_EP_PHY = 17;
export const MAF_HI_VALID_ = 0x8000_0000;
export const MAC_CR_GMII_EN_ = 0x0008_0000;
export const MAC_CR_AUTO_DUPLEX_ = 0x0000_1000;
export const MAC_CR_AUTO_SPEED_ = 0x0000_0800;
export const RFE_CTL_BCAST_EN_ = 0x400,
  RFE_CTL_MCAST_EN_ = 0x200,
  RFE_CTL_UCAST_EN_ = 0x100,
  RFE_CTL_DA_PERFECT_ = 0x2,
  RFE_CTL_MCAST_HASH_ = 0x8;

export class Lan78xxDriver {
  /** Every register access in order, for sequence assertions. */
  readonly log: { op: 'r' | 'w'; index: number; value: number }[] = [];
  chipid = 0;
  chiprev = 0;
  /** Which source init_mac_address took the address from. */
  macSource: 'registers' | 'device-tree' | 'eeprom' | 'random' | undefined;
  mac = new Uint8Array(6);
  eepromResult: number | undefined;
  otpResult: number | undefined;
  rfeCtl = 0;

  constructor(
    readonly dev: UsbDeviceModel,
    readonly dtMac?: Uint8Array,
  ) {}

  read_reg(index: number): number {
    const r = this.dev.controlRequest?.(
      { requestType: 0xc0, request: 0xa1, value: 0, index, length: 4 },
      new Uint8Array(0),
    );
    if (r?.status !== Status.success || r.data?.length !== 4)
      throw new Error(`read_reg 0x${index.toString(16)} failed`);
    const v = new DataView(r.data.buffer, r.data.byteOffset).getUint32(0, true);
    this.log.push({ op: 'r', index, value: v });
    return v;
  }

  write_reg(index: number, data: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, data >>> 0, true);
    const r = this.dev.controlRequest?.({ requestType: 0x40, request: 0xa0, value: 0, index, length: 4 }, b);
    if (r?.status !== Status.success) throw new Error(`write_reg 0x${index.toString(16)} failed`);
    this.log.push({ op: 'w', index, value: data >>> 0 });
  }

  update_reg(reg: number, mask: number, data: number): void {
    const buf = this.read_reg(reg);
    this.write_reg(reg, ((buf & ~mask) | (mask & data)) >>> 0);
  }

  /** lan78xx_reset() for chipid 7801 at high speed: returns 0 or -ETIMEDOUT. */
  lan78xx_reset(mtu = 1500): number {
    let buf = this.read_reg(HW_CFG);
    this.write_reg(HW_CFG, buf | 0x2 /* HW_CFG_LRST_ */);
    let polls = 0;
    do {
      buf = this.read_reg(HW_CFG);
      if (++polls > POLLS_PER_HZ) return -ETIMEDOUT;
    } while (buf & 0x2);
    buf = this.read_reg(ID_REV);
    this.chipid = (buf & 0xffff0000) >>> 16;
    this.chiprev = buf & 0xffff;
    this.lan78xx_init_mac_address();
    buf = this.read_reg(USB_CFG0);
    this.write_reg(USB_CFG0, buf | 0x40 /* USB_CFG_BIR_ */);
    this.lan78xx_init_ltm();
    this.write_reg(BURST_CAP, 16384 / 512); // HS_BURST_CAP_SIZE / HS_USB_PKT_SIZE
    this.write_reg(BULK_IN_DLY, 0x2000); // HS_BULK_IN_DELAY
    buf = this.read_reg(HW_CFG);
    this.write_reg(HW_CFG, buf | 0x10 | 0x0200_0000 | 0x0100_0000); // MEF, CLK125_EN, REFCLK25_EN
    buf = this.read_reg(USB_CFG0);
    this.write_reg(USB_CFG0, buf | 0x20 /* USB_CFG_BCE_ */);
    this.write_reg(FCT_RX_FIFO_END, (12 * 1024 - 512) / 512);
    this.write_reg(FCT_TX_FIFO_END, (12 * 1024 - 512) / 512);
    this.write_reg(INT_STS, 0xffffffff);
    this.write_reg(FLOW, 0);
    this.write_reg(FCT_FLOW, 0);
    this.rfeCtl = this.read_reg(RFE_CTL);
    this.rfeCtl |= RFE_CTL_BCAST_EN_ | RFE_CTL_DA_PERFECT_;
    this.write_reg(RFE_CTL, this.rfeCtl);
    // lan78xx_set_features with RXCSUM and VLAN RX/filter: TCPUDP_COE, IP_COE, ICMP_COE, IGMP_COE, VLAN_STRIP, VLAN_FILTER
    this.rfeCtl |= 0x1000 | 0x800 | 0x2000 | 0x4000 | 0x80 | 0x20;
    this.write_reg(RFE_CTL, this.rfeCtl);
    this.lan78xx_set_multicast([]);
    buf = this.read_reg(PMT_CTL);
    this.write_reg(PMT_CTL, buf | 0x10 /* PMT_CTL_PHY_RST_ */);
    polls = 0;
    do {
      buf = this.read_reg(PMT_CTL);
      if (++polls > POLLS_PER_HZ) return -ETIMEDOUT;
    } while (buf & 0x10 || !(buf & 0x80 /* PMT_CTL_READY_ */));
    buf = this.read_reg(MAC_CR);
    if (this.chipid === 0x7801) {
      buf &= ~MAC_CR_GMII_EN_;
      buf |= MAC_CR_AUTO_DUPLEX_ | MAC_CR_AUTO_SPEED_;
    }
    this.write_reg(MAC_CR, buf);
    this.lan78xx_set_rx_max_frame_length(mtu + 14 + 4); // RX_MAX_FRAME_LEN(mtu)
    return 0;
  }

  lan78xx_set_rx_max_frame_length(size: number): void {
    let buf = this.read_reg(MAC_RX);
    const rxenabled = (buf & 1) !== 0;
    if (rxenabled) this.write_reg(MAC_RX, buf & ~1);
    buf &= ~0x3fff0000;
    buf |= ((size + 4) << 16) & 0x3fff0000;
    this.write_reg(MAC_RX, buf);
    if (rxenabled) this.write_reg(MAC_RX, buf | 1);
  }

  lan78xx_init_ltm(): void {
    const buf = this.read_reg(USB_CFG1);
    if (buf & 0x100 /* USB_CFG1_LTM_ENABLE_ */) throw new Error('LTM from EEPROM/OTP is not transcribed');
    for (let i = 0; i < 6; i++) this.write_reg(LTM_BELT_IDLE0 + 4 * i, 0);
  }

  lan78xx_init_mac_address(): void {
    let addr_lo = this.read_reg(RX_ADDRL);
    let addr_hi = this.read_reg(RX_ADDRH);
    let addr = Uint8Array.of(
      addr_lo & 0xff,
      (addr_lo >>> 8) & 0xff,
      (addr_lo >>> 16) & 0xff,
      addr_lo >>> 24,
      addr_hi & 0xff,
      (addr_hi >>> 8) & 0xff,
    );
    if (!isValidEtherAddr(addr)) {
      const fromEeprom = new Uint8Array(6);
      if (this.dtMac) {
        addr = this.dtMac.slice();
        this.macSource = 'device-tree';
      } else if (
        ((this.eepromResult = this.lan78xx_read_eeprom(1, 6, fromEeprom)) === 0 ||
          (this.otpResult = this.lan78xx_read_otp(1, 6, fromEeprom)) === 0) &&
        isValidEtherAddr(fromEeprom)
      ) {
        addr = fromEeprom;
        this.macSource = 'eeprom';
      } else {
        addr = Uint8Array.of(0x02, 0x11, 0x22, 0x33, 0x44, 0x55); // eth_random_addr: locally administered unicast
        this.macSource = 'random';
      }
      addr_lo = (addr[0]! | (addr[1]! << 8) | (addr[2]! << 16) | (addr[3]! << 24)) >>> 0;
      addr_hi = addr[4]! | (addr[5]! << 8);
      this.write_reg(RX_ADDRL, addr_lo);
      this.write_reg(RX_ADDRH, addr_hi);
    } else this.macSource = 'registers';
    this.write_reg(MAF_LO(0), addr_lo);
    this.write_reg(MAF_HI(0), (addr_hi | MAF_HI_VALID_) >>> 0);
    this.mac = addr;
  }

  lan78xx_wait_eeprom(): number {
    let val = 0;
    for (let polls = 0; polls < POLLS_PER_HZ; polls++) {
      val = this.read_reg(E2P_CMD);
      if (!(val & 0x8000_0000) || val & 0x400) break;
    }
    if (val & (0x400 | 0x8000_0000)) return -EIO; // "EEPROM read operation timeout"
    return 0;
  }

  lan78xx_eeprom_confirm_not_busy(): number {
    for (let polls = 0; polls < POLLS_PER_HZ; polls++) if (!(this.read_reg(E2P_CMD) & 0x8000_0000)) return 0;
    return -EIO;
  }

  lan78xx_read_raw_eeprom(offset: number, length: number, data: Uint8Array): number {
    this.read_reg(HW_CFG); // saved; the LED pin juggling is for chipid 7800 only
    const r = this.lan78xx_eeprom_confirm_not_busy();
    if (r) return r;
    for (let i = 0; i < length; i++) {
      this.write_reg(E2P_CMD, (0x8000_0000 | (offset & 0x1ff)) >>> 0); // EPC_BUSY | EPC_CMD_READ | addr
      const w = this.lan78xx_wait_eeprom();
      if (w < 0) return w;
      data[i] = this.read_reg(E2P_DATA) & 0xff;
      offset++;
    }
    return 0;
  }

  lan78xx_read_eeprom(offset: number, length: number, data: Uint8Array): number {
    const sig = new Uint8Array(1);
    const ret = this.lan78xx_read_raw_eeprom(0, 1, sig);
    if (ret === 0 && sig[0] === 0xa5) return this.lan78xx_read_raw_eeprom(offset, length, data);
    return -EINVAL;
  }

  lan78xx_read_raw_otp(offset: number, length: number, data: Uint8Array): number {
    let buf = this.read_reg(OTP_PWR_DN);
    if (buf & 1) {
      this.write_reg(OTP_PWR_DN, 0);
      let polls = 0;
      do {
        buf = this.read_reg(OTP_PWR_DN);
        if (++polls > POLLS_PER_HZ) return -EIO; // "timeout on OTP_PWR_DN"
      } while (buf & 1);
    }
    for (let i = 0; i < length; i++) {
      this.write_reg(OTP_ADDR1, ((offset + i) >> 8) & 0x1f);
      this.write_reg(OTP_ADDR2, (offset + i) & 0xff);
      this.write_reg(OTP_FUNC_CMD, 0x01);
      this.write_reg(OTP_CMD_GO, 0x01);
      let polls = 0;
      do {
        buf = this.read_reg(OTP_STATUS);
        if (++polls > POLLS_PER_HZ) return -EIO; // "timeout on OTP_STATUS"
      } while (buf & 1);
      data[i] = this.read_reg(OTP_RD_DATA) & 0xff;
    }
    return 0;
  }

  lan78xx_read_otp(offset: number, length: number, data: Uint8Array): number {
    const sig = new Uint8Array(1);
    let ret = this.lan78xx_read_raw_otp(0, 1, sig);
    if (ret === 0) {
      if (sig[0] === 0xf7) offset += 0x100;
      else if (sig[0] !== 0xf3) ret = -EINVAL;
      if (!ret) ret = this.lan78xx_read_raw_otp(offset, length, data);
    }
    return ret;
  }

  lan78xx_phy_wait_not_busy(): number {
    for (let polls = 0; polls < POLLS_PER_HZ; polls++) if (!(this.read_reg(MII_ACC) & 1)) return 0;
    return -EIO;
  }

  static mii_access(id: number, index: number, read: boolean): number {
    let ret = (id << 11) & 0xf800;
    ret |= (index << 6) & 0x7c0;
    ret |= read ? 0 : 0x2;
    return ret | 1;
  }

  mdiobus_read(phy_id: number, idx: number): number {
    let ret = this.lan78xx_phy_wait_not_busy();
    if (ret < 0) return ret;
    this.write_reg(MII_ACC, Lan78xxDriver.mii_access(phy_id, idx, true));
    ret = this.lan78xx_phy_wait_not_busy();
    if (ret < 0) return ret;
    return this.read_reg(MII_DATA) & 0xffff;
  }

  mdiobus_write(phy_id: number, idx: number, regval: number): number {
    const ret = this.lan78xx_phy_wait_not_busy();
    if (ret < 0) return ret;
    this.write_reg(MII_DATA, regval);
    this.write_reg(MII_ACC, Lan78xxDriver.mii_access(phy_id, idx, false));
    return this.lan78xx_phy_wait_not_busy();
  }

  /** lan78xx_set_multicast + lan78xx_deferred_multicast_write (no promisc/allmulti flags). */
  lan78xx_set_multicast(
    mc: readonly Uint8Array[],
    flags: { promisc?: boolean; allmulti?: boolean } = {},
  ): void {
    this.rfeCtl &= ~(RFE_CTL_UCAST_EN_ | RFE_CTL_MCAST_EN_ | RFE_CTL_DA_PERFECT_ | RFE_CTL_MCAST_HASH_);
    const mchash = new Uint32Array(16);
    const pfilter: [number, number][] = Array.from({ length: 33 }, () => [0, 0]);
    this.rfeCtl |= RFE_CTL_BCAST_EN_;
    if (flags.promisc) this.rfeCtl |= RFE_CTL_MCAST_EN_ | RFE_CTL_UCAST_EN_;
    else if (flags.allmulti) this.rfeCtl |= RFE_CTL_MCAST_EN_;
    if (mc.length) {
      this.rfeCtl |= RFE_CTL_DA_PERFECT_;
      mc.forEach((a, n) => {
        const i = n + 1;
        if (i < 33) {
          pfilter[i] = [
            (a[4]! | (a[5]! << 8) | MAF_HI_VALID_) >>> 0,
            (a[0]! | (a[1]! << 8) | (a[2]! << 16) | (a[3]! << 24)) >>> 0,
          ];
        } else {
          const bitnum = (etherCrc(a) >>> 23) & 0x1ff;
          mchash[bitnum >>> 5]! |= 1 << (bitnum & 31);
          this.rfeCtl |= RFE_CTL_MCAST_HASH_;
        }
      });
    }
    this.lan78xx_dataport_write(1 /* DP_SEL_RSEL_VLAN_DA_ */, 128, mchash);
    for (let i = 1; i < 33; i++) {
      this.write_reg(MAF_HI(i), 0);
      this.write_reg(MAF_LO(i), pfilter[i]![1]);
      this.write_reg(MAF_HI(i), pfilter[i]![0]);
    }
    this.write_reg(RFE_CTL, this.rfeCtl);
  }

  lan78xx_dataport_write(ram_select: number, addr: number, buf: Uint32Array): number {
    const wait = (): number => {
      for (let i = 0; i < 100; i++) if (this.read_reg(DP_SEL) & 0x8000_0000) return 0;
      return -EIO;
    };
    if (wait() < 0) return -EIO;
    const dp_sel = (this.read_reg(DP_SEL) & ~0xf) | ram_select;
    this.write_reg(DP_SEL, dp_sel);
    for (let i = 0; i < buf.length; i++) {
      this.write_reg(DP_ADDR, addr + i);
      this.write_reg(DP_DATA, buf[i]!);
      this.write_reg(DP_CMD, 1 /* DP_CMD_WRITE_ */);
      if (wait() < 0) return -EIO;
    }
    return 0;
  }

  /** The irq_bus_sync_unlock of lan78xx_irq_unmask(INT_EP_PHY): enables the PHY bit on the interrupt EP. */
  unmask_phy_irq(): void {
    const buf = this.read_reg(INT_EP_CTL);
    const want = (buf | (1 << INT_EP_PHY)) >>> 0;
    if (buf !== want) this.write_reg(INT_EP_CTL, want);
  }

  /** lan78xx_open after phy_start: flush FIFOs, start TX path (MAC then FIFO) and RX path (FIFO then MAC). */
  lan78xx_open(): void {
    this.update_reg(FCT_RX_CTL, 0x4000_0000, 0x4000_0000);
    this.update_reg(FCT_TX_CTL, 0x4000_0000, 0x4000_0000);
    this.update_reg(MAC_TX, 1, 1);
    this.update_reg(FCT_TX_CTL, 0x8000_0000, 0x8000_0000);
    this.update_reg(FCT_RX_CTL, 0x8000_0000, 0x8000_0000);
    this.update_reg(MAC_RX, 1, 1);
  }

  /** lan78xx_stop_hw(MAC_RX, RXEN, RXD): returns 0 once RXD reads back, -ETIME otherwise. */
  stop_rx_mac(): number {
    let buf = this.read_reg(MAC_RX);
    if (!(buf & 1)) return 0;
    this.write_reg(MAC_RX, buf & ~1);
    for (let polls = 0; polls < POLLS_PER_HZ; polls++) {
      buf = this.read_reg(MAC_RX);
      if (buf & 2) return 0;
    }
    return -62; // -ETIME
  }

  /** First step of lan78xx_link_reset: acknowledge the PHY interrupt. */
  ack_phy_interrupt(): void {
    this.write_reg(INT_STS, INT_STS_PHY_INT_);
  }
}

export function isValidEtherAddr(a: Uint8Array): boolean {
  return !(a[0]! & 1) && a.some((b) => b !== 0);
}

/** Linux ether_crc(): crc32_be(~0, addr, 6), written out bit by bit from lib/crc32.c's definition. */
export function etherCrc(addr: Uint8Array): number {
  let crc = 0xffffffff;
  for (let i = 0; i < 6; i++) {
    let octet = addr[i]!;
    for (let bit = 0; bit < 8; bit++, octet >>= 1) {
      crc = (((crc << 1) >>> 0) ^ ((crc >>> 31) ^ (octet & 1) ? 0x04c11db7 : 0)) >>> 0;
    }
  }
  return crc;
}
