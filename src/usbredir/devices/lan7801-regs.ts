import type { Clock } from '../../clock.js';
import { RegisterMap, type Register, type RegisterEventSink } from '../../regs/index.js';

/**
 * LAN7801 system control and status registers as drivers/net/usb/lan78xx.h (Linux 6.1) names them: 32-bit
 * registers at byte addresses, reached with vendor control requests, declared as data (address, reset value,
 * which bits the host may write, which clear when written with 1, which are commands that clear themselves,
 * which are computed) and built into a register map (src/regs). Side effects (the MII, EEPROM, OTP and data-port
 * engines, resets) are hooks lan7801.ts attaches to these registers.
 */

export const VENDOR_REQUEST_WRITE_REGISTER = 0xa0;
export const VENDOR_REQUEST_READ_REGISTER = 0xa1;
export const VENDOR_REQUEST_GET_STATS = 0xa2;

/** ID_REV: chip id in bits 31:16 (lan78xx_reset() compares it with ID_REV_CHIP_ID_7801_). */
export const CHIP_ID_7801 = 0x7801;

export const R = {
  ID_REV: 0x000,
  FPGA_REV: 0x004,
  INT_STS: 0x00c,
  HW_CFG: 0x010,
  PMT_CTL: 0x014,
  GPIO_CFG0: 0x018,
  GPIO_CFG1: 0x01c,
  GPIO_WAKE: 0x020,
  DP_SEL: 0x024,
  DP_CMD: 0x028,
  DP_ADDR: 0x02c,
  DP_DATA: 0x030,
  E2P_CMD: 0x040,
  E2P_DATA: 0x044,
  USB_CFG0: 0x080,
  USB_CFG1: 0x084,
  USB_CFG2: 0x088,
  BURST_CAP: 0x090,
  BULK_IN_DLY: 0x094,
  INT_EP_CTL: 0x098,
  PIPE_CTL: 0x09c,
  U1_LATENCY: 0x0a0,
  U2_LATENCY: 0x0a4,
  USB_STATUS: 0x0a8,
  USB_CFG3: 0x0ac,
  RFE_CTL: 0x0b0,
  VLAN_TYPE: 0x0b4,
  FCT_RX_CTL: 0x0c0,
  FCT_TX_CTL: 0x0c4,
  FCT_RX_FIFO_END: 0x0c8,
  FCT_TX_FIFO_END: 0x0cc,
  FCT_FLOW: 0x0d0,
  LTM_BELT_IDLE0: 0x0e0,
  LTM_BELT_IDLE1: 0x0e4,
  LTM_BELT_ACT0: 0x0e8,
  LTM_BELT_ACT1: 0x0ec,
  LTM_INACTIVE0: 0x0f0,
  LTM_INACTIVE1: 0x0f4,
  MAC_CR: 0x100,
  MAC_RX: 0x104,
  MAC_TX: 0x108,
  FLOW: 0x10c,
  RAND_SEED: 0x110,
  ERR_STS: 0x114,
  RX_ADDRH: 0x118,
  RX_ADDRL: 0x11c,
  MII_ACC: 0x120,
  MII_DATA: 0x124,
  MAC_RGMII_ID: 0x128,
  EEE_TX_LPI_REQ_DLY: 0x130,
  EEE_TW_TX_SYS: 0x134,
  EEE_TX_LPI_REM_DLY: 0x138,
  WUCSR: 0x140,
  WK_SRC: 0x144,
  WUCSR2: 0x600,
  PHY_DEV_ID: 0x700,
  RGMII_TX_BYP_DLL: 0x708,
  RGMII_RX_BYP_DLL: 0x70c,
  OTP_PWR_DN: 0x1000,
  OTP_ADDR1: 0x1004,
  OTP_ADDR2: 0x1008,
  OTP_ADDR3: 0x100c,
  OTP_PRGM_DATA: 0x1010,
  OTP_PRGM_MODE: 0x1014,
  OTP_RD_DATA: 0x1018,
  OTP_FUNC_CMD: 0x1020,
  OTP_TST_CMD: 0x1024,
  OTP_CMD_GO: 0x1028,
  OTP_PASS_FAIL: 0x102c,
  OTP_STATUS: 0x1030,
} as const;
export type RegName = keyof typeof R;

/** Bits lan78xx.c uses, named as in lan78xx.h without the trailing underscore. */
export const B = {
  INT_STS_PHY_INT: 0x0002_0000,
  HW_CFG_CLK125_EN: 0x0200_0000,
  HW_CFG_REFCLK25_EN: 0x0100_0000,
  HW_CFG_MEF: 0x0000_0010,
  HW_CFG_LRST: 0x0000_0002,
  HW_CFG_SRST: 0x0000_0001,
  PMT_CTL_READY: 0x0000_0080,
  PMT_CTL_PHY_RST: 0x0000_0010,
  DP_SEL_DPRDY: 0x8000_0000,
  DP_SEL_RSEL_MASK: 0x0000_000f,
  DP_SEL_RSEL_VLAN_DA: 0x0000_0001,
  DP_CMD_WRITE: 0x0000_0001,
  E2P_CMD_EPC_BUSY: 0x8000_0000,
  E2P_CMD_EPC_CMD_MASK: 0x7000_0000,
  E2P_CMD_EPC_CMD_READ: 0x0000_0000,
  E2P_CMD_EPC_CMD_WRITE: 0x3000_0000,
  E2P_CMD_EPC_TIMEOUT: 0x0000_0400,
  E2P_CMD_EPC_ADDR_MASK: 0x0000_01ff,
  USB_CFG_BIR: 0x0000_0040,
  USB_CFG_BCE: 0x0000_0020,
  USB_CFG1_LTM_ENABLE: 0x0000_0100,
  BURST_CAP_SIZE_MASK: 0x0000_00ff,
  RFE_CTL_BCAST_EN: 0x0000_0400,
  RFE_CTL_MCAST_EN: 0x0000_0200,
  RFE_CTL_UCAST_EN: 0x0000_0100,
  RFE_CTL_VLAN_STRIP: 0x0000_0080,
  RFE_CTL_MCAST_HASH: 0x0000_0008,
  RFE_CTL_DA_PERFECT: 0x0000_0002,
  FCT_CTL_EN: 0x8000_0000,
  FCT_CTL_RST: 0x4000_0000,
  FCT_CTL_EMPTY: 0x0020_0000,
  FCT_CTL_DIS: 0x0010_0000,
  MAC_CR_GMII_EN: 0x0008_0000,
  MAC_CR_AUTO_DUPLEX: 0x0000_1000,
  MAC_CR_AUTO_SPEED: 0x0000_0800,
  MAC_CR_RST: 0x0000_0001,
  MAC_RX_MAX_SIZE_MASK: 0x3fff_0000,
  MAC_RX_MAX_SIZE_SHIFT: 16,
  MAC_RX_RXD: 0x0000_0002,
  MAC_RX_RXEN: 0x0000_0001,
  MAC_TX_TXD: 0x0000_0002,
  MAC_TX_TXEN: 0x0000_0001,
  MII_ACC_PHY_ADDR_SHIFT: 11,
  MII_ACC_MIIRINDA_SHIFT: 6,
  MII_ACC_MII_WRITE: 0x0000_0002,
  MII_ACC_MII_BUSY: 0x0000_0001,
  MAF_HI_VALID: 0x8000_0000,
  MAF_HI_TYPE_SRC: 0x4000_0000,
  OTP_PWR_DN_PWRDN_N: 0x01,
  OTP_FUNC_CMD_READ: 0x01,
  OTP_CMD_GO_GO: 0x01,
  OTP_STATUS_BUSY: 0x01,
} as const;

/** MAF_HI(i) / MAF_LO(i): 33 perfect address filter slots at 0x400 (lan78xx.h MAF_BASE, NUM_OF_MAF). */
export const MAF_BASE = 0x400;
export const NUM_OF_MAF = 33;
export const mafHi = (i: number): number => MAF_BASE + 8 * i;
export const mafLo = (i: number): number => MAF_BASE + 8 * i + 4;
/** The multicast hash table sits in the VLAN/DA data-port RAM after the 128 VLAN words (DP_SEL_VHF_*). */
export const DP_VHF_VLAN_LEN = 128;
export const DP_VHF_HASH_LEN = 16;

export interface RegisterDecl {
  readonly name: string;
  readonly address: number;
  readonly reset: number;
  /** Bits the host can change by writing. */
  readonly writable: number;
  /** Write-one-to-clear status bits. */
  readonly w1c?: number;
  /** Command bits: writing 1 starts the action, which completes before the next access, so they read 0. */
  readonly sc?: number;
  /** Register belongs to the USB block: the lite reset (HW_CFG.LRST) leaves it alone. */
  readonly usbBlock?: boolean;
}

const RW = 0xffff_ffff;

/**
 * Every register the model declares. Reset values: datasheet defaults where the driver's behaviour depends
 * on them (PMT_CTL.READY set, OTP powered down, RX_ADDR all ones with no EEPROM), zero elsewhere.
 */
export const REGISTERS: readonly RegisterDecl[] = [
  { name: 'ID_REV', address: R.ID_REV, reset: 0, writable: 0 }, // value comes from the chip options
  { name: 'FPGA_REV', address: R.FPGA_REV, reset: 0, writable: 0 },
  { name: 'INT_STS', address: R.INT_STS, reset: 0, writable: 0, w1c: 0x0fff_ffff },
  { name: 'HW_CFG', address: R.HW_CFG, reset: 0, writable: RW },
  {
    name: 'PMT_CTL',
    address: R.PMT_CTL,
    reset: B.PMT_CTL_READY,
    writable: RW & ~B.PMT_CTL_READY & ~B.PMT_CTL_PHY_RST,
    sc: B.PMT_CTL_PHY_RST,
  },
  { name: 'GPIO_CFG0', address: R.GPIO_CFG0, reset: 0, writable: RW },
  { name: 'GPIO_CFG1', address: R.GPIO_CFG1, reset: 0, writable: RW },
  { name: 'GPIO_WAKE', address: R.GPIO_WAKE, reset: 0, writable: RW },
  { name: 'DP_SEL', address: R.DP_SEL, reset: B.DP_SEL_DPRDY, writable: B.DP_SEL_RSEL_MASK },
  { name: 'DP_CMD', address: R.DP_CMD, reset: 0, writable: RW },
  { name: 'DP_ADDR', address: R.DP_ADDR, reset: 0, writable: 0x3fff },
  { name: 'DP_DATA', address: R.DP_DATA, reset: 0, writable: RW },
  {
    name: 'E2P_CMD',
    address: R.E2P_CMD,
    reset: 0,
    writable: RW & ~B.E2P_CMD_EPC_TIMEOUT,
    w1c: B.E2P_CMD_EPC_TIMEOUT,
  },
  { name: 'E2P_DATA', address: R.E2P_DATA, reset: 0, writable: 0xff },
  { name: 'USB_CFG0', address: R.USB_CFG0, reset: 0, writable: RW, usbBlock: true },
  { name: 'USB_CFG1', address: R.USB_CFG1, reset: 0, writable: RW, usbBlock: true },
  { name: 'USB_CFG2', address: R.USB_CFG2, reset: 0, writable: RW, usbBlock: true },
  { name: 'BURST_CAP', address: R.BURST_CAP, reset: 0, writable: B.BURST_CAP_SIZE_MASK, usbBlock: true },
  { name: 'BULK_IN_DLY', address: R.BULK_IN_DLY, reset: 0x0800, writable: 0xffff, usbBlock: true }, // DEFAULT_BULK_IN_DELAY
  { name: 'INT_EP_CTL', address: R.INT_EP_CTL, reset: 0, writable: RW, usbBlock: true },
  { name: 'PIPE_CTL', address: R.PIPE_CTL, reset: 0, writable: RW, usbBlock: true },
  { name: 'U1_LATENCY', address: R.U1_LATENCY, reset: 0, writable: RW, usbBlock: true },
  { name: 'U2_LATENCY', address: R.U2_LATENCY, reset: 0, writable: RW, usbBlock: true },
  { name: 'USB_STATUS', address: R.USB_STATUS, reset: 0, writable: 0, usbBlock: true },
  { name: 'USB_CFG3', address: R.USB_CFG3, reset: 0, writable: RW, usbBlock: true },
  { name: 'RFE_CTL', address: R.RFE_CTL, reset: 0, writable: RW & ~1 },
  { name: 'VLAN_TYPE', address: R.VLAN_TYPE, reset: 0x8100, writable: 0xffff },
  { name: 'FCT_RX_CTL', address: R.FCT_RX_CTL, reset: 0, writable: B.FCT_CTL_EN, sc: B.FCT_CTL_RST },
  { name: 'FCT_TX_CTL', address: R.FCT_TX_CTL, reset: 0, writable: B.FCT_CTL_EN, sc: B.FCT_CTL_RST },
  { name: 'FCT_RX_FIFO_END', address: R.FCT_RX_FIFO_END, reset: 0, writable: 0x7f },
  { name: 'FCT_TX_FIFO_END', address: R.FCT_TX_FIFO_END, reset: 0, writable: 0x3f },
  { name: 'FCT_FLOW', address: R.FCT_FLOW, reset: 0, writable: RW },
  { name: 'LTM_BELT_IDLE0', address: R.LTM_BELT_IDLE0, reset: 0, writable: RW },
  { name: 'LTM_BELT_IDLE1', address: R.LTM_BELT_IDLE1, reset: 0, writable: RW },
  { name: 'LTM_BELT_ACT0', address: R.LTM_BELT_ACT0, reset: 0, writable: RW },
  { name: 'LTM_BELT_ACT1', address: R.LTM_BELT_ACT1, reset: 0, writable: RW },
  { name: 'LTM_INACTIVE0', address: R.LTM_INACTIVE0, reset: 0, writable: RW },
  { name: 'LTM_INACTIVE1', address: R.LTM_INACTIVE1, reset: 0, writable: RW },
  { name: 'MAC_CR', address: R.MAC_CR, reset: 0, writable: RW & ~B.MAC_CR_RST, sc: B.MAC_CR_RST },
  {
    name: 'MAC_RX',
    address: R.MAC_RX,
    reset: (1518 + 4) << B.MAC_RX_MAX_SIZE_SHIFT,
    writable: RW & ~B.MAC_RX_RXD,
  },
  { name: 'MAC_TX', address: R.MAC_TX, reset: 0, writable: RW & ~B.MAC_TX_TXD },
  { name: 'FLOW', address: R.FLOW, reset: 0, writable: RW },
  { name: 'RAND_SEED', address: R.RAND_SEED, reset: 0, writable: RW },
  { name: 'ERR_STS', address: R.ERR_STS, reset: 0, writable: 0, w1c: RW },
  { name: 'RX_ADDRH', address: R.RX_ADDRH, reset: 0x0000_ffff, writable: 0xffff },
  { name: 'RX_ADDRL', address: R.RX_ADDRL, reset: 0xffff_ffff, writable: RW },
  { name: 'MII_ACC', address: R.MII_ACC, reset: 0, writable: 0xffc2, sc: B.MII_ACC_MII_BUSY },
  { name: 'MII_DATA', address: R.MII_DATA, reset: 0, writable: 0xffff },
  { name: 'MAC_RGMII_ID', address: R.MAC_RGMII_ID, reset: 0, writable: RW },
  { name: 'EEE_TX_LPI_REQ_DLY', address: R.EEE_TX_LPI_REQ_DLY, reset: 0, writable: RW },
  { name: 'EEE_TW_TX_SYS', address: R.EEE_TW_TX_SYS, reset: 0, writable: RW },
  { name: 'EEE_TX_LPI_REM_DLY', address: R.EEE_TX_LPI_REM_DLY, reset: 0, writable: RW },
  { name: 'WUCSR', address: R.WUCSR, reset: 0, writable: RW },
  { name: 'WK_SRC', address: R.WK_SRC, reset: 0, writable: 0, w1c: RW },
  { name: 'WUCSR2', address: R.WUCSR2, reset: 0, writable: RW },
  { name: 'PHY_DEV_ID', address: R.PHY_DEV_ID, reset: 0, writable: 0 },
  { name: 'RGMII_TX_BYP_DLL', address: R.RGMII_TX_BYP_DLL, reset: 0, writable: RW },
  { name: 'RGMII_RX_BYP_DLL', address: R.RGMII_RX_BYP_DLL, reset: 0, writable: RW },
  { name: 'OTP_PWR_DN', address: R.OTP_PWR_DN, reset: B.OTP_PWR_DN_PWRDN_N, writable: B.OTP_PWR_DN_PWRDN_N },
  { name: 'OTP_ADDR1', address: R.OTP_ADDR1, reset: 0, writable: 0x1f },
  { name: 'OTP_ADDR2', address: R.OTP_ADDR2, reset: 0, writable: 0xff },
  { name: 'OTP_ADDR3', address: R.OTP_ADDR3, reset: 0, writable: 0x03 },
  { name: 'OTP_PRGM_DATA', address: R.OTP_PRGM_DATA, reset: 0, writable: 0xff },
  { name: 'OTP_PRGM_MODE', address: R.OTP_PRGM_MODE, reset: 0, writable: 0x01 },
  { name: 'OTP_RD_DATA', address: R.OTP_RD_DATA, reset: 0, writable: 0 },
  { name: 'OTP_FUNC_CMD', address: R.OTP_FUNC_CMD, reset: 0, writable: 0x07 },
  { name: 'OTP_TST_CMD', address: R.OTP_TST_CMD, reset: 0, writable: 0x1f },
  { name: 'OTP_CMD_GO', address: R.OTP_CMD_GO, reset: 0, writable: 0, sc: B.OTP_CMD_GO_GO },
  { name: 'OTP_PASS_FAIL', address: R.OTP_PASS_FAIL, reset: 0, writable: 0 },
  { name: 'OTP_STATUS', address: R.OTP_STATUS, reset: 0, writable: 0 },
  ...Array.from({ length: NUM_OF_MAF }, (_, i) => [
    { name: `MAF_HI(${i})`, address: mafHi(i), reset: 0, writable: 0xc000_ffff },
    { name: `MAF_LO(${i})`, address: mafLo(i), reset: 0, writable: RW },
  ]).flat(),
];

/** Bits whose value the chip computes from its state rather than stores. */
export interface Lan7801ComputedState {
  /** ID_REV: chip id and revision. */
  idRev(): number;
  /** FCT_RX_CTL.EMPTY: nothing waits in the receive FIFO. */
  rxFifoEmpty(): boolean;
}

/**
 * Named single-bit fields from B (`REG_FIELD` with the register's name as prefix), so dumps and traces name
 * the bits the driver uses; the other bits are declared as runs by access mode.
 */
function namedBits(regName: string): Map<number, string> {
  const out = new Map<number, string>();
  const prefixes = [regName, regName.replace(/_(RX|TX)_CTL$/, '_CTL')];
  for (const [key, mask] of Object.entries(B)) {
    const prefix = prefixes.find((p) => key.startsWith(`${p}_`));
    if (prefix === undefined || /_(MASK|SHIFT)$/.test(key)) continue;
    if (!Number.isInteger(mask) || mask <= 0 || (mask & (mask - 1)) !== 0) continue;
    out.set(Math.log2(mask), key.slice(prefix.length + 1));
  }
  return out;
}

type Access = 'rw' | 'w1c' | 'sc' | 'ro';

/** Declares every bit of a 32-bit register as a field: named bits alone, the rest in runs of one access mode. */
function declareBits(
  reg: Register,
  decl: RegisterDecl,
  computed: ReadonlyMap<number, [string, () => number]>,
): void {
  const names = namedBits(decl.name);
  const accessOf = (bit: number): Access => {
    const m = 1 << bit;
    if ((decl.sc ?? 0) & m) return 'sc';
    if ((decl.w1c ?? 0) & m) return 'w1c';
    if (decl.writable & m) return 'rw';
    return 'ro';
  };
  for (let bit = 0; bit < 32;) {
    const c = computed.get(bit);
    if (c) {
      const [name, value] = c;
      reg.flag(bit, name, 'ro', { value });
      bit++;
      continue;
    }
    const name = names.get(bit);
    const access = accessOf(bit);
    if (name !== undefined) {
      reg.flag(bit, name, access);
      bit++;
      continue;
    }
    let end = bit + 1;
    while (end < 32 && !names.has(end) && !computed.has(end) && accessOf(end) === access) end++;
    reg.field(bit, end - bit, `BITS_${end - 1}_${bit}`, access);
    bit = end;
  }
}

/**
 * The register file as a map: byte addresses, 32-bit little-endian registers (vendor requests carry them LE),
 * reset values on the registers. Computed bits: ID_REV; MAC_RX.RXD and MAC_TX.TXD report a stopped receiver or
 * transmitter (lan78xx_stop_hw polls them after clearing the enable); FCT_*_CTL.DIS follows EN, and EMPTY
 * reports an empty FIFO (the TX FIFO always is: frames leave as they come).
 */
export function defineLan7801Registers(
  clock: Clock,
  emit: RegisterEventSink | undefined,
  state: Lan7801ComputedState,
): RegisterMap {
  const map = new RegisterMap({
    name: 'lan7801',
    clock,
    addressing: 'byte',
    width: 32,
    endian: 'little',
    ...(emit ? { emit } : {}),
  });
  const stored = (address: number) => (): number => map.get(address).stored;
  const not = (address: number, bit: number) => (): number => ((stored(address)() & bit) !== 0 ? 0 : 1);
  const bitOf = (mask: number): number => Math.log2(mask);
  const computed = new Map<number, Map<number, [string, () => number]>>([
    [R.MAC_RX, new Map([[bitOf(B.MAC_RX_RXD), ['RXD', not(R.MAC_RX, B.MAC_RX_RXEN)]]])],
    [R.MAC_TX, new Map([[bitOf(B.MAC_TX_TXD), ['TXD', not(R.MAC_TX, B.MAC_TX_TXEN)]]])],
    [
      R.FCT_RX_CTL,
      new Map([
        [bitOf(B.FCT_CTL_DIS), ['DIS', not(R.FCT_RX_CTL, B.FCT_CTL_EN)]],
        [bitOf(B.FCT_CTL_EMPTY), ['EMPTY', () => (state.rxFifoEmpty() ? 1 : 0)]],
      ]),
    ],
    [
      R.FCT_TX_CTL,
      new Map([
        [bitOf(B.FCT_CTL_DIS), ['DIS', not(R.FCT_TX_CTL, B.FCT_CTL_EN)]],
        [bitOf(B.FCT_CTL_EMPTY), ['EMPTY', () => 1]],
      ]),
    ],
  ]);
  for (const decl of REGISTERS) {
    const reg = map.define(decl.address, decl.name, decl.reset);
    if (decl.address === R.ID_REV) reg.field(0, 32, 'ID_REV', 'ro', { value: () => state.idRev() });
    else declareBits(reg, decl, computed.get(decl.address) ?? new Map());
  }
  return map;
}
