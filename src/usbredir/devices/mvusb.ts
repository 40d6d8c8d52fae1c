import { Speed } from '../codec/constants.js';
import {
  bulkEndpoints,
  singleConfigurationDevice,
  vendorAlternate,
  type DeviceDescriptors,
} from '../descriptors.js';
import { BulkCommandDevice } from './bulk-command-device.js';
import type { Clause22Bus } from './buses.js';

/** USB IDs and endpoints used by drivers/net/mdio/mdio-mvusb.c. */
export const MVUSB_VENDOR_ID = 0x1286;
export const MVUSB_PRODUCT_ID = 0x1fa4;
export const MVUSB_EP_OUT = 0x02;
/** The driver reads from usb_rcvbulkpipe(udev, 6), i.e. endpoint 6 IN. */
export const MVUSB_EP_IN = 0x86;

/** Command words, little-endian, "reversed from USB PCAPs" (mdio-mvusb.c). */
const PREAMBLE0 = 0xe800;
const PREAMBLE1 = 0x0001;
const CMD_MASK = 0xfc00;
const CMD_READ = 0xa400;
const CMD_WRITE = 0x8000;

export type MvusbTraceEvent =
  | { readonly event: 'mvusb.read'; readonly phy: number; readonly reg: number; readonly value: number }
  | { readonly event: 'mvusb.write'; readonly phy: number; readonly reg: number; readonly value: number }
  /** The guest sent something the adapter does not understand (a guest error, not ours). */
  | { readonly event: 'mvusb.bad_command'; readonly bytes: Uint8Array };

export interface MvusbOptions {
  readonly trace?: (event: MvusbTraceEvent) => void;
  readonly serialNumber?: string;
}

/**
 * bDeviceClass 0, one configuration, one interface with the two bulk endpoints: Linux then shares
 * the device-tree node between the device and its interface (drivers/usb/core/of.c
 * usb_of_has_combined_node), so an `mdio@N` node under the xHCI node reaches the MDIO bus.
 */
export function mvusbDescriptors(serialNumber?: string): DeviceDescriptors {
  return singleConfigurationDevice(
    {
      vendorId: MVUSB_VENDOR_ID,
      productId: MVUSB_PRODUCT_ID,
      manufacturer: 'Marvell',
      product: 'USB to MDIO adapter',
      ...(serialNumber !== undefined ? { serialNumber } : {}),
    },
    [{ number: 0, alternates: [vendorAlternate(0, bulkEndpoints(MVUSB_EP_OUT, MVUSB_EP_IN, 512))] }],
  );
}

/**
 * The Marvell USB-to-MDIO adapter: a 6-byte read command on bulk OUT 0x02 is answered by a 2-byte
 * little-endian value on bulk IN 0x86; an 8-byte write command carries the value. Clause 22 only.
 * Every command reaches the bus.
 */
export class MvusbAdapter extends BulkCommandDevice {
  readonly speed = Speed.high;
  readonly descriptors: DeviceDescriptors;

  constructor(
    private readonly bus: Clause22Bus,
    private readonly options: MvusbOptions = {},
  ) {
    super({ out: MVUSB_EP_OUT, in: MVUSB_EP_IN });
    this.descriptors = mvusbDescriptors(options.serialNumber);
  }

  protected command(data: Uint8Array): void {
    const op = word(data, 2);
    const command = op & CMD_MASK;
    const phy = (op >> 5) & 0x1f;
    const reg = op & 0x1f;
    const preambleOk = word(data, 0) === PREAMBLE0 && word(data, 1) === PREAMBLE1;
    if (preambleOk && data.length === 6 && command === CMD_READ) {
      const value = this.bus.read(phy, reg) & 0xffff;
      this.options.trace?.({ event: 'mvusb.read', phy, reg, value });
      this.answer(Uint8Array.of(value & 0xff, value >> 8));
    } else if (preambleOk && data.length === 8 && command === CMD_WRITE) {
      const value = word(data, 3);
      this.bus.write(phy, reg, value);
      this.options.trace?.({ event: 'mvusb.write', phy, reg, value });
    } else {
      // Unknown firmware commands are accepted and dropped; the transfer itself succeeded.
      this.options.trace?.({ event: 'mvusb.bad_command', bytes: data.slice() });
    }
  }
}

/** Little-endian 16-bit word `i` of a command (a module function: the command path runs per access). */
function word(data: Uint8Array, i: number): number {
  return (data[2 * i] ?? 0) | ((data[2 * i + 1] ?? 0) << 8);
}
