/**
 * usbredir, host side: puts emulated USB devices behind a stock QEMU `-device usb-redir`.
 *
 * Typical use (QEMU connects to our UNIX socket):
 *
 *   const bus = ...;                                   // anything with read(addr, reg) / write(addr, reg, value)
 *   const server = await listenUsbredir(new MvusbAdapter(bus), { path: sock });
 *   // qemu ... -chardev socket,id=ur0,path=<sock> -device usb-redir,chardev=ur0,bus=xhci.0,port=1
 *   server.detach(); server.attach();                  // unplug / replug with the socket up
 *   await server.close();
 *
 * Or QEMU listens (`-chardev socket,id=ur0,path=<sock>,server=on,wait=on`): `connectUsbredir(device, { path })`.
 * Loopback TCP works the same with `{ port }` (port 0 picks one; `server.address` tells which).
 * Device-tree placement: the node's `reg` is the xHCI raw port (qemu-xhci: USB2 port 1 → reg 5).
 */
export { listenUsbredir, connectUsbredir } from './transport.js';
export type { UsbredirAddress, UsbredirLink, UsbredirServer, LinkOptions } from './transport.js';
export { UsbredirHostSession, DEFAULT_HOST_CAPS } from './session.js';
export type { HostSessionOptions, UsbredirTraceEvent, DeviceLinkState } from './session.js';
export type { UsbDeviceModel, SetupPacket, TransferResult } from './device.js';
export type { DeviceDescriptors } from './descriptors.js';
export { ProtocolError } from './errors.js';
export type { ProtocolErrorCode } from './errors.js';
export type { Clause22Bus, I2cTransferBus, I2cMessageLike } from './devices/buses.js';
export { MvusbAdapter, MVUSB_VENDOR_ID, MVUSB_PRODUCT_ID } from './devices/mvusb.js';
export type { MvusbTraceEvent } from './devices/mvusb.js';
export { SimpleClause22Bus, marvellLikePhy } from './devices/simple-c22-bus.js';
export { serveMvusbDemo } from './demo.js';
export { Cp2615Bridge, CP2615_VENDOR_ID, CP2615_PRODUCT_ID, CP2615_IOP_INTERFACE } from './devices/cp2615.js';
export type { Cp2615TraceEvent } from './devices/cp2615.js';
export {
  Lan7801,
  LAN78XX_VENDOR_ID,
  LAN7801_PRODUCT_ID,
  type Lan7801Options,
  type Lan7801PhyWiring,
  type Lan7801TraceEvent,
} from './devices/lan7801.js';
export {
  Cp2112,
  CP2112_VENDOR_ID,
  CP2112_PRODUCT_ID,
  CP2112_COMPATIBLE,
  CP2112_GPIO_COUNT,
  type Cp2112Options,
  type Cp2112TraceEvent,
  type InterruptSource,
} from './devices/cp2112.js';
