import { ms, type Clock, type TimerHandle } from '../clock.js';
import type {
  FieldOptions,
  RegisterEvent,
  RegisterEventSink,
  RegisterMap,
  TraceSink,
} from '../regs/index.js';
import { linkUp, resolveLink, type LinkResolution, type LocalLinkConfig } from './autoneg.js';
import type { MdioDevice } from './device.js';
import type { PhyEvent } from './events.js';
import { ADVERTISE, encodeBasePage } from './modes.js';
import type { LinkPartner } from './partner.js';

export interface PhyTiming {
  /** BMCR.RESET stays set this long (Linux polls it every 50 ms, for up to 600 ms: phy_poll_reset()). */
  readonly softResetNs: number;
  /** From (re)start to autoneg complete and link up. */
  readonly autonegNs: number;
  /** Link-up time for forced modes, parallel detection and loopback. */
  readonly forcedLinkNs: number;
}

export const DEFAULT_TIMING: PhyTiming = { softResetNs: ms(1), autonegNs: ms(1500), forcedLinkNs: ms(100) };

export interface PhyOptions {
  readonly clock: Clock;
  /** Label used in trace events, e.g. the DT path of the PHY node. */
  readonly name?: string;
  readonly trace?: TraceSink<PhyEvent | RegisterEvent>;
  readonly timing?: Partial<PhyTiming>;
  /** 802.3 40.5.1.1 master/slave seed and port type for 1000BASE-T resolution. */
  readonly seed?: number;
  readonly multiport?: boolean;
}

/** What the registers report: the live state behind BMSR, ANLPAR, STAT1000, vendor status registers. */
export interface PhyStatus {
  readonly up: boolean;
  /** Autoneg finished (by negotiation or parallel detection). */
  readonly autonegComplete: boolean;
  readonly resolution: LinkResolution | undefined;
  /** The partner's base page as it appears in ANLPAR, 0 until a page was received. */
  readonly partnerBasePage: number;
  readonly partnerAutoneg: boolean;
}

const DOWN: PhyStatus = {
  up: false,
  autonegComplete: false,
  resolution: undefined,
  partnerBasePage: 0,
  partnerAutoneg: false,
};

/**
 * The behaviour every PHY model shares: cable and link partner, the negotiation timer on the virtual clock,
 * soft and hard reset, the interrupt line, and MDIO frame dispatch to register maps. A model declares its
 * registers (maps) and says how its control registers configure the link (`localConfig`).
 */
export abstract class Phy implements MdioDevice {
  readonly clock: Clock;
  readonly name: string;
  readonly timing: PhyTiming;
  /** Clause 45 MMDs by device address, reachable directly (C45 PHYs) or through registers 13/14 (C22). */
  readonly mmds = new Map<number, RegisterMap>();
  /** 45.2: each MMD has its own address register, shared by C45 frames and 22D indirect access. */
  readonly mmdAddress = new Map<number, number>();
  protected readonly trace: TraceSink<PhyEvent | RegisterEvent> | undefined;
  protected readonly seed: number;
  protected readonly multiport: boolean;
  #status: PhyStatus = DOWN;
  #partner: LinkPartner | undefined;
  #plugged = true;
  #jabber = false;
  #negotiation: TimerHandle | undefined;
  #resetting = false;
  #irq = false;
  #irqListeners: ((asserted: boolean) => void)[] = [];

  constructor(options: PhyOptions) {
    this.clock = options.clock;
    this.name = options.name ?? 'phy';
    this.timing = { ...DEFAULT_TIMING, ...options.timing };
    this.trace = options.trace;
    this.seed = options.seed ?? 0x2a5;
    this.multiport = options.multiport ?? false;
  }

  /**
   * Map options that route the map's register events (an unmodelled access above all) to this PHY's trace.
   * Every map a PHY creates takes these: a map without them answers unmodelled reads with 0 unseen, and a
   * test's "no register the driver touches is unmodelled" could not fail for it.
   */
  protected mapEvents(): { emit?: RegisterEventSink } {
    const trace = this.trace;
    if (!trace) return {};
    return {
      emit: (e: RegisterEvent) => {
        if (trace.enabled) trace.emit(e);
      },
    };
  }

  /** The 32-bit PHY identifier (PHYID1 << 16 | PHYID2, or the PMA DEVID for Clause 45 parts). */
  abstract readonly phyId: number;
  /** Catalogue model name. */
  abstract readonly model: string;
  /** Every register map of the model, for dumps, reset and "no undeclared bits" checks. */
  abstract maps(): RegisterMap[];
  /** How the control registers configure the link right now. */
  protected abstract localConfig(): LocalLinkConfig;
  /** True while the PHY is powered down (BMCR.POWER_DOWN, PMA low power): no link. */
  protected abstract poweredDown(): boolean;
  /** True while loopback is enabled: the link comes up on its own at the forced speed. */
  protected loopback(): boolean {
    return false;
  }
  /** The model's interrupt output, recomputed from its latched status after every change. */
  protected irqAsserted(): boolean {
    return false;
  }
  /** Models raise their interrupt causes here. */
  protected onStatusChange?(previous: PhyStatus, next: PhyStatus): void;

  get status(): PhyStatus {
    return this.#status;
  }
  get partner(): LinkPartner | undefined {
    return this.#partner;
  }
  get plugged(): boolean {
    return this.#plugged;
  }
  get jabber(): boolean {
    return this.#jabber;
  }
  get resetting(): boolean {
    return this.#resetting;
  }
  get irq(): boolean {
    return this.#irq;
  }

  // ---- events from the outside world -------------------------------------------------------------

  /** Connects (or replaces) the link partner; negotiation starts over. `undefined` = nothing at the far end. */
  setPartner(partner: LinkPartner | undefined): void {
    this.#partner = partner;
    this.#cableEvent();
  }

  plug(): void {
    this.#plugged = true;
    this.#cableEvent();
  }

  unplug(): void {
    this.#plugged = false;
    this.#cableEvent();
  }

  setJabber(on: boolean): void {
    this.#jabber = on;
    this.refresh();
  }

  /** Subscribes to interrupt line changes; returns the unsubscribe function. */
  onIrq(listener: (asserted: boolean) => void): () => void {
    this.#irqListeners.push(listener);
    return () => {
      this.#irqListeners = this.#irqListeners.filter((l) => l !== listener);
    };
  }

  /** Hardware reset (reset-gpios, power-on): every register back to its reset value, link renegotiated. */
  hardReset(): void {
    this.#cancelNegotiation();
    this.#resetting = false;
    this.mmdAddress.clear();
    for (const m of this.maps()) m.reset();
    this.#emit({ type: 'phy.reset', t: this.clock.now(), phy: this.name, kind: 'hard' });
    this.#setStatus(DOWN);
    this.restartNegotiation();
  }

  // ---- hooks the register declarations call --------------------------------------------------------

  /** A soft reset started (BMCR.RESET written): the link drops until it completes. */
  beginSoftReset(): void {
    this.#resetting = true;
    this.#cancelNegotiation();
    this.#setStatus(DOWN);
  }

  /** A soft reset completed: the model has restored its control registers; negotiation starts over. */
  endSoftReset(): void {
    this.#resetting = false;
    this.#emit({ type: 'phy.reset', t: this.clock.now(), phy: this.name, kind: 'soft' });
    this.restartNegotiation();
  }

  /**
   * Field options of a self-clearing reset bit (BMCR.RESET's vendor and MMD cousins): writing 1 drops the link,
   * the bit reads 1 for `timing.softResetNs`, then a `soft` reset keeps the registers (endSoftReset) and a
   * `hard` one restores every register (hardReset).
   */
  protected resetBit(kind: 'soft' | 'hard'): FieldOptions {
    return {
      clearAfterNs: () => this.timing.softResetNs,
      onWrite: () => {
        this.beginSoftReset();
      },
      onClear:
        kind === 'soft'
          ? () => {
              this.endSoftReset();
            }
          : () => {
              this.hardReset();
            },
    };
  }

  /** Autoneg restart, or any control change that retrains the link (speed, duplex, AN enable, power). */
  restartNegotiation(): void {
    this.#cancelNegotiation();
    if (this.#status.up || this.#status.autonegComplete) this.#setStatus(DOWN);
    if (this.#resetting || this.poweredDown()) return;
    const loop = this.loopback();
    if (!loop && (!this.#plugged || !this.#partner)) return;
    const local = this.localConfig();
    this.#emit({ type: 'phy.autoneg', t: this.clock.now(), phy: this.name, event: 'restart' });
    const delay =
      !loop && local.autoneg && this.#partner?.autoneg ? this.timing.autonegNs : this.timing.forcedLinkNs;
    this.#negotiation = this.clock.schedule(this.clock.now() + delay, () => {
      this.#negotiation = undefined;
      this.#complete();
    });
  }

  /** Re-samples latches and the interrupt line; models call it after changing state that registers show. */
  refresh(): void {
    for (const m of this.maps()) m.sample();
    this.#updateIrq();
  }

  // ---- MdioDevice ---------------------------------------------------------------------------------

  /** The Clause 22 register file, or undefined for a Clause 45-only PHY. */
  protected abstract c22Map(): RegisterMap | undefined;
  /** Whether the PHY answers Clause 45 frames directly. */
  protected abstract readonly clause45: boolean;

  c22Read(reg: number): number | undefined {
    const map = this.c22Map();
    if (!map) return undefined;
    const value = map.read(reg);
    this.#updateIrq();
    return value;
  }

  c22Write(reg: number, value: number): boolean {
    const map = this.c22Map();
    if (!map) return false;
    map.write(reg, value);
    this.#updateIrq();
    return true;
  }

  c45Address(devad: number, address: number): boolean {
    if (!this.clause45) return false;
    this.mmdAddress.set(devad, address & 0xffff);
    return true;
  }

  c45Read(devad: number, postIncrement: boolean): number | undefined {
    if (!this.clause45) return undefined;
    const value = this.mmdRead(devad);
    if (postIncrement) this.mmdIncrement(devad);
    return value;
  }

  c45Write(devad: number, value: number): boolean {
    if (!this.clause45) return false;
    this.mmdWrite(devad, value);
    return true;
  }

  /** Reads the MMD register the devad's address register points at (shared by C45 frames and 22D). */
  mmdRead(devad: number): number {
    const address = this.mmdAddress.get(devad) ?? 0;
    const map = this.mmds.get(devad);
    let value = 0;
    if (map) value = map.read(address);
    else if (this.trace?.enabled)
      this.trace.emit({
        type: 'reg.unmodelled',
        op: 'read',
        map: `${this.name}:mmd${devad}`,
        page: undefined,
        address,
        value: 0,
      });
    this.#updateIrq();
    return value;
  }

  mmdWrite(devad: number, value: number): void {
    const address = this.mmdAddress.get(devad) ?? 0;
    const map = this.mmds.get(devad);
    if (map) map.write(address, value);
    else if (this.trace?.enabled)
      this.trace.emit({
        type: 'reg.unmodelled',
        op: 'write',
        map: `${this.name}:mmd${devad}`,
        page: undefined,
        address,
        value,
      });
    this.#updateIrq();
  }

  mmdIncrement(devad: number): void {
    this.mmdAddress.set(devad, ((this.mmdAddress.get(devad) ?? 0) + 1) & 0xffff);
  }

  // ---- internals ----------------------------------------------------------------------------------

  #cableEvent(): void {
    this.#emit({
      type: 'phy.cable',
      t: this.clock.now(),
      phy: this.name,
      plugged: this.#plugged,
      partner: this.#partner !== undefined,
    });
    this.restartNegotiation();
  }

  #complete(): void {
    const partner = this.#partner;
    const local = this.localConfig();
    if (this.loopback()) {
      this.#setStatus({
        up: true,
        autonegComplete: local.autoneg,
        resolution: linkUp(local.forced.speed, local.forced.duplex, 'forced'),
        partnerBasePage: 0,
        partnerAutoneg: false,
      });
      return;
    }
    if (!partner || !this.#plugged) return;
    const resolution = resolveLink(local, partner);
    const partnerAutoneg = partner.autoneg && local.autoneg;
    const partnerBasePage = partnerAutoneg ? this.partnerBasePage(partner) : 0;
    // 28.2.3.1: completion by parallel detection also sets "autoneg complete". A 1000BASE-T master/slave
    // fault happens after the pages were exchanged, so AN completes and STAT1000 reports the fault (Linux
    // genphy_read_lpa() only looks at MSFAIL once autoneg is complete). No common mode: no completion.
    const autonegComplete =
      local.autoneg && (resolution.up || (partnerAutoneg && resolution.masterSlaveFault));
    this.#emit({
      type: 'phy.autoneg',
      t: this.clock.now(),
      phy: this.name,
      event: resolution.up ? 'complete' : 'failed',
      ...(resolution.reason ? { reason: resolution.reason } : {}),
    });
    this.#setStatus({ up: resolution.up, autonegComplete, resolution, partnerBasePage, partnerAutoneg });
  }

  /** The base page word the partner sends (ANLPAR), ACK set as 28.2.1.2.5 requires on a received page. */
  protected partnerBasePage(partner: LinkPartner): number {
    const extra =
      ADVERTISE.ACK |
      (partner.pause ? ADVERTISE.PAUSE : 0) |
      (partner.asymPause ? ADVERTISE.ASYM_PAUSE : 0) |
      (partner.remoteFault ? ADVERTISE.REMOTE_FAULT : 0);
    return encodeBasePage(partner.modes, extra);
  }

  #setStatus(next: PhyStatus): void {
    const previous = this.#status;
    this.#status = next;
    this.onStatusChange?.(previous, next);
    this.refresh();
    if (previous.up !== next.up && this.trace?.enabled) {
      const r = next.resolution ?? previous.resolution;
      this.trace.emit({
        type: 'phy.link',
        t: this.clock.now(),
        phy: this.name,
        up: next.up,
        speed: r?.speed ?? 10,
        duplex: r?.duplex ?? 'half',
        method: r?.method ?? 'autoneg',
      });
    }
  }

  #cancelNegotiation(): void {
    this.#negotiation?.cancel();
    this.#negotiation = undefined;
  }

  #updateIrq(): void {
    const asserted = this.irqAsserted();
    if (asserted === this.#irq) return;
    this.#irq = asserted;
    this.#emit({ type: 'phy.irq', t: this.clock.now(), phy: this.name, asserted });
    for (const l of this.#irqListeners) l(asserted);
  }

  #emit(event: PhyEvent): void {
    if (this.trace?.enabled) this.trace.emit(event);
  }
}
