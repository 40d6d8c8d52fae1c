import type { Clock } from '../clock.js';
import { RegisterMap, type RegisterEventSink } from '../regs/index.js';

/**
 * TPS23881 register addresses and bits, named as drivers/net/pse-pd/tps23881.c (Linux 7.2) names them
 * (TPS23881_REG_*) with the datasheet layout (TI SLVSF02, "Complete Register Set") the driver relies on. The
 * chip is two 4-channel quads; every 8-bit register exists once per quad. In "configuration B" (GEN_MASK.NBITACC
 * = 1) an SMBus word access at an address carries quad 0 in the low byte and quad 1 in the high byte
 * (src/regs word access `banked`), which the driver's tps23881_calc_val()/tps23881_set_val() rely on.
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
  /** 0x0c-0x0f: CHANNEL n DISCOVERY, requested class in bits 7:4, detection result in bits 3:0. */
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
  /** 0x30-0x3f: per channel current (0x30 + 4n) and voltage (0x32 + 4n), 16-bit. */
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

/**
 * GENERAL MASK. The datasheet puts DECHE at bit 2 and CLCHE at bit 3; tps23881.c names them the other way
 * round (TPS23881_REG_CLCHE BIT(2), TPS23881_REG_DECHE BIT(3)) but always sets both, so the swap is harmless.
 */
export const GEN_MASK = {
  DECHE: 1 << 2,
  CLCHE: 1 << 3,
  MBITPRTY: 1 << 4,
  NBITACC: 1 << 5,
  INTEN: 1 << 7,
} as const;

export const RESET_BITS = {
  /** Clear all interrupts: every event register of both quads. */
  CLRAIN: 1 << 7,
} as const;

/** SUPPLY and FAULT EVENT bits. */
export const SUPF_BITS = {
  RAMFLT: 1 << 0,
  VPUV: 1 << 4,
  VDWRN: 1 << 5,
  VDUV: 1 << 6,
  /** Thermal shutdown (TPS23881_REG_TSD). */
  TSD: 1 << 7,
} as const;

/** OPERATING MODE, two bits per channel. */
export const OpMode = { OFF: 0, MANUAL: 1, SEMI_AUTO: 2, AUTO: 3 } as const;

/** Detection result codes in DISC bits 3:0. */
export const Detect = { UNKNOWN: 0x0, SHORT: 0x1, LOW: 0x3, VALID: 0x4, HIGH: 0x5, OPEN: 0x6 } as const;

/**
 * Requested-class codes in DISC bits 7:4, as the driver's tps23881_power_class_table reads them (index = code):
 * 1-4 classes 1-4, 6 class 0, 7 overcurrent during classification (-ERANGE), 8-11 classes 5-8 of a
 * single-signature PD on a 4-pair port, 12 class 4+ limited to Type 1, 13 class 5 of a dual-signature pairset,
 * 15 class mismatch, 0 unknown.
 */
export const ClassCode = {
  UNKNOWN: 0x0,
  CLASS0: 0x6,
  OVERCURRENT: 0x7,
  SS_CLASS5: 0x8,
  DS_CLASS5: 0xd,
  MISMATCH: 0xf,
} as const;

/** tps23881.c TPS23881_UV_STEP (uV per LSB of INPUT_V and channel voltage) and TPS23881_NA_STEP (nA per LSB). */
export const UV_STEP = 3662;
export const NA_STEP = 89_500;
export const MW_STEP = 500;

/**
 * What the register map asks of the model: computed status, and the actions behind command registers. The
 * register layer stores configuration and events; the port state machine lives in tps23881.ts.
 */
export interface QuadHooks {
  /** DISC bits for logical channel l (0-3) of this quad. */
  discovery(l: number): number;
  /** ASSIGNED (7:4) / REQUESTED (3:0) class byte for logical channel l. */
  classes(l: number): number;
  /** POWER STATUS: PE bits 3:0, PG bits 7:4. */
  powerStatus(): number;
  inputMicrovolts(): number;
  /** Channel current and voltage in register LSBs (14 bits). */
  channelCurrent(l: number): number;
  channelVoltage(l: number): number;
  firmwareRevision(): number;
  deviceId(): number;
  /** PIN STATUS SLA[4:0]: the address pins. */
  addressPins(): number;
  /** Command registers, after the write. */
  powerButtons(value: number): void;
  resetCommand(value: number): void;
  restart(value: number): void;
  portMapChanged(): void;
  /** 4P POLICE of logical channels 1-2 (pair 0) or 3-4 (pair 1) written. */
  fourPairPolicing(pair: 0 | 1): void;
  sramControl(value: number): void;
  sramData(value: number): void;
}

const CHANNELS = [1, 2, 3, 4] as const;

/**
 * One quad's register file, byte-addressed, as data. Event registers come in pairs: the odd address holds the
 * events and clears on read (CoR), the even address shows the same bits without clearing them. INTERRUPT is
 * computed from the events (datasheet "INTERRUPT Register": IFAULT = any PCUT or ILIM, STRTF = any START fault).
 */
export function defineQuad(
  quad: 0 | 1,
  hooks: QuadHooks,
  clock: Clock,
  emit: RegisterEventSink | undefined,
): RegisterMap {
  const map = new RegisterMap({
    name: `tps23881.quad${quad}`,
    clock,
    addressing: 'byte',
    width: 8,
    ...(emit ? { emit } : {}),
  });
  const ev = (reg: number): number => map.get(reg).peek();

  // INTERRUPTS
  const itBit = (name: keyof typeof IT, bit: number, value: () => boolean) =>
    ({ name, bit, value: () => (value() ? 1 : 0) }) as const;
  const it = map.define(REG.IT, 'INTERRUPT', 0);
  for (const f of [
    itBit('PEC', 0, () => (ev(REG.POWER_EVENT_COR) & 0x0f) !== 0),
    itBit('PGC', 1, () => (ev(REG.POWER_EVENT_COR) & 0xf0) !== 0),
    itBit('DISF', 2, () => (ev(REG.FAULT_COR) & 0xf0) !== 0),
    itBit('DETC', 3, () => (ev(REG.DET_EVENT_COR) & 0x0f) !== 0),
    itBit('CLASC', 4, () => (ev(REG.DET_EVENT_COR) & 0xf0) !== 0),
    itBit('IFAULT', 5, () => (ev(REG.FAULT_COR) & 0x0f) !== 0 || (ev(REG.START_EVENT_COR) & 0xf0) !== 0),
    itBit('STRTF', 6, () => (ev(REG.START_EVENT_COR) & 0x0f) !== 0),
    itBit('SUPF', 7, () => ev(REG.SUPF_EVENT_COR) !== 0),
  ])
    it.flag(f.bit, f.name, 'ro', { value: f.value });
  const itMask = map.define(REG.IT_MASK, 'INTERRUPT_MASK', 0x80);
  for (const [name, bit] of Object.entries(IT)) itMask.flag(Math.log2(bit), `${name}_MSK`, 'rw');

  // EVENTS: the CoR register is the storage, the RO twin reads it without clearing.
  const eventPair = (ro: number, name: string, reset: number, low: string, high: string) => {
    const cor = map.define(ro + 1, `${name}_COR`, reset);
    const twin = map.define(ro, name, 0);
    for (const c of CHANNELS) {
      cor.flag(c - 1, `${low}${c}`, 'cor');
      cor.flag(c + 3, `${high}${c}`, 'cor');
    }
    twin.field(0, 8, name, 'ro', { value: () => cor.peek() });
  };
  eventPair(REG.POWER_EVENT, 'POWER_EVENT', 0, 'PEC', 'PGC');
  eventPair(REG.DET_EVENT, 'DETECTION_EVENT', 0, 'DETC', 'CLSC');
  eventPair(REG.FAULT, 'FAULT_EVENT', 0, 'PCUT', 'DISF');
  eventPair(REG.START_EVENT, 'START_ILIM_EVENT', 0, 'STRT', 'ILIM');
  // SUPPLY/FAULT EVENT resets to VPUV | VDWRN | VDUV: the supplies were just below their thresholds at POR.
  const supf = map.define(REG.SUPF_EVENT_COR, 'SUPPLY_FAULT_EVENT_COR', 0x70);
  for (const [name, bit] of [
    ['RAMFLT', 0],
    ['OSSE', 1],
    ['PCUT12', 2],
    ['PCUT34', 3],
    ['VPUV', 4],
    ['VDWRN', 5],
    ['VDUV', 6],
    ['TSD', 7],
  ] as const)
    supf.flag(bit, name, 'cor');
  map
    .define(REG.SUPF_EVENT, 'SUPPLY_FAULT_EVENT', 0)
    .field(0, 8, 'SUPPLY_FAULT_EVENT', 'ro', { value: () => supf.peek() });

  // STATUS
  for (let l = 0; l < 4; l++) {
    map
      .define(REG.DISC + l, `CHANNEL_${l + 1}_DISCOVERY`, 0)
      .field(0, 4, 'DETECT', 'ro', { value: () => hooks.discovery(l) & 0xf })
      .field(4, 4, 'CLASS', 'ro', { value: () => hooks.discovery(l) >> 4 });
  }
  const pw = map.define(REG.PW_STATUS, 'POWER_STATUS', 0);
  for (const c of CHANNELS) {
    pw.flag(c - 1, `PE${c}`, 'ro', { value: () => (hooks.powerStatus() >> (c - 1)) & 1 });
    pw.flag(c + 3, `PG${c}`, 'ro', { value: () => (hooks.powerStatus() >> (c + 3)) & 1 });
  }
  map
    .define(REG.PIN_STATUS, 'PIN_STATUS', 0)
    .reserved(0, 2)
    .field(2, 5, 'SLA', 'ro', { value: () => hooks.addressPins() })
    .reserved(7, 1);

  // CONFIGURATION
  const opMode = map.define(REG.OP_MODE, 'OPERATING_MODE', 0);
  for (const c of CHANNELS) opMode.field(2 * (c - 1), 2, `C${c}M`, 'rw');
  const disc = map.define(REG.DISC_EN, 'DISCONNECT_ENABLE', 0);
  for (const c of CHANNELS) disc.flag(c - 1, `DCDE${c}`, 'rw');
  disc.reserved(4, 4);
  const detCla = map.define(REG.DET_CLA_EN, 'DETECT_CLASS_ENABLE', 0);
  for (const c of CHANNELS) detCla.flag(c - 1, `DETE${c}`, 'rw');
  for (const c of CHANNELS) detCla.flag(c + 3, `CLE${c}`, 'rw');
  map
    .define(REG.GEN_MASK, 'GENERAL_MASK', 0x80)
    .reserved(0, 2)
    .flag(2, 'DECHE', 'rw')
    .flag(3, 'CLCHE', 'rw')
    .tagged(4, 1, 'MBITPRTY')
    .flag(5, 'NBITACC', 'rw')
    .reserved(6, 1)
    .flag(7, 'INTEN', 'rw');

  // PUSH BUTTONS: write-only commands that read back 0.
  const restart = map.define(REG.DET_CLA_RESTART, 'DETECT_CLASS_RESTART', 0);
  for (const c of CHANNELS) restart.flag(c - 1, `RDET${c}`, 'sc');
  for (const c of CHANNELS) restart.flag(c + 3, `RCL${c}`, 'sc');
  restart.onWrite((v) => hooks.restart(v));
  const pwEn = map.define(REG.PW_EN, 'POWER_ENABLE', 0);
  for (const c of CHANNELS) pwEn.flag(c - 1, `PWON${c}`, 'sc');
  for (const c of CHANNELS) pwEn.flag(c + 3, `PWOFF${c}`, 'sc');
  pwEn.onWrite((v) => hooks.powerButtons(v));
  const reset = map.define(REG.RESET, 'RESET', 0);
  for (const c of CHANNELS) reset.flag(c - 1, `RESP${c}`, 'sc');
  reset.field(4, 3, 'RESET_6_4', 'tagged').flag(7, 'CLRAIN', 'sc');
  reset.onWrite((v) => hooks.resetCommand(v));
  // 0x1d is written by TI's SRAM load procedure (tps23881_fw_*_conf); its function is not documented.
  map.define(0x1d, 'SRAM_LOAD_1D', 0).tagged(0, 8, 'SRAM_LOAD_1D');

  // POWER AND POLICING
  for (let l = 0; l < 4; l++)
    map.define(REG.TWO_PAIR_POL1 + l, `2P_POLICE_${l + 1}`, 0xff).field(0, 8, 'POL', 'rw');
  const portMap = map.define(REG.PORT_MAP, 'PORT_REMAPPING', 0xe4);
  for (const c of CHANNELS) portMap.field(2 * (c - 1), 2, `L${c}`, 'rw');
  portMap.onWrite((v, previous) => {
    if (v !== previous) hooks.portMapChanged();
  });
  map.define(REG.PORT_POWER, 'PORT_POWER_ALLOCATION', 0).field(0, 4, 'MC12', 'rw').field(4, 4, 'MC34', 'rw');
  for (const pair of [0, 1] as const)
    map
      .define(REG.FOUR_PAIR_POL1 + pair, pair === 0 ? '4P_POLICE_12' : '4P_POLICE_34', 0xff)
      .field(0, 8, 'POL', 'rw')
      .onWrite(() => hooks.fourPairPolicing(pair));

  // MEASUREMENTS: 16-bit, 14 significant bits.
  map.define(REG.TEMPERATURE, 'TEMPERATURE', 0).field(0, 8, 'TEMP', 'ro');
  map.define(REG.TEMPERATURE + 1, 'TEMPERATURE_1', 0).reserved(0, 8);
  map
    .define(REG.INPUT_V, 'INPUT_VOLTAGE', 0, { width: 16 })
    .field(0, 14, 'V', 'ro', { value: () => hooks.inputMicrovolts() })
    .reserved(14, 2);
  for (let l = 0; l < 4; l++) {
    map
      .define(REG.CHAN1_A + 4 * l, `CHANNEL_${l + 1}_CURRENT`, 0, { width: 16 })
      .field(0, 14, 'I', 'ro', { value: () => hooks.channelCurrent(l) })
      .reserved(14, 2);
    map
      .define(REG.CHAN1_V + 4 * l, `CHANNEL_${l + 1}_VOLTAGE`, 0, { width: 16 })
      .field(0, 14, 'V', 'ro', { value: () => hooks.channelVoltage(l) })
      .reserved(14, 2);
  }

  // FOLDBACK: bits 3:0 take policing out of the chip's hands per channel (tps23881_pi_enable_manual_pol).
  const foldback = map.define(REG.FOLDBACK, 'FOLDBACK', 0);
  for (const c of CHANNELS) foldback.flag(c - 1, `TPON${c}`, 'rw');
  foldback.tagged(4, 4, 'FOLDBACK_7_4');
  map
    .define(REG.FWREV, 'FIRMWARE_REVISION', 0)
    .field(0, 8, 'FWREV', 'ro', { value: () => hooks.firmwareRevision() });
  map
    .define(REG.DEVID, 'DEVICE_ID', 0)
    .field(0, 4, 'SR', 'ro', { value: () => hooks.deviceId() & 0xf })
    .field(4, 4, 'DEVID', 'ro', { value: () => hooks.deviceId() >> 4 });
  for (let l = 0; l < 4; l++) {
    map
      .define(REG.CHAN1_CLASS + l, `CHANNEL_${l + 1}_CLASS`, 0)
      .field(0, 4, 'REQUESTED', 'ro', { value: () => hooks.classes(l) & 0xf })
      .field(4, 4, 'ASSIGNED', 'ro', { value: () => hooks.classes(l) >> 4 });
  }

  // SRAM download (tps23881_flash_sram_fw and TI's "How to Load TPS2388x SRAM and Parity Code over I2C").
  map
    .define(REG.SRAM_CTRL, 'SRAM_CONTROL', 0)
    .field(0, 8, 'CTRL', 'rw')
    .onWrite((v) => hooks.sramControl(v));
  map
    .define(REG.SRAM_DATA, 'SRAM_DATA', 0)
    .field(0, 8, 'DATA', 'rw')
    .onWrite((v) => hooks.sramData(v));
  map.define(REG.SRAM_START_LO, 'SRAM_START_ADDRESS_LSB', 0).field(0, 8, 'ADDR', 'rw');
  map.define(REG.SRAM_START_HI, 'SRAM_START_ADDRESS_MSB', 0).field(0, 8, 'ADDR', 'rw');
  for (const a of [0x90, 0x91, 0xd7]) {
    const name = `SRAM_LOAD_${a.toString(16).toUpperCase()}`;
    map.define(a, name, 0).tagged(0, 8, name);
  }
  return map;
}
