import { buildMdioBuses, type MdioBusKind } from '../bindings/mdio.js';
import {
  checkPseBindings,
  phandleIndex,
  type PhyPseLink,
  type PseBindingReport,
  type PseControllerKind,
} from '../bindings/pse.js';
import { ms, type VirtualClock } from '../clock.js';
import { InputError } from '../diagnostics/index.js';
import { getProperty, nodePath, stringsOf, walk, type DeviceTree, type DtNode } from '../dts/tree.js';
import type { FaultHandle, MdioBus } from '../mdio/index.js';
import type { FrameReceiver } from '../net/frame.js';
import { ALL_MODES, type LinkMode, type LinkPartner, type Phy, type PhyTiming } from '../phy/index.js';
import {
  ControllerLifecycle,
  PseControllerModel,
  dualSignaturePd,
  pd,
  Tps23881,
  type DetectionSignature,
} from '../pse/index.js';
import type { PiPowerState, PseEvent } from '../pse/controller.js';
import { Tracer } from '../regs/index.js';
import { ACTION_SIDE, type Action, type GuestAction, type HardwareAction } from './actions.js';
import { BindingError } from '../bindings/errors.js';
import type { BoardEvent } from './events.js';
import { buildI2cBuses, type BoardI2cBus } from './i2c-devices.js';
import { placeUsbDevices, type BoardUsbDevice } from './usb-devices.js';

export interface BoardPhy {
  readonly path: string;
  readonly busPath: string;
  readonly address: number;
  readonly phy: Phy;
  readonly clause45: boolean;
  /** ID an `ethernet-phy-idAAAA.BBBB` compatible gives: Linux then creates the device without reading registers 2/3. */
  readonly idFromCompatible?: number;
  /** The PHY's `pses` as src/bindings/pse.ts resolved them; Linux uses the first (fwnode_find_pse_control(), index 0). */
  readonly pses: readonly PhyPseLink[];
}

export interface BoardMdioBus {
  readonly path: string;
  readonly kind: MdioBusKind;
  readonly bus: MdioBus;
  /** By address, ascending. */
  readonly phys: readonly BoardPhy[];
  /** Kernel module that drives the bus (a USB adapter's driver); undefined for a bus probed at boot. */
  readonly module?: string;
}

export interface BoardPse {
  readonly path: string;
  /** The node's first compatible string. */
  readonly compatible: string;
  readonly kind: PseControllerKind;
  /** Kernel module of its driver (drivers/net/pse-pd/Makefile object names). */
  readonly module: string;
  /** When the kernel sees the controller registered; starts `present`, registers on trigger(). */
  readonly lifecycle: ControllerLifecycle;
  readonly model: PseControllerModel;
  /** One name per PI: the `pse-pi@N` node name, or `piN` for a `#pse-cells` index. */
  readonly piNames: readonly string[];
}

/** Who carries out guest actions: a real kernel under QEMU (src/qemu) or the kernel model (src/scenario). */
export interface GuestPort {
  apply(action: GuestAction): void;
}

export interface BoardOptions {
  readonly clock: VirtualClock;
  /** Link partner cabled to every PHY at start; `undefined` leaves cables empty. Default: a gigabit switch port. */
  readonly partner?: LinkPartner | undefined;
  /**
   * Called before every access a USB device model makes to the hardware behind it: a board run against wall
   * time (a QEMU guest) brings its clock up to date here, so timers that fell due (autoneg) fire first.
   */
  readonly beforeDeviceAccess?: () => void;
  /**
   * Where the PSE ports' power states in the event stream (report.html's lanes) come from: the PSE framework's
   * model (`model`, the default: the kernel model and the socket protocol drive it), or the register-level
   * chips (`chips`: a real kernel is the PSE framework, and what its driver made the hardware do is the truth;
   * controllers without a chip model keep the framework model's states).
   */
  readonly portStatesFrom?: 'model' | 'chips';
  /** A tap for every frame on a USB Ethernet adapter's wire, both directions (a pcap file). */
  readonly frameTap?: (devicePath: string) => FrameReceiver | undefined;
  /** PHY timings (autoneg, reset) other than the models' defaults, for tests. */
  readonly timing?: Partial<PhyTiming>;
}

/** Modules of the PSE drivers by controller kind (drivers/net/pse-pd/Makefile; the generic core is built in). */
export const PSE_DRIVER_MODULES: Readonly<Record<PseControllerKind, string>> = {
  'podl-pse-regulator': 'pse_regulator',
  'ti,tps23881': 'tps23881',
  'microchip,pd692x0': 'pd692x0',
  generic: 'pse_core',
};

/** USB-MDIO adapters by USB compatible, as drivers/net/mdio/mdio-mvusb.c matches them: the bus waits for the module. */
const BUS_DRIVER_MODULES: Readonly<Record<string, string>> = { 'usb1286,1fa4': 'mdio_mvusb' };

/**
 * Property of a PHY node: the link modes its link partner advertises with autonegotiation (for instance
 * `"100baseTX-Full"` for a 100 Mb/s-only switch port). Absent: a gigabit switch port. Linux ignores it.
 */
export const LINK_PARTNER_PROPERTY = 'mdio-emu,link-partner';

/**
 * TPS23881: time from detection to the classification result, as a real port takes it (IEEE 802.3 33.2.6:
 * each classification event lasts 6 to 30 ms). Not longer: whether detection and classification land in one
 * interrupt is the kernel's business, and Linux 7.2 mishandles exactly that (docs/kernel-findings.md).
 */
const TPS23881_CLASSIFICATION_MS = 20;

/** PD signatures of the pd-connect action, as detection measures them (802.3 33.2.5). */
const SIGNATURES: Readonly<Record<'single' | 'dual' | 'invalid', DetectionSignature>> = {
  single: 'valid',
  // Pairset A's signature; board.apply builds a dual-signature PD (both pairsets valid) for `dual`.
  dual: 'valid',
  invalid: 'high',
};

/**
 * The emulated hardware of a device tree, one for every use: the socket daemon, the scenario engine (with
 * the kernel model or a QEMU guest attached), replay and the CLI. MDIO buses and PHYs, PSE controllers with
 * their driver lifecycles, I2C buses with their chips, USB devices under an xHCI node, one virtual clock and
 * one typed event stream. `apply()` carries out the one action vocabulary (src/board/actions.ts).
 */
export class Board {
  readonly events = new Tracer<BoardEvent>();
  readonly bindings: PseBindingReport;
  /** In tree order. */
  readonly mdio: readonly BoardMdioBus[];
  readonly i2c: readonly BoardI2cBus[];
  /** Enabled PSE controllers, in tree order. */
  readonly pse: readonly BoardPse[];
  /** USB devices placed under the xHCI node (QEMU's virt machine), in tree order. */
  readonly usb: readonly BoardUsbDevice[];
  /** Nodes by phandle, for resolving interrupt parents. */
  readonly phandles: ReadonlyMap<number, DtNode>;
  readonly #phyByPath: Map<string, BoardPhy>;
  readonly #labels = new Map<string, string>();
  readonly #known = new Set<string>();
  readonly #faults = new Map<string, FaultHandle[]>();
  /** Register-level PSE chips by controller path: PD acts on such a controller reach the chip's channels. */
  readonly #chips: ReadonlyMap<string, Tps23881>;
  /** Controllers whose port states come from their chip (`portStatesFrom: 'chips'`). */
  readonly #chipStates = new Set<string>();
  #guest: GuestPort | undefined;

  constructor(
    readonly tree: DeviceTree,
    readonly clock: VirtualClock,
    options: Omit<BoardOptions, 'clock'> = {},
  ) {
    this.bindings = checkPseBindings(tree.root);
    this.phandles = phandleIndex(tree.root);
    const linksOf = new Map<string, PhyPseLink[]>();
    for (const l of this.bindings.links) linksOf.set(l.phy, [...(linksOf.get(l.phy) ?? []), l]);

    const built = buildMdioBuses(tree, {
      clock,
      trace: this.events,
      ...('partner' in options ? { partner: options.partner } : {}),
      ...(options.timing ? { timing: options.timing } : {}),
    });
    this.mdio = built.map(({ info, bus, phys }) => {
      const boardPhys: BoardPhy[] = [];
      for (const p of info.phys) {
        const phy = phys.get(p.address);
        if (!phy) continue;
        const partner = getProperty(p.node, LINK_PARTNER_PROPERTY);
        if (partner) phy.setPartner({ autoneg: true, modes: linkModes(p.node, partner) });
        boardPhys.push({
          path: p.path,
          busPath: info.path,
          address: p.address,
          phy,
          clause45: p.clause45,
          ...(p.idSource === 'compatible' ? { idFromCompatible: p.phyId } : {}),
          pses: linksOf.get(p.path) ?? [],
        });
      }
      const compatible = getProperty(info.node, 'compatible');
      const module = (compatible ? stringsOf(compatible.value) : [])
        .map((c) => BUS_DRIVER_MODULES[c.toLowerCase()])
        .find((m) => m !== undefined);
      return { path: info.path, kind: info.kind, bus, phys: boardPhys, ...(module ? { module } : {}) };
    });
    this.#phyByPath = new Map(this.mdio.flatMap((b) => b.phys.map((p) => [p.path, p] as const)));

    this.pse = this.bindings.controllers
      .filter((c) => c.enabled)
      .map((c) => ({
        path: c.path,
        compatible: c.compatible[0] ?? c.kind,
        kind: c.kind,
        module: PSE_DRIVER_MODULES[c.kind],
        lifecycle: new ControllerLifecycle(clock, { controller: c.path, schedule: { kind: 'on-trigger' } }),
        model: new PseControllerModel(c.pis.length),
        piNames: c.pis.map((p) => p.path?.split('/').pop() ?? `pi${p.index}`),
      }));
    for (const c of this.pse) {
      c.lifecycle.subscribe((e) => {
        if (this.events.enabled)
          this.events.emit({
            type: 'pse.lifecycle',
            t: e.atNs,
            controller: c.path,
            from: e.from,
            to: e.to,
            reason: e.reason,
          });
      });
      // The PI's power state after every change the model reports, once per change: what report.html draws.
      const shown = new Map<number, string>();
      c.model.subscribe((e) => {
        if (!this.events.enabled || this.#chipStates.has(c.path)) return;
        // Read from the event, not from status(): the model reports in the middle of a change (an admin
        // disable reports its power-off before the PI's admin state is cleared).
        const status = c.model.status(e.pi);
        const power = portPower(e, status.adminEnabled);
        if (power === undefined || shown.get(e.pi) === power) return;
        shown.set(e.pi, power);
        this.events.emit({
          type: 'pse.port',
          t: clock.now(),
          controller: c.path,
          port: e.pi,
          power,
          ...(status.pdClass === undefined ? {} : { pdClass: status.pdClass }),
          ...(status.allocatedMw > 0 ? { allocatedMw: status.allocatedMw } : {}),
          ...(e.type === 'pse.power-off' ? { reason: e.reason } : {}),
        });
      });
      c.lifecycle.start();
    }
    this.i2c = buildI2cBuses(tree.root, (path) => this.pse.find((c) => c.path === path)?.lifecycle, {
      traceFor: (bus) => (xfer) => {
        if (this.events.enabled) this.events.emit({ type: 'i2c.xfer', t: clock.now(), bus, ...xfer });
      },
      clock,
      classificationDelayNs: ms(TPS23881_CLASSIFICATION_MS),
    });
    this.#chips = new Map(this.i2c.flatMap((b) => [...b.chips]));
    if (options.portStatesFrom === 'chips')
      for (const c of this.pse) {
        const chip = this.#chips.get(c.path);
        if (chip) this.#portStatesFromChip(c, chip, clock);
      }
    this.usb = placeUsbDevices(this, {
      ...(options.beforeDeviceAccess ? { beforeAccess: options.beforeDeviceAccess } : {}),
      ...(options.frameTap ? { frameTap: options.frameTap } : {}),
    });

    walk(tree.root, (n) => {
      const path = nodePath(n);
      this.#known.add(path);
      for (const l of n.labels) this.#labels.set(l, path);
    });
  }

  busAt(path: string): BoardMdioBus | undefined {
    return this.mdio.find((b) => b.path === path);
  }

  phyAt(path: string): BoardPhy | undefined {
    return this.#phyByPath.get(path);
  }

  pseAt(path: string): BoardPse | undefined {
    return this.pse.find((c) => c.path === path);
  }

  usbAt(path: string): BoardUsbDevice | undefined {
    return this.usb.find((d) => d.path === path);
  }

  /** `&label` or `/path` to the node's full path; undefined when the tree has no such node. */
  resolve(ref: string): string | undefined {
    const path = ref.startsWith('&') ? this.#labels.get(ref.slice(1)) : ref;
    return path !== undefined && this.#known.has(path) ? path : undefined;
  }

  /** Guest actions go to this guest from now on. */
  attachGuest(guest: GuestPort | undefined): void {
    this.#guest = guest;
  }

  /**
   * Carries out one action: hardware actions here, guest actions by the attached guest. Node paths must be
   * resolved (src/scenario checks them against this board before a run; an unresolved one is an InputError).
   */
  apply(action: Action): void {
    if (this.events.enabled) this.events.emit({ type: 'board.action', t: this.clock.now(), action });
    if (ACTION_SIDE[action.kind] === 'guest') {
      if (!this.#guest)
        throw new InputError('BOARD2001', `"${action.kind}" needs a guest kernel, and none is attached`);
      this.#guest.apply(action as GuestAction);
      return;
    }
    this.#applyHardware(action as HardwareAction);
  }

  #applyHardware(a: HardwareAction): void {
    switch (a.kind) {
      case 'usb-connect':
      case 'usb-disconnect':
        return this.#usb(a.device).setAttached(a.kind === 'usb-connect');
      case 'cable-unplug':
        return this.#phy(a.phy).phy.unplug();
      case 'cable-plug':
        return this.#phy(a.phy).phy.plug();
      // A PD is on the wire: the register-level chip (what a real driver reads) and the PSE framework's
      // model (what the kernel model and the socket protocol report) both see it.
      case 'pd-connect': {
        const c = this.#port(a.controller, a.port);
        const device =
          a.signature === 'dual'
            ? dualSignaturePd(a.class ?? 4, a.classB ?? a.class ?? 4)
            : pd(a.class ?? 4, undefined, SIGNATURES[a.signature ?? 'single']);
        this.#chips.get(c.path)?.attachPd(this.#channels(c, a.port), device);
        return c.model.attachPd(a.port, device);
      }
      case 'pd-disconnect': {
        const c = this.#port(a.controller, a.port);
        this.#chips.get(c.path)?.removePd(this.#channels(c, a.port));
        return c.model.removePd(a.port);
      }
      case 'pd-overload': {
        // The PD draws beyond the port's limit: the controller cuts power, as a TPS23881 does on a PCUT.
        const c = this.#port(a.controller, a.port);
        const chip = this.#chips.get(c.path);
        for (const ch of chip ? this.#channels(c, a.port) : []) chip?.overload(ch);
        return c.model.overCurrent(a.port);
      }
      case 'phy-fault': {
        const p = this.#phy(a.phy);
        const bus = this.#busOf(p);
        const handle =
          a.fault === 'no-response'
            ? bus.injectFault({ kind: 'no-response', addr: p.address })
            : bus.injectFault({ kind: 'bit-error', addr: p.address, reg: a.reg ?? 0, xor: a.xor ?? 0 });
        this.#faults.set(p.path, [...(this.#faults.get(p.path) ?? []), handle]);
        return;
      }
      case 'phy-fault-clear': {
        const p = this.#phy(a.phy);
        for (const h of this.#faults.get(p.path) ?? []) h.remove();
        this.#faults.delete(p.path);
        return;
      }
    }
  }

  /**
   * A PI's power state as its chip shows it: delivering while its first channel (the one a 4-pair PI's driver
   * watches) is powered; when it goes off, a fault for an overload or thermal shutdown, disabled when the host
   * turned it off (an admin disable, or pse_core making room for a higher priority), searching when its PD left.
   */
  #portStatesFromChip(c: BoardPse, chip: Tps23881, clock: VirtualClock): void {
    this.#chipStates.add(c.path);
    const piOfChannel = new Map<number, number>();
    for (let pi = 0; pi < c.model.piCount; pi++) {
      const first = this.#channels(c, pi)[0];
      if (first !== undefined) piOfChannel.set(first, pi);
    }
    chip.onPower((change) => {
      const port = piOfChannel.get(change.channel);
      if (port === undefined || !this.events.enabled) return;
      const power: PiPowerState | 'fault' = change.powered
        ? 'delivering'
        : change.reason === 'over-current' || change.reason === 'over-temperature'
          ? 'fault'
          : change.reason === 'host'
            ? 'disabled'
            : 'searching';
      this.events.emit({
        type: 'pse.port',
        t: clock.now(),
        controller: c.path,
        port,
        power,
        ...(change.powered ? { pdClass: change.assignedClass } : { reason: change.reason }),
      });
    });
  }

  /** The chip channels a PI's pairsets name (tps23881 `channels`); a PI without them is channel = index. */
  #channels(c: BoardPse, port: number): number[] {
    const pi = this.bindings.controllers.find((x) => x.path === c.path)?.pis[port];
    const channels = (pi?.pairsets ?? []).flatMap((p) => (p.channel === undefined ? [] : [p.channel]));
    return channels.length > 0 ? channels : [port];
  }

  #phy(path: string): BoardPhy {
    const p = this.phyAt(path);
    if (!p) throw new InputError('BOARD2002', `${path} is not a PHY on an emulated MDIO bus`);
    return p;
  }

  #busOf(p: BoardPhy): MdioBus {
    const bus = this.busAt(p.busPath);
    if (!bus) throw new InputError('BOARD2002', `${p.busPath} is not an emulated MDIO bus`);
    return bus.bus;
  }

  #usb(path: string): BoardUsbDevice {
    const d = this.usbAt(path);
    if (!d) throw new InputError('BOARD2002', `${path} is not an emulated USB device under the xHCI node`);
    return d;
  }

  #port(path: string, port: number): BoardPse {
    const c = this.pseAt(path);
    if (!c) throw new InputError('BOARD2002', `${path} is not a PSE controller`);
    if (!Number.isInteger(port) || port < 0 || port >= c.model.piCount)
      throw new InputError(
        'BOARD2002',
        `${path} has ${c.model.piCount} PI(s), so port ${port} does not exist`,
      );
    return c;
  }
}

/** Builds the board a device tree describes. */
export function buildBoard(tree: DeviceTree, options: BoardOptions): Board {
  const { clock, ...rest } = options;
  return new Board(tree, clock, rest);
}

/** The power state a PSE model event leaves its PI in; undefined for events that change no power state. */
function portPower(e: PseEvent, adminEnabled: boolean): PiPowerState | 'fault' | undefined {
  const idle = adminEnabled ? 'searching' : 'disabled';
  switch (e.type) {
    case 'pse.power-on':
      return 'delivering';
    case 'pse.over-budget':
      return 'over-budget';
    case 'pse.power-off':
      return e.reason === 'over-current' ? 'fault' : e.reason === 'admin' ? 'disabled' : idle;
    case 'pse.detection':
    case 'pse.pd-attached':
      return idle;
    default:
      return undefined;
  }
}

/** Milliseconds on the board clock, for reports. */
export function boardMs(board: Board): number {
  return board.clock.now() / ms(1);
}

function linkModes(
  node: Parameters<typeof nodePath>[0],
  prop: NonNullable<ReturnType<typeof getProperty>>,
): LinkMode[] {
  const modes = stringsOf(prop.value);
  const bad = modes.find((m) => !(ALL_MODES as readonly string[]).includes(m));
  if (bad !== undefined || modes.length === 0)
    throw new BindingError(
      'BOARD1003',
      node,
      `${LINK_PARTNER_PROPERTY} lists link modes (${ALL_MODES.join(', ')}), got "${bad ?? ''}"`,
      prop,
    );
  return modes as LinkMode[];
}
