/**
 * USB standard descriptors (USB 2.0 chapter 9.6) declared as data and encoded to bytes. String
 * indexes are fixed: 1 manufacturer, 2 product, 3 serial number, then interface strings in order.
 */

export const DescriptorType = { device: 1, configuration: 2, string: 3, interface: 4, endpoint: 5 } as const;
export const TransferType = { control: 0, iso: 1, bulk: 2, interrupt: 3 } as const;
export type TransferTypeCode = (typeof TransferType)[keyof typeof TransferType];

export interface EndpointDescriptor {
  /** bEndpointAddress: bit 7 set for IN. */
  readonly address: number;
  readonly transfer: TransferTypeCode;
  readonly maxPacketSize: number;
  /** bInterval; 0 for bulk. */
  readonly interval: number;
}

export interface InterfaceAltSetting {
  readonly alternate: number;
  readonly interfaceClass: number;
  readonly interfaceSubclass: number;
  readonly interfaceProtocol: number;
  readonly name?: string;
  readonly endpoints: readonly EndpointDescriptor[];
  /** Class-specific descriptors placed right after the interface descriptor. */
  readonly classSpecific?: Uint8Array;
}

export interface InterfaceDescriptors {
  readonly number: number;
  /** Alternate settings; the one with alternate 0 is active after SET_CONFIGURATION. */
  readonly alternates: readonly InterfaceAltSetting[];
}

export interface ConfigurationDescriptors {
  readonly value: number;
  /** bmAttributes; bit 7 must be set (USB 2.0 9.6.3), bit 6 self-powered. */
  readonly attributes: number;
  readonly maxPowerMilliamps: number;
  readonly interfaces: readonly InterfaceDescriptors[];
}

export interface DeviceDescriptors {
  readonly bcdUSB: number;
  readonly deviceClass: number;
  readonly deviceSubclass: number;
  readonly deviceProtocol: number;
  readonly maxPacketSize0: number;
  readonly vendorId: number;
  readonly productId: number;
  readonly bcdDevice: number;
  readonly manufacturer?: string;
  readonly product?: string;
  readonly serialNumber?: string;
  readonly configurations: readonly ConfigurationDescriptors[];
}

/** What tells one vendor adapter from another in its device descriptor. */
export interface DeviceIdentity {
  readonly vendorId: number;
  readonly productId: number;
  readonly manufacturer: string;
  readonly product: string;
  readonly serialNumber?: string;
}

/**
 * A USB 2.0 device whose class is defined per interface (bDeviceClass 0), with a 64-byte EP0, release 1.00
 * and one bus-powered configuration (value 1, 100 mA): the vendor adapters modelled here differ only in
 * identity and interfaces.
 */
export function singleConfigurationDevice(
  identity: DeviceIdentity,
  interfaces: readonly InterfaceDescriptors[],
): DeviceDescriptors {
  return {
    bcdUSB: 0x0200,
    deviceClass: 0,
    deviceSubclass: 0,
    deviceProtocol: 0,
    maxPacketSize0: 64,
    vendorId: identity.vendorId,
    productId: identity.productId,
    bcdDevice: 0x0100,
    manufacturer: identity.manufacturer,
    product: identity.product,
    ...(identity.serialNumber !== undefined ? { serialNumber: identity.serialNumber } : {}),
    configurations: [{ value: 1, attributes: 0x80, maxPowerMilliamps: 100, interfaces }],
  };
}

/** A vendor-specific alternate setting (class 0xff, subclass 0, protocol 0). */
export function vendorAlternate(
  alternate: number,
  endpoints: readonly EndpointDescriptor[] = [],
): InterfaceAltSetting {
  return { alternate, interfaceClass: 0xff, interfaceSubclass: 0, interfaceProtocol: 0, endpoints };
}

/** A bulk OUT and a bulk IN endpoint with one packet size (bInterval 0: bulk endpoints do not poll). */
export function bulkEndpoints(out: number, inAddress: number, maxPacketSize: number): EndpointDescriptor[] {
  return [
    { address: out, transfer: TransferType.bulk, maxPacketSize, interval: 0 },
    { address: inAddress, transfer: TransferType.bulk, maxPacketSize, interval: 0 },
  ];
}

export const STRING_MANUFACTURER = 1;
export const STRING_PRODUCT = 2;
export const STRING_SERIAL = 3;
const FIRST_INTERFACE_STRING = 4;
/** LANGID US English, the only language we offer in string descriptor 0. */
export const LANGID_EN_US = 0x0409;

/** All strings by index, as GET_DESCRIPTOR(STRING, n) serves them. */
export function stringTable(d: DeviceDescriptors): Map<number, string> {
  const table = new Map<number, string>();
  if (d.manufacturer !== undefined) table.set(STRING_MANUFACTURER, d.manufacturer);
  if (d.product !== undefined) table.set(STRING_PRODUCT, d.product);
  if (d.serialNumber !== undefined) table.set(STRING_SERIAL, d.serialNumber);
  let next = FIRST_INTERFACE_STRING;
  for (const cfg of d.configurations)
    for (const itf of cfg.interfaces)
      for (const alt of itf.alternates) if (alt.name !== undefined) table.set(next++, alt.name);
  return table;
}

function interfaceStringIndex(d: DeviceDescriptors, target: InterfaceAltSetting): number {
  let next = FIRST_INTERFACE_STRING;
  for (const cfg of d.configurations)
    for (const itf of cfg.interfaces)
      for (const alt of itf.alternates) {
        if (alt === target) return alt.name === undefined ? 0 : next;
        if (alt.name !== undefined) next++;
      }
  return 0;
}

export function encodeDeviceDescriptor(d: DeviceDescriptors): Uint8Array {
  const b = new Uint8Array(18);
  const v = new DataView(b.buffer);
  b[0] = 18;
  b[1] = DescriptorType.device;
  v.setUint16(2, d.bcdUSB, true);
  b[4] = d.deviceClass;
  b[5] = d.deviceSubclass;
  b[6] = d.deviceProtocol;
  b[7] = d.maxPacketSize0;
  v.setUint16(8, d.vendorId, true);
  v.setUint16(10, d.productId, true);
  v.setUint16(12, d.bcdDevice, true);
  b[14] = d.manufacturer !== undefined ? STRING_MANUFACTURER : 0;
  b[15] = d.product !== undefined ? STRING_PRODUCT : 0;
  b[16] = d.serialNumber !== undefined ? STRING_SERIAL : 0;
  b[17] = d.configurations.length;
  return b;
}

/** The configuration descriptor followed by all its interface, class-specific and endpoint descriptors. */
export function encodeConfigurationDescriptor(
  d: DeviceDescriptors,
  cfg: ConfigurationDescriptors,
): Uint8Array {
  const parts: number[] = [];
  for (const itf of cfg.interfaces) {
    for (const alt of itf.alternates) {
      parts.push(9, DescriptorType.interface, itf.number, alt.alternate, alt.endpoints.length);
      parts.push(
        alt.interfaceClass,
        alt.interfaceSubclass,
        alt.interfaceProtocol,
        interfaceStringIndex(d, alt),
      );
      if (alt.classSpecific) parts.push(...alt.classSpecific);
      for (const ep of alt.endpoints) {
        parts.push(7, DescriptorType.endpoint, ep.address, ep.transfer);
        parts.push(ep.maxPacketSize & 0xff, ep.maxPacketSize >> 8, ep.interval);
      }
    }
  }
  const total = 9 + parts.length;
  const head = [
    9,
    DescriptorType.configuration,
    total & 0xff,
    total >> 8,
    cfg.interfaces.length,
    cfg.value,
    0,
    cfg.attributes,
    Math.min(255, Math.ceil(cfg.maxPowerMilliamps / 2)), // bMaxPower is in 2 mA units for USB 2.0
  ];
  return Uint8Array.from([...head, ...parts]);
}

/** String descriptor `index` (UTF-16LE), or the LANGID list for index 0; undefined if absent. */
export function encodeStringDescriptor(d: DeviceDescriptors, index: number): Uint8Array | undefined {
  if (index === 0) return Uint8Array.from([4, DescriptorType.string, LANGID_EN_US & 0xff, LANGID_EN_US >> 8]);
  const text = stringTable(d).get(index);
  if (text === undefined) return undefined;
  const b = new Uint8Array(2 + 2 * text.length);
  b[0] = b.length;
  b[1] = DescriptorType.string;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    b[2 + 2 * i] = c & 0xff;
    b[3 + 2 * i] = c >> 8;
  }
  return b;
}
