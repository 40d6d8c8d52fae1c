/**
 * TPS23881 register addresses and bits, named as drivers/net/pse-pd/tps23881.c names them (TPS23881_REG_*)
 * with the datasheet layout the driver relies on. The chip is two 4-channel quads; every 8-bit register
 * below exists once per quad. In "configuration B" (GEN_MASK.NBITACC = 1) an SMBus word access at the
 * base address carries quad 0 in the low byte and quad 1 in the high byte; the driver's tps23881_calc_val()
 * and tps23881_set_val() ("if (chan >= 4) reg_val >>= 8") depend on exactly that.
 */
export const REG = {
  IT: 0x00,
  IT_MASK: 0x01,
  POWER_EVENT: 0x02,
  POWER_EVENT_COR: 0x03,
  DET_EVENT: 0x04,
  DET_EVENT_COR: 0x05,
  FAULT: 0x06,
  FAULT_COR: 0x07,
  START_EVENT: 0x08,
  START_EVENT_COR: 0x09,
  SUPF_EVENT: 0x0a,
  SUPF_EVENT_COR: 0x0b,
  /** 0x0c-0x0f: CHANNEL n DISCOVERY, class result in bits 7:4, detection result in bits 3:0. */
  DISC: 0x0c,
  PW_STATUS: 0x10,
  PIN_STATUS: 0x11,
  OP_MODE: 0x12,
  DISC_EN: 0x13,
  DET_CLA_EN: 0x14,
  GEN_MASK: 0x17,
  DET_CLA_RESTART: 0x18,
  PW_EN: 0x19,
  RESET: 0x1a,
  /** 0x1e-0x21: 2-pair policing per channel, 0.5 W per LSB (TPS23881_MW_STEP). */
  TWO_PAIR_POL1: 0x1e,
  PORT_MAP: 0x26,
  PORT_POWER: 0x29,
  /** 0x2a-0x2b: 4-pair policing for channels 1-2 and 3-4. */
  FOUR_PAIR_POL1: 0x2a,
  TEMPERATURE: 0x2c,
  INPUT_V: 0x2e,
  /** 0x30-0x3f: per channel current (n*4) and voltage (n*4 + 2), 16-bit. */
  CHAN1_A: 0x30,
  CHAN1_V: 0x32,
  FOLDBACK: 0x40,
  FWREV: 0x41,
  DEVID: 0x43,
  /** 0x4c-0x4f: CHANNEL n assigned class (7:4) and requested class (3:0). */
  CHAN1_CLASS: 0x4c,
  SRAM_CTRL: 0x60,
  SRAM_DATA: 0x61,
  SRAM_START_LO: 0x62,
  SRAM_START_HI: 0x63,
} as const;

/** Interrupt register bits (same layout in IT_MASK). */
export const IT = {
  PEC: 1 << 0,
  PGC: 1 << 1,
  DISF: 1 << 2,
  DETC: 1 << 3,
  CLASC: 1 << 4,
  IFAULT: 1 << 5,
  STRTF: 1 << 6,
  SUPF: 1 << 7,
} as const;

export const GEN_MASK = {
  CLCHE: 1 << 2,
  DECHE: 1 << 3,
  NBITACC: 1 << 5,
  INTEN: 1 << 7,
} as const;

export const RESET_BITS = {
  /** Clear all interrupts. */
  CLRAIN: 1 << 7,
} as const;

export const SUPF_BITS = {
  /** Thermal shutdown. */
  TSD: 1 << 7,
} as const;

/** OPERATING MODE, two bits per channel. */
export const OpMode = { OFF: 0, MANUAL: 1, SEMI_AUTO: 2, AUTO: 3 } as const;

/** Detection result codes in DISC bits 3:0. */
export const Detect = { UNKNOWN: 0x0, SHORT: 0x1, LOW: 0x3, VALID: 0x4, HIGH: 0x5, OPEN: 0x6 } as const;

/**
 * Class result codes in DISC bits 7:4. The mapping follows the driver's tps23881_power_class_table
 * (index = code): 1-4 are classes 1-4 (4, 7, 15.5, 30 W), 6 is class 0 (15.5 W), 7 is overcurrent
 * (-ERANGE), 8-11 are classes 5-8 on a 4-pair port (45, 60, 75, 90 W), 0 is unknown.
 */
export const ClassCode = { UNKNOWN: 0x0, CLASS0: 0x6, OVERCURRENT: 0x7 } as const;

export function classCodeFor(pdClass: number, fourPair: boolean): number {
  if (pdClass === 0) return ClassCode.CLASS0;
  if (pdClass <= 4) return pdClass;
  // A class 5-8 PD on a 2-pair port is served as class 4 (802.3bt 145.2.8 demotion).
  return fourPair ? 8 + (pdClass - 5) : 4;
}

/** Reset values the model assumes where the driver does not pin them (datasheet power-on defaults). */
export const RESET_VALUES: ReadonlyMap<number, number> = new Map([
  [REG.GEN_MASK, GEN_MASK.INTEN],
  [REG.TWO_PAIR_POL1, 0xff],
  [REG.TWO_PAIR_POL1 + 1, 0xff],
  [REG.TWO_PAIR_POL1 + 2, 0xff],
  [REG.TWO_PAIR_POL1 + 3, 0xff],
  // Identity port map: logical channel n on physical channel n (2 bits each).
  [REG.PORT_MAP, 0xe4],
  [REG.FOUR_PAIR_POL1, 0xff],
  [REG.FOUR_PAIR_POL1 + 1, 0xff],
]);

/** tps23881.c TPS23881_UV_STEP (uV per LSB of INPUT_V and channel voltage) and TPS23881_NA_STEP (nA per LSB). */
export const UV_STEP = 3662;
export const NA_STEP = 89_500;
export const MW_STEP = 500;
