import { InputError } from '../diagnostics/index.js';
import { cellsOf, getProperty, liveChildren, nodePath, stringsOf, walk, type DtNode } from '../dts/tree.js';
import type { Eeprom24c02 } from '../i2c/index.js';
import { tee, type FrameReceiver } from '../net/frame.js';
import { NetworkPeer, parseIpv4 } from '../net/peer.js';
import type { MdioBus } from '../mdio/index.js';
import { usbI2cPath } from '../bindings/usb-i2c.js';
import {
  CP2615_IOP_INTERFACE,
  Cp2112,
  Cp2615Bridge,
  Lan7801,
  MvusbAdapter,
  type Clause22Bus,
  type UsbDeviceModel,
} from '../usbredir/index.js';
import type { Board } from './board.js';
import { isAvailable } from './i2c-devices.js';

/**
 * Property of a USB Ethernet node: the IPv4 address of an emulated host at the far end of the cable that
 * answers ARP and ping (src/net/peer.ts). Absent: the frames only reach the capture.
 */
export const PEER_IPV4_PROPERTY = 'mdio-emu,peer-ipv4';
/** The peer's MAC address: locally administered (802 addressing, U/L bit set), unicast. */
export const PEER_MAC = Uint8Array.of(0x02, 0x6d, 0x64, 0x69, 0x6f, 0x01);

/** A USB device the tree places under a USB host controller, and the model that serves it. */
export interface BoardUsbDevice {
  readonly path: string;
  readonly node: DtNode;
  readonly vendorId: number;
  readonly productId: number;
  /** The node's `reg`: the host controller's port number (usb-device.yaml); undefined when absent. */
  readonly reg: number | undefined;
  readonly model: UsbDeviceModel;
  /** EEPROM models behind the device (an I2C bridge), by DT path. */
  readonly eeproms: ReadonlyMap<string, Eeprom24c02>;
  /** The host at the far end of a USB Ethernet adapter's cable, when the node names one. */
  readonly peer?: NetworkPeer;
  /** Plugged in; `usb-connect`/`usb-disconnect` change it and the board reports `usb.attach`. */
  readonly attached: boolean;
  setAttached(on: boolean): void;
}

export interface UsbPlacementOptions {
  beforeAccess?: () => void;
  frameTap?: (devicePath: string) => FrameReceiver | undefined;
}

/** usb-device.yaml: `usbVID,PID`, lowercase hex without leading zeros (`usb424,7801`). */
const USB_COMPATIBLE = /^usb([0-9a-f]{1,4}),([0-9a-f]{1,4})$/;
/** USB configuration value of the interface nodes we look up (every modelled device has one configuration). */
const CONFIGURATION = 1;

/**
 * Every available node with a `usbVVVV,PPPP` compatible (Documentation/devicetree/bindings/usb/usb-device.yaml)
 * becomes an emulated device, served by a model built on the board's own buses: the Marvell USB-MDIO adapter
 * on the MDIO bus its node is, the CP2615 on the I2C bus of its interface node, the LAN7801 on its `mdio`
 * child's bus with the first PHY's interrupt and reset wired to the MAC.
 */
export function placeUsbDevices(board: Board, o: UsbPlacementOptions): BoardUsbDevice[] {
  const out: BoardUsbDevice[] = [];
  walk(board.tree.root, (node) => {
    if (!isAvailable(node)) return;
    const compatible = getProperty(node, 'compatible');
    const ids = compatible
      ? stringsOf(compatible.value)
          .map((c) => USB_COMPATIBLE.exec(c))
          .find((m) => m)
      : undefined;
    if (!ids) return;
    const path = nodePath(node);
    const regProp = getProperty(node, 'reg');
    const vendorId = Number.parseInt(ids[1] ?? '', 16);
    const productId = Number.parseInt(ids[2] ?? '', 16);
    const built = createModel(board, node, path, vendorId, productId, o);
    let attached = true;
    out.push({
      path,
      node,
      vendorId,
      productId,
      reg: regProp ? cellsOf(regProp.value)[0] : undefined,
      ...built,
      get attached() {
        return attached;
      },
      setAttached(on: boolean) {
        if (attached === on) return;
        attached = on;
        if (board.events.enabled)
          board.events.emit({ type: 'usb.attach', t: board.clock.now(), device: path, attached: on });
      },
    });
  });
  return out;
}

function createModel(
  board: Board,
  node: DtNode,
  path: string,
  vendorId: number,
  productId: number,
  o: UsbPlacementOptions,
): { model: UsbDeviceModel; eeproms: ReadonlyMap<string, Eeprom24c02>; peer?: NetworkPeer } {
  const id = `${hex4(vendorId)}:${hex4(productId)}`;
  switch (id) {
    case '1286:1fa4':
      // mdio-mvusb.c hands its interface's node to of_mdiobus_register(): the device node is the bus.
      return { model: new MvusbAdapter(clause22(board, path, o)), eeproms: new Map() };
    case '10c4:eac1':
      return cp2615(board, node, path);
    case '10c4:ea90':
      return cp2112(board, node, path);
    case '0424:7801':
      return lan7801(board, node, path, o);
    default:
      throw new InputError(
        'BOARD1004',
        `${path}: no emulated USB device for ${id} (known: 1286:1fa4 Marvell USB-MDIO, 10c4:eac1 CP2615 USB-I2C, 10c4:ea90 CP2112 USB-HID I2C/GPIO, 0424:7801 LAN7801 USB Ethernet)`,
        node.span ? { span: node.span } : { where: path },
      );
  }
}

/** The board's MDIO bus at `busPath` as a USB adapter reaches it, bringing the clock up to date first. */
function clause22(board: Board, busPath: string, o: UsbPlacementOptions): Clause22Bus {
  const found = board.busAt(busPath);
  if (!found)
    throw new InputError('BOARD1004', `${busPath} is not recognised as an MDIO bus`, { where: busPath });
  const bus: MdioBus = found.bus;
  const sync = o.beforeAccess ?? (() => undefined);
  return {
    read: (addr, reg) => {
      sync();
      return bus.read(addr, reg);
    },
    write: (addr, reg, value) => {
      sync();
      bus.write(addr, reg, value);
    },
  };
}

/**
 * i2c-cp2615.c gives its adapter the of_node of USB interface 1, which drivers/usb/core/of.c
 * usb_of_get_interface_node() finds as the device node's child with `reg = <interface configuration>`; the
 * I2C devices are that node's children. Every addressed child must have a model, since the guest would
 * otherwise probe a driver against nothing.
 */
function cp2615(
  board: Board,
  device: DtNode,
  path: string,
): { model: UsbDeviceModel; eeproms: ReadonlyMap<string, Eeprom24c02> } {
  const itf = liveChildren(device).find((c) => {
    const reg = getProperty(c, 'reg');
    const cells = reg ? cellsOf(reg.value) : [];
    return cells.length === 2 && cells[0] === CP2615_IOP_INTERFACE && cells[1] === CONFIGURATION;
  });
  const itfPath = itf ? nodePath(itf) : undefined;
  const bus = itfPath === undefined ? undefined : board.i2c.find((b) => b.path === itfPath);
  for (const child of itf ? liveChildren(itf) : []) {
    if (!getProperty(child, 'reg') || !isAvailable(child)) continue;
    const childPath = nodePath(child);
    if (!bus?.devices.some((d) => d.path === childPath)) {
      const compatible = getProperty(child, 'compatible');
      throw new InputError(
        'BOARD1005',
        `${childPath}: no I2C model for "${compatible ? stringsOf(compatible.value).join('", "') : ''}" behind ${path} (known: atmel,24c02, ti,tps23881)`,
        child.span ? { span: child.span } : { where: childPath },
      );
    }
  }
  const transfer = bus
    ? bus.bus
    : { transfer: (messages: readonly unknown[]) => ({ ok: messages.length === 0, reads: [] }) };
  return { model: new Cp2615Bridge(transfer), eeproms: bus?.eeproms ?? new Map() };
}

/**
 * hid-cp2112.c gives its I2C adapter the device node's `i2c` child (Documentation/devicetree/bindings/i2c/
 * silabs,cp2112.yaml), and its GPIO chip is an interrupt controller on the device node itself: a chip whose
 * interrupt names the CP2112 has its interrupt pin wired to that GPIO (active low, as the TPS23881's INT is).
 */
function cp2112(
  board: Board,
  device: DtNode,
  path: string,
): { model: UsbDeviceModel; eeproms: ReadonlyMap<string, Eeprom24c02> } {
  const adapter = liveChildren(device).find((c) => c.name === 'i2c');
  const adapterPath = adapter ? nodePath(adapter) : undefined;
  const bus = adapterPath === undefined ? undefined : board.i2c.find((b) => b.path === adapterPath);
  const unmodelled = (adapter ? liveChildren(adapter) : []).find(
    (c) => getProperty(c, 'reg') && isAvailable(c) && !bus?.devices.some((d) => d.path === nodePath(c)),
  );
  if (unmodelled)
    throw new InputError(
      'BOARD1005',
      `${nodePath(unmodelled)}: no I2C model for it behind ${path} (known: atmel,24c02, ti,tps23881, ti,tps23881b)`,
      unmodelled.span ? { span: unmodelled.span } : { where: nodePath(unmodelled) },
    );
  const model = new Cp2112(
    bus
      ? bus.bus
      : { transfer: (messages: readonly unknown[]) => ({ ok: messages.length === 0, reads: [] }) },
  );
  for (const chip of adapter ? liveChildren(adapter) : []) {
    const irq = usbI2cPath(chip, board.phandles)?.interrupt;
    const tps = bus?.chips.get(nodePath(chip));
    if (irq?.viaBridge && tps) model.wireInterrupt(irq.line, tps);
  }
  return { model, eeproms: bus?.eeproms ?? new Map() };
}

/**
 * lan78xx.c lan78xx_mdio_init(): the bus is the device node's `mdio` child; lan78xx_phy_init() takes the first
 * PHY found on it, whose interrupt output reaches the MAC's INT_STS, and PMT_CTL.PHY_RST pulses its reset pin.
 */
function lan7801(
  board: Board,
  node: DtNode,
  path: string,
  o: UsbPlacementOptions,
): { model: UsbDeviceModel; eeproms: ReadonlyMap<string, Eeprom24c02>; peer?: NetworkPeer } {
  const busPath = `${path}/mdio`;
  const first = board.busAt(busPath)?.phys[0];
  const sync = o.beforeAccess ?? (() => undefined);
  const phy = first && {
    onIrq: (listener: (asserted: boolean) => void) => first.phy.onIrq(listener),
    get irq() {
      return first.phy.irq;
    },
    get status() {
      return first.phy.status;
    },
    hardReset: () => {
      sync();
      first.phy.hardReset();
    },
  };
  const lan = new Lan7801({ mdio: clause22(board, busPath, o), ...(phy ? { phy } : {}) });
  const tap = o.frameTap?.(path);
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

function peerOf(node: DtNode, path: string, send: (frame: Uint8Array) => void): NetworkPeer | undefined {
  const prop = getProperty(node, PEER_IPV4_PROPERTY);
  if (!prop) return undefined;
  const text = stringsOf(prop.value)[0] ?? '';
  const ipv4 = parseIpv4(text);
  if (!ipv4)
    throw new InputError(
      'BOARD1006',
      `${path}: ${PEER_IPV4_PROPERTY} must be a dotted-quad IPv4 address, got "${text}"`,
      prop.span ? { span: prop.span } : { where: path },
    );
  return new NetworkPeer({ mac: PEER_MAC, ipv4, send });
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}
