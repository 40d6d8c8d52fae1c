import { VirtualClock, type Clock } from '../../clock.js';
import type { RegisterEventSink, RegisterMap } from '../../regs/index.js';
import { Speed, Status, type StatusCode } from '../codec/constants.js';
import { singleConfigurationDevice, TransferType, type DeviceDescriptors } from '../descriptors.js';
import { STALL, type SetupPacket, type TransferResult, type UsbDeviceModel } from '../device.js';
import type { I2cMessageLike, I2cTransferBus } from './buses.js';
import {
  Cp2112Report,
  REPORT_BY_ID,
  cp2112ReportDescriptor,
  defineCp2112Reports,
  type HidReportType,
} from './cp2112-reports.js';

/** drivers/hid/hid-ids.h USB_VENDOR_ID_CYGNAL / USB_DEVICE_ID_CYGNAL_CP2112; the binding's `usb10c4,ea90`. */
export const CP2112_VENDOR_ID = 0x10c4;
export const CP2112_PRODUCT_ID = 0xea90;
export const CP2112_COMPATIBLE = 'usb10c4,ea90';
export const CP2112_EP_IN = 0x81;
export const CP2112_EP_OUT = 0x01;
export const CP2112_GPIO_COUNT = 8;
const REPORT_MAX = 64;
/** Most data one DATA_READ_RESPONSE carries (struct cp2112_device read_data[61]). */
const READ_CHUNK = 61;
const READ_MAX = 512;
const READ_RESPONSE_LENGTH = REPORT_BY_ID.get(Cp2112Report.DATA_READ_RESPONSE)?.length ?? 63;

/** AN495 TRANSFER STATUS RESPONSE: status 0 and, for errors, status 1 (the driver's STATUS0_* / STATUS1_*). */
export const Status0 = { IDLE: 0, BUSY: 1, COMPLETE: 2, ERROR: 3 } as const;
export const Status1 = {
  TIMEOUT_NACK: 0,
  TIMEOUT_BUS: 1,
  ARBITRATION_LOST: 2,
  READ_INCOMPLETE: 3,
  WRITE_INCOMPLETE: 4,
  SUCCESS: 5,
} as const;

/** HID class requests (HID 1.11 7.2). */
const HID_GET_REPORT = 0x01;
const HID_SET_IDLE = 0x0a;
const HID_SET_REPORT = 0x09;
const HID_DT_HID = 0x21;
const HID_DT_REPORT = 0x22;
const REPORT_TYPE: Record<number, HidReportType> = { 1: 'input', 2: 'output', 3: 'feature' };

/** LOCK_BYTE bits, in the order hid-cp2112.c's cp2112_attr_group lists the fields they guard. */
const LOCK = {
  VID: 0,
  PID: 1,
  MAX_POWER: 2,
  POWER_MODE: 3,
  RELEASE: 4,
  MANUFACTURER: 5,
  PRODUCT: 6,
  SERIAL: 7,
};

export type Cp2112TraceEvent =
  | {
      readonly event: 'cp2112.i2c';
      readonly addr: number;
      readonly write: Uint8Array;
      readonly readLength: number;
      /** Status 0 of the transfer: 2 complete, 3 error. */
      readonly status: number;
    }
  | { readonly event: 'cp2112.gpio'; readonly levels: number }
  | { readonly event: 'cp2112.cancel' }
  /** The guest sent a report the chip rejects or does not know. */
  | { readonly event: 'cp2112.guest_error'; readonly report: number; readonly detail: string };

/** An interrupt output wired to a GPIO pin: src/pse's Tps23881 (`irq`, `onIrq`) fits. */
export interface InterruptSource {
  readonly irq: boolean;
  onIrq(listener: (asserted: boolean) => void): () => void;
}

export interface Cp2112Options {
  readonly serialNumber?: string;
  /** GET_VERSION_INFO device version; hid-cp2112.c needs > 1 for I2C write-read with a repeated START. */
  readonly deviceVersion?: number;
  /** Transfer status requests answered BUSY before COMPLETE (the driver polls up to 10 times, then cancels). */
  readonly busyPolls?: number;
  readonly trace?: (event: Cp2112TraceEvent) => void;
  /** Register trace of the report maps (unmodelled bytes, tagged fields). */
  readonly emit?: RegisterEventSink;
  readonly clock?: Clock;
}

/**
 * Descriptors of a CP2112: one HID interface (class 3, no boot protocol) with its HID class descriptor and an
 * interrupt IN and OUT endpoint of 64 bytes, polled every frame at full speed. One configuration with one
 * interface, so Linux shares the device-tree node between the device, the interface and (usbhid_probe's
 * device_set_node) the HID device that hid-cp2112.c probes.
 */
export function cp2112Descriptors(serialNumber: string): DeviceDescriptors {
  const report = cp2112ReportDescriptor();
  // HID descriptor (HID 1.11 6.2.1): bcdHID 1.11, no country, one report descriptor of `report.length` bytes.
  const hid = Uint8Array.of(
    9,
    HID_DT_HID,
    0x11,
    0x01,
    0,
    1,
    HID_DT_REPORT,
    report.length & 0xff,
    report.length >> 8,
  );
  return singleConfigurationDevice(
    {
      vendorId: CP2112_VENDOR_ID,
      productId: CP2112_PRODUCT_ID,
      manufacturer: 'Silicon Laboratories',
      product: 'CP2112 HID USB-to-SMBus Bridge',
      serialNumber,
    },
    [
      {
        number: 0,
        alternates: [
          {
            alternate: 0,
            interfaceClass: 0x03,
            interfaceSubclass: 0,
            interfaceProtocol: 0,
            classSpecific: hid,
            endpoints: [
              {
                address: CP2112_EP_IN,
                transfer: TransferType.interrupt,
                maxPacketSize: REPORT_MAX,
                interval: 1,
              },
              {
                address: CP2112_EP_OUT,
                transfer: TransferType.interrupt,
                maxPacketSize: REPORT_MAX,
                interval: 1,
              },
            ],
          },
        ],
      },
    ],
  );
}

interface Transfer {
  status0: number;
  status1: number;
  /** Status polls left to answer BUSY. */
  busy: number;
  readLength: number;
}

/**
 * Silicon Labs CP2112 HID USB-to-SMBus/I2C bridge with 8 GPIOs, as drivers/hid/hid-cp2112.c (Linux 7.2) drives it
 * through usbhid: feature reports by GET_REPORT/SET_REPORT on endpoint 0 (GPIO configuration, get and set,
 * version, SMBus configuration, lock byte, USB configuration, strings), output reports on interrupt OUT (data
 * read, write-read and write requests, transfer status requests, forced read sends, cancel) and input reports on
 * interrupt IN (transfer status and read responses). GPIO pins read the levels of what is wired to them; the
 * driver turns them into interrupts by polling GPIO_GET (cp2112_gpio_poll_callback), which the model just answers.
 */
export class Cp2112 implements UsbDeviceModel {
  readonly speed = Speed.full;
  readonly descriptors: DeviceDescriptors;
  readonly reportDescriptor = cp2112ReportDescriptor();
  /** The feature reports holding state, by report id. */
  readonly reports: ReadonlyMap<number, RegisterMap>;
  readonly #input: Uint8Array[] = [];
  #notify: ((endpoint: number) => void) | undefined;
  #transfer: Transfer = { status0: Status0.IDLE, status1: 0, busy: 0, readLength: 0 };
  #readBuffer: number[] = [];
  #latch = 0xff;
  /** Levels driven onto each pin from outside (1 = high: the pull-up with nothing pulling low). */
  #external = 0xff;
  #locked = 0;
  readonly #strings: Map<number, string>;
  readonly #unwire = new Map<number, () => void>();
  readonly #options: Cp2112Options;

  constructor(
    private readonly bus: I2cTransferBus,
    options: Cp2112Options = {},
  ) {
    this.#options = options;
    const serial = options.serialNumber ?? 'CP2112-EMU-0001';
    this.descriptors = cp2112Descriptors(serial);
    this.#strings = new Map([
      [Cp2112Report.MANUFACTURER_STRING, this.descriptors.manufacturer ?? ''],
      [Cp2112Report.PRODUCT_STRING, this.descriptors.product ?? ''],
      [Cp2112Report.SERIAL_STRING, serial],
    ]);
    this.reports = defineCp2112Reports(
      {
        levels: () => this.levels,
        setLatch: (value, mask) => {
          this.#latch = (this.#latch & ~mask) | (value & mask);
          this.#gpioChanged();
        },
        deviceVersion: () => options.deviceVersion ?? 2,
        lockByte: () => ~this.#locked & 0xff,
      },
      options.clock ?? new VirtualClock(),
      options.emit,
      { vid: CP2112_VENDOR_ID, pid: CP2112_PRODUCT_ID, maxPower2mA: 50 },
    );
  }

  // ---- GPIO ---------------------------------------------------------------------------------------

  /**
   * Pin levels as GPIO_GET reports them: an input reads the outside level; a push-pull output its latch; an
   * open-drain output (the reset default for outputs) pulls low for a 0 and otherwise reads the outside level.
   */
  get levels(): number {
    const config = this.reports.get(Cp2112Report.GPIO_CONFIG);
    const dir = config?.get('DIRECTION').peek() ?? 0;
    const pushPull = config?.get('PUSH_PULL').peek() ?? 0;
    const drivenHigh = this.#latch & pushPull;
    const openDrain = this.#latch & this.#external;
    return ((~dir & this.#external) | (dir & pushPull & drivenHigh) | (dir & ~pushPull & openDrain)) & 0xff;
  }

  /** The output latches (GPIO_SET). */
  get latch(): number {
    return this.#latch;
  }

  /** Drives a pin from outside: true = high, false = pulled low. */
  setInput(pin: number, high: boolean): void {
    this.#checkPin(pin);
    this.#external = high ? this.#external | (1 << pin) : this.#external & ~(1 << pin);
    this.#gpioChanged();
  }

  /**
   * Wires an interrupt output to a pin. `activeLow` (the default) is an open-drain INT pin with a pull-up, such
   * as the TPS23881's: asserted pulls the pin low. Replaces what was wired to the pin before.
   */
  wireInterrupt(pin: number, source: InterruptSource, { activeLow = true } = {}): () => void {
    this.#checkPin(pin);
    this.#unwire.get(pin)?.();
    const apply = (asserted: boolean) => this.setInput(pin, activeLow ? !asserted : asserted);
    const off = source.onIrq(apply);
    apply(source.irq);
    const unwire = () => {
      off();
      this.#unwire.delete(pin);
      this.setInput(pin, true);
    };
    this.#unwire.set(pin, unwire);
    return unwire;
  }

  // ---- USB side -----------------------------------------------------------------------------------

  setInNotifier(notify: (endpoint: number) => void): void {
    this.#notify = notify;
  }

  reset(): void {
    // A bus reset loses the reports in flight; the chip's SMBus engine and GPIO state are untouched.
    this.#input.length = 0;
  }

  controlRequest(setup: SetupPacket, data: Uint8Array): TransferResult {
    const type = setup.requestType & 0x60;
    const toInterface = (setup.requestType & 0x1f) === 1 && (setup.index & 0xff) === 0;
    if (type === 0x00 && toInterface && setup.request === 6) {
      const kind = setup.value >> 8;
      if (kind === HID_DT_REPORT) return reply(this.reportDescriptor, setup);
      if (kind === HID_DT_HID) {
        const alt = this.descriptors.configurations[0]?.interfaces[0]?.alternates[0];
        if (alt?.classSpecific) return reply(alt.classSpecific, setup);
      }
      return STALL;
    }
    if (type !== 0x20 || !toInterface) return STALL;
    const reportType = REPORT_TYPE[setup.value >> 8];
    const id = setup.value & 0xff;
    switch (setup.request) {
      case HID_SET_IDLE:
        return { status: Status.success };
      case HID_GET_REPORT: {
        if (reportType !== 'feature')
          return this.#reject(id, `GET_REPORT of a ${reportType ?? 'unknown'} report`);
        const payload = this.#getFeature(id);
        if (!payload) return this.#reject(id, 'GET_REPORT of an unknown feature report');
        return reply(Uint8Array.from([id, ...payload]), setup);
      }
      case HID_SET_REPORT: {
        if (data[0] !== id) return this.#reject(id, 'SET_REPORT data does not start with the report id');
        if (reportType === 'output') return { status: this.#output(data) };
        if (reportType !== 'feature')
          return this.#reject(id, `SET_REPORT of a ${reportType ?? 'unknown'} report`);
        return this.#setFeature(id, data.subarray(1)) ? { status: Status.success } : STALL;
      }
      default:
        return STALL;
    }
  }

  dataOut(endpoint: number, data: Uint8Array): StatusCode {
    if (endpoint !== CP2112_EP_OUT) return Status.stall;
    return this.#output(data);
  }

  dataIn(endpoint: number): TransferResult | undefined {
    if (endpoint !== CP2112_EP_IN) return STALL;
    const next = this.#input.shift();
    return next === undefined ? undefined : { status: Status.success, data: next };
  }

  // ---- reports ------------------------------------------------------------------------------------

  #getFeature(id: number): Uint8Array | undefined {
    const spec = REPORT_BY_ID.get(id);
    if (spec?.type !== 'feature') return undefined;
    const map = this.reports.get(id);
    if (map) return map.readBytes(1, spec.length);
    const text = this.#strings.get(id);
    if (text !== undefined) {
      // struct cp2112_string_report: length (of everything after the id: itself, the type and the UTF-16LE
      // text), USB_DT_STRING, then at most 30 UTF-16 code units.
      const chars = text.slice(0, 30);
      const out = new Uint8Array(spec.length);
      out[0] = 2 + 2 * chars.length;
      out[1] = 0x03;
      for (let i = 0; i < chars.length; i++) {
        const c = chars.charCodeAt(i);
        out[2 + 2 * i] = c & 0xff;
        out[3 + 2 * i] = c >> 8;
      }
      return out;
    }
    return undefined;
  }

  #setFeature(id: number, payload: Uint8Array): boolean {
    switch (id) {
      case Cp2112Report.GPIO_CONFIG:
      case Cp2112Report.GPIO_SET:
      case Cp2112Report.SMBUS_CONFIG: {
        const map = this.reports.get(id);
        if (!map) return false;
        map.writeBytes(1, payload.subarray(0, REPORT_BY_ID.get(id)?.length ?? 0));
        if (id === Cp2112Report.GPIO_CONFIG) this.#gpioChanged();
        return true;
      }
      case Cp2112Report.RESET_DEVICE:
        // The chip re-enumerates after a reset; the model keeps its USB presence and resets its engine.
        this.#transfer = { status0: Status0.IDLE, status1: 0, busy: 0, readLength: 0 };
        this.#readBuffer = [];
        return true;
      case Cp2112Report.USB_CONFIG:
        this.#programUsbConfig(payload);
        return true;
      case Cp2112Report.MANUFACTURER_STRING:
      case Cp2112Report.PRODUCT_STRING:
      case Cp2112Report.SERIAL_STRING: {
        const bit = LOCK.MANUFACTURER + (id - Cp2112Report.MANUFACTURER_STRING);
        if (this.#locked & (1 << bit)) return true; // "the CP2112 will simply ignore writes to already-programmed fields"
        const n = Math.max(0, Math.min(((payload[0] ?? 2) - 2) >> 1, 30));
        let text = '';
        for (let i = 0; i < n; i++)
          text += String.fromCharCode((payload[2 + 2 * i] ?? 0) | ((payload[3 + 2 * i] ?? 0) << 8));
        this.#strings.set(id, text);
        this.#locked |= 1 << bit;
        return true;
      }
      default:
        this.#reject(id, 'SET_REPORT of a read-only or unknown feature report');
        return false;
    }
  }

  /** USB_CONFIG writes program the one-time PROM: fields selected by the mask byte, each only while unlocked. */
  #programUsbConfig(payload: Uint8Array): void {
    const map = this.reports.get(Cp2112Report.USB_CONFIG);
    if (!map) return;
    const mask = payload[8] ?? 0;
    const fields: [number, number, number][] = [
      // [mask bit, first payload byte, length]
      [LOCK.VID, 0, 2],
      [LOCK.PID, 2, 2],
      [LOCK.MAX_POWER, 4, 1],
      [LOCK.POWER_MODE, 5, 1],
      [LOCK.RELEASE, 6, 2],
    ];
    for (const [bit, at, length] of fields) {
      if (!(mask & (1 << bit)) || this.#locked & (1 << bit)) continue;
      map.writeBytes(1 + at, payload.subarray(at, at + length));
      this.#locked |= 1 << bit;
    }
  }

  #output(data: Uint8Array): StatusCode {
    const id = data[0] ?? 0;
    const spec = REPORT_BY_ID.get(id);
    if (spec?.type !== 'output') {
      this.#reject(id, 'not an output report');
      return Status.success; // the interrupt transfer itself went through
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const u16 = (at: number): number => (data.length >= at + 2 ? view.getUint16(at) : 0);
    switch (id) {
      case Cp2112Report.DATA_READ_REQUEST:
        this.#start((data[1] ?? 0) >> 1, new Uint8Array(0), u16(2), id);
        break;
      case Cp2112Report.DATA_WRITE_READ_REQUEST: {
        const n = data[4] ?? 0;
        if (n < 1 || n > 16) {
          this.#reject(id, `target address length ${n} (1-16)`);
          break;
        }
        this.#start((data[1] ?? 0) >> 1, data.slice(5, 5 + n), u16(2), id);
        break;
      }
      case Cp2112Report.DATA_WRITE_REQUEST: {
        const n = data[2] ?? 0;
        if (n < 1 || n > 61 || data.length < 3 + n) {
          this.#reject(id, `write length ${n} (1-61) in a ${data.length}-byte report`);
          this.#transfer = {
            status0: Status0.ERROR,
            status1: Status1.WRITE_INCOMPLETE,
            busy: 0,
            readLength: 0,
          };
          break;
        }
        this.#start((data[1] ?? 0) >> 1, data.slice(3, 3 + n), 0, id);
        break;
      }
      case Cp2112Report.TRANSFER_STATUS_REQUEST:
        this.#sendStatus();
        break;
      case Cp2112Report.DATA_READ_FORCE_SEND:
        this.#sendRead(u16(1));
        break;
      case Cp2112Report.CANCEL_TRANSFER:
        this.#transfer = { status0: Status0.IDLE, status1: 0, busy: 0, readLength: 0 };
        this.#readBuffer = [];
        this.#options.trace?.({ event: 'cp2112.cancel' });
        break;
      default:
        break;
    }
    return Status.success;
  }

  /**
   * One SMBus/I2C transaction: the write phase, then (repeated START) the read phase into the read buffer. The
   * transfer completes at once; `busyPolls` lets the first status polls still see it in progress.
   */
  #start(addr: number, write: Uint8Array, readLength: number, id: number): void {
    if (id !== Cp2112Report.DATA_WRITE_REQUEST && (readLength < 1 || readLength > READ_MAX)) {
      this.#reject(id, `read length ${readLength} (1-512)`);
      this.#transfer = { status0: Status0.ERROR, status1: Status1.READ_INCOMPLETE, busy: 0, readLength: 0 };
      return;
    }
    const messages: I2cMessageLike[] = [];
    if (write.length > 0) messages.push({ addr, kind: 'write', data: write });
    if (readLength > 0) messages.push({ addr, kind: 'read', length: readLength });
    const result = this.bus.transfer(messages);
    const busy = this.#options.busyPolls ?? 0;
    if (result.ok) {
      this.#readBuffer = [...(result.reads[0] ?? new Uint8Array(0))];
      this.#transfer = { status0: Status0.COMPLETE, status1: Status1.SUCCESS, busy, readLength };
    } else {
      // With retry_time 1 (the driver's setting) an unanswered address ends the transfer at once.
      this.#readBuffer = [];
      this.#transfer = { status0: Status0.ERROR, status1: Status1.TIMEOUT_NACK, busy, readLength: 0 };
    }
    this.#options.trace?.({
      event: 'cp2112.i2c',
      addr,
      write: write.slice(),
      readLength,
      status: this.#transfer.status0,
    });
    const auto = this.reports.get(Cp2112Report.SMBUS_CONFIG)?.get('AUTO_SEND_READ').peek() ?? 0;
    if (auto && result.ok && readLength > 0) while (this.#readBuffer.length > 0) this.#sendRead(READ_CHUNK);
  }

  /** TRANSFER STATUS RESPONSE: status 0, status 1, retries (BE16), bytes read (BE16). */
  #sendStatus(): void {
    const t = this.#transfer;
    let s0 = t.status0;
    let s1 = t.status1;
    if (t.busy > 0 && s0 !== Status0.IDLE) {
      t.busy--;
      s0 = Status0.BUSY;
      s1 = t.readLength > 0 ? 2 : 3; // AN495: 2 = read in progress, 3 = write in progress
    }
    const length = s0 === Status0.COMPLETE ? t.readLength : 0;
    this.#queue(
      Uint8Array.of(Cp2112Report.TRANSFER_STATUS_RESPONSE, s0, s1, 0, 0, length >> 8, length & 0xff),
    );
  }

  /** DATA READ RESPONSE with up to `length` (at most 61) buffered bytes: status, length, data padded to 61. */
  #sendRead(length: number): void {
    const n = Math.min(length, READ_CHUNK, this.#readBuffer.length);
    const bytes = this.#readBuffer.splice(0, n);
    const out = new Uint8Array(1 + READ_RESPONSE_LENGTH);
    out[0] = Cp2112Report.DATA_READ_RESPONSE;
    out[1] = this.#transfer.status0;
    out[2] = n;
    out.set(bytes, 3);
    this.#queue(out);
  }

  #queue(report: Uint8Array): void {
    this.#input.push(report);
    this.#notify?.(CP2112_EP_IN);
  }

  #gpioChanged(): void {
    this.#options.trace?.({ event: 'cp2112.gpio', levels: this.levels });
  }

  #reject(report: number, detail: string): TransferResult {
    this.#options.trace?.({ event: 'cp2112.guest_error', report, detail });
    return STALL;
  }

  #checkPin(pin: number): void {
    if (!Number.isInteger(pin) || pin < 0 || pin >= CP2112_GPIO_COUNT)
      throw new RangeError(`the CP2112 has GPIO 0-${CP2112_GPIO_COUNT - 1}, not ${pin}`);
  }
}

function reply(data: Uint8Array, setup: SetupPacket): TransferResult {
  return { status: Status.success, data: data.subarray(0, setup.length) };
}
