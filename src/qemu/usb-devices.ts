import { buildMdioBuses, type BuiltMdioBus } from '../bindings/mdio.js';
import { ms, VirtualClock } from '../clock.js';
import { buildI2cBuses, type BoardI2cBus } from '../board/index.js';
import {
  cellsOf,
  findNodeByPath,
  getProperty,
  liveChildren,
  nodePath,
  stringsOf,
  type DtNode,
} from '../dts/tree.js';
import { I2cBus, type Eeprom24c02 } from '../i2c/index.js';
import { ALL_MODES, type LinkMode, type Phy } from '../phy/index.js';
import { tee, type FrameReceiver } from '../net/frame.js';
import { NetworkPeer, parseIpv4 } from './network-peer.js';
import { ConfigError } from '../scenario/errors.js';
import {
  CP2615_IOP_INTERFACE,
  Cp2615Bridge,
  Lan7801,
  MvusbAdapter,
  type Clause22Bus,
  type UsbDeviceModel,
} from '../usbredir/index.js';
import { usb2PortForReg, xhciNodePath } from './machine.js';
import type { ScenarioDtb } from './scenario-dtb.js';

/** One MDIO transaction as the emulator served it. */
export interface EmulatorMdioAccess {
  /** DT path of the adapter whose bus carried it. */
  adapter: string;
  op: 'read' | 'write';
  addr: number;
  reg: number;
  value: number;
  /** Orchestrator clock, ms. */
  hostMs: number;
}

/** A USB device the scenario's DT places on QEMU's xHCI, and the model that serves it. */
export interface PlacedUsbDevice {
  path: string;
  node: DtNode;
  vendorId: number;
  productId: number;
  /** usb-redir `port=` on the xHCI's USB2 root hub. */
  port: number;
  model: UsbDeviceModel;
  /** EEPROM models behind the device (an I2C bridge), by DT path. */
  eeproms: ReadonlyMap<string, Eeprom24c02>;
  /** The host at the far end of a USB Ethernet adapter's cable, when the node names one. */
  peer?: NetworkPeer;
}

/** The placed devices and the PHY models behind them. */
export interface UsbHardware {
  devices: PlacedUsbDevice[];
  /** The PHY model of a PHY node (DT path), for cable actions. */
  phyAt(path: string): Phy | undefined;
  /** Brings the PHY models' clock up to the orchestrator's time, firing due timers (autoneg completing). */
  tick(): void;
}

export interface UsbDeviceFactoryContext {
  dtb: ScenarioDtb;
  traceMdio: (access: EmulatorMdioAccess) => void;
  /** Orchestrator clock, ms; also drives the PHY models' virtual clock (autoneg, self-clearing resets). */
  now: () => number;
  /** A tap for every frame on a USB Ethernet adapter's wire, both directions (a pcap file). */
  frameTap?: (devicePath: string) => FrameReceiver | undefined;
  /** What happened to a PHY outside MDIO (a MAC pulsing its reset pin), for replaying the trace later. */
  onPhyEvent?: (event: PhyHardwareEvent) => void;
}

/** A PHY event that is no MDIO transaction but changes what the PHY answers: a replay must apply it too. */
export interface PhyHardwareEvent {
  phy: string;
  kind: 'hard-reset' | 'unplug' | 'plug';
  /** Orchestrator clock, ms. */
  hostMs: number;
}

/**
 * Property of a PHY node: the link modes its link partner advertises with autonegotiation (for instance
 * `"100baseTX-Full"` for a 100 Mb/s-only switch port). Absent: a gigabit switch port (src/phy
 * GIGABIT_SWITCH_PORT). Linux ignores it.
 */
export const LINK_PARTNER_PROPERTY = 'mdio-emu,link-partner';

/**
 * Property of a USB Ethernet node: the IPv4 address of an emulated host at the far end of the cable that
 * answers ARP and ping (src/qemu/network-peer.ts). Absent: the frames only reach the capture.
 */
export const PEER_IPV4_PROPERTY = 'mdio-emu,peer-ipv4';
/** The peer's MAC address: locally administered (802 addressing, U/L bit set), unicast. */
export const PEER_MAC = Uint8Array.of(0x02, 0x6d, 0x64, 0x69, 0x6f, 0x01);

/** usb-device.yaml: `usbVID,PID`, lowercase hex without leading zeros (`usb424,7801`). */
const usbCompatible = /^usb([0-9a-f]{1,4}),([0-9a-f]{1,4})$/;

/** USB configuration value of the interface nodes we look up (every modelled device has one configuration). */
const CONFIGURATION = 1;

/**
 * Every child of the xHCI node with a `usbVVVV,PPPP` compatible (the USB device binding,
 * Documentation/devicetree/bindings/usb/usb-device.yaml) becomes an emulated device.
 */
export function placeUsbDevices(ctx: UsbDeviceFactoryContext): PlacedUsbDevice[] {
  return placeUsbHardware(ctx).devices;
}

export function placeUsbHardware(ctx: UsbDeviceFactoryContext): UsbHardware {
  const phys = new PhyModels(ctx);
  const hardware: UsbHardware = { devices: [], phyAt: (path) => phys.phyAt(path), tick: () => phys.sync() };
  const xhci = findNodeByPath(ctx.dtb.tree.root, xhciNodePath);
  if (!xhci) return hardware;
  const out: PlacedUsbDevice[] = [];
  for (const node of liveChildren(xhci)) {
    const compatible = getProperty(node, 'compatible');
    const ids = compatible
      ? stringsOf(compatible.value)
          .map((c) => usbCompatible.exec(c))
          .find((m) => m)
      : undefined;
    if (!ids) continue;
    const path = nodePath(node);
    const regProp = getProperty(node, 'reg');
    const reg = regProp ? cellsOf(regProp.value)[0] : undefined;
    const port = reg === undefined ? undefined : usb2PortForReg(reg);
    if (port === undefined) {
      throw new ConfigError(
        'SCN008',
        'dts',
        `${path}: reg must be the xHCI raw port of a USB2 port (5 to 8 on qemu-xhci), got ${reg ?? 'none'}`,
      );
    }
    const vendorId = Number.parseInt(ids[1] ?? '', 16);
    const productId = Number.parseInt(ids[2] ?? '', 16);
    out.push({
      path,
      node,
      vendorId,
      productId,
      port,
      ...createModel(node, path, vendorId, productId, ctx, phys),
    });
  }
  hardware.devices = out;
  return hardware;
}

function createModel(
  node: DtNode,
  path: string,
  vendorId: number,
  productId: number,
  ctx: UsbDeviceFactoryContext,
  phys: PhyModels,
): { model: UsbDeviceModel; eeproms: ReadonlyMap<string, Eeprom24c02>; peer?: NetworkPeer } {
  const id = `${hex4(vendorId)}:${hex4(productId)}`;
  switch (id) {
    case '1286:1fa4':
      return { model: new MvusbAdapter(traced(phys.busFor(path), path, ctx)), eeproms: new Map() };
    case '10c4:eac1': {
      const { bus, eeproms } = i2cBusBehind(node, path);
      return { model: new Cp2615Bridge(bus), eeproms };
    }
    case '0424:7801': {
      // lan78xx.c lan78xx_mdio_init(): the bus is the device node's `mdio` child; lan78xx_phy_init() takes the
      // first PHY found on it, whose interrupt output reaches the MAC's INT_STS.
      const bus = `${path}/mdio`;
      const first = phys.firstPhy(bus);
      // PMT_CTL.PHY_RST (lan78xx_reset) pulses the PHY's reset pin: record it for replay.
      const phy = first && {
        onIrq: (listener: (asserted: boolean) => void) => first.phy.onIrq(listener),
        get irq() {
          return first.phy.irq;
        },
        get status() {
          return first.phy.status;
        },
        hardReset: () => {
          phys.sync();
          ctx.onPhyEvent?.({ phy: first.path, kind: 'hard-reset', hostMs: ctx.now() });
          first.phy.hardReset();
        },
      };
      const lan = new Lan7801({ mdio: traced(phys.busFor(bus), bus, ctx), ...(phy ? { phy } : {}) });
      const tap = ctx.frameTap?.(path);
      const peer = peerOf(node, path, (frame) => {
        // Answer after the guest's bulk OUT transfer has completed, as a real peer's reply would arrive.
        const copy = frame.slice();
        queueMicrotask(() => {
          tap?.receive(copy);
          lan.receive(copy);
        });
      });
      const sinks = [tap, peer].filter((r): r is FrameReceiver => r !== undefined);
      if (sinks.length > 0) lan.connect(tee(...sinks));
      return { model: lan, eeproms: new Map(), ...(peer ? { peer } : {}) };
    }
    default:
      throw new ConfigError(
        'SCN008',
        'dts',
        `${path}: no emulated USB device for ${id} (known: 1286:1fa4 Marvell USB-MDIO, 10c4:eac1 CP2615 USB-I2C, 0424:7801 LAN7801 USB Ethernet)`,
      );
  }
}

/**
 * The MDIO buses and catalogue PHYs of the whole scenario tree, built once by src/bindings (the node with
 * `compatible = "usb1286,1fa4"` is itself the bus, as mdio-mvusb.c hands its interface's node to
 * of_mdiobus_register()). A PHY node's `ethernet-phy-idAAAA.BBBB` compatible picks the model.
 *
 * The models run on a virtual clock; QEMU runs are wall-clock, so the clock is brought up to the
 * orchestrator's time before every access, firing the timers (autoneg, reset self-clear) that fell due.
 */
class PhyModels {
  private readonly clock = new VirtualClock();
  private readonly buses: BuiltMdioBus[];

  constructor(private readonly ctx: UsbDeviceFactoryContext) {
    this.buses = buildPhyModels(ctx.dtb.tree, this.clock);
  }

  phyAt(path: string): Phy | undefined {
    return phyOnBuses(this.buses, path);
  }

  sync(): void {
    this.clock.advanceTo(Math.max(this.clock.now(), ms(this.ctx.now())));
  }

  /** The PHY at the lowest address on a bus, if any, with its DT path. */
  firstPhy(busPath: string): { phy: Phy; path: string } | undefined {
    const built = this.buses.find((b) => b.info.path === busPath);
    const info = built?.info.phys[0]; // sorted by address (findMdioBuses)
    if (!built || !info) return undefined;
    const phy = built.phys.get(info.address);
    return phy ? { phy, path: info.path } : undefined;
  }

  busFor(adapterPath: string): Clause22Bus {
    const built = this.buses.find((b) => b.info.path === adapterPath);
    if (!built) throw new ConfigError('SCN008', 'dts', `${adapterPath} is not recognised as an MDIO bus`);
    const { bus } = built;
    return {
      read: (addr, reg) => {
        this.sync();
        return bus.read(addr, reg);
      },
      write: (addr, reg, value) => {
        this.sync();
        bus.write(addr, reg, value);
      },
    };
  }
}

/**
 * The catalogue PHY models of a scenario tree on `clock`, each with the link partner its node asks for
 * (LINK_PARTNER_PROPERTY). Also what replay verification builds afresh (src/qemu/replay-check.ts).
 */
export function buildPhyModels(tree: ScenarioDtb['tree'], clock: VirtualClock): BuiltMdioBus[] {
  let buses: BuiltMdioBus[];
  try {
    buses = buildMdioBuses(tree, { clock });
  } catch (err) {
    throw new ConfigError(
      'SCN008',
      'dts',
      `the MDIO buses of the scenario's device tree cannot be emulated: ${(err as Error).message}`,
      { cause: err },
    );
  }
  for (const b of buses) {
    for (const info of b.info.phys) {
      const prop = getProperty(info.node, LINK_PARTNER_PROPERTY);
      if (!prop) continue;
      const modes = stringsOf(prop.value);
      const bad = modes.find((m) => !(ALL_MODES as readonly string[]).includes(m));
      if (bad !== undefined || modes.length === 0) {
        throw new ConfigError(
          'SCN008',
          'dts',
          `${info.path}: ${LINK_PARTNER_PROPERTY} lists link modes (${ALL_MODES.join(', ')}), got "${bad ?? ''}"`,
        );
      }
      b.phys.get(info.address)?.setPartner({ autoneg: true, modes: modes as LinkMode[] });
    }
  }
  return buses;
}

/** The PHY model of a PHY node (DT path) on any of `buses`. */
export function phyOnBuses(buses: readonly BuiltMdioBus[], path: string): Phy | undefined {
  for (const b of buses) for (const p of b.info.phys) if (p.path === path) return b.phys.get(p.address);
  return undefined;
}

function peerOf(node: DtNode, path: string, send: (frame: Uint8Array) => void): NetworkPeer | undefined {
  const prop = getProperty(node, PEER_IPV4_PROPERTY);
  if (!prop) return undefined;
  const text = stringsOf(prop.value)[0] ?? '';
  const ipv4 = parseIpv4(text);
  if (!ipv4)
    throw new ConfigError(
      'SCN008',
      'dts',
      `${path}: ${PEER_IPV4_PROPERTY} must be a dotted-quad IPv4 address, got "${text}"`,
    );
  return new NetworkPeer({ mac: PEER_MAC, ipv4, send });
}

/**
 * The I2C bus behind a USB-I2C bridge: i2c-cp2615.c gives its adapter the of_node of USB interface 1,
 * which drivers/usb/core/of.c usb_of_get_interface_node() finds as the device node's child with
 * `reg = <interface configuration>`; the I2C devices are that node's children (of_i2c_register_devices()).
 * The chips are src/board's; what is added here is that every addressed child must have a model, since the
 * guest would otherwise probe a driver against nothing.
 */
function i2cBusBehind(
  device: DtNode,
  path: string,
): { bus: I2cBus; eeproms: ReadonlyMap<string, Eeprom24c02> } {
  const itf = liveChildren(device).find((c) => {
    const reg = getProperty(c, 'reg');
    const cells = reg ? cellsOf(reg.value) : [];
    return cells.length === 2 && cells[0] === CP2615_IOP_INTERFACE && cells[1] === CONFIGURATION;
  });
  if (!itf) return { bus: new I2cBus(), eeproms: new Map() };
  for (const child of liveChildren(itf)) {
    const compatible = getProperty(child, 'compatible');
    if (!compatible || !getProperty(child, 'reg')) continue;
    if (!stringsOf(compatible.value).includes('atmel,24c02')) {
      throw new ConfigError(
        'SCN008',
        'dts',
        `${nodePath(child)}: no I2C model for "${stringsOf(compatible.value).join('", "')}" behind ${path} (known: atmel,24c02)`,
      );
    }
  }
  let buses: BoardI2cBus[];
  try {
    // Only 24C02s are left (checked above), so no TPS23881 asks for a PSE lifecycle.
    buses = buildI2cBuses(itf, () => undefined);
  } catch (err) {
    throw new ConfigError('SCN008', 'dts', (err as Error).message, { cause: err });
  }
  const itfPath = nodePath(itf);
  return buses.find((b) => b.path === itfPath) ?? { bus: new I2cBus(), eeproms: new Map() };
}

/** Records every transaction the guest makes on the bus, for the trace comparison. */
function traced(bus: Clause22Bus, adapter: string, ctx: UsbDeviceFactoryContext): Clause22Bus {
  return {
    read(addr, reg) {
      const value = bus.read(addr, reg);
      ctx.traceMdio({ adapter, op: 'read', addr, reg, value, hostMs: ctx.now() });
      return value;
    },
    write(addr, reg, value) {
      bus.write(addr, reg, value);
      ctx.traceMdio({ adapter, op: 'write', addr, reg, value, hostMs: ctx.now() });
    },
  };
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
