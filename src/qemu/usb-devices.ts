import { getProperty, liveChildren, stringsOf, cellsOf, type DtNode } from '../dts/tree.js';
import { ConfigError } from '../scenario/errors.js';
import { MvusbAdapter, SimpleClause22Bus, marvellLikePhy, type Clause22Bus, type UsbDeviceModel } from '../usbredir/index.js';
import { usb2PortForReg, xhciNodePath } from './machine.js';
import { canonicalPath, type ScenarioDtb } from './scenario-dtb.js';
import { findNodeByPath } from '../dts/tree.js';

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
}

export interface UsbDeviceFactoryContext {
  dtb: ScenarioDtb;
  traceMdio: (access: EmulatorMdioAccess) => void;
  now: () => number;
}

/**
 * Every child of the xHCI node with a `usbVVVV,PPPP` compatible (the USB device binding,
 * Documentation/devicetree/bindings/usb/usb-device.yaml) becomes an emulated device.
 */
export function placeUsbDevices(ctx: UsbDeviceFactoryContext): PlacedUsbDevice[] {
  const xhci = findNodeByPath(ctx.dtb.tree.root, xhciNodePath);
  if (!xhci) return [];
  const out: PlacedUsbDevice[] = [];
  for (const node of liveChildren(xhci)) {
    const compatible = getProperty(node, 'compatible');
    const ids = compatible ? stringsOf(compatible.value).map((c) => /^usb([0-9a-f]{4}),([0-9a-f]{4})$/i.exec(c)).find((m) => m) : undefined;
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
    out.push({ path, node, vendorId, productId, port, model: createModel(node, path, vendorId, productId, ctx) });
  }
  return out;
}

function createModel(node: DtNode, path: string, vendorId: number, productId: number, ctx: UsbDeviceFactoryContext): UsbDeviceModel {
  const id = `${hex4(vendorId)}:${hex4(productId)}`;
  switch (id) {
    case '1286:1fa4':
      return new MvusbAdapter(traced(mdioBusFor(node), path, ctx));
    default:
      throw new ConfigError('SCN008', 'dts', `${path}: no emulated USB device for ${id} (known: 1286:1fa4 Marvell USB-MDIO)`);
  }
}

/**
 * The MDIO bus behind an adapter node: one PHY per `ethernet-phy@N` child. The one place that picks
 * the PHY models: a Marvell 88E1510-family register table until src/mdio builds buses from the tree.
 */
function mdioBusFor(adapter: DtNode): Clause22Bus {
  const phys = liveChildren(adapter)
    .map((child) => {
      const reg = getProperty(child, 'reg');
      return reg ? cellsOf(reg.value)[0] : undefined;
    })
    .filter((addr): addr is number => addr !== undefined && addr < 32)
    .map((addr) => marvellLikePhy(addr));
  return new SimpleClause22Bus(phys);
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
