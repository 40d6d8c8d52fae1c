import { VirtualClock, type Clock, type TimerHandle } from '../clock.js';
import type { I2cDevice } from '../i2c/bus.js';
import {
  readWord,
  writeWord,
  type RegisterEventSink,
  type RegisterMap,
  type WordAccess,
} from '../regs/index.js';
import { CLASS_POWER_MW, type PoweredDevice } from './powered-device.js';
import {
  generateTps23881Firmware,
  firstDifference,
  type Tps23881FirmwareImages,
} from './tps23881-firmware.js';
import {
  ClassCode,
  IT,
  Detect,
  GEN_MASK,
  MW_STEP,
  NA_STEP,
  OpMode,
  REG,
  RESET_BITS,
  SUPF_BITS,
  UV_STEP,
  defineQuad,
  type QuadHooks,
} from './tps23881-regs.js';

/**
 * TI TPS23881 8-channel PoE PSE controller at register level, as an I2C device, held to what Linux 7.2's
 * drivers/net/pse-pd/tps23881.c does: probe (DEVID, SRAM/parity download through 0x60-0x63 checked against the
 * firmware files, FWREV, GEN_MASK.NBITACC), port matrix (PORT_MAP, PORT_POWER), semi-auto operation (OP_MODE,
 * DISC_EN, DET_CLA_EN, PW_EN pushbuttons), status (PW_STATUS, DISC, class, measurements, policing, manual
 * policing through FOLDBACK and the 2-/4-pair policing registers) and the interrupt path (INTERRUPT from the
 * event registers, clear-on-read events, RESET.CLRAIN, the INT pin behind GEN_MASK.INTEN and INTERRUPT MASK).
 *
 * The registers are data (tps23881-regs.ts, one byte-addressed map per quad); this file is the port state
 * machine behind them. Detection, classification and power-up complete as soon as their inputs change (the
 * chip's detection cycles are not timed); with a clock, a port cut for overcurrent waits out a cool-down
 * before it detects again, as the chip's error delay makes it.
 */

export type Tps23881Variant = 'tps23881' | 'tps23881b';

export type FirmwareState = 'rom' | 'loading-parity' | 'loading-sram' | 'sram' | 'safe-mode';

export interface Tps23881Options {
  variant?: Tps23881Variant;
  /** FWREV while the ROM firmware runs; the driver prints "(ROM firmware)" for 0x00. */
  romFirmwareRevision?: number;
  /**
   * The images the model accepts (TPS23881 only): what the guest's firmware files hold. A download that
   * differs in any byte, or that skips a part, leaves the chip in safe mode (FWREV 0xff). Default: the
   * images `generateTps23881Firmware()` makes, the same ones `mdio-emu pse firmware` writes.
   */
  firmware?: Tps23881FirmwareImages;
  /** VPWR supply in microvolts. */
  vpwrMicrovolts?: number;
  /** 7-bit I2C address the address pins select (PIN STATUS reads A4-A0 back). */
  address?: number;
  /** Called with the INT pin level whenever it changes (true = asserted, the pin driven low). */
  onInterrupt?: (asserted: boolean) => void;
  /** Presence (lifecycle): while false the chip NACKs its address. */
  isPresent?: () => boolean;
  /** Register trace: accesses to addresses the model does not declare, writes to tagged bits. */
  emit?: RegisterEventSink;
  /** Time for the cool-down after an overcurrent cut; without a clock the port may detect again at once. */
  clock?: Clock;
  /** Cool-down after a PCUT/ILIM fault before detection restarts (datasheet tED, about 1 s). */
  coolDownNs?: number;
  /**
   * Time from a valid detection to the classification result (needs `clock`). 0 (the default) reports both in
   * the same DETECTION EVENT read, so one interrupt carries both; Linux 7.2's pse_core then drops the
   * notification (see docs/guest-kernel.md), so a run that wants PDs powered under 7.2 sets this longer than the
   * interrupt latency (the CP2112's GPIO poll is 10 jiffies).
   */
  classificationDelayNs?: number;
  /**
   * Also hold the classification result until the INT pin has been released after the detection: the host
   * has serviced the detection's interrupt, so the classification reaches it in an interrupt of its own
   * however late the host services interrupts (a QEMU guest on a busy machine can be seconds late, so no
   * delay alone keeps the two apart). A test knob, not chip behaviour: it makes the 7.2 bug above opt-in.
   */
  classifyAfterInterrupt?: boolean;
}

/** How the last firmware download went, for assertions and the run report. */
export interface FirmwareReport {
  readonly state: FirmwareState;
  readonly parityBytes: number;
  readonly sramBytes: number;
  /** Why the chip went to safe mode, when it did. */
  readonly mismatch?: string;
}

export interface ChannelState {
  pd: PoweredDevice | undefined;
  /** How many physical channels share this PD (2 for a 4-pair port). */
  pdChannels: number;
  /** Which pairset of the PD this channel carries (0 = A, 1 = B). */
  pairset: 0 | 1;
  detect: number;
  classCode: number;
  requestedClass: number;
  assignedClass: number;
  powered: boolean;
  pwonPending: boolean;
  /** Virtual time before which the port does not detect (cool-down after a fault). */
  coolUntilNs: number;
  /** When a pending classification completes (with `classificationDelayNs`). */
  classifyAtNs: number | undefined;
  /** With `classifyAfterInterrupt`: the INT pin has not yet been released since the detection. */
  classifyAwaitsRelease: boolean;
}

const DEFAULT_COOL_DOWN_NS = 1_000_000_000;

/**
 * What turned a channel off: the host (PWOFF, a port mode or matrix change, a reset), its PD leaving (DC
 * disconnect), an overload (PCUT or ILIM), or thermal shutdown.
 */
export type ChannelOffReason = 'host' | 'pd-removed' | 'over-current' | 'over-temperature';

/** A physical channel (0-7) powering on, with the class the chip assigned, or off, with why. */
export type ChannelPowerChange =
  | { channel: number; powered: true; assignedClass: number }
  | { channel: number; powered: false; reason: ChannelOffReason };

export class Tps23881 implements I2cDevice {
  readonly variant: Tps23881Variant;
  readonly deviceId: number;
  /** Quad 0 (channels 1-4) and quad 1 (channels 5-8). */
  readonly quads: readonly [RegisterMap, RegisterMap];
  private readonly channels: ChannelState[] = [];
  private readonly words: WordAccess;
  private readonly clock: Clock;
  private readonly expected: Tps23881FirmwareImages;
  private readonly irqListeners = new Set<(asserted: boolean) => void>();
  private readonly powerListeners = new Set<(change: ChannelPowerChange) => void>();
  private pointer = 0;
  private firmware: FirmwareState = 'rom';
  private parityImage: number[] = [];
  private sramImage: number[] = [];
  private paritySeen = false;
  private mismatch: string | undefined;
  private interruptLevel = false;
  private coolTimer: TimerHandle | undefined;
  private readonly opts: Tps23881Options;
  vpwrMicrovolts: number;

  constructor(options: Tps23881Options = {}) {
    this.opts = options;
    this.variant = options.variant ?? 'tps23881';
    // DEVICE ID: 0x22 for TPS23881, 0x24 for TPS23881B (tps23881_info[].dev_id).
    this.deviceId = this.variant === 'tps23881' ? 0x22 : 0x24;
    this.vpwrMicrovolts = options.vpwrMicrovolts ?? 54_000_000;
    this.clock = options.clock ?? new VirtualClock();
    this.expected = options.firmware ?? generateTps23881Firmware();
    for (let i = 0; i < 8; i++) this.channels.push(emptyChannel());
    this.quads = [
      defineQuad(0, this.hooks(0), this.clock, options.emit),
      defineQuad(1, this.hooks(1), this.clock, options.emit),
    ];
    this.words = { kind: 'banked', banks: this.quads };
    this.reset();
  }

  /** Power-on reset: registers to their reset values, every port off, ROM firmware. */
  reset(): void {
    for (const q of this.quads) q.reset();
    for (const [i, ch] of this.channels.entries())
      this.channels[i] = { ...emptyChannel(), pd: ch.pd, pdChannels: ch.pdChannels, pairset: ch.pairset };
    this.firmware = 'rom';
    this.parityImage = [];
    this.sramImage = [];
    this.paritySeen = false;
    this.mismatch = undefined;
    this.updateInterrupt();
  }

  // ---- I2C device -------------------------------------------------------------------------------

  isPresent(): boolean {
    return this.opts.isPresent?.() ?? true;
  }

  /**
   * A write phase: the register pointer, then data. In configuration B a two-byte write is one 16-bit access to
   * both quads; anything else goes to quad 0 byte by byte with the pointer incrementing (configuration A, and
   * the byte accesses the driver makes in configuration B: tps23881_pi_enable_manual_pol's FOLDBACK update).
   */
  write(bytes: Uint8Array): void {
    const pointer = bytes[0];
    if (pointer === undefined) return;
    this.pointer = pointer;
    const data = bytes.subarray(1);
    if (data.length === 2 && this.sixteenBit())
      writeWord(this.words, pointer, (data[0] ?? 0) | ((data[1] ?? 0) << 8));
    else if (data.length > 0) this.quads[0].writeBytes(pointer, data);
    this.evaluate();
  }

  read(length: number): Uint8Array {
    const readsInterrupt = this.pointer === REG.IT;
    let out: Uint8Array;
    if (length === 2 && this.sixteenBit()) {
      const w = readWord(this.words, this.pointer);
      out = Uint8Array.of(w & 0xff, w >> 8);
    } else {
      out = this.quads[0].readBytes(this.pointer, length);
      this.pointer = (this.pointer + length) & 0xff;
    }
    this.updateInterrupt();
    if (readsInterrupt && !this.interruptLevel) this.interruptServiced();
    return out;
  }

  /**
   * The host read INTERRUPT and found nothing pending: tps23881_irq_handler()'s loop ends there, so the
   * detections it handled are done with and held classifications may complete (at the next evaluation,
   * which is another access or a tick of the clock, never this handler's).
   */
  private interruptServiced(): void {
    if (!this.channels.some((c) => c.classifyAwaitsRelease)) return;
    for (const c of this.channels) c.classifyAwaitsRelease = false;
    this.clock.schedule(this.clock.now(), () => this.evaluate());
  }

  /** Whether a detection raises INT: GEN_MASK.INTEN and INTERRUPT MASK.DETC, in either quad. */
  private detectionInterrupts(): boolean {
    return ([0, 1] as const).some(
      (q) => (this.reg(q, REG.GEN_MASK) & GEN_MASK.INTEN) !== 0 && (this.reg(q, REG.IT_MASK) & IT.DETC) !== 0,
    );
  }

  // ---- powered devices and faults (test and scenario controls) ---------------------------------

  /** Connects a PD to physical channels 0-7: one for a 2-pair PD, two (pairsets A and B) for a 4-pair one. */
  attachPd(physicalChannels: number | readonly number[], device: PoweredDevice): void {
    const list = typeof physicalChannels === 'number' ? [physicalChannels] : physicalChannels;
    if (list.length < 1 || list.length > 2) throw new RangeError('a PD sits on one or two channels');
    for (const [i, c] of list.entries()) {
      const ch = this.channel(c);
      ch.pd = device;
      ch.pdChannels = list.length;
      ch.pairset = i === 0 ? 0 : 1;
    }
    this.evaluate();
  }

  /** Unplugs the PD from these channels. */
  removePd(physicalChannels: number | readonly number[]): void {
    const list = typeof physicalChannels === 'number' ? [physicalChannels] : physicalChannels;
    for (const c of list) {
      const ch = this.channel(c);
      ch.pd = undefined;
      ch.pdChannels = 1;
      ch.pairset = 0;
    }
    this.evaluate();
  }

  /** Changes the PD's draw on these channels; above a channel's policing limit the chip cuts power (PCUT). */
  setLoad(physicalChannels: number | readonly number[], loadMw: number): void {
    const list = typeof physicalChannels === 'number' ? [physicalChannels] : physicalChannels;
    for (const c of list) {
      const ch = this.channel(c);
      if (ch.pd) ch.pd = { ...ch.pd, loadMw };
    }
    this.evaluate();
  }

  /**
   * A momentary overload: the PD draws past the policing limit of a powered channel once, the chip cuts the
   * port (PCUT in FAULT EVENT), and the PD's draw returns to what it was. Returns whether a cut happened.
   */
  overload(physicalChannel: number): boolean {
    const ch = this.channel(physicalChannel);
    if (!ch.pd || !ch.powered) return false;
    const { quad, l } = this.logical(physicalChannel);
    const normal = ch.pd.loadMw;
    const over = (this.policingMw(quad, l) + 1000) / this.loadShare(physicalChannel);
    const shared = this.channels.filter((c) => c.pd === ch.pd);
    const spiked = { ...ch.pd, loadMw: over };
    for (const c of shared) c.pd = spiked;
    this.evaluate();
    const restored = { ...spiked, loadMw: normal };
    for (const c of this.channels) if (c.pd === spiked) c.pd = restored;
    this.evaluate();
    return !this.channel(physicalChannel).powered;
  }

  /**
   * A short on a powered channel: the current limit (ILIM) trips, the port turns off and START/ILIM EVENT flags
   * ILIMn, which INTERRUPT reports as IFAULT. Returns whether the channel was powered.
   */
  currentLimitFault(physicalChannel: number): boolean {
    const ch = this.channel(physicalChannel);
    if (!ch.powered) return false;
    const { quad, l } = this.logical(physicalChannel);
    this.powerOff(physicalChannel, 'over-current');
    this.setEvent(quad, REG.START_EVENT_COR, 1 << (l + 4));
    this.updateInterrupt();
    return true;
  }

  /** Thermal shutdown: all ports off and SUPPLY/FAULT EVENT.TSD set in both quads. */
  overTemperature(): void {
    for (const [p, ch] of this.channels.entries()) if (ch.powered) this.powerOff(p, 'over-temperature');
    for (const quad of [0, 1] as const) this.setEvent(quad, REG.SUPF_EVENT_COR, SUPF_BITS.TSD);
    this.updateInterrupt();
  }

  // ---- observation ------------------------------------------------------------------------------

  /** The INT pin: true while asserted (driven low). */
  get interruptAsserted(): boolean {
    return this.interruptLevel;
  }

  /**
   * Subscribes to channels powering on and off, with what turned them off; returns the function that
   * unsubscribes. Under a real driver this is what the host made the hardware do, whatever its PSE framework
   * believes.
   */
  onPower(listener: (change: ChannelPowerChange) => void): () => void {
    this.powerListeners.add(listener);
    return () => this.powerListeners.delete(listener);
  }

  /** Subscribes to INT pin changes; returns the function that unsubscribes. */
  onIrq(listener: (asserted: boolean) => void): () => void {
    this.irqListeners.add(listener);
    return () => this.irqListeners.delete(listener);
  }

  /** The INT pin, in the shape an interrupt-capable GPIO input takes (src/usbredir CP2112). */
  get irq(): boolean {
    return this.interruptLevel;
  }

  get firmwareState(): FirmwareState {
    return this.firmware;
  }

  /** Bytes downloaded through SRAM_DATA into the parity and SRAM areas. */
  get downloaded(): { parity: number; sram: number } {
    return { parity: this.parityImage.length, sram: this.sramImage.length };
  }

  get firmwareReport(): FirmwareReport {
    return {
      state: this.firmware,
      parityBytes: this.parityImage.length,
      sramBytes: this.sramImage.length,
      ...(this.mismatch !== undefined ? { mismatch: this.mismatch } : {}),
    };
  }

  /** Physical channel state, for assertions and for the ethtool-like view. */
  channelState(physicalChannel: number): Readonly<ChannelState> {
    return { ...this.channel(physicalChannel) };
  }

  /** Registers of both quads as maps (dumps, "no undeclared bits" checks). */
  maps(): readonly RegisterMap[] {
    return this.quads;
  }

  // ---- register hooks -----------------------------------------------------------------------------

  private hooks(quad: 0 | 1): QuadHooks {
    const ch = (l: number): ChannelState => this.channel(this.physical(quad, l));
    return {
      discovery: (l) => (ch(l).classCode << 4) | ch(l).detect,
      classes: (l) => (ch(l).assignedClass << 4) | ch(l).requestedClass,
      powerStatus: () => {
        let v = 0;
        for (let l = 0; l < 4; l++) if (ch(l).powered) v |= (1 << l) | (1 << (l + 4));
        return v;
      },
      inputMicrovolts: () => Math.round(this.vpwrMicrovolts / UV_STEP) & 0x3fff,
      channelCurrent: (l) => {
        const p = this.physical(quad, l);
        if (!this.channel(p).powered) return 0;
        // I = P / V; nA = mW * 1e12 / uV.
        const nA = (this.channelLoadMw(p) * 1e12) / this.vpwrMicrovolts;
        return Math.round(nA / NA_STEP) & 0x3fff;
      },
      channelVoltage: (l) => (ch(l).powered ? Math.round(this.vpwrMicrovolts / UV_STEP) & 0x3fff : 0),
      firmwareRevision: () => this.firmwareRevision(),
      deviceId: () => this.deviceId,
      addressPins: () => (this.opts.address ?? 0x20) & 0x1f,
      powerButtons: (v) => this.pushPowerButtons(quad, v),
      resetCommand: (v) => this.resetCommand(quad, v),
      restart: (v) => {
        // Restart detection/classification: forget results so the next evaluation reports them afresh.
        for (let l = 0; l < 4; l++) {
          if (!(v & (0x11 << l))) continue;
          const c = ch(l);
          if (!c.powered) c.detect = c.classCode = Detect.UNKNOWN;
        }
      },
      portMapChanged: () => this.remapChannels(quad),
      fourPairPolicing: (pair) => {
        if (this.isFourPair(quad, 2 * pair)) this.applyFourPairPolicing(quad, 2 * pair);
      },
      sramControl: (v) => {
        if (quad === 0) this.sramControl(v);
      },
      sramData: (v) => {
        if (quad === 0) this.sramData(v);
      },
    };
  }

  private reg(quad: 0 | 1, address: number): number {
    return this.quads[quad].get(address).peek();
  }

  private sixteenBit(): boolean {
    return (this.reg(0, REG.GEN_MASK) & GEN_MASK.NBITACC) !== 0;
  }

  private firmwareRevision(): number {
    switch (this.firmware) {
      case 'sram':
        return this.expected.revision;
      case 'safe-mode':
        return 0xff;
      default:
        return this.opts.romFirmwareRevision ?? 0x00;
    }
  }

  /**
   * SRAM_CONTROL as tps23881_fw_parity_conf / tps23881_fw_sram_conf drive it: 0x01 then 0xc4 opens the parity
   * area, 0xc5 then 0xc0 the SRAM area (each after SRAM START ADDRESS 0x8000), bytes stream into SRAM_DATA,
   * 0x18 starts the code. The TPS23881B has no SRAM to load: its ROM keeps running.
   */
  private sramControl(value: number): void {
    if (this.variant === 'tps23881b') return;
    const start = this.reg(0, REG.SRAM_START_LO) | (this.reg(0, REG.SRAM_START_HI) << 8);
    switch (value) {
      case 0xc4:
        this.firmware = 'loading-parity';
        this.parityImage = [];
        this.paritySeen = true;
        if (start !== 0x8000) this.mismatch ??= `parity load started at SRAM address 0x${start.toString(16)}`;
        break;
      case 0xc0:
        this.firmware = 'loading-sram';
        this.sramImage = [];
        if (start !== 0x8000) this.mismatch ??= `SRAM load started at SRAM address 0x${start.toString(16)}`;
        break;
      case 0x18:
        this.mismatch ??= this.checkImages();
        this.firmware = this.mismatch === undefined ? 'sram' : 'safe-mode';
        break;
      default:
        break;
    }
  }

  private checkImages(): string | undefined {
    if (!this.paritySeen) return 'code started without a parity download';
    for (const [name, expected, got] of [
      ['parity', this.expected.parity, Uint8Array.from(this.parityImage)],
      ['SRAM', this.expected.sram, Uint8Array.from(this.sramImage)],
    ] as const) {
      const at = firstDifference(expected, got);
      if (at !== undefined)
        return `${name} image differs from the firmware file at byte ${at} (${got.length} bytes downloaded, file has ${expected.length})`;
    }
    return undefined;
  }

  private sramData(value: number): void {
    if (this.firmware === 'loading-parity') this.parityImage.push(value);
    else if (this.firmware === 'loading-sram') this.sramImage.push(value);
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
    if (ch.powered) this.powerOff(p, 'host');
    const q = this.quads[quad];
    q.get(REG.DET_CLA_EN).restore(0, 0x11 << l);
    q.get(REG.DISC_EN).restore(0, 1 << l);
    q.get(REG.TWO_PAIR_POL1 + l).restore(0xff, 0xff);
    ch.detect = ch.classCode = Detect.UNKNOWN;
    ch.requestedClass = ch.assignedClass = 0;
  }

  private resetCommand(quad: 0 | 1, value: number): void {
    if (value & RESET_BITS.CLRAIN) {
      for (const q of this.quads)
        for (const cor of [
          REG.POWER_EVENT_COR,
          REG.DET_EVENT_COR,
          REG.FAULT_COR,
          REG.START_EVENT_COR,
          REG.SUPF_EVENT_COR,
        ])
          q.get(cor).restore(0, 0xff);
    }
    for (let l = 0; l < 4; l++) if (value & (1 << l)) this.powerOffCommand(quad, l, this.physical(quad, l));
  }

  /** Logical channel l of a quad to its physical channel, through PORT_REMAPPING (2 bits per logical channel). */
  private physical(quad: 0 | 1, l: number): number {
    return quad * 4 + ((this.reg(quad, REG.PORT_MAP) >> (2 * l)) & 3);
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
      // A remap raises no POWER EVENT (the driver writes PORT_MAP at probe); only the listeners hear of it.
      if (ch.powered) this.notifyPower({ channel: p, powered: false, reason: 'host' });
      ch.powered = ch.pwonPending = false;
      ch.detect = ch.classCode = Detect.UNKNOWN;
    }
  }

  /**
   * PORT POWER ALLOCATION, one nibble per pair of logical channels: 0xf makes them one 4-pair port (up to class
   * 8, 90 W); anything else leaves two 2-pair channels served up to class 4 (the driver writes 0x3). The finer
   * 2-pair allocations of the datasheet are not modelled.
   */
  private isFourPair(quad: 0 | 1, l: number): boolean {
    return ((this.reg(quad, REG.PORT_POWER) >> (4 * (l >> 1))) & 0xf) === 0xf;
  }

  private mode(quad: 0 | 1, l: number): number {
    return (this.reg(quad, REG.OP_MODE) >> (2 * l)) & 3;
  }

  private setEvent(quad: 0 | 1, corReg: number, bits: number): void {
    this.quads[quad].get(corReg).raise(bits);
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
      if (ch.powered) this.powerOff(p, 'host');
      return;
    }
    if (ch.powered) {
      // A powered port stays on unless its PD is gone with DC disconnect detection enabled (DISC_EN) or
      // draws past the policing threshold (PCUT); then it is off and goes back through detection below.
      if (!ch.pd) {
        if (!(this.reg(quad, REG.DISC_EN) & (1 << l))) return;
        this.powerOff(p, 'pd-removed');
        this.setEvent(quad, REG.FAULT_COR, 1 << (l + 4)); // DISF
        ch.requestedClass = ch.assignedClass = 0;
      } else if (this.channelLoadMw(p) > this.policingMw(quad, l)) {
        this.overcurrentCut(p, quad, l);
        return;
      } else {
        return;
      }
    }
    if (this.clock.now() < ch.coolUntilNs) return;
    const detectEnabled = (this.reg(quad, REG.DET_CLA_EN) & (1 << l)) !== 0 || mode === OpMode.AUTO;
    const classEnabled = (this.reg(quad, REG.DET_CLA_EN) & (1 << (l + 4))) !== 0 || mode === OpMode.AUTO;
    if (!detectEnabled) return;
    const detect = detectionCode(ch.pd);
    if (detect !== ch.detect) {
      ch.detect = detect;
      ch.classifyAtNs = undefined;
      this.setEvent(quad, REG.DET_EVENT_COR, 1 << l);
    }
    const fourPair = this.isFourPair(quad, l);
    const classCode =
      detect === Detect.VALID && classEnabled && ch.pd && this.classificationDone(ch)
        ? classCodeFor(ch.pd, ch.pairset, fourPair)
        : ClassCode.UNKNOWN;
    if (classCode !== ch.classCode) {
      ch.classCode = classCode;
      if (classCode !== ClassCode.UNKNOWN) this.setEvent(quad, REG.DET_EVENT_COR, 1 << (l + 4));
    }
    if (ch.pd && classCode !== ClassCode.UNKNOWN && classCode !== ClassCode.OVERCURRENT) {
      const requested = channelClass(ch.pd, ch.pairset);
      ch.requestedClass = requested;
      ch.assignedClass = ch.pd.dualSignature || fourPair || requested <= 4 ? requested : 4;
    }
    const wantsPower = mode === OpMode.AUTO || ch.pwonPending || mode === OpMode.MANUAL;
    const classified =
      !classEnabled || (classCode !== ClassCode.UNKNOWN && classCode !== ClassCode.OVERCURRENT);
    if (wantsPower && detect === Detect.VALID && classified) this.powerOn(p, quad, l);
  }

  /** With a classification delay, whether the channel's classification has completed (scheduling it if not). */
  private classificationDone(ch: ChannelState): boolean {
    const delay = this.opts.classificationDelayNs ?? 0;
    const gated = this.opts.classifyAfterInterrupt === true && this.opts.clock !== undefined;
    if ((delay <= 0 && !gated) || !this.opts.clock) return true;
    if (ch.classifyAtNs === undefined) {
      ch.classifyAtNs = this.clock.now() + delay;
      ch.classifyAwaitsRelease = gated && this.detectionInterrupts();
      this.clock.schedule(ch.classifyAtNs, () => this.evaluate());
    }
    return this.clock.now() >= ch.classifyAtNs && !ch.classifyAwaitsRelease;
  }

  private powerOn(p: number, quad: 0 | 1, l: number): void {
    const ch = this.channel(p);
    ch.powered = true;
    ch.pwonPending = false;
    this.notifyPower({ channel: p, powered: true, assignedClass: ch.assignedClass });
    // Power enable and power good both change (the inrush phase completes at once in this model).
    this.setEvent(quad, REG.POWER_EVENT_COR, (1 << l) | (1 << (l + 4)));
    // Unless FOLDBACK has the channel's manual-policing bit (tps23881_pi_enable_manual_pol), the chip sets
    // policing from the assigned class: the class power, split over the two channels of a 4-pair port.
    if (!(this.reg(quad, REG.FOLDBACK) & (1 << l))) {
      const classMw = CLASS_POWER_MW[ch.assignedClass] ?? 0;
      const fourPair = this.isFourPair(quad, l);
      const perChannel = fourPair && !ch.pd?.dualSignature ? classMw / 2 : classMw;
      this.quads[quad]
        .get(REG.TWO_PAIR_POL1 + l)
        .restore(Math.min(0xff, Math.round(perChannel / MW_STEP)), 0xff);
    }
    if (this.isFourPair(quad, l) && this.fourPairManual(quad, l)) this.applyFourPairPolicing(quad, l);
  }

  /** A 4-pair port whose policing the host set through 4P POLICE: both channels get half of it. */
  private fourPairManual(quad: 0 | 1, l: number): boolean {
    const pairBits = 0x3 << (l & 2);
    return (this.reg(quad, REG.FOLDBACK) & pairBits) !== 0;
  }

  private applyFourPairPolicing(quad: 0 | 1, l: number): void {
    const pol = this.reg(quad, REG.FOUR_PAIR_POL1 + (l >> 1));
    const half = Math.floor(pol / 2);
    for (const c of [l & 2, (l & 2) + 1]) this.quads[quad].get(REG.TWO_PAIR_POL1 + c).restore(half, 0xff);
  }

  /**
   * PCUT: the channel drew past its policing limit. The port turns off, FAULT EVENT flags PCUTn, and the chip
   * drops the host's manual policing ("Over Current event resets the power limit registers", the driver's
   * tps23881_irq_event_over_current, which sets them again).
   */
  private overcurrentCut(p: number, quad: 0 | 1, l: number): void {
    const ch = this.channel(p);
    const q = this.quads[quad];
    const fourPair = this.isFourPair(quad, l);
    const lanes = fourPair ? [l & 2, (l & 2) + 1] : [l];
    for (const lane of lanes) {
      const pp = this.physical(quad, lane);
      const c = this.channel(pp);
      if (c.powered) this.powerOff(pp, 'over-current');
      this.setEvent(quad, REG.FAULT_COR, 1 << lane);
      q.get(REG.TWO_PAIR_POL1 + lane).restore(0xff, 0xff);
      q.get(REG.FOLDBACK).restore(0, 1 << lane);
      if (this.opts.clock) c.coolUntilNs = this.clock.now() + (this.opts.coolDownNs ?? DEFAULT_COOL_DOWN_NS);
    }
    if (fourPair) q.get(REG.FOUR_PAIR_POL1 + (l >> 1)).restore(0xff, 0xff);
    if (this.opts.clock && ch.coolUntilNs > this.clock.now()) {
      this.coolTimer?.cancel();
      this.coolTimer = this.clock.schedule(ch.coolUntilNs, () => this.evaluate());
    }
  }

  private powerOff(p: number, reason: ChannelOffReason): void {
    const ch = this.channel(p);
    if (!ch.powered) return;
    ch.powered = false;
    const { quad, l } = this.logical(p);
    this.setEvent(quad, REG.POWER_EVENT_COR, (1 << l) | (1 << (l + 4)));
    this.notifyPower({ channel: p, powered: false, reason });
  }

  private notifyPower(change: ChannelPowerChange): void {
    for (const f of this.powerListeners) f(change);
  }

  private channelLoadMw(p: number): number {
    const ch = this.channel(p);
    return ch.pd ? ch.pd.loadMw * this.loadShare(p) : 0;
  }

  /**
   * The part of its PD's draw a channel carries: a single-signature PD's splits evenly over its pairsets; each
   * pairset of a dual-signature PD feeds its own load (802.3bt 145.3.6), taken in proportion to its class power.
   */
  private loadShare(p: number): number {
    const ch = this.channel(p);
    const ds = ch.pd?.dualSignature;
    if (!ch.pd || !ds || ch.pdChannels < 2) return 1 / ch.pdChannels;
    const a = CLASS_POWER_MW[ch.pd.pdClass] ?? 0;
    const b = CLASS_POWER_MW[ds.pdClassB] ?? 0;
    return a + b === 0 ? 0.5 : (ch.pairset === 0 ? a : b) / (a + b);
  }

  private policingMw(quad: 0 | 1, l: number): number {
    return this.reg(quad, REG.TWO_PAIR_POL1 + l) * MW_STEP;
  }

  /** The INT pin: asserted while GEN_MASK.INTEN is set and an unmasked INTERRUPT bit is pending, in either quad. */
  private updateInterrupt(): void {
    let level = false;
    for (const quad of [0, 1] as const) {
      if (
        this.reg(quad, REG.GEN_MASK) & GEN_MASK.INTEN &&
        this.reg(quad, REG.IT) & this.reg(quad, REG.IT_MASK)
      )
        level = true;
    }
    if (level !== this.interruptLevel) {
      this.interruptLevel = level;
      this.opts.onInterrupt?.(level);
      for (const l of this.irqListeners) l(level);
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
    pairset: 0,
    detect: Detect.UNKNOWN,
    classCode: ClassCode.UNKNOWN,
    requestedClass: 0,
    assignedClass: 0,
    powered: false,
    pwonPending: false,
    coolUntilNs: 0,
    classifyAtNs: undefined,
    classifyAwaitsRelease: false,
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

/** The class a channel's pairset requests: the PD's class, or pairset B's own class for a dual-signature PD. */
function channelClass(device: PoweredDevice, pairset: 0 | 1): number {
  return pairset === 1 && device.dualSignature ? device.dualSignature.pdClassB : device.pdClass;
}

/** DISC class code for a channel (see ClassCode). */
export function classCodeFor(device: PoweredDevice, pairset: 0 | 1, fourPair: boolean): number {
  if (device.classOvercurrent) return ClassCode.OVERCURRENT;
  const c = channelClass(device, pairset);
  if (c === 0) return ClassCode.CLASS0;
  if (c <= 4) return c;
  if (device.dualSignature) return fourPair ? ClassCode.DS_CLASS5 : 4;
  // A class 5-8 PD on a 2-pair port is served as class 4 (802.3bt 145.2.8 demotion).
  return fourPair ? ClassCode.SS_CLASS5 + (c - 5) : 4;
}
