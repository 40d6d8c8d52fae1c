import type { Clock, TimerHandle } from '../clock.js';

/**
 * When a PSE controller appears to the kernel, and what the kernel is expected to do about the PHYs that
 * reference it. States: `absent` (the chip answers nothing: I2C NACK), `present` (on the bus, no driver
 * bound), `registered` (driver bound, pse_controller_register() done), `unregistered` (driver unbound again,
 * chip still present). The schedule says when `registered` is reached, so deferred PSE probe can be tested
 * deterministically on the virtual clock (or on a wall clock adapter implementing the same `Clock`).
 */
export type LifecycleState = 'absent' | 'present' | 'registered' | 'unregistered';

export type LoadSchedule =
  | { kind: 'at-start' }
  | { kind: 'after-delay'; delayNs: number }
  /** Registers right after the `count`-th access to the PHY node `phy`. */
  | { kind: 'after-phy-access'; phy: string; count: number }
  | { kind: 'on-trigger' }
  | { kind: 'never' }
  /** Registers at `firstNs`, then unregisters after `upNs` and registers again after `downNs`, `cycles` times (default: forever). */
  | { kind: 'flapping'; firstNs: number; upNs: number; downNs: number; cycles?: number };

export interface LifecycleEvent {
  type: 'pse.lifecycle';
  controller: string;
  from: LifecycleState;
  to: LifecycleState;
  atNs: number;
  reason: string;
}

export type LifecycleListener = (event: LifecycleEvent) => void;

export interface ControllerLifecycleOptions {
  /** Device-tree path of the controller node. */
  controller: string;
  schedule: LoadSchedule;
  /** State before the schedule fires; `absent` models a chip powered later, `present` a driver module loaded later. */
  initial?: 'absent' | 'present';
}

export class ControllerLifecycle {
  readonly controller: string;
  readonly schedule: LoadSchedule;
  private current: LifecycleState;
  private readonly listeners = new Set<LifecycleListener>();
  private timer: TimerHandle | undefined;
  private phyAccesses = 0;
  private cyclesDone = 0;
  private started = false;

  constructor(
    private readonly clock: Clock,
    options: ControllerLifecycleOptions,
  ) {
    this.controller = options.controller;
    this.schedule = options.schedule;
    this.current = options.initial ?? 'present';
  }

  get state(): LifecycleState {
    return this.current;
  }

  /** The chip acknowledges its bus address in every state but `absent`. */
  isPresent(): boolean {
    return this.current !== 'absent';
  }

  isRegistered(): boolean {
    return this.current === 'registered';
  }

  subscribe(listener: LifecycleListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Arms the schedule; `at-start` registers immediately. Call once, after subscribing. */
  start(): void {
    if (this.started) return;
    this.started = true;
    const s = this.schedule;
    switch (s.kind) {
      case 'at-start':
        this.register('schedule: at start');
        break;
      case 'after-delay':
        this.timer = this.clock.schedule(this.clock.now() + s.delayNs, () =>
          this.register(`schedule: after ${s.delayNs} ns`),
        );
        break;
      case 'flapping':
        this.timer = this.clock.schedule(this.clock.now() + s.firstNs, () => this.flapUp());
        break;
      case 'after-phy-access':
      case 'on-trigger':
      case 'never':
        break;
    }
  }

  /** Counts an access to a PHY; the `after-phy-access` schedule fires on the configured count. */
  notePhyAccess(phy: string): void {
    const s = this.schedule;
    if (s.kind !== 'after-phy-access' || phy !== s.phy || !this.started) return;
    this.phyAccesses++;
    if (this.phyAccesses === s.count) this.register(`schedule: after access ${s.count} to ${phy}`);
  }

  /** The explicit trigger (`on-trigger`), also usable to force a load under any schedule but `never`. */
  trigger(): void {
    if (this.schedule.kind === 'never') return;
    this.register('trigger');
  }

  /** Unbinds the driver (sysfs unbind, rmmod): the chip stays on the bus. */
  unregister(reason = 'unbind'): void {
    if (this.current === 'registered') this.move('unregistered', reason);
  }

  /** Removes the chip from the bus altogether. */
  remove(reason = 'removed'): void {
    if (this.current === 'registered') this.move('unregistered', reason);
    if (this.current !== 'absent') this.move('absent', reason);
  }

  stop(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }

  private register(reason: string): void {
    if (this.current === 'registered') return;
    if (this.current === 'absent') this.move('present', reason);
    this.move('registered', reason);
  }

  private flapUp(): void {
    const s = this.schedule;
    if (s.kind !== 'flapping') return;
    this.register(
      this.cyclesDone === 0
        ? 'schedule: flapping, first load'
        : `schedule: flapping, reload ${this.cyclesDone}`,
    );
    this.timer = this.clock.schedule(this.clock.now() + s.upNs, () => {
      this.unregister('schedule: flapping, unload');
      this.cyclesDone++;
      if (s.cycles !== undefined && this.cyclesDone >= s.cycles) return;
      this.timer = this.clock.schedule(this.clock.now() + s.downNs, () => this.flapUp());
    });
  }

  private move(to: LifecycleState, reason: string): void {
    const from = this.current;
    this.current = to;
    const event: LifecycleEvent = {
      type: 'pse.lifecycle',
      controller: this.controller,
      from,
      to,
      atNs: this.clock.now(),
      reason,
    };
    for (const l of this.listeners) l(event);
  }
}

/**
 * How a kernel attaches a PHY's `pses`:
 * - `deferred-probe` (Linux 6.1 and later until the notifier series): fwnode_mdiobus_register_phy() calls
 *   fwnode_find_pse_control(); while no registered controller matches it gets -EPROBE_DEFER and the whole
 *   MDIO bus probe defers. Once attached, the PHY keeps its pse_control even if the controller goes away
 *   (the use-after-free seen with KASAN when the PSE is unbound and the PHY later removed).
 * - `notifier`: the PHY registers without its PSE and is attached (and detached) on the PSE controller's
 *   register/unregister notifications.
 */
export type AttachModel = 'deferred-probe' | 'notifier';

export type PhyExpectation =
  /** MDIO bus probe deferred: no PHY device, no MDIO traffic to it. */
  | 'probe-deferred'
  | 'registered-with-pse'
  | 'registered-without-pse'
  /** Registered with a pse_control whose controller has been unregistered: a dangling reference. */
  | 'registered-stale-pse';

/** Tracks which PHYs use which controller and answers what a kernel should be doing right now. */
export class PseAttachTracker {
  private readonly lifecycles = new Map<string, ControllerLifecycle>();
  /** PHY path -> controller path, from the resolved bindings (checkPseBindings().links). */
  private readonly phyController = new Map<string, string>();
  /** Whether the PHY ever got its pse_control under the deferred-probe model. */
  private readonly attachedOnce = new Set<string>();

  constructor(
    links: readonly { phy: string; controller: string }[],
    lifecycles: readonly ControllerLifecycle[],
  ) {
    for (const l of links) this.phyController.set(l.phy, l.controller);
    for (const lc of lifecycles) {
      this.lifecycles.set(lc.controller, lc);
      lc.subscribe((e) => {
        if (e.to !== 'registered') return;
        for (const [phy, ctl] of this.phyController) if (ctl === e.controller) this.attachedOnce.add(phy);
      });
      if (lc.isRegistered())
        for (const [phy, ctl] of this.phyController) if (ctl === lc.controller) this.attachedOnce.add(phy);
    }
  }

  /** An access to a PHY node: feeds `after-phy-access` schedules. */
  notePhyAccess(phy: string): void {
    for (const lc of this.lifecycles.values()) lc.notePhyAccess(phy);
  }

  /** PHY paths whose `pses` controller is not registered right now. */
  physWaitingForPse(): string[] {
    return [...this.phyController]
      .filter(([, ctl]) => !this.lifecycles.get(ctl)?.isRegistered())
      .map(([phy]) => phy);
  }

  expectation(phy: string, model: AttachModel): PhyExpectation {
    const ctl = this.phyController.get(phy);
    if (ctl === undefined) return 'registered-without-pse';
    const registered = this.lifecycles.get(ctl)?.isRegistered() ?? false;
    if (registered) return 'registered-with-pse';
    if (model === 'notifier') return 'registered-without-pse';
    return this.attachedOnce.has(phy) ? 'registered-stale-pse' : 'probe-deferred';
  }
}
