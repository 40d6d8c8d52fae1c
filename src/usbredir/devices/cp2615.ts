import { Speed } from '../codec/constants.js';
import {
  bulkEndpoints,
  singleConfigurationDevice,
  vendorAlternate,
  type DeviceDescriptors,
} from '../descriptors.js';
import { BulkCommandDevice } from './bulk-command-device.js';
import type { I2cTransferBus } from './buses.js';

/** Constants of drivers/i2c/busses/i2c-cp2615.c. */
export const CP2615_VENDOR_ID = 0x10c4;
export const CP2615_PRODUCT_ID = 0xeac1;
/** The driver binds interface 1 (USB_DEVICE_INTERFACE_NUMBER) and selects its alternate setting 2. */
export const CP2615_IOP_INTERFACE = 1;
export const CP2615_IOP_ALTSETTING = 2;
export const CP2615_EP_OUT = 0x02;
export const CP2615_EP_IN = 0x82;
const MAX_IOP_SIZE = 64;
const IOP_HEADER = 6;
const MAX_I2C_SIZE = MAX_IOP_SIZE - IOP_HEADER - 4;
/** Written by the driver as the native u16 0x2A2A: both bytes 0x2a whatever the endianness. */
const PREAMBLE = 0x2a2a;

/** IOP message ids (enum cp2615_iop_msg_type), big-endian on the wire. */
export const IopMessage = {
  GetAccessoryInfo: 0xd100,
  AccessoryInfo: 0xa100,
  GetPortConfiguration: 0xd203,
  PortConfiguration: 0xa203,
  DoI2cTransfer: 0xd400,
  I2cTransferResult: 0xa400,
  GetSerialState: 0xd501,
  SerialState: 0xa501,
} as const;

/** enum cp2615_i2c_status, a signed byte in the result. */
export const Cp2615I2cStatus = {
  CFG_LOCKED: -6,
  INVALID_PARAM: -4,
  TIMEOUT: -3,
  BUS_BUSY: -2,
  BUS_ERROR: -1,
  SUCCESS: 0,
} as const;

/** PART_ID_A02: the driver calls it the "good" part (A01 has errata). */
const PART_ID_A02 = 0x1500;

export type Cp2615TraceEvent =
  | {
      readonly event: 'cp2615.i2c';
      readonly addr: number;
      readonly write: Uint8Array;
      readonly readLength: number;
      readonly status: number;
    }
  | { readonly event: 'cp2615.iop'; readonly message: number }
  /** Not an IOP message: a guest error. */
  | { readonly event: 'cp2615.bad_message'; readonly bytes: Uint8Array };

export interface Cp2615Options {
  /** The driver names its adapter after the serial number and refuses to probe without one. */
  readonly serialNumber?: string;
  readonly trace?: (event: Cp2615TraceEvent) => void;
}

/**
 * Descriptors as far as i2c-cp2615.c needs them: interface 1 with alternate setting 2 carrying the
 * IOP endpoints, a serial number string. Interface 0 is the chip's audio control function (the
 * CP2615 is a digital audio bridge); we give it only the mandatory class-specific header.
 * Full speed, 64-byte IOP packets (MAX_IOP_SIZE).
 */
export function cp2615Descriptors(serialNumber: string): DeviceDescriptors {
  const audioControl = {
    alternate: 0,
    interfaceClass: 0x01, // audio
    interfaceSubclass: 0x01, // audio control
    interfaceProtocol: 0,
    endpoints: [],
    // UAC1 class-specific AC header: bcdADC 1.00, wTotalLength 8, no streaming interfaces.
    classSpecific: Uint8Array.of(8, 0x24, 0x01, 0x00, 0x01, 8, 0, 0),
  };
  const iop = bulkEndpoints(CP2615_EP_OUT, CP2615_EP_IN, MAX_IOP_SIZE);
  return singleConfigurationDevice(
    {
      vendorId: CP2615_VENDOR_ID,
      productId: CP2615_PRODUCT_ID,
      manufacturer: 'Silicon Labs',
      product: 'CP2615 Digital Audio Bridge',
      serialNumber,
    },
    [
      { number: 0, alternates: [audioControl] },
      {
        number: CP2615_IOP_INTERFACE,
        alternates: [vendorAlternate(0), vendorAlternate(1), vendorAlternate(CP2615_IOP_ALTSETTING, iop)],
      },
    ],
  );
}

/**
 * The CP2615's I/O Protocol (IOP) as i2c-cp2615.c speaks it: a big-endian message
 * `preamble, length, msg, data` on bulk OUT 0x02, the answer on bulk IN 0x82.
 * DoI2cTransfer `tag, i2caddr (8-bit), read_len, write_len, data` does the write phase, then the
 * read phase, with a STOP in between (the chip has no repeated START, per the driver's quirks).
 */
export class Cp2615Bridge extends BulkCommandDevice {
  readonly speed = Speed.full;
  readonly descriptors: DeviceDescriptors;

  constructor(
    private readonly bus: I2cTransferBus,
    private readonly options: Cp2615Options = {},
  ) {
    super({ out: CP2615_EP_OUT, in: CP2615_EP_IN });
    this.descriptors = cp2615Descriptors(options.serialNumber ?? 'CP2615-EMU-0001');
  }

  // The per-transfer path reads and builds messages byte by byte: a DataView over a small fresh array makes
  // V8 move the array off its heap, which costs more than the whole message (Node 20; docs/latency.md).
  protected command(bytes: Uint8Array): void {
    const length = bytes.length >= 4 ? be16(bytes, 2) : 0;
    if (bytes.length < IOP_HEADER || be16(bytes, 0) !== PREAMBLE || length !== bytes.length) {
      this.options.trace?.({ event: 'cp2615.bad_message', bytes: bytes.slice() });
      return;
    }
    const message = be16(bytes, 4);
    const payload = bytes.subarray(IOP_HEADER);
    this.options.trace?.({ event: 'cp2615.iop', message });
    switch (message) {
      case IopMessage.GetAccessoryInfo:
        // part_id, option_id, proto_ver (struct cp2615_iop_accessory_info, big-endian).
        this.answerIop(
          IopMessage.AccessoryInfo,
          Uint8Array.of(PART_ID_A02 >> 8, PART_ID_A02 & 0xff, 0, 0, 0x01, 0x00),
        );
        break;
      case IopMessage.DoI2cTransfer:
        this.answerIop(IopMessage.I2cTransferResult, this.i2cTransfer(payload));
        break;
      default:
        // Other IOP functions (port configuration, serial state) are not modelled; no answer.
        break;
    }
  }

  private i2cTransfer(p: Uint8Array): Uint8Array {
    const [tag = 0, i2caddr = 0, readLength = 0, writeLength = 0] = p;
    const write = p.subarray(4, 4 + writeLength);
    if (
      readLength > MAX_I2C_SIZE ||
      writeLength > MAX_I2C_SIZE ||
      (readLength === 0 && writeLength === 0) ||
      write.length !== writeLength
    ) {
      return this.result(tag, i2caddr, write, readLength, Cp2615I2cStatus.INVALID_PARAM, undefined);
    }
    const addr = i2caddr >> 1;
    if (writeLength > 0 && !this.bus.transfer([{ addr, kind: 'write', data: write.slice() }]).ok) {
      return this.result(tag, i2caddr, write, readLength, Cp2615I2cStatus.BUS_ERROR, undefined);
    }
    if (readLength === 0)
      return this.result(tag, i2caddr, write, readLength, Cp2615I2cStatus.SUCCESS, undefined);
    const read = this.bus.transfer([{ addr, kind: 'read', length: readLength }]);
    if (!read.ok) return this.result(tag, i2caddr, write, readLength, Cp2615I2cStatus.BUS_ERROR, undefined);
    const data = read.reads[0] ?? new Uint8Array(readLength);
    return this.result(tag, i2caddr, write, readLength, Cp2615I2cStatus.SUCCESS, data);
  }

  /** struct cp2615_i2c_transfer_result: tag, i2caddr, status, read_len, data. */
  private result(
    tag: number,
    i2caddr: number,
    write: Uint8Array,
    readLength: number,
    status: number,
    data: Uint8Array | undefined,
  ): Uint8Array {
    if (this.options.trace) {
      this.options.trace({
        event: 'cp2615.i2c',
        addr: i2caddr >> 1,
        write: write.slice(),
        readLength,
        status,
      });
    }
    const n = data?.length ?? 0;
    const out = new Uint8Array(4 + n);
    out[0] = tag;
    out[1] = i2caddr;
    out[2] = status & 0xff;
    out[3] = n;
    if (data) out.set(data, 4);
    return out;
  }

  private answerIop(message: number, data: Uint8Array): void {
    const out = new Uint8Array(IOP_HEADER + data.length);
    out[0] = PREAMBLE >> 8;
    out[1] = PREAMBLE & 0xff;
    out[2] = out.length >> 8;
    out[3] = out.length & 0xff;
    out[4] = message >> 8;
    out[5] = message & 0xff;
    out.set(data, IOP_HEADER);
    this.answer(out);
  }
}

/** Big-endian 16-bit word at `at` (IOP messages are big-endian). */
function be16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}
