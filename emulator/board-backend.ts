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
import type { BoardMdioBus } from '../src/board/index.js';
import type { BoardEvent } from '../src/board/events.js';
import { runDaemonSteps, type DaemonBoard } from './daemon-board.js';
import { TraceRing } from './trace-ring.js';
import { MAX_VIRTUAL_NS } from '../src/clock.js';

/**
 * A CLOCK run of `ns` from `now`, as a number of ns the virtual clock can count exactly, or OUT_OF_RANGE:
 * past 2^53 - 1 ns a number stops counting nanoseconds, and a u64 on the wire would wrap to 0 at 2^64.
 */
export function checkedRun(now: bigint, ns: bigint): number {
  const max = BigInt(MAX_VIRTUAL_NS);
  if (now + ns > max)
    throw new BackendError(
      ErrorCode.OUT_OF_RANGE,
      `running the clock ${ns} ns from ${now} ns would pass ${max} ns (about 104 days), the last exact virtual time; the clock did not move`,
    );
  return Number(ns);
}

/** What the daemon's trace ring holds: the board's events, and the acts of clients and the scenario. */
export type DaemonTraceEvent =
  | BoardEvent
  | { type: 'pse.admin'; controller: string | undefined; pi: number; enable: boolean }
  | { type: 'scenario.step'; name: string };

/** include/uapi/linux/ethtool.h: ETHTOOL_C33_PSE_ADMIN_STATE_* and ETHTOOL_C33_PSE_PW_D_STATUS_*. */
const C33_ADMIN = { disabled: 2, enabled: 3 } as const;
const C33_PW = { disabled: 2, searching: 3, delivering: 4, otherfault: 7 } as const;

/**
 * Adapts a Board to the protocol's EmulationBackend: bus and controller numbering (index order in the
 * tree), a bounded trace ring fed by the board's tracer, and protocol events from PHY interrupt lines,
 * link changes, PSE lifecycle and scenario steps.
 */
export class BoardBackend implements EmulationBackend {
  private readonly listeners = new Set<(e: BackendEvent) => void>();
  /** Outlives board rebuilds (RESET, SCENARIO_LOAD) so trace sequence numbers keep rising. */
  private readonly ring = new TraceRing();
  private realtimeTimer: NodeJS.Timeout | undefined;
  private stepIndex = 0;
  private unwire: (() => void)[] = [];
  /** Bus id of each PHY path, for link events that name the PHY by path. */
  private phyByPath = new Map<string, { bus: number; addr: number }>();
  readonly clock: ClockControl;

  constructor(
    private daemonBoard: DaemonBoard,
    /** Rebuilds the board: from its original source (RESET), or from a new one (SCENARIO_LOAD). */
    private readonly rebuild: (source?: ScenarioSource) => DaemonBoard,
  ) {
    const isRealtime = () => this.realtimeTimer !== undefined;
    this.clock = {
      now: () => BigInt(this.board.clock.now()),
      run: (ns) => {
        this.board.clock.advance(checkedRun(BigInt(this.board.clock.now()), ns));
      },
      step: () => {
        this.stepClock();
      },
      setRealtime: (on) => {
        this.setRealtime(on);
      },
      get realtime() {
        return isRealtime();
      },
    };
    this.wire();
  }

  topology(): TopologyInfo {
    return {
      buses: this.board.mdio.map((b, id) => ({
        id,
        path: b.path,
        phys: b.phys.map((p) => ({
          addr: p.address,
          phyId: p.phy.phyId,
          c45: p.clause45,
          path: p.path,
          model: p.phy.model,
          pses: p.pses.map((l) => l.piPath ?? `${l.controller}#${l.pi}`),
        })),
      })),
      pse: this.pseList(),
      i2c: this.board.i2c.map((b, id) => ({
        id,
        path: b.path,
        devices: b.devices.map(({ addr, path, compatible }) => ({ addr, path, compatible })),
      })),
    };
  }

  c22Read(bus: number, phy: number, reg: number): number {
    return this.bus(bus).bus.read(phy, reg);
  }

  c22Write(bus: number, phy: number, reg: number, value: number): void {
    this.bus(bus).bus.write(phy, reg, value);
  }

  c45Read(bus: number, port: number, devad: number, reg: number): number {
    return this.bus(bus).bus.readC45(port, devad, reg);
  }

  c45Write(bus: number, port: number, devad: number, reg: number, value: number): void {
    this.bus(bus).bus.writeC45(port, devad, reg, value);
  }

  i2cTransfer(bus: number, addr: number, write: Uint8Array, readLength: number): I2cTransferResult {
    const spec = this.board.i2c[bus];
    if (!spec) throw new BackendError(ErrorCode.NO_SUCH_BUS, `no I2C bus ${bus}`);
    const messages = [];
    if (write.length > 0 || readLength === 0) messages.push({ addr, kind: 'write' as const, data: write });
    if (readLength > 0) messages.push({ addr, kind: 'read' as const, length: readLength });
    const r = spec.bus.transfer(messages);
    if (r.ok) return { result: 'ack', data: r.reads[0] ?? new Uint8Array(0) };
    return { result: r.failedAt === 0 ? 'nack-address' : 'nack-data', data: new Uint8Array(0) };
  }

  pseList(): PseControllerInfo[] {
    return this.board.pse.map((c, id) => ({
      id,
      path: c.path,
      compatible: c.compatible,
      state: c.lifecycle.isRegistered() ? 'registered' : 'unregistered',
      pis: c.piNames.map((name, index) => ({ index, name })),
    }));
  }

  pseStatus(controller: number, pi: number): PsePiStatus {
    const c = this.controller(controller, pi);
    const s = c.model.status(pi).ethtool;
    return {
      adminState: C33_ADMIN[s.adminState],
      powerStatus: C33_PW[s.pwStatus],
      powerClass: s.pwClass ?? 0,
      actualPowerMw: s.actualPwMw,
      powerLimitMw: Number.isFinite(c.model.budgetMw) ? c.model.budgetMw : 0,
    };
  }

  pseAdmin(controller: number, pi: number, enable: boolean): void {
    this.controller(controller, pi).model.setAdminState(pi, enable);
    this.record({ type: 'pse.admin', controller: this.board.pse[controller]?.path, pi, enable });
  }

  private get board() {
    return this.daemonBoard.board;
  }

  loadScenario(source: ScenarioSource): void {
    let next: DaemonBoard;
    try {
      next = this.rebuild(source);
    } catch (err) {
      throw new BackendError(ErrorCode.SCENARIO_ERROR, err instanceof Error ? err.message : String(err), {
        cause: err,
      });
    }
    this.replace(next);
  }

  triggerScenarioEvent(event: string): void {
    const actions = this.daemonBoard.triggers.get(event);
    if (!actions)
      throw new BackendError(
        ErrorCode.NO_SUCH_EVENT,
        `no scenario event "${event}" (known: ${[...this.daemonBoard.triggers.keys()].join(', ')})`,
      );
    for (const a of actions) this.board.apply(a);
    this.stepped(event);
  }

  reset(): void {
    this.replace(this.rebuild());
  }

  traceSince(since: number, max: number): { records: BackendTraceRecord[]; next: number } {
    return this.ring.since(since, max);
  }

  /** Every record still in the ring, oldest first: what the daemon flushes to a trace file on shutdown. */
  allTrace(): BackendTraceRecord[] {
    return this.ring.since(0, this.ring.capacity).records;
  }

  subscribe(listener: (e: BackendEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  dispose(): void {
    this.setRealtime(false);
    for (const u of this.unwire) u();
    this.unwire = [];
  }

  private replace(board: DaemonBoard): void {
    const realtime = this.clock.realtime;
    this.dispose();
    this.daemonBoard = board;
    this.stepIndex = 0;
    this.wire();
    if (realtime) this.setRealtime(true);
  }

  private wire(): void {
    const b = this.board;
    this.phyByPath.clear();
    b.mdio.forEach((bus, busId) => {
      for (const { address, phy, path } of bus.phys) {
        this.phyByPath.set(path, { bus: busId, addr: address });
        this.unwire.push(
          phy.onIrq((asserted) => {
            this.emit({ type: 'phy-irq', bus: busId, phy: address, asserted, timeNs: this.now() });
          }),
        );
      }
    });
    this.unwire.push(
      b.events.on((e) => {
        this.onTrace(e);
      }),
    );
    b.pse.forEach((c, id) => {
      this.unwire.push(
        c.lifecycle.subscribe((e) => {
          if (e.to === 'registered' || e.to === 'unregistered')
            this.emit({
              type: 'pse-lifecycle',
              controller: id,
              state: e.to,
              path: c.path,
              timeNs: BigInt(e.atNs),
            });
        }),
      );
    });
    this.unwire.push(
      runDaemonSteps(this.daemonBoard, (_index, name) => {
        this.stepped(name);
      }),
    );
  }

  private onTrace(e: BoardEvent): void {
    // Register-level notes are for tests of the models, not for clients.
    if (e.type === 'reg.tagged') return;
    this.record(e);
    if (e.type === 'phy.link') {
      const where = this.phyByPath.get(e.phy);
      if (where)
        this.emit({
          type: 'link',
          bus: where.bus,
          phy: where.addr,
          up: e.up,
          speed: e.up && typeof e.speed === 'number' ? e.speed : 0,
          duplex: e.up ? e.duplex : 'unknown',
          timeNs: this.now(),
        });
    }
  }

  private stepped(name: string): void {
    this.record({ type: 'scenario.step', name });
    this.emit({ type: 'scenario-step', index: this.stepIndex++, name, timeNs: this.now() });
  }

  /** CLOCK step: advance to the next due timer, probing forward in 1 ms increments for at most 10 s. */
  private stepClock(): void {
    const c = this.board.clock;
    const before = c.pendingTimers;
    for (let i = 0; i < 10_000 && before > 0 && c.pendingTimers >= before; i++) {
      if (c.now() + 1_000_000 > MAX_VIRTUAL_NS) return;
      c.advance(1_000_000);
    }
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

  private bus(id: number): BoardMdioBus {
    const b = this.board.mdio[id];
    if (!b) throw new BackendError(ErrorCode.NO_SUCH_BUS, `no MDIO bus ${id}`);
    return b;
  }

  private controller(controller: number, pi: number) {
    const c = this.board.pse[controller];
    if (!c) throw new BackendError(ErrorCode.NO_SUCH_CONTROLLER, `no PSE controller ${controller}`);
    // Like of_pse_control_get() before the driver registered: -EPROBE_DEFER, not "no device".
    if (!c.lifecycle.isRegistered())
      throw new BackendError(ErrorCode.NOT_REGISTERED, `PSE controller ${c.path} is not registered`);
    if (pi >= c.model.piCount)
      throw new BackendError(ErrorCode.NO_SUCH_PI, `controller ${controller} has no PI ${pi}`);
    return c;
  }

  private record(event: DaemonTraceEvent): void {
    const record = this.ring.push(this.now(), event);
    if (this.listeners.size > 0) this.emit({ type: 'trace', record });
  }

  private emit(e: BackendEvent): void {
    for (const l of this.listeners) l(e);
  }
}
