import type { I2cDevice } from '../i2c/bus.js';
import { byteAt } from '../i2c/bytes.js';
import type { PoweredDevice } from './powered-device.js';
import { CLASS_POWER_MW } from './powered-device.js';
import {
  ClassCode,
  Detect,
  GEN_MASK,
  IT,
  MW_STEP,
  NA_STEP,
  OpMode,
  REG,
  RESET_BITS,
  RESET_VALUES,
  SUPF_BITS,
  UV_STEP,
  classCodeFor,
} from './tps23881-regs.js';

/**
 * TI TPS23881 8-channel PoE PSE controller at register level, as an I2C device. Built from what
 * drivers/net/pse-pd/tps23881.c reads and writes: probe (DEVID, SRAM/parity download through 0x60-0x63,
 * FWREV, GEN_MASK.NBITACC), port matrix (PORT_MAP, PORT_POWER), semi-auto operation (OP_MODE, DISC_EN,
 * DET_CLA_EN, PW_EN pushbuttons), status (PW_STATUS, DISC, class, measurements, policing) and the
 * interrupt path (IT, IT_MASK, clear-on-read event registers, RESET.CLRAIN).
 *
 * Detection, classification and power-up complete at once when their inputs change; the chip's
 * millisecond timings are not modelled.
 */

export type Tps23881Variant = 'tps23881' | 'tps23881b';

export type FirmwareState = 'rom' | 'loading-parity' | 'loading-sram' | 'sram' | 'safe-mode';

export interface Tps23881Options {
  variant?: Tps23881Variant;
  /** FWREV while the ROM firmware runs; the newest driver prints "(ROM firmware)" for 0x00. */
  romFirmwareRevision?: number;
  /** FWREV once a downloaded SRAM image runs (tps23881-sram-14.bin: 14). */
  sramFirmwareRevision?: number;
  /** Whether a downloaded parity + SRAM image pair is good; a bad one leaves the chip in safe mode (FWREV 0xff). */
  acceptFirmware?: (parity: Uint8Array, sram: Uint8Array) => boolean;
  /** VPWR supply in microvolts. */
  vpwrMicrovolts?: number;
  /** Called with the INT pin level whenever it changes (true = asserted). */
  onInterrupt?: (asserted: boolean) => void;
  /** Presence (lifecycle): while false the chip NACKs its address. */
  isPresent?: () => boolean;
  /** Accesses to registers the model keeps only as storage. */
  onUnmodelled?: (reg: number, write: boolean, value: number) => void;
}

interface ChannelState {
  pd: PoweredDevice | undefined;
  /** How many physical channels share this PD (2 for a 4-pair port). */
  pdChannels: number;
  detect: number;
  classCode: number;
  requestedClass: number;
  assignedClass: number;
  powered: boolean;
  pwonPending: boolean;
}

/** Registers held as plain storage per quad; the others are computed or are actions. */
const STORED = new Set<number>([
  REG.IT_MASK,
  REG.OP_MODE,
  REG.DISC_EN,
  REG.DET_CLA_EN,
  REG.GEN_MASK,
  REG.TWO_PAIR_POL1,
  REG.TWO_PAIR_POL1 + 1,
  REG.TWO_PAIR_POL1 + 2,
  REG.TWO_PAIR_POL1 + 3,
  REG.PORT_MAP,
  REG.PORT_POWER,
  REG.FOUR_PAIR_POL1,
  REG.FOUR_PAIR_POL1 + 1,
  REG.FOLDBACK,
]);

const EVENT_PAIRS: ReadonlyMap<number, number> = new Map([
  [REG.POWER_EVENT_COR, REG.POWER_EVENT],
  [REG.DET_EVENT_COR, REG.DET_EVENT],
  [REG.FAULT_COR, REG.FAULT],
  [REG.START_EVENT_COR, REG.START_EVENT],
  [REG.SUPF_EVENT_COR, REG.SUPF_EVENT],
]);

export class Tps23881 implements I2cDevice {
  readonly variant: Tps23881Variant;
  readonly deviceId: number;
  private readonly regs = [new Uint8Array(256), new Uint8Array(256)] as const;
  private readonly channels: ChannelState[] = [];
  private pointer = 0;
  private firmware: FirmwareState = 'rom';
  private parityImage: number[] = [];
  private sramImage: number[] = [];
  private interruptLevel = false;
  private readonly opts: Tps23881Options;
  vpwrMicrovolts: number;

  constructor(options: Tps23881Options = {}) {
    this.opts = options;
    this.variant = options.variant ?? 'tps23881';
    // Device ID register: 0x22 for TPS23881, 0x24 for TPS23881B (tps23881_info[].dev_id).
    this.deviceId = this.variant === 'tps23881' ? 0x22 : 0x24;
    this.vpwrMicrovolts = options.vpwrMicrovolts ?? 54_000_000;
    for (let i = 0; i < 8; i++) this.channels.push(emptyChannel());
    this.reset();
  }

  /** Power-on reset: registers to their defaults, every port off, ROM firmware. */
  reset(): void {
    for (const q of this.regs) {
      q.fill(0);
      for (const [reg, value] of RESET_VALUES) q[reg] = value;
    }
    for (const [i, ch] of this.channels.entries())
      this.channels[i] = { ...emptyChannel(), pd: ch.pd, pdChannels: ch.pdChannels };
    this.firmware = 'rom';
    this.parityImage = [];
    this.sramImage = [];
    this.updateInterrupt();
  }

  // ---- I2C device -------------------------------------------------------------------------------

  isPresent(): boolean {
    return this.opts.isPresent?.() ?? true;
  }

  write(bytes: Uint8Array): void {
    const pointer = bytes[0];
    if (pointer === undefined) return;
    this.pointer = pointer;
    const data = bytes.subarray(1);
    if (data.length === 2 && this.sixteenBit()) {
      // Configuration B word write: low byte to quad 0, high byte to quad 1.
      this.writeReg(0, this.pointer, byteAt(data, 0));
      this.writeReg(1, this.pointer, byteAt(data, 1));
    } else {
      for (const [i, b] of data.entries()) this.writeReg(0, (this.pointer + i) & 0xff, b);
    }
    this.evaluate();
  }

  read(length: number): Uint8Array {
    const out = new Uint8Array(length);
    if (length === 2 && this.sixteenBit()) {
      const reg = this.pointer;
      if (isMeasurement(reg)) {
        // 16-bit measurements: even address = quad 0 value, odd address = quad 1 value of the same channel,
        // as tps23881_pi_get_chan_current() addresses them (0x30 + (chan % 4) * 4 + (chan >= 4)).
        const value = this.measurement(reg & ~1, reg & 1);
        out[0] = value & 0xff;
        out[1] = value >> 8;
      } else {
        out[0] = this.readReg(0, reg);
        out[1] = this.readReg(1, reg);
      }
    } else {
      for (let i = 0; i < length; i++) out[i] = this.readReg(0, (this.pointer + i) & 0xff);
      this.pointer = (this.pointer + length) & 0xff;
    }
    this.updateInterrupt();
    return out;
  }

  // ---- test and scenario controls ---------------------------------------------------------------

  /** Connects a PD to physical channels (two for a 4-pair port). */
  attachPd(physicalChannels: number | readonly number[], device: PoweredDevice): void {
    const list = typeof physicalChannels === 'number' ? [physicalChannels] : physicalChannels;
    for (const c of list) {
      const ch = this.channel(c);
      ch.pd = device;
      ch.pdChannels = list.length;
    }
    this.evaluate();
  }

  removePd(physicalChannels: number | readonly number[]): void {
    const list = typeof physicalChannels === 'number' ? [physicalChannels] : physicalChannels;
    for (const c of list) {
      const ch = this.channel(c);
      ch.pd = undefined;
      ch.pdChannels = 1;
    }
    this.evaluate();
  }

  /** Changes a powered PD's load; above the channel's policing limit the chip cuts power (PCUT fault). */
  setLoad(physicalChannel: number, loadMw: number): void {
    const ch = this.channel(physicalChannel);
    if (ch.pd) ch.pd = { ...ch.pd, loadMw };
    this.evaluate();
  }

  /** Thermal shutdown: all ports off and SUPF_EVENT.TSD set in both quads. */
  overTemperature(): void {
    for (const [p, ch] of this.channels.entries()) if (ch.powered) this.powerOff(p);
    for (const quad of [0, 1] as const) this.setEvent(quad, REG.SUPF_EVENT, SUPF_BITS.TSD);
    this.updateInterrupt();
  }

  get interruptAsserted(): boolean {
    return this.interruptLevel;
  }

  get firmwareState(): FirmwareState {
    return this.firmware;
  }

  /** Bytes downloaded through SRAM_DATA into the parity and SRAM areas. */
  get downloaded(): { parity: number; sram: number } {
    return { parity: this.parityImage.length, sram: this.sramImage.length };
  }

  /** Physical channel state, for assertions and for the ethtool-like view. */
  channelState(physicalChannel: number): Readonly<ChannelState> {
    return { ...this.channel(physicalChannel) };
  }

  // ---- registers ----------------------------------------------------------------------------------

  /** Register byte of a quad; every address is masked to 8 bits before it gets here. */
  private regByte(quad: 0 | 1, reg: number): number {
    return byteAt(this.regs[quad], reg);
  }

  private sixteenBit(): boolean {
    return (this.regByte(0, REG.GEN_MASK) & GEN_MASK.NBITACC) !== 0;
  }

  private writeReg(quad: 0 | 1, reg: number, value: number): void {
    const q = this.regs[quad];
    if (STORED.has(reg)) {
      const previousMap = this.regByte(quad, REG.PORT_MAP);
      q[reg] = value;
      if (reg === REG.PORT_MAP && previousMap !== value) this.remapChannels(quad);
      return;
    }
    switch (reg) {
      case REG.PW_EN:
        return this.pushPowerButtons(quad, value);
      case REG.RESET:
        return this.resetCommand(quad, value);
      case REG.DET_CLA_RESTART:
        // Restart detection/classification: forget results so the next evaluation reports them afresh.
        for (let l = 0; l < 4; l++) {
          if (value & (0x11 << l)) {
            const ch = this.channel(this.physical(quad, l));
            if (!ch.powered) ch.detect = ch.classCode = Detect.UNKNOWN;
          }
        }
        return;
      case REG.SRAM_CTRL:
        if (quad === 0) this.sramControl(value);
        return;
      case REG.SRAM_DATA:
        if (quad === 0) this.sramData(value);
        return;
      default:
        // Read-only, computed, and registers only the SRAM download touches (0x1d, 0x62, 0x63, 0x90, 0x91, 0xd7).
        if (!isComputed(reg)) {
          q[reg] = value;
          this.opts.onUnmodelled?.(reg, true, value);
        }
    }
  }

  private readReg(quad: 0 | 1, reg: number): number {
    const q = this.regs[quad];
    const cor = EVENT_PAIRS.get(reg);
    if (cor !== undefined) {
      const v = this.regByte(quad, cor);
      q[cor] = 0;
      return v;
    }
    if (reg >= REG.DISC && reg < REG.DISC + 4) {
      const ch = this.channel(this.physical(quad, reg - REG.DISC));
      return (ch.classCode << 4) | ch.detect;
    }
    if (reg >= REG.CHAN1_CLASS && reg < REG.CHAN1_CLASS + 4) {
      const ch = this.channel(this.physical(quad, reg - REG.CHAN1_CLASS));
      return (ch.assignedClass << 4) | ch.requestedClass;
    }
    if (isMeasurement(reg)) {
      const v = this.measurement(reg & ~1, quad);
      return reg & 1 ? v >> 8 : v & 0xff;
    }
    switch (reg) {
      case REG.IT:
        return this.interruptStatus(quad);
      case REG.PW_STATUS: {
        let v = 0;
        for (let l = 0; l < 4; l++) {
          const ch = this.channel(this.physical(quad, l));
          if (ch.powered) v |= (1 << l) | (1 << (l + 4));
        }
        return v;
      }
      case REG.PW_EN:
      case REG.RESET:
      case REG.DET_CLA_RESTART:
        return 0; // write-only command registers read back as 0
      case REG.FWREV:
        return this.firmwareRevision();
      case REG.DEVID:
        return this.deviceId;
      default:
        if (!STORED.has(reg)) this.opts.onUnmodelled?.(reg, false, this.regByte(quad, reg));
        return this.regByte(quad, reg);
    }
  }

  private firmwareRevision(): number {
    switch (this.firmware) {
      case 'sram':
        return this.opts.sramFirmwareRevision ?? 14;
      case 'safe-mode':
        return 0xff;
      default:
        return this.opts.romFirmwareRevision ?? 0x00;
    }
  }

  /**
   * SRAM_CTRL sequence from the driver's tps23881_fw_parity_conf / tps23881_fw_sram_conf: 0x01 then 0xc4
   * opens the parity area, 0xc5 then 0xc0 the SRAM area, bytes stream into SRAM_DATA, 0x18 starts the code.
   */
  private sramControl(value: number): void {
    this.regs[0][REG.SRAM_CTRL] = value;
    switch (value) {
      case 0xc4:
        this.firmware = 'loading-parity';
        this.parityImage = [];
        break;
      case 0xc0:
        this.firmware = 'loading-sram';
        this.sramImage = [];
        break;
      case 0x18: {
        const parity = Uint8Array.from(this.parityImage);
        const sram = Uint8Array.from(this.sramImage);
        const ok = this.opts.acceptFirmware
          ? this.opts.acceptFirmware(parity, sram)
          : parity.length > 0 && sram.length > 0;
        this.firmware = ok ? 'sram' : 'safe-mode';
        break;
      }
      default:
        break;
    }
  }

  private sramData(value: number): void {
    if (this.firmware === 'loading-parity') this.parityImage.push(value);
    else if (this.firmware === 'loading-sram') this.sramImage.push(value);
    else this.opts.onUnmodelled?.(REG.SRAM_DATA, true, value);
  }

  private pushPowerButtons(quad: 0 | 1, value: number): void {
    for (let l = 0; l < 4; l++) {
      const p = this.physical(quad, l);
      if (value & (1 << (l + 4))) this.powerOffCommand(quad, l, p);
      else if (value & (1 << l)) this.channel(p).pwonPending = true;
    }
  }

  /** PWOFFn: port off, and (datasheet, quoted by tps23881_pi_disable) "resets lots of register". */
  private powerOffCommand(quad: 0 | 1, l: number, p: number): void {
    const ch = this.channel(p);
    ch.pwonPending = false;
    if (ch.powered) this.powerOff(p);
    const q = this.regs[quad];
    q[REG.DET_CLA_EN] = this.regByte(quad, REG.DET_CLA_EN) & ~(0x11 << l);
    q[REG.DISC_EN] = this.regByte(quad, REG.DISC_EN) & ~(1 << l);
    q[REG.TWO_PAIR_POL1 + l] = 0xff;
    ch.detect = ch.classCode = Detect.UNKNOWN;
    ch.requestedClass = ch.assignedClass = 0;
  }

  private resetCommand(quad: 0 | 1, value: number): void {
    if (value & RESET_BITS.CLRAIN) {
      // Clear all interrupts: every event register of both quads.
      for (const q of this.regs) for (const reg of EVENT_PAIRS.values()) q[reg] = 0;
    }
    for (let l = 0; l < 4; l++) if (value & (1 << l)) this.powerOffCommand(quad, l, this.physical(quad, l));
  }

  /** Logical channel l of a quad to its physical channel, through PORT_MAP (2 bits per logical channel). */
  private physical(quad: 0 | 1, l: number): number {
    return quad * 4 + ((this.regByte(quad, REG.PORT_MAP) >> (2 * l)) & 3);
  }

  private logical(p: number): { quad: 0 | 1; l: number } {
    const quad = p < 4 ? 0 : 1;
    for (let l = 0; l < 4; l++) if (this.physical(quad, l) === p) return { quad, l };
    return { quad, l: p % 4 };
  }

  /** Ports off when the matrix changes under them, so no logical channel keeps a stale physical one. */
  private remapChannels(quad: 0 | 1): void {
    for (let p = quad * 4; p < quad * 4 + 4; p++) {
      const ch = this.channel(p);
      ch.powered = ch.pwonPending = false;
      ch.detect = ch.classCode = Detect.UNKNOWN;
    }
  }

  private isFourPair(quad: 0 | 1, l: number): boolean {
    const nibble = (this.regByte(quad, REG.PORT_POWER) >> (4 * (l >> 1))) & 0xf;
    return nibble === 0xf;
  }

  private mode(quad: 0 | 1, l: number): number {
    return (this.regByte(quad, REG.OP_MODE) >> (2 * l)) & 3;
  }

  private setEvent(quad: 0 | 1, reg: number, bits: number): void {
    this.regs[quad][reg] = this.regByte(quad, reg) | bits;
  }

  // ---- port state machine --------------------------------------------------------------------------

  /** Runs every channel's state machine to a fixed point, then recomputes the interrupt line. */
  private evaluate(): void {
    for (let p = 0; p < 8; p++) this.evaluateChannel(p);
    this.updateInterrupt();
  }

  private evaluateChannel(p: number): void {
    const { quad, l } = this.logical(p);
    const ch = this.channel(p);
    const mode = this.mode(quad, l);
    if (mode === OpMode.OFF) {
      if (ch.powered) this.powerOff(p);
      return;
    }
    if (ch.powered) {
      // A powered port stays on unless its PD is gone with DC disconnect detection enabled (DISC_EN) or
      // draws past the policing threshold (PCUT); then it is off and goes back through detection below.
      if (!ch.pd) {
        if (!(this.regByte(quad, REG.DISC_EN) & (1 << l))) return;
        this.powerOff(p);
        this.setEvent(quad, REG.FAULT, 1 << (l + 4)); // DISF
        ch.detect = ch.classCode = Detect.UNKNOWN;
        ch.requestedClass = ch.assignedClass = 0;
      } else if (this.channelLoadMw(p) > this.policingMw(quad, l)) {
        this.powerOff(p);
        this.setEvent(quad, REG.FAULT, 1 << l); // PCUT
      } else {
        return;
      }
    }
    const detectEnabled = (this.regByte(quad, REG.DET_CLA_EN) & (1 << l)) !== 0 || mode === OpMode.AUTO;
    const classEnabled = (this.regByte(quad, REG.DET_CLA_EN) & (1 << (l + 4))) !== 0 || mode === OpMode.AUTO;
    if (!detectEnabled) return;
    const detect = detectionCode(ch.pd);
    if (detect !== ch.detect) {
      ch.detect = detect;
      this.setEvent(quad, REG.DET_EVENT, 1 << l);
    }
    const fourPair = this.isFourPair(quad, l);
    const classCode =
      detect === Detect.VALID && classEnabled && ch.pd
        ? classCodeFor(ch.pd.pdClass, fourPair)
        : Detect.UNKNOWN;
    if (classCode !== ch.classCode) {
      ch.classCode = classCode;
      if (classCode !== ClassCode.UNKNOWN) this.setEvent(quad, REG.DET_EVENT, 1 << (l + 4));
    }
    if (ch.pd && classCode !== ClassCode.UNKNOWN) {
      ch.requestedClass = ch.pd.pdClass;
      ch.assignedClass = fourPair || ch.pd.pdClass <= 4 ? ch.pd.pdClass : 4;
    }
    const wantsPower = mode === OpMode.AUTO || ch.pwonPending || mode === OpMode.MANUAL;
    if (wantsPower && detect === Detect.VALID && (!classEnabled || classCode !== ClassCode.UNKNOWN))
      this.powerOn(p, quad, l);
  }

  private powerOn(p: number, quad: 0 | 1, l: number): void {
    const ch = this.channel(p);
    ch.powered = true;
    ch.pwonPending = false;
    // Power enable and power good both change (the inrush phase completes at once in this model).
    this.setEvent(quad, REG.POWER_EVENT, (1 << l) | (1 << (l + 4)));
    // Unless FOLDBACK has the channel's manual-policing bit (tps23881_pi_enable_manual_pol), the chip sets
    // policing from the assigned class: the class power, split over the two channels of a 4-pair port.
    if (!(this.regByte(quad, REG.FOLDBACK) & (1 << l))) {
      const classMw = CLASS_POWER_MW[ch.assignedClass] ?? 0;
      const perChannel = this.isFourPair(quad, l) ? classMw / 2 : classMw;
      this.regs[quad][REG.TWO_PAIR_POL1 + l] = Math.min(0xff, Math.round(perChannel / MW_STEP));
    }
  }

  private powerOff(p: number): void {
    const ch = this.channel(p);
    if (!ch.powered) return;
    ch.powered = false;
    const { quad, l } = this.logical(p);
    this.setEvent(quad, REG.POWER_EVENT, (1 << l) | (1 << (l + 4)));
  }

  private channelLoadMw(p: number): number {
    const ch = this.channel(p);
    return ch.pd ? ch.pd.loadMw / ch.pdChannels : 0;
  }

  private policingMw(quad: 0 | 1, l: number): number {
    return this.regByte(quad, REG.TWO_PAIR_POL1 + l) * MW_STEP;
  }

  /** 16-bit measurement at an even address for one quad: input voltage, channel current or voltage. */
  private measurement(evenReg: number, quad: number): number {
    const q = quad === 0 ? 0 : 1;
    if (evenReg === REG.INPUT_V) return Math.round(this.vpwrMicrovolts / UV_STEP) & 0x3fff;
    if (evenReg === REG.TEMPERATURE) return 0; // not modelled
    const offset = evenReg - REG.CHAN1_A;
    const l = offset >> 2;
    const p = this.physical(q, l);
    const ch = this.channel(p);
    if (!ch.powered) return 0;
    if ((offset & 3) === 0) {
      // I = P / V; nA = mW * 1e12 / uV.
      const nA = (this.channelLoadMw(p) * 1e12) / this.vpwrMicrovolts;
      return Math.round(nA / NA_STEP) & 0x3fff;
    }
    return Math.round(this.vpwrMicrovolts / UV_STEP) & 0x3fff;
  }

  private interruptStatus(quad: 0 | 1): number {
    let it = 0;
    if (this.regByte(quad, REG.POWER_EVENT) & 0x0f) it |= IT.PEC;
    if (this.regByte(quad, REG.POWER_EVENT) & 0xf0) it |= IT.PGC;
    if (this.regByte(quad, REG.FAULT) & 0xf0) it |= IT.DISF;
    if (this.regByte(quad, REG.DET_EVENT) & 0x0f) it |= IT.DETC;
    if (this.regByte(quad, REG.DET_EVENT) & 0xf0) it |= IT.CLASC;
    if (this.regByte(quad, REG.FAULT) & 0x0f || this.regByte(quad, REG.START_EVENT) & 0xf0) it |= IT.IFAULT;
    if (this.regByte(quad, REG.START_EVENT) & 0x0f) it |= IT.STRTF;
    if (this.regByte(quad, REG.SUPF_EVENT)) it |= IT.SUPF;
    return it;
  }

  /** The INT pin: asserted while GEN_MASK.INTEN is set and an unmasked interrupt bit is pending. */
  private updateInterrupt(): void {
    let level = false;
    for (const quad of [0, 1] as const) {
      if (
        this.regByte(quad, REG.GEN_MASK) & GEN_MASK.INTEN &&
        this.interruptStatus(quad) & this.regByte(quad, REG.IT_MASK)
      )
        level = true;
    }
    if (level !== this.interruptLevel) {
      this.interruptLevel = level;
      this.opts.onInterrupt?.(level);
    }
  }

  private channel(physical: number): ChannelState {
    const ch = this.channels[physical];
    if (!ch) throw new RangeError(`TPS23881 has physical channels 0-7, not ${physical}`);
    return ch;
  }
}

function emptyChannel(): ChannelState {
  return {
    pd: undefined,
    pdChannels: 1,
    detect: Detect.UNKNOWN,
    classCode: ClassCode.UNKNOWN,
    requestedClass: 0,
    assignedClass: 0,
    powered: false,
    pwonPending: false,
  };
}

function detectionCode(device: PoweredDevice | undefined): number {
  if (!device) return Detect.OPEN;
  switch (device.signature) {
    case 'valid':
      return Detect.VALID;
    case 'short':
      return Detect.SHORT;
    case 'low':
      return Detect.LOW;
    case 'high':
      return Detect.HIGH;
  }
}

function isMeasurement(reg: number): boolean {
  return reg >= REG.TEMPERATURE && reg < REG.FOLDBACK;
}

function isComputed(reg: number): boolean {
  return (
    reg <= REG.SUPF_EVENT_COR || // interrupt and event registers (IT_MASK is stored, handled before)
    (reg >= REG.DISC && reg <= REG.PW_STATUS) ||
    reg === REG.PIN_STATUS ||
    isMeasurement(reg) ||
    reg === REG.FWREV ||
    reg === REG.DEVID ||
    (reg >= REG.CHAN1_CLASS && reg < REG.CHAN1_CLASS + 4)
  );
}
