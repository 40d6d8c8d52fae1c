import type { Board, BoardMdioBus, BoardPhy } from '../board/board.js';
import { ACTION_SIDE, describeAction, type GuestAction } from '../board/actions.js';
import { driverEffects } from '../board/pse-drivers.js';
import { ms, NS_PER_MS, type VirtualClock } from '../clock.js';
import type { GuestDriver } from './engine.js';
import type { EngineEvent, GuestEvent } from './events.js';
import type { Step } from './types.js';

/**
 * The kernel model: a kernel-like MDIO and PSE driver loop in-process, as Linux 6.1 behaves with `pses`
 * (drivers/net/mdio/of_mdio.c, fwnode_mdio.c, drivers/net/phy/phy_device.c, phy.c, drivers/base/dd.c), for
 * runs without QEMU. It reports the same events a real kernel's log and uevents give (src/scenario/events.ts),
 * so the scenario engine judges both alike.
 * - Probing a bus walks its PHY nodes in DT order. A PHY whose `pses` controller is not registered makes
 *   fwnode_find_pse_control() return -EPROBE_DEFER, and __of_mdiobus_register() unregisters the whole bus:
 *   PHYs before it in the same pass were read and then dropped.
 * - Otherwise the ID is read from registers 2 and 3 (get_phy_c22_id()) unless an `ethernet-phy-idAAAA.BBBB`
 *   compatible gives it; an ID whose low 29 bits are all ones means "no PHY" (-ENODEV, the bus carries on).
 * - Deferred probes are retried when another driver binds (driver_deferred_probe_trigger()), here 1 ms
 *   after a PSE controller registers.
 * - A registered PHY is attached as a MAC driver would (soft reset, poll BMCR until RESET clears, restart
 *   autoneg) and then polled every second (PHY_STATE_TIME) the way genphy_update_link() reads: BMCR, BMSR
 *   twice while the link is down (the first read clears the latched-low bit), once after.
 * - Unregistering a PSE controller does not detach PHYs that hold its pse_control (no notifier in 6.1):
 *   they keep a stale reference.
 */
type BusState = 'waiting-driver' | 'unplugged' | 'deferred' | 'probed';

const POLL_INTERVAL_NS = ms(1000);
/** phy_poll_reset(): sleeps 50 ms before and between reads of BMCR. */
const RESET_POLL_NS = ms(50);
const DEFERRED_RETRY_NS = ms(1);
const BMCR = 0;
const BMSR = 1;
const BMCR_RESET = 0x8000;
/** AN_ENABLE | RESTART_AN | full duplex | 1000 Mb/s: genphy_restart_aneg() on top of the reset value. */
const BMCR_RESTART_AN = 0x1340;
const BMSR_LSTATUS = 0x0004;

/** PHY driver names as Linux prints them (by the driver's ID match), for `phy-registered`'s `driver`. */
const DRIVERS: { id: number; mask: number; name: string }[] = [
  { id: 0x01410dd0, mask: 0xfffffff0, name: 'Marvell 88E1510' },
  { id: 0x001cc916, mask: 0xffffffff, name: 'RTL8211F Gigabit Ethernet' },
  { id: 0x2000a231, mask: 0xfffffff0, name: 'TI DP83867' },
];
function driverName(id: number): string {
  return DRIVERS.find((x) => ((id ^ x.id) & x.mask) === 0)?.name ?? 'Generic PHY';
}

export class ModelGuest implements GuestDriver {
  readonly #board: Board;
  readonly #clock: VirtualClock;
  readonly #emit: (t: number, e: GuestEvent | EngineEvent) => void;
  readonly #busState = new Map<string, BusState>();
  readonly #registered = new Set<string>();
  readonly #pseRegistered = new Map<string, boolean>();
  readonly #driverLoaded = new Map<string, boolean>();
  readonly #link = new Map<string, boolean>();
  readonly #timers = new Map<string, { cancel(): void }>();
  #retryPending = false;

  constructor(board: Board, emit: (t: number, e: GuestEvent | EngineEvent) => void) {
    this.#board = board;
    this.#clock = board.clock;
    this.#emit = emit;
    for (const b of board.mdio) this.#driverLoaded.set(b.path, b.module === undefined);
    // The board's PSE lifecycles are the truth about registration; the model reacts to their changes.
    for (const c of board.pse) {
      this.#pseRegistered.set(c.path, c.lifecycle.isRegistered());
      c.lifecycle.subscribe((e) => {
        if (e.to === 'registered' || e.to === 'unregistered') this.#pseChanged(c.path, e.to === 'registered');
      });
    }
    // A USB adapter plugged or unplugged changes whether its bus can probe.
    board.events.on((e) => {
      if (e.type === 'usb.attach') this.#changed(e.device);
    });
    board.attachGuest({ apply: (a) => this.#apply(a) });
  }

  now(): number {
    return this.#clock.now() / NS_PER_MS;
  }

  wakeAt(t: number, callback: () => void): void {
    this.#clock.schedule(ms(t), callback);
  }

  /** Boot: the guest is up, and every bus whose driver is built in and whose device is present probes. */
  boot(): void {
    this.#emit(this.now(), { type: 'guest.up' });
  }

  /** Built-in drivers probe after the steps that run before anything else (the kernel command line's part). */
  probeBuiltIns(): void {
    for (const b of this.#board.mdio) if (this.#ready(b)) this.#probe(b);
  }

  startStep(step: Step): void {
    const run = (): void => {
      this.#emit(this.now(), { type: 'step.start', step: step.index });
      // The engine applies a hardware step when it sees it start; a guest step the model carries out at once
      // (through the board, which hands guest actions to the guest attached to it).
      if (ACTION_SIDE[step.action.kind] === 'guest') {
        this.#board.apply(step.action);
        this.#emit(this.now(), { type: 'step.done', step: step.index, ok: true });
      }
    };
    if (step.delayMs > 0) this.#clock.schedule(this.#clock.now() + ms(step.delayMs), run);
    else run();
  }

  #apply(a: GuestAction): void {
    if (a.kind === 'run')
      // The scenario loader refuses `run` for the kernel model (bindScenario); reaching here is a bug.
      throw new Error('the kernel model has no shell to run commands in');
    const effects = driverEffects(this.#board, a);
    for (const { controller, registered } of effects.pse)
      if (registered) controller.lifecycle.trigger();
      else controller.lifecycle.unregister(describeAction(a));
    for (const { bus, loaded } of effects.buses) {
      this.#driverLoaded.set(bus.path, loaded);
      this.#changed(bus.path);
    }
  }

  #pseChanged(controller: string, registered: boolean): void {
    if (this.#pseRegistered.get(controller) === registered) return;
    this.#pseRegistered.set(controller, registered);
    const model = this.#board.pseAt(controller)?.model;
    // The PIs follow the driver: enabled once it registers (as `ethtool --set-pse ... enable` would), off when it goes.
    if (model) for (let i = 0; i < model.piCount; i++) model.setAdminState(i, registered);
    this.#emit(this.now(), { type: 'guest.pse', controller, registered });
    this.#emit(this.now(), {
      type: 'guest.device',
      action: registered ? 'bind' : 'unbind',
      subsystem: 'platform',
      name: controller.slice(controller.lastIndexOf('/') + 1),
      node: controller,
      driver: this.#board.pseAt(controller)?.module ?? '',
    });
    if (registered) this.#scheduleRetry();
    else {
      for (const b of this.#board.mdio)
        for (const p of b.phys)
          if (this.#registered.has(p.path) && p.pses[0]?.controller === controller)
            this.#emit(this.now(), { type: 'guest.stale-pse', phy: p.path, controller });
    }
  }

  #changed(path: string): void {
    const b = this.#board.busAt(path);
    if (!b) return;
    if (this.#ready(b)) {
      if (this.#busState.get(path) !== 'probed') this.#probe(b);
    } else {
      for (const p of b.phys) this.#unregister(b, p);
      this.#busState.set(path, this.#plugged(b) ? 'waiting-driver' : 'unplugged');
    }
  }

  #plugged(b: BoardMdioBus): boolean {
    return this.#board.usbAt(b.path)?.attached ?? true;
  }

  #ready(b: BoardMdioBus): boolean {
    return (this.#driverLoaded.get(b.path) ?? false) && this.#plugged(b);
  }

  #scheduleRetry(): void {
    if (this.#retryPending) return;
    this.#retryPending = true;
    this.#clock.schedule(this.#clock.now() + DEFERRED_RETRY_NS, () => {
      this.#retryPending = false;
      for (const b of this.#board.mdio)
        if (this.#busState.get(b.path) === 'deferred' && this.#ready(b)) this.#probe(b);
    });
  }

  #probe(b: BoardMdioBus): void {
    const registered: BoardPhy[] = [];
    const busDriver = b.module ?? 'mdio-bus';
    for (const p of b.phys) {
      const pse = p.pses[0];
      if (pse && !this.#pseRegistered.get(pse.controller)) {
        for (const r of registered) this.#unregister(b, r);
        this.#busState.set(b.path, 'deferred');
        this.#emit(this.now(), {
          type: 'guest.deferred',
          name: b.path.slice(b.path.lastIndexOf('/') + 1),
          node: b.path,
          driver: busDriver,
        });
        this.#emit(this.now(), {
          type: 'guest.log',
          level: 7,
          text: `${b.path}: probe deferred: ${p.path} waits for ${pse.controller} (-EPROBE_DEFER)`,
          node: b.path,
        });
        return;
      }
      const id = p.idFromCompatible ?? ((b.bus.read(p.address, 2) << 16) | b.bus.read(p.address, 3)) >>> 0;
      if ((id & 0x1fffffff) === 0x1fffffff) continue;
      this.#registered.add(p.path);
      registered.push(p);
      const name = `${b.path.slice(b.path.lastIndexOf('/') + 1)}:${p.address.toString(16).padStart(2, '0')}`;
      this.#emit(this.now(), {
        type: 'guest.device',
        action: 'add',
        subsystem: 'mdio_bus',
        name,
        node: p.path,
        phyId: id,
      });
      this.#emit(this.now(), {
        type: 'guest.device',
        action: 'bind',
        subsystem: 'mdio_bus',
        name,
        node: p.path,
        driver: driverName(id),
        phyId: id,
      });
    }
    this.#busState.set(b.path, 'probed');
    this.#emit(this.now(), {
      type: 'guest.device',
      action: 'bind',
      subsystem: 'platform',
      name: b.path.slice(b.path.lastIndexOf('/') + 1),
      node: b.path,
      driver: busDriver,
    });
    for (const p of registered) this.#attach(b, p);
  }

  #attach(b: BoardMdioBus, p: BoardPhy): void {
    b.bus.write(p.address, BMCR, BMCR_RESET);
    const waitReset = (): void => {
      this.#timers.set(
        p.path,
        this.#clock.schedule(this.#clock.now() + RESET_POLL_NS, () => {
          if (b.bus.read(p.address, BMCR) & BMCR_RESET) return waitReset();
          b.bus.write(p.address, BMCR, BMCR_RESTART_AN);
          this.#poll(b, p);
        }),
      );
    };
    waitReset();
  }

  #poll(b: BoardMdioBus, p: BoardPhy): void {
    this.#timers.set(
      p.path,
      this.#clock.schedule(this.#clock.now() + POLL_INTERVAL_NS, () => {
        const was = this.#link.get(p.path);
        b.bus.read(p.address, BMCR);
        if (!was) b.bus.read(p.address, BMSR);
        const link = (b.bus.read(p.address, BMSR) & BMSR_LSTATUS) !== 0;
        this.#link.set(p.path, link);
        if (link !== was) this.#emit(this.now(), { type: 'guest.phy-link', phy: p.path, up: link });
        this.#poll(b, p);
      }),
    );
  }

  #unregister(b: BoardMdioBus, p: BoardPhy): void {
    if (!this.#registered.delete(p.path)) return;
    this.#link.delete(p.path);
    this.#timers.get(p.path)?.cancel();
    this.#timers.delete(p.path);
    const name = `${b.path.slice(b.path.lastIndexOf('/') + 1)}:${p.address.toString(16).padStart(2, '0')}`;
    this.#emit(this.now(), {
      type: 'guest.device',
      action: 'remove',
      subsystem: 'mdio_bus',
      name,
      node: p.path,
    });
  }
}
