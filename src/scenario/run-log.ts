import type { BoardEvent } from '../board/events.js';
import type { GuestEvent, RunEvent, TimedEvent } from './events.js';

interface At {
  t: number;
}
export interface Registration extends At {
  name: string;
  phyId?: number;
  /** The driver that bound to it afterwards, if one did. */
  driver?: string;
  removedAt?: number;
}
export interface Binding extends At {
  driver: string;
  subsystem: string;
  name: string;
  unboundAt?: number;
}
export interface Deferral extends At {
  driver: string;
  name: string;
}
export type KernelReport = Extract<GuestEvent, { type: 'guest.report' }> & At;
export type CommandRecord = Extract<GuestEvent, { type: 'guest.command' }> & At;

/**
 * Everything a run observed, in arrival order, indexed the way expectations ask: registrations and bindings by
 * device-tree node, MDIO accesses by PHY, reports, commands, step times. One log for every guest and board, so
 * an expectation is judged the same way whoever produced the events.
 */
export class RunLog {
  readonly events: TimedEvent[] = [];
  readonly stepStart = new Map<number, number>();
  readonly stepDone = new Map<number, At & { ok: boolean; detail?: string }>();
  readonly registrations = new Map<string, Registration[]>();
  readonly bindings = new Map<string, Binding[]>();
  readonly deferrals = new Map<string, Deferral[]>();
  readonly accesses = new Map<string, number[]>();
  readonly reports: KernelReport[] = [];
  readonly logLines: (At & { text: string })[] = [];
  readonly commands = new Map<number, CommandRecord>();
  readonly pseRegistered = new Map<string, boolean>();
  readonly phyLink = new Map<string, boolean>();
  readonly stalePse = new Map<string, string>();
  /** The PHY model's link, as its last change left it. */
  readonly modelLink = new Map<string, At & { up: boolean }>();
  /** Guest time of the last event that shows the guest doing something (not MDIO polling, not a heartbeat). */
  lastActivity = 0;
  /** Latest guest time seen. */
  now = 0;

  constructor(
    /** `bus path` and address to the PHY node path there, for MDIO accesses. */
    private readonly phyAt: (bus: string, addr: number) => string | undefined,
  ) {}

  #frozen = false;

  /** From now on events are kept for the report but no longer count for expectations. */
  freeze(): void {
    this.#frozen = true;
  }

  /**
   * Replaces the MDIO access times by better ones (the guest's own trace timestamps of the same accesses),
   * per PHY; used once the run is over, when the guest's trace has been read.
   */
  retimeAccesses(byPhy: ReadonlyMap<string, number[]>): void {
    this.accesses.clear();
    for (const [phy, times] of byPhy) this.accesses.set(phy, [...times]);
  }

  push(t: number, event: RunEvent): void {
    this.events.push({ t, event });
    if (this.#frozen) return;
    if (t > this.now) this.now = t;
    if (event.type.startsWith('guest.') || event.type.startsWith('step.'))
      this.lastActivity = Math.max(this.lastActivity, t);
    this.#index(t, event);
  }

  #index(t: number, e: RunEvent): void {
    switch (e.type) {
      case 'step.start':
        this.stepStart.set(e.step, t);
        return;
      case 'step.done':
        this.stepDone.set(e.step, { t, ok: e.ok, ...(e.detail === undefined ? {} : { detail: e.detail }) });
        return;
      case 'guest.device':
        return this.#device(t, e);
      case 'guest.deferred':
        if (e.node !== undefined) push(this.deferrals, e.node, { t, driver: e.driver, name: e.name });
        return;
      case 'guest.report':
        this.reports.push({ ...e, t });
        return;
      case 'guest.log':
        this.logLines.push({ t, text: e.text });
        return;
      case 'guest.command':
        this.commands.set(e.step, { ...e, t });
        return;
      case 'guest.pse':
        this.pseRegistered.set(e.controller, e.registered);
        return;
      case 'guest.phy-link':
        this.phyLink.set(e.phy, e.up);
        return;
      case 'guest.stale-pse':
        this.stalePse.set(e.phy, e.controller);
        return;
      case 'mdio.read':
      case 'mdio.write':
        return this.#mdio(t, e);
      case 'phy.link':
        this.modelLink.set(e.phy, { t, up: e.up });
        return;
      default:
        return;
    }
  }

  #device(t: number, e: Extract<GuestEvent, { type: 'guest.device' }>): void {
    if (e.node === undefined) return;
    if (e.subsystem === 'mdio_bus') {
      const list = this.registrations.get(e.node) ?? [];
      const open = list.findLast((r) => r.removedAt === undefined);
      if (e.action === 'add')
        push(this.registrations, e.node, {
          t,
          name: e.name,
          ...(e.phyId === undefined ? {} : { phyId: e.phyId }),
        });
      else if (e.action === 'remove' && open) open.removedAt = t;
      else if (e.action === 'bind' && open && e.driver !== undefined) {
        open.driver = e.driver;
        if (e.phyId !== undefined) open.phyId ??= e.phyId;
      }
    }
    if (e.action === 'bind' && e.driver !== undefined)
      push(this.bindings, e.node, { t, driver: e.driver, subsystem: e.subsystem, name: e.name });
    if (e.action === 'unbind' || e.action === 'remove') {
      for (const b of this.bindings.get(e.node) ?? [])
        if (b.unboundAt === undefined && b.name === e.name) b.unboundAt = t;
    }
  }

  #mdio(t: number, e: Extract<BoardEvent, { type: 'mdio.read' | 'mdio.write' }>): void {
    const phy = this.phyAt(e.bus, e.addr);
    if (phy !== undefined) push(this.accesses, phy, t);
  }

  /** The first time the PHY node got an MDIO device, or undefined. */
  registeredAt(phy: string, before = Number.POSITIVE_INFINITY): Registration | undefined {
    return this.registrations.get(phy)?.find((r) => r.t < before);
  }

  /** Whether `node` was waiting on a deferred probe at time `t`: deferred by a driver that had not bound since. */
  deferredAt(node: string, t: number): Deferral | undefined {
    const last = this.deferrals.get(node)?.findLast((d) => d.t <= t);
    if (!last) return undefined;
    const boundSince = this.bindings
      .get(node)
      ?.some((b) => b.driver === last.driver && b.t >= last.t && b.t <= t);
    return boundSince ? undefined : last;
  }

  accessesTo(phy: string): readonly number[] {
    return this.accesses.get(phy) ?? [];
  }
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
