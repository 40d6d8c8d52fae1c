import { ErrorCode } from '../src/protocol/codec/constants.js';
import {
  BackendError,
  type BackendEvent,
  type BackendTraceRecord,
  type ClockControl,
  type EmulationBackend,
  type I2cTransferResult,
  type PseControllerInfo,
  type PsePiStatus,
  type ScenarioSource,
  type TopologyInfo,
} from '../src/protocol/session/backend.js';
import type { Board, PseControllerSpec } from './board.js';

const TRACE_CAPACITY = 8192;
/** include/uapi/linux/ethtool.h: ETHTOOL_C33_PSE_ADMIN_STATE_{DISABLED,ENABLED}, _PW_D_STATUS_{DISABLED,DELIVERING}. */
const C33 = { ADMIN_DISABLED: 2, ADMIN_ENABLED: 3, PW_DISABLED: 2, PW_DELIVERING: 4 } as const;

/**
 * Adapts a Board to the protocol's EmulationBackend: bus and controller numbering (index order), the MDIO
 * rule that an address without a device reads 0xffff, a bounded trace ring, lifecycle and PHY events.
 */
export class BoardBackend implements EmulationBackend {
  private readonly listeners = new Set<(e: BackendEvent) => void>();
  /** Circular trace buffer: slot seq % TRACE_CAPACITY holds record seq while it is among the newest. */
  private readonly ring: (BackendTraceRecord | undefined)[] = new Array<BackendTraceRecord | undefined>(TRACE_CAPACITY);
  private seq = 0;
  private realtimeTimer: NodeJS.Timeout | undefined;
  private stepIndex = 0;
  readonly clock: ClockControl;

  constructor(
    private board: Board,
    private readonly rebuild: (source?: ScenarioSource) => Board,
  ) {
    const self = this;
    this.clock = {
      now: () => BigInt(self.board.clock.now()),
      run: (ns) => self.board.clock.advance(Number(ns)),
      step: () => {
        // Advance to the next due timer: probe forward in 1 ms steps, bounded, so this stays cheap.
        const before = self.board.clock.pendingTimers;
        for (let i = 0; i < 10_000 && self.board.clock.pendingTimers === before && before > 0; i++)
          self.board.clock.advance(1_000_000);
      },
      setRealtime: (on) => self.setRealtime(on),
      get realtime() {
        return self.realtimeTimer !== undefined;
      },
    };
    this.wire();
  }

  topology(): TopologyInfo {
    return {
      buses: this.board.mdio.map((b, id) => ({
        id,
        path: b.path,
        phys: [...b.phys].map(([addr, p]) => ({
          addr,
          phyId: p.phy.phyId,
          c45: false,
          path: p.path,
          model: p.phy.model,
          pses: p.pses,
        })),
      })),
      pse: this.pseList(),
      i2c: this.board.i2c.map((b, id) => ({ id, path: b.path, devices: b.devices })),
    };
  }

  c22Read(bus: number, phy: number, reg: number): number {
    const v = this.bus(bus).phys.get(phy)?.phy.c22Read(reg) ?? 0xffff;
    this.trace({ type: 'mdio.read', bus, phy, reg, value: v });
    return v;
  }

  c22Write(bus: number, phy: number, reg: number, value: number): void {
    this.bus(bus).phys.get(phy)?.phy.c22Write(reg, value);
    this.trace({ type: 'mdio.write', bus, phy, reg, value });
  }

  c45Read(bus: number, port: number, devad: number, reg: number): number {
    const dev = this.bus(bus).phys.get(port)?.phy;
    // 45.3: an address frame, then a read frame; a device that ignores either leaves MDIO pulled high.
    const v = dev && dev.c45Address(devad, reg) ? (dev.c45Read(devad, false) ?? 0xffff) : 0xffff;
    this.trace({ type: 'mdio.c45-read', bus, port, devad, reg, value: v });
    return v;
  }

  c45Write(bus: number, port: number, devad: number, reg: number, value: number): void {
    const dev = this.bus(bus).phys.get(port)?.phy;
    if (dev && dev.c45Address(devad, reg)) dev.c45Write(devad, value);
    this.trace({ type: 'mdio.c45-write', bus, port, devad, reg, value });
  }

  i2cTransfer(bus: number, addr: number, write: Uint8Array, readLength: number): I2cTransferResult {
    const spec = this.board.i2c[bus];
    if (!spec) throw new BackendError(ErrorCode.NO_SUCH_BUS, `no I2C bus ${bus}`);
    const messages = [];
    if (write.length > 0 || readLength === 0) messages.push({ addr, kind: 'write' as const, data: write });
    if (readLength > 0) messages.push({ addr, kind: 'read' as const, length: readLength });
    const r = spec.bus.transfer(messages);
    this.trace({ type: 'i2c.xfer', bus, addr, write: [...write], readLength, ok: r.ok });
    if (r.ok) return { result: 'ack', data: r.reads[0] ?? new Uint8Array(0) };
    return { result: r.failedAt === 0 ? 'nack-address' : 'nack-data', data: new Uint8Array(0) };
  }

  pseList(): PseControllerInfo[] {
    return this.board.pse.map((c, id) => ({
      id,
      path: c.path,
      compatible: c.compatible,
      state: c.registered ? 'registered' : 'unregistered',
      pis: c.pis.map((p, index) => ({ index, name: p.name })),
    }));
  }

  pseStatus(controller: number, pi: number): PsePiStatus {
    const p = this.pi(controller, pi);
    return {
      adminState: p.adminEnabled ? C33.ADMIN_ENABLED : C33.ADMIN_DISABLED,
      powerStatus: p.adminEnabled ? C33.PW_DELIVERING : C33.PW_DISABLED,
      powerClass: p.adminEnabled ? p.powerClass : 0,
      actualPowerMw: p.adminEnabled ? p.powerMw : 0,
      powerLimitMw: p.limitMw,
    };
  }

  pseAdmin(controller: number, pi: number, enable: boolean): void {
    this.pi(controller, pi).adminEnabled = enable;
    this.trace({ type: 'pse.admin', controller, pi, enable });
  }

  loadScenario(source: ScenarioSource): void {
    let next: Board;
    try {
      next = this.rebuild(source);
    } catch (err) {
      throw new BackendError(ErrorCode.SCENARIO_ERROR, err instanceof Error ? err.message : String(err), { cause: err });
    }
    this.replace(next);
  }

  triggerScenarioEvent(event: string): void {
    const run = this.board.events.get(event);
    if (!run) throw new BackendError(ErrorCode.NO_SUCH_EVENT, `no scenario event "${event}"`);
    this.fireStep(event, run);
  }

  reset(): void {
    this.replace(this.rebuild());
  }

  traceSince(since: number, max: number): { records: BackendTraceRecord[]; next: number } {
    const first = Math.max(0, this.seq - TRACE_CAPACITY);
    const records: BackendTraceRecord[] = [];
    for (let s = Math.max(since, first); s < this.seq && records.length < max; s++) {
      const r = this.ring[s % TRACE_CAPACITY];
      if (r) records.push(r);
    }
    const last = records.at(-1);
    return { records, next: last ? last.seq + 1 : Math.max(since, first) };
  }

  /** Every record still in the ring, oldest first: what the daemon flushes to a trace file on shutdown. */
  allTrace(): BackendTraceRecord[] {
    return this.traceSince(0, TRACE_CAPACITY).records;
  }

  subscribe(listener: (e: BackendEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.setRealtime(false);
  }

  private replace(board: Board): void {
    const realtime = this.clock.realtime;
    this.setRealtime(false);
    this.board = board;
    this.stepIndex = 0;
    this.wire();
    if (realtime) this.setRealtime(true);
  }

  private wire(): void {
    const b = this.board;
    b.mdio.forEach((bus, busId) => {
      for (const [addr, { phy }] of bus.phys) {
        phy.onIrq((asserted) => this.emit({ type: 'phy-irq', bus: busId, phy: addr, asserted, timeNs: this.now() }));
      }
    });
    for (const [atMs, name] of b.timeline) {
      const run = b.events.get(name);
      if (run) b.clock.schedule(atMs * 1_000_000, () => this.fireStep(name, run));
    }
  }

  /** Called by board builders for link changes they observe (PHY trace `phy.link`). */
  linkChanged(busId: number, addr: number, up: boolean, speed: number, duplex: 'half' | 'full' | 'unknown'): void {
    this.emit({ type: 'link', bus: busId, phy: addr, up, speed, duplex, timeNs: this.now() });
  }

  private fireStep(name: string, run: () => void): void {
    const before = this.board.pse.map((c) => c.registered);
    run();
    this.emit({ type: 'scenario-step', index: this.stepIndex++, name, timeNs: this.now() });
    this.board.pse.forEach((c, id) => {
      if (c.registered !== before[id]) this.lifecycle(id, c);
    });
  }

  private lifecycle(id: number, c: PseControllerSpec): void {
    const state = c.registered ? 'registered' : 'unregistered';
    this.trace({ type: 'pse.lifecycle', controller: id, path: c.path, state });
    this.emit({ type: 'pse-lifecycle', controller: id, state, path: c.path, timeNs: this.now() });
  }

  private setRealtime(on: boolean): void {
    if (!on) {
      if (this.realtimeTimer) clearInterval(this.realtimeTimer);
      this.realtimeTimer = undefined;
      return;
    }
    if (this.realtimeTimer) return;
    let last = process.hrtime.bigint();
    // Tie virtual time to wall time: every 5 ms, advance by the wall time that passed.
    this.realtimeTimer = setInterval(() => {
      const now = process.hrtime.bigint();
      this.board.clock.advance(Number(now - last));
      last = now;
    }, 5);
    this.realtimeTimer.unref();
  }

  private now(): bigint {
    return BigInt(this.board.clock.now());
  }

  private bus(id: number) {
    const b = this.board.mdio[id];
    if (!b) throw new BackendError(ErrorCode.NO_SUCH_BUS, `no MDIO bus ${id}`);
    return b;
  }

  private pi(controller: number, pi: number) {
    const c = this.board.pse[controller];
    if (!c) throw new BackendError(ErrorCode.NO_SUCH_CONTROLLER, `no PSE controller ${controller}`);
    // Like the kernel's of_pse_control_get() before the driver registered: -EPROBE_DEFER, not "no device".
    if (!c.registered) throw new BackendError(ErrorCode.NOT_REGISTERED, `PSE controller ${c.path} is not registered yet`);
    const p = c.pis[pi];
    if (!p) throw new BackendError(ErrorCode.NO_SUCH_PI, `controller ${controller} has no PI ${pi}`);
    return p;
  }

  private trace(event: { type: string } & Record<string, unknown>): void {
    const record = { seq: this.seq++, timeNs: this.now(), event };
    this.ring[record.seq % TRACE_CAPACITY] = record;
    if (this.listeners.size > 0) this.emit({ type: 'trace', record });
  }

  private emit(e: BackendEvent): void {
    for (const l of this.listeners) l(e);
  }
}
