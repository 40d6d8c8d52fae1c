import { buildMdioBuses, type BuiltMdioBus } from '../bindings/mdio.js';
import { ms, VirtualClock } from '../clock.js';
import { cellsOf, findNodeByPath, getProperty, liveChildren, stringsOf, type DtNode } from '../dts/tree.js';
import { Eeprom24c02, I2cBus } from '../i2c/index.js';
import type { Phy } from '../phy/index.js';
import { ConfigError } from '../scenario/errors.js';
import { CP2615_IOP_INTERFACE, Cp2615Bridge, Lan7801, MvusbAdapter, type Clause22Bus, type UsbDeviceModel } from '../usbredir/index.js';
import { usb2PortForReg, xhciNodePath } from './machine.js';
import { canonicalPath, type ScenarioDtb } from './scenario-dtb.js';

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
}

export interface UsbDeviceFactoryContext {
  dtb: ScenarioDtb;
  traceMdio: (access: EmulatorMdioAccess) => void;
  /** Orchestrator clock, ms; also drives the PHY models' virtual clock (autoneg, self-clearing resets). */
  now: () => number;
}

/**
 * Property of an EEPROM node giving the model's initial bytes (the rest reads erased, 0xff). Linux ignores
 * it; it is how a scenario seeds the contents the guest must read back.
 */
export const EEPROM_CONTENTS_PROPERTY = 'mdio-emu,contents';

/** usb-device.yaml: `usbVID,PID`, lowercase hex without leading zeros (`usb424,7801`). */
const usbCompatible = /^usb([0-9a-f]{1,4}),([0-9a-f]{1,4})$/;

/** USB configuration value of the interface nodes we look up (every modelled device has one configuration). */
const CONFIGURATION = 1;

/**
 * Every child of the xHCI node with a `usbVVVV,PPPP` compatible (the USB device binding,
 * Documentation/devicetree/bindings/usb/usb-device.yaml) becomes an emulated device.
 */
export function placeUsbDevices(ctx: UsbDeviceFactoryContext): PlacedUsbDevice[] {
  const xhci = findNodeByPath(ctx.dtb.tree.root, xhciNodePath);
  if (!xhci) return [];
  const phys = new PhyModels(ctx);
  const out: PlacedUsbDevice[] = [];
  for (const node of liveChildren(xhci)) {
    const compatible = getProperty(node, 'compatible');
    const ids = compatible ? stringsOf(compatible.value).map((c) => usbCompatible.exec(c)).find((m) => m) : undefined;
    if (!ids) continue;
    const path = canonicalPath(node);
    const regProp = getProperty(node, 'reg');
    const reg = regProp ? cellsOf(regProp.value)[0] : undefined;
    const port = reg === undefined ? undefined : usb2PortForReg(reg);
    if (port === undefined) {
      throw new ConfigError('SCN008', 'dts', `${path}: reg must be the xHCI raw port of a USB2 port (5 to 8 on qemu-xhci), got ${reg ?? 'none'}`);
    }
    const vendorId = Number.parseInt(ids[1] ?? '', 16);
    const productId = Number.parseInt(ids[2] ?? '', 16);
    out.push({ path, node, vendorId, productId, port, ...createModel(node, path, vendorId, productId, ctx, phys) });
  }
  return out;
}

function createModel(
  node: DtNode,
  path: string,
  vendorId: number,
  productId: number,
  ctx: UsbDeviceFactoryContext,
  phys: PhyModels,
): { model: UsbDeviceModel; eeproms: ReadonlyMap<string, Eeprom24c02> } {
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
      const phy = phys.firstPhy(bus);
      return { model: new Lan7801({ mdio: traced(phys.busFor(bus), bus, ctx), ...(phy ? { phy } : {}) }), eeproms: new Map() };
    }
    default:
      throw new ConfigError('SCN008', 'dts', `${path}: no emulated USB device for ${id} (known: 1286:1fa4 Marvell USB-MDIO, 10c4:eac1 CP2615 USB-I2C, 0424:7801 LAN7801 USB Ethernet)`);
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
    try {
      this.buses = buildMdioBuses(ctx.dtb.tree, { clock: this.clock });
    } catch (err) {
      throw new ConfigError('SCN008', 'dts', `the MDIO buses of the scenario's device tree cannot be emulated: ${(err as Error).message}`, { cause: err });
    }
  }

  /** The PHY at the lowest address on a bus, if any. */
  firstPhy(busPath: string): Phy | undefined {
    const phys = this.buses.find((b) => b.info.path === busPath)?.phys;
    const first = phys ? Math.min(...phys.keys()) : undefined;
    return first === undefined ? undefined : phys?.get(first);
  }

  busFor(adapterPath: string): Clause22Bus {
    const built = this.buses.find((b) => b.info.path === adapterPath);
    if (!built) throw new ConfigError('SCN008', 'dts', `${adapterPath} is not recognised as an MDIO bus`);
    const { bus } = built;
    const sync = (): void => this.clock.advanceTo(Math.max(this.clock.now(), ms(this.ctx.now())));
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
}

/**
 * The I2C bus behind a USB-I2C bridge: i2c-cp2615.c gives its adapter the of_node of USB interface 1,
 * which drivers/usb/core/of.c usb_of_get_interface_node() finds as the device node's child with
 * `reg = <interface configuration>`; the I2C devices are that node's children (of_i2c_register_devices()).
 */
function i2cBusBehind(device: DtNode, path: string): { bus: I2cBus; eeproms: Map<string, Eeprom24c02> } {
  const bus = new I2cBus();
  const eeproms = new Map<string, Eeprom24c02>();
  const itf = liveChildren(device).find((c) => {
    const reg = getProperty(c, 'reg');
    const cells = reg ? cellsOf(reg.value) : [];
    return cells.length === 2 && cells[0] === CP2615_IOP_INTERFACE && cells[1] === CONFIGURATION;
  });
  if (!itf) return { bus, eeproms };
  for (const child of liveChildren(itf)) {
    const childPath = canonicalPath(child);
    const compatible = getProperty(child, 'compatible');
    const reg = getProperty(child, 'reg');
    const addr = reg ? cellsOf(reg.value)[0] : undefined;
    if (!compatible || addr === undefined) continue;
    if (!stringsOf(compatible.value).includes('atmel,24c02')) {
      throw new ConfigError('SCN008', 'dts', `${childPath}: no I2C model for "${stringsOf(compatible.value).join('", "')}" behind ${path} (known: atmel,24c02)`);
    }
    const contents = getProperty(child, EEPROM_CONTENTS_PROPERTY);
    const eeprom = new Eeprom24c02(contents ? Uint8Array.from(contents.value.bytes) : undefined);
    try {
      bus.attach(addr, eeprom);
    } catch (err) {
      throw new ConfigError('SCN008', 'dts', `${childPath}: ${(err as Error).message}`, { cause: err });
    }
    eeproms.set(childPath, eeprom);
  }
  return { bus, eeproms };
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
