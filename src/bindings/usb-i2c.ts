import { cellsOf, getProperty, nodePath, stringsOf, type DtNode } from '../dts/tree.js';

/**
 * How an I2C device in a device tree is reached through a USB-I2C bridge Linux drives, as the drivers hand
 * device-tree nodes to their adapters:
 *
 * - CP2112 (`usb10c4,ea90`, Documentation/devicetree/bindings/i2c/silabs,cp2112.yaml, Linux 7.2): the USB device
 *   node sits under the host controller with the port as `reg`; one configuration with one interface, so the
 *   interface and (usbhid_probe's device_set_node) the HID device share that node; hid-cp2112.c gives its I2C
 *   adapter the node's `i2c` child, and registers a GPIO chip that is an interrupt controller
 *   (`#interrupt-cells = <2>`: GPIO number, IRQ_TYPE_*) on the node itself.
 * - CP2615 (`usb10c4,eac1`, i2c-cp2615.c): the adapter takes the node of interface 1 (`interface@1,1`).
 */
export type UsbI2cBridgeKind = 'cp2112' | 'cp2615';

export interface UsbI2cInterrupt {
  /** The interrupt controller node (the CP2112 itself when the line is one of its GPIOs). */
  controller: string;
  /** Whether the controller is the bridge the device sits behind. */
  viaBridge: boolean;
  /** First specifier cell: the GPIO number on a CP2112. */
  line: number;
  /** Second cell (dt-bindings/interrupt-controller/irq.h), with its name. */
  type: number;
  typeName: string;
}

export interface UsbI2cPath {
  bridge: UsbI2cBridgeKind;
  compatible: string;
  /** The USB device node (CP2112) or the bridge's device node (CP2615). */
  usbNode: string;
  /** The device node's `reg`: the host controller's raw port number. */
  port: number | undefined;
  /** The node the I2C adapter gets, whose children Linux registers as I2C clients. */
  adapter: string;
  /** `clock-frequency` of the adapter node (hid-cp2112.c writes it into the SMBus configuration). */
  clockHz: number | undefined;
  /** The client's 7-bit address. */
  address: number | undefined;
  interrupt: UsbI2cInterrupt | undefined;
}

export const CP2112_COMPATIBLE = 'usb10c4,ea90';
export const CP2615_COMPATIBLE = 'usb10c4,eac1';

const IRQ_TYPES: Record<number, string> = {
  0: 'none',
  1: 'edge-rising',
  2: 'edge-falling',
  3: 'edge-both',
  4: 'level-high',
  8: 'level-low',
};

const compatibles = (n: DtNode | undefined): string[] => {
  const p = n ? getProperty(n, 'compatible') : undefined;
  return p ? stringsOf(p.value) : [];
};

const u32 = (n: DtNode, name: string): number | undefined => {
  const p = getProperty(n, name);
  return p && p.value.bytes.length >= 4 ? cellsOf(p.value)[0] : undefined;
};

/** The bridge an I2C client node hangs from, if any. */
export function usbI2cPath(node: DtNode, byPhandle: ReadonlyMap<number, DtNode>): UsbI2cPath | undefined {
  const adapter = node.parent;
  const usb = adapter?.parent;
  if (!adapter || !usb) return undefined;
  let bridge: UsbI2cBridgeKind | undefined;
  if (adapter.name === 'i2c' && compatibles(usb).includes(CP2112_COMPATIBLE)) bridge = 'cp2112';
  else if (/^interface@1(,1)?$/.test(adapter.name) && compatibles(usb).includes(CP2615_COMPATIBLE))
    bridge = 'cp2615';
  if (!bridge) return undefined;
  return {
    bridge,
    compatible: bridge === 'cp2112' ? CP2112_COMPATIBLE : CP2615_COMPATIBLE,
    usbNode: nodePath(usb),
    port: u32(usb, 'reg'),
    adapter: nodePath(adapter),
    clockHz: u32(adapter, 'clock-frequency'),
    address: u32(node, 'reg'),
    interrupt: interruptOf(node, usb, byPhandle),
  };
}

/** The node's first interrupt: `interrupts-extended`, or `interrupts` with the (inherited) `interrupt-parent`. */
function interruptOf(
  node: DtNode,
  bridge: DtNode,
  byPhandle: ReadonlyMap<number, DtNode>,
): UsbI2cInterrupt | undefined {
  let controller: DtNode | undefined;
  let spec: number[] = [];
  const ext = getProperty(node, 'interrupts-extended');
  if (ext) {
    const cells = cellsOf(ext.value);
    controller = byPhandle.get(cells[0] ?? 0);
    spec = cells.slice(1);
  } else {
    const irqs = getProperty(node, 'interrupts');
    if (!irqs) return undefined;
    spec = cellsOf(irqs.value);
    for (let n: DtNode | undefined = node; n && !controller; n = n.parent) {
      const parent = getProperty(n, 'interrupt-parent');
      if (parent) controller = byPhandle.get(cellsOf(parent.value)[0] ?? 0);
    }
  }
  if (!controller) return undefined;
  const type = spec[1] ?? 0;
  return {
    controller: nodePath(controller),
    viaBridge: controller === bridge,
    line: spec[0] ?? 0,
    type,
    typeName: IRQ_TYPES[type] ?? `type ${type}`,
  };
}

/** One line for people: `CP2112 usb10c4,ea90 at /usb@.../device@5 (port 5), i2c /.../i2c @0x20, INT GPIO 3 level-low`. */
export function formatUsbI2cPath(p: UsbI2cPath): string {
  const name = p.bridge === 'cp2112' ? 'CP2112' : 'CP2615';
  const port = p.port === undefined ? '' : ` (port ${p.port})`;
  const addr = p.address === undefined ? '' : ` @0x${p.address.toString(16)}`;
  const irq = p.interrupt
    ? p.interrupt.viaBridge
      ? `, INT on GPIO ${p.interrupt.line} ${p.interrupt.typeName}`
      : `, INT ${p.interrupt.controller} ${p.interrupt.line} ${p.interrupt.typeName}`
    : ', no interrupt';
  return `${name} ${p.compatible} at ${p.usbNode}${port}, i2c ${p.adapter}${addr}${irq}`;
}
