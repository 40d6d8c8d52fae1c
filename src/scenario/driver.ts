import type { Board, BoardMdioBus, BoardPhy } from '../board/index.js';

/**
 * A kernel-like MDIO driver loop, as Linux 6.1 behaves with `pses` (drivers/net/mdio/of_mdio.c,
 * fwnode_mdio.c, drivers/net/phy/phy_device.c, phy.c):
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
export type BusState = 'waiting-driver' | 'unplugged' | 'deferred' | 'probed';

export interface PhyState {
  registered: boolean;
  everRegistered: boolean;
  /** ID the kernel holds for the PHY (read from registers 2/3 or taken from the compatible). */
  phyId?: number;
  /** Link bit of the last BMSR read. */
  link?: boolean;
  /** Holds a pse_control whose controller has been unregistered. */
  stalePse: boolean;
  firstAccessNs?: number;
  accesses: number;
  registeredAtNs?: number;
}

const MS = 1_000_000;
const POLL_INTERVAL_NS = 1000 * MS;
/** phy_poll_reset(): sleeps 50 ms before and between reads of BMCR. */
const RESET_POLL_NS = 50 * MS;
const DEFERRED_RETRY_NS = 1 * MS;
const BMCR = 0;
const BMSR = 1;
const BMCR_RESET = 0x8000;
/** AN_ENABLE | RESTART_AN | full duplex | 1000 Mb/s: genphy_restart_aneg() on top of the reset value. */
const BMCR_RESTART_AN = 0x1340;
const BMSR_LSTATUS = 0x0004;

export class KernelDriver {
  readonly busState = new Map<string, BusState>();
  readonly phyState = new Map<string, PhyState>();
  readonly pseRegistered = new Map<string, boolean>();
  readonly log: string[] = [];
  readonly #board: Board;
  readonly #driverLoaded = new Map<string, boolean>();
  readonly #plugged = new Map<string, boolean>();
  readonly #timers = new Map<string, { cancel(): void }>();
  #retryPending = false;

  constructor(board: Board, unpluggedAtStart: ReadonlySet<string>) {
    this.#board = board;
    for (const b of board.mdio) {
      this.#driverLoaded.set(b.path, b.module === undefined);
      this.#plugged.set(b.path, !unpluggedAtStart.has(b.path));
      this.busState.set(b.path, unpluggedAtStart.has(b.path) ? 'unplugged' : 'waiting-driver');
      for (const p of b.phys)
        this.phyState.set(p.path, { registered: false, everRegistered: false, stalePse: false, accesses: 0 });
    }
    // The board's PSE lifecycles are the truth about registration; the driver reacts to their changes.
    for (const c of board.pse) {
      this.pseRegistered.set(c.path, c.lifecycle.isRegistered());
      c.lifecycle.subscribe((e) => {
        if (e.to === 'registered' || e.to === 'unregistered') this.#pseChanged(c.path, e.to === 'registered');
      });
    }
  }

  /** Boot: every bus whose driver is built in and whose device is present probes. */
  boot(): void {
    for (const b of this.#board.mdio) if (this.#ready(b)) this.#probe(b);
  }

  /** Counts an MDIO access to the PHY at (bus, addr), for the access expectations. */
  noteAccess(bus: string, addr: number, tNs: number): void {
    const p = this.#board.busAt(bus)?.phys.find((x) => x.address === addr);
    const s = p ? this.phyState.get(p.path) : undefined;
    if (!s) return;
    s.accesses++;
    s.firstAccessNs ??= tNs;
  }

  /** The controller's driver binds (pse_controller_register()) or unbinds; unknown controllers are ignored. */
  setPseRegistered(controller: string, registered: boolean): void {
    const lifecycle = this.#board.pseAt(controller)?.lifecycle;
    if (registered) lifecycle?.trigger();
    else lifecycle?.unregister('scenario');
  }

  #pseChanged(controller: string, registered: boolean): void {
    if (this.pseRegistered.get(controller) === registered) return;
    this.pseRegistered.set(controller, registered);
    const model = this.#board.pseAt(controller)?.model;
    // The PIs follow the driver: enabled once it registers (as `ethtool --set-pse ... enable` would), off when it goes.
    if (model) for (let i = 0; i < model.piCount; i++) model.setAdminState(i, registered);
    this.#note(`${controller}: ${registered ? 'registered' : 'unregistered'}`);
    if (registered) this.#scheduleRetry();
    else {
      for (const b of this.#board.mdio) {
        for (const p of b.phys) {
          const s = this.phyState.get(p.path);
          if (s?.registered && p.pses[0]?.controller === controller) {
            s.stalePse = true;
            this.#note(`${p.path} keeps its pse_control of ${controller} (stale)`);
          }
        }
      }
    }
  }

  setDriverLoaded(bus: string, loaded: boolean): void {
    this.#driverLoaded.set(bus, loaded);
    this.#changed(bus);
  }

  setPlugged(bus: string, plugged: boolean): void {
    this.#plugged.set(bus, plugged);
    this.#changed(bus);
  }

  #changed(path: string): void {
    const b = this.#board.busAt(path);
    if (!b) return;
    if (this.#ready(b)) {
      if (this.busState.get(path) !== 'probed') this.#probe(b);
    } else {
      this.#removeBus(b);
      this.busState.set(path, this.#plugged.get(path) ? 'waiting-driver' : 'unplugged');
    }
  }

  #ready(b: BoardMdioBus): boolean {
    return (this.#driverLoaded.get(b.path) ?? false) && (this.#plugged.get(b.path) ?? false);
  }

  #scheduleRetry(): void {
    if (this.#retryPending) return;
    this.#retryPending = true;
    const clock = this.#board.clock;
    clock.schedule(clock.now() + DEFERRED_RETRY_NS, () => {
      this.#retryPending = false;
      for (const b of this.#board.mdio)
        if (this.busState.get(b.path) === 'deferred' && this.#ready(b)) this.#probe(b);
    });
  }

  #probe(b: BoardMdioBus): void {
    const registered: BoardPhy[] = [];
    for (const p of b.phys) {
      const pse = p.pses[0];
      if (pse && !this.pseRegistered.get(pse.controller)) {
        for (const r of registered) this.#unregister(r);
        this.busState.set(b.path, 'deferred');
        this.#note(`${b.path}: probe deferred: ${p.path} waits for ${pse.controller} (-EPROBE_DEFER)`);
        return;
      }
      const id = p.idFromCompatible ?? ((b.bus.read(p.address, 2) << 16) | b.bus.read(p.address, 3)) >>> 0;
      if ((id & 0x1fffffff) === 0x1fffffff) {
        this.#note(`${b.path}: MDIO device at address ${p.address} is missing`);
        continue;
      }
      const s = this.#state(p);
      s.registered = true;
      s.everRegistered = true;
      s.phyId = id;
      s.registeredAtNs = this.#board.clock.now();
      registered.push(p);
      this.#note(`${p.path}: registered, PHY ID 0x${id.toString(16).padStart(8, '0')}`);
    }
    this.busState.set(b.path, 'probed');
    for (const p of registered) this.#attach(b, p);
  }

  #attach(b: BoardMdioBus, p: BoardPhy): void {
    const clock = this.#board.clock;
    b.bus.write(p.address, BMCR, BMCR_RESET);
    const waitReset = (): void => {
      this.#timers.set(
        p.path,
        clock.schedule(clock.now() + RESET_POLL_NS, () => {
          if (b.bus.read(p.address, BMCR) & BMCR_RESET) return waitReset();
          b.bus.write(p.address, BMCR, BMCR_RESTART_AN);
          this.#poll(b, p);
        }),
      );
    };
    waitReset();
  }

  #poll(b: BoardMdioBus, p: BoardPhy): void {
    const clock = this.#board.clock;
    this.#timers.set(
      p.path,
      clock.schedule(clock.now() + POLL_INTERVAL_NS, () => {
        const s = this.#state(p);
        b.bus.read(p.address, BMCR);
        if (!s.link) b.bus.read(p.address, BMSR);
        const link = (b.bus.read(p.address, BMSR) & BMSR_LSTATUS) !== 0;
        if (link !== (s.link ?? false) || (link && s.link === undefined))
          this.#note(`${p.path}: link ${link ? 'up' : 'down'}`);
        s.link = link;
        this.#poll(b, p);
      }),
    );
  }

  #unregister(p: BoardPhy): void {
    const s = this.phyState.get(p.path);
    if (!s?.registered) return;
    s.registered = false;
    delete s.link;
    this.#timers.get(p.path)?.cancel();
    this.#timers.delete(p.path);
  }

  #removeBus(b: BoardMdioBus): void {
    for (const p of b.phys) this.#unregister(p);
  }

  /** The constructor made a state for every PHY of the board. */
  #state(p: BoardPhy): PhyState {
    const s = this.phyState.get(p.path);
    if (!s) throw new Error(`driver: ${p.path} is not a PHY of this board`);
    return s;
  }

  #note(text: string): void {
    this.log.push(`${(this.#board.clock.now() / MS).toFixed(3)} ms: ${text}`);
  }
}
