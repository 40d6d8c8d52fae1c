import { Status } from '../../src/usbredir/codec/constants.js';
import type { UsbDeviceModel } from '../../src/usbredir/device.js';
import type { SmbusOps } from '../pse/tps23881-driver.js';

/**
 * Linux 7.2's drivers/hid/hid-cp2112.c transcribed onto the usbhid calls it makes, run against a device model:
 * hid_hw_raw_request() becomes a GET_REPORT/SET_REPORT control transfer on endpoint 0 as usbhid_get_raw_report /
 * usbhid_set_raw_report issue it (buf[0] = report id, wValue = (type + 1) << 8 | id, wIndex = interface 0),
 * hid_hw_output_report() an interrupt OUT transfer (usbhid_output_report), and every input report the device
 * queues on interrupt IN goes through hid-core's report lookup into cp2112_raw_event. The device's report
 * descriptor is parsed as hid-core parses it, so an input report it does not declare is dropped as Linux drops it.
 * Return values follow the kernel: >= 0 success/value, negative errno.
 */
export const EINVAL = 22;
export const EIO = 5;
export const ETIMEDOUT = 110;
export const EBUSY = 16;
export const EAGAIN = 11;
export const EOPNOTSUPP = 95;
export const EPROTO = 71;

const CP2112_GPIO_CONFIG = 0x02;
const CP2112_GPIO_GET = 0x03;
const CP2112_GPIO_SET = 0x04;
const CP2112_GET_VERSION_INFO = 0x05;
const CP2112_SMBUS_CONFIG = 0x06;
const CP2112_DATA_READ_REQUEST = 0x10;
const CP2112_DATA_WRITE_READ_REQUEST = 0x11;
const CP2112_DATA_READ_FORCE_SEND = 0x12;
const CP2112_DATA_READ_RESPONSE = 0x13;
const CP2112_DATA_WRITE_REQUEST = 0x14;
const CP2112_TRANSFER_STATUS_REQUEST = 0x15;
const CP2112_TRANSFER_STATUS_RESPONSE = 0x16;
const CP2112_CANCEL_TRANSFER = 0x17;
const CP2112_LOCK_BYTE = 0x20;
const XFER_STATUS_RETRIES = 10;
const I2C_SMBUS_BLOCK_MAX = 32;
const EP_OUT = 0x01;
const EP_IN = 0x81;

type ReportType = 'input' | 'output' | 'feature';
const HID_TYPE: Record<ReportType, number> = { input: 0, output: 1, feature: 2 };

/**
 * hid-core's item parser for what a vendor descriptor uses (hid_parser_global/main/local): report id, size and
 * count accumulate into per-type, per-id report sizes in bits; returns hid_report_len() per report, or the
 * error hid_open_report would log.
 */
export function parseReportDescriptor(rdesc: Uint8Array): Map<string, number> | string {
  let size = 0;
  let count = 0;
  let id = 0;
  let depth = 0;
  const bits = new Map<string, number>();
  for (let i = 0; i < rdesc.length;) {
    const b = rdesc[i++] ?? 0;
    if (b === 0xfe) return 'long items are not used by this descriptor';
    const n = [0, 1, 2, 4][b & 3] ?? 0;
    let value = 0;
    for (let k = 0; k < n; k++) value |= (rdesc[i + k] ?? 0) << (8 * k);
    i += n;
    const type = (b >> 2) & 3;
    const tag = b >> 4;
    if (type === 1) {
      if (tag === 7) {
        if (value > 256) return `invalid report_size ${value}`;
        size = value;
      } else if (tag === 8) {
        if (value === 0 || value > 255) return `report_id ${value} is invalid`;
        id = value;
      } else if (tag === 9) {
        if (value > 12288) return `invalid report_count ${value}`;
        count = value;
      }
    } else if (type === 0) {
      const kind = tag === 8 ? 'input' : tag === 9 ? 'output' : tag === 11 ? 'feature' : undefined;
      if (tag === 10) depth++;
      else if (tag === 12) {
        if (--depth < 0) return 'collection stack underflow';
      } else if (kind) {
        const key = `${kind}:${id}`;
        const total = (bits.get(key) ?? 0) + size * count;
        if (total > (16384 - 1) << 3) return `report is too long`;
        bits.set(key, total);
      }
    }
  }
  if (depth !== 0) return 'unbalanced collection at end of report description';
  // hid_report_len(): the payload bytes plus the report id byte of a numbered report.
  return new Map([...bits].map(([k, v]) => [k, Math.ceil(v / 8) + (k.endsWith(':0') ? 0 : 1)]));
}

/** The hid_device + usbhid glue the driver sits on. */
export class UsbHidLink {
  readonly reports: Map<string, number>;
  readonly log: string[] = [];
  rawEvent: ((data: Uint8Array) => void) | undefined;
  /** USB transactions issued: control transfers and interrupt OUT/IN packets (latency budgets count these). */
  transactions = 0;
  constructor(readonly device: UsbDeviceModel) {
    const parsed = parseReportDescriptor(this.reportDescriptor());
    if (typeof parsed === 'string') throw new Error(`hid_parse: ${parsed}`);
    this.reports = parsed;
  }

  private reportDescriptor(): Uint8Array {
    // usbhid_parse: GET_DESCRIPTOR(REPORT) to the interface for wDescriptorLength bytes (HID descriptor).
    const hid = this.device.descriptors.configurations[0]?.interfaces[0]?.alternates[0]?.classSpecific;
    const rsize = (hid?.[7] ?? 0) | ((hid?.[8] ?? 0) << 8);
    const r = this.device.controlRequest?.(
      { requestType: 0x81, request: 6, value: 0x2200, index: 0, length: rsize },
      new Uint8Array(0),
    );
    if (r?.status !== Status.success || r.data?.length !== rsize)
      throw new Error('report descriptor read failed');
    return r.data;
  }

  /** hid_hw_raw_request(hdev, reportnum, buf, len, rtype, GET_REPORT or SET_REPORT). */
  rawRequest(reportnum: number, buf: Uint8Array, len: number, rtype: ReportType, get: boolean): number {
    this.transactions++;
    buf[0] = reportnum;
    const setup = {
      requestType: get ? 0xa1 : 0x21,
      request: get ? 0x01 : 0x09,
      value: ((HID_TYPE[rtype] + 1) << 8) | reportnum,
      index: 0,
      length: len,
    };
    const r = this.device.controlRequest?.(setup, get ? new Uint8Array(0) : buf.slice(0, len));
    if (!r || r.status !== Status.success) return -32; // -EPIPE: the control transfer stalled
    if (!get) return len;
    const data = r.data ?? new Uint8Array(0);
    buf.set(data.subarray(0, len));
    return data.length;
  }

  /** hid_hw_output_report: interrupt OUT, then whatever the device queued on interrupt IN is delivered. */
  outputReport(buf: Uint8Array): number {
    this.transactions++;
    const status = this.device.dataOut?.(EP_OUT, buf.slice());
    if (status !== Status.success) return -EIO;
    this.pumpInput();
    return buf.length;
  }

  /** usbhid's interrupt IN URB completing: hid_input_report -> report lookup -> the driver's raw_event. */
  pumpInput(): void {
    for (;;) {
      const r = this.device.dataIn?.(EP_IN, 64);
      if (!r?.data) return;
      this.transactions++;
      const id = r.data[0] ?? 0;
      if (!this.reports.has(`input:${id}`)) {
        this.log.push(`undefined report_id ${id} received`);
        continue;
      }
      this.rawEvent?.(r.data);
    }
  }
}

/** enum irq type bits as irq_get_trigger_type() returns them. */
export const IRQ_TYPE = { EDGE_RISING: 1, EDGE_FALLING: 2, LEVEL_HIGH: 4, LEVEL_LOW: 8 } as const;

export class Cp2112Driver implements SmbusOps {
  readonly log: string[] = [];
  hwversion = 0;
  private xferStatus = 0;
  private xferAvail = false;
  private readAvail = false;
  private readData = new Uint8Array(61);
  private readLength = 0;
  /** gpio irq state: unmasked lines, their trigger types and handlers (handle_nested_irq targets). */
  irqMask = 0;
  gpioPrevState = 0;
  readonly irqs = new Map<number, { type: number; handler: () => void }>();

  constructor(
    readonly hid: UsbHidLink,
    /** The I2C client address SmbusOps calls go to. */
    public addr = 0x20,
  ) {
    hid.rawEvent = (data) => this.rawEvent(data);
  }

  /** cp2112_probe from hid_hw_power(FULLON) to chmod_sysfs_attrs; `clockHz` is i2c_parse_fw_timings' bus_freq_hz. */
  probe(clockHz = 100_000): number {
    const buf = new Uint8Array(3);
    let ret = this.hid.rawRequest(CP2112_GET_VERSION_INFO, buf, 3, 'feature', true);
    if (ret !== 3) {
      this.log.push('error requesting version');
      return ret >= 0 ? -EIO : ret;
    }
    this.log.push(`Part Number: 0x${hex2(buf[1] ?? 0)} Device Version: 0x${hex2(buf[2] ?? 0)}`);
    const config = new Uint8Array(14);
    ret = this.hid.rawRequest(CP2112_SMBUS_CONFIG, config, 14, 'feature', true);
    if (ret !== 14) {
      this.log.push('error requesting SMBus config');
      return ret >= 0 ? -EIO : ret;
    }
    const v = new DataView(config.buffer);
    v.setUint32(1, clockHz);
    v.setUint16(12, 1); // retry_time
    ret = this.hid.rawRequest(config[0] ?? 0, config, 14, 'feature', false);
    if (ret !== 14) {
      this.log.push('error setting SMBus config');
      return ret >= 0 ? -EIO : ret;
    }
    this.hwversion = buf[2] ?? 0;
    const lock = new Uint8Array(2);
    if (this.hid.rawRequest(CP2112_LOCK_BYTE, lock, 2, 'feature', true) !== 2)
      this.log.push('error reading lock byte');
    return 0;
  }

  private rawEvent(data: Uint8Array): void {
    switch (data[0]) {
      case CP2112_TRANSFER_STATUS_RESPONSE: {
        const s0 = data[1];
        const s1 = data[2];
        if (s0 === 0) this.xferStatus = -EAGAIN;
        else if (s0 === 1) this.xferStatus = -EBUSY;
        else if (s0 === 2) this.xferStatus = ((data[5] ?? 0) << 8) | (data[6] ?? 0);
        else if (s0 === 3) this.xferStatus = s1 === 0 || s1 === 1 ? -ETIMEDOUT : -EIO;
        else this.xferStatus = -EINVAL;
        this.xferAvail = true;
        break;
      }
      case CP2112_DATA_READ_RESPONSE:
        this.readLength = Math.min(data[2] ?? 0, 61);
        this.readData = data.slice(3, 3 + this.readLength);
        this.readAvail = true;
        break;
      default:
        this.log.push('unknown report');
    }
  }

  /** cp2112_wait: the response either arrived with the output report's completion or the 50 ms wait times out. */
  private wait(which: 'xfer' | 'read'): number {
    this.hid.pumpInput();
    const avail = which === 'xfer' ? this.xferAvail : this.readAvail;
    if (!avail) return -ETIMEDOUT;
    if (which === 'xfer') this.xferAvail = false;
    else this.readAvail = false;
    return 0;
  }

  private xferStatusRequest(): number {
    this.xferAvail = false;
    const ret = this.hid.outputReport(Uint8Array.of(CP2112_TRANSFER_STATUS_REQUEST, 0x01));
    if (ret < 0) return ret;
    const w = this.wait('xfer');
    return w || this.xferStatus;
  }

  private read(size: number): { ret: number; data: Uint8Array } {
    size = Math.min(size, 61);
    this.readAvail = false;
    const ret = this.hid.outputReport(Uint8Array.of(CP2112_DATA_READ_FORCE_SEND, size >> 8, size & 0xff));
    if (ret < 0) return { ret, data: new Uint8Array(0) };
    const w = this.wait('read');
    if (w) return { ret: w, data: new Uint8Array(0) };
    return { ret: this.readLength, data: this.readData.slice(0, Math.min(size, this.readLength)) };
  }

  /** The status loop shared by cp2112_xfer and cp2112_i2c_xfer: the transfer's status value or an errno. */
  private runTransfer(request: Uint8Array): number {
    let ret = this.hid.outputReport(request);
    if (ret < 0) return ret;
    let retries = 0;
    for (; retries < XFER_STATUS_RETRIES; ++retries) {
      ret = this.xferStatusRequest();
      if (ret === -EBUSY) continue;
      if (ret < 0) return ret;
      break;
    }
    if (retries >= XFER_STATUS_RETRIES) {
      this.log.push('Transfer timed out, cancelling.');
      this.hid.outputReport(Uint8Array.of(CP2112_CANCEL_TRANSFER, 0x01));
      return -ETIMEDOUT;
    }
    return ret;
  }

  private static readReq(addr: number, length: number): Uint8Array {
    return Uint8Array.of(CP2112_DATA_READ_REQUEST, addr << 1, length >> 8, length & 0xff);
  }
  private static writeReadReq(addr: number, length: number, target: number[]): Uint8Array {
    return Uint8Array.of(
      CP2112_DATA_WRITE_READ_REQUEST,
      addr << 1,
      length >> 8,
      length & 0xff,
      target.length,
      ...target,
    );
  }
  private static writeReq(addr: number, data: number[]): Uint8Array {
    return Uint8Array.of(CP2112_DATA_WRITE_REQUEST, addr << 1, data.length, ...data);
  }

  /**
   * cp2112_xfer for the sizes the callers here use: 'byte' (read: read request; write: the command alone),
   * 'byte-data', 'word-data', 'i2c-block' (read: `length` bytes) and 'block' (read: 32, then the status' count).
   */
  smbusXfer(
    addr: number,
    read: boolean,
    command: number,
    size: 'byte' | 'byte-data' | 'word-data' | 'i2c-block' | 'block',
    data: number[] = [],
    length = 0,
  ): { ret: number; data: number[] } {
    let request: Uint8Array;
    let readLength = 0;
    switch (size) {
      case 'byte':
        readLength = 1;
        request = read ? Cp2112Driver.readReq(addr, 1) : Cp2112Driver.writeReq(addr, [command]);
        break;
      case 'byte-data':
        readLength = 1;
        request = read
          ? Cp2112Driver.writeReadReq(addr, 1, [command])
          : Cp2112Driver.writeReq(addr, [command, ...data]);
        break;
      case 'word-data':
        readLength = 2;
        request = read
          ? Cp2112Driver.writeReadReq(addr, 2, [command])
          : Cp2112Driver.writeReq(addr, [command, ...data]);
        break;
      case 'i2c-block':
        readLength = length;
        request = read
          ? Cp2112Driver.writeReadReq(addr, length, [command])
          : Cp2112Driver.writeReq(addr, [command, ...data]);
        break;
      case 'block':
        request = read
          ? Cp2112Driver.writeReadReq(addr, I2C_SMBUS_BLOCK_MAX, [command])
          : Cp2112Driver.writeReq(addr, [command, data.length, ...data]);
        break;
    }
    let ret = this.runTransfer(request);
    if (ret < 0) return { ret, data: [] };
    if (!read) return { ret: 0, data: [] };
    if (size === 'block') readLength = ret;
    const r = this.read(readLength);
    if (r.ret < 0) return { ret: r.ret, data: [] };
    if (r.ret !== readLength) {
      this.log.push(`short read: ${r.ret} < ${readLength}`);
      return { ret: -EIO, data: [] };
    }
    if ((size === 'i2c-block' || size === 'block') && readLength > I2C_SMBUS_BLOCK_MAX)
      return { ret: size === 'block' ? -EPROTO : -EINVAL, data: [] };
    ret = 0;
    return { ret, data: [...r.data] };
  }

  /** cp2112_i2c_xfer: one message, or a write then a read to the same address (hwversion > 1). */
  i2cXfer(
    msgs: readonly (
      { addr: number; read: false; data: number[] } | { addr: number; read: true; length: number }
    )[],
  ): { ret: number; data: number[] } {
    let request: Uint8Array;
    let readLength = 0;
    const [m0, m1] = msgs;
    if (msgs.length === 1 && m0) {
      if (m0.read) {
        readLength = m0.length;
        if (readLength < 1 || readLength > 512) return { ret: -EINVAL, data: [] };
        request = Cp2112Driver.readReq(m0.addr, m0.length);
      } else {
        if (m0.data.length > 61) return { ret: -EINVAL, data: [] };
        request = Cp2112Driver.writeReq(m0.addr, m0.data);
      }
    } else if (
      this.hwversion > 1 &&
      msgs.length === 2 &&
      m0 &&
      m1 &&
      m0.addr === m1.addr &&
      !m0.read &&
      m1.read
    ) {
      readLength = m1.length;
      request = Cp2112Driver.writeReadReq(m0.addr, m1.length, m0.data);
    } else {
      this.log.push('Multi-message I2C transactions not supported');
      return { ret: -EOPNOTSUPP, data: [] };
    }
    const ret = this.runTransfer(request);
    if (ret < 0) return { ret, data: [] };
    const out: number[] = [];
    while (out.length < readLength) {
      const r = this.read(readLength - out.length);
      if (r.ret < 0) return { ret: r.ret, data: [] };
      if (r.ret === 0) {
        this.log.push('read returned 0');
        return { ret: -EIO, data: [] };
      }
      out.push(...r.data);
      if (out.length > readLength) return { ret: -EIO, data: [] };
    }
    return { ret: msgs.length, data: out };
  }

  // ---- SmbusOps: i2c_smbus_* on the client at `addr` -------------------------------------------

  readByteData(command: number): number {
    const r = this.smbusXfer(this.addr, true, command, 'byte-data');
    return r.ret < 0 ? r.ret : (r.data[0] ?? 0);
  }
  writeByteData(command: number, value: number): number {
    return this.smbusXfer(this.addr, false, command, 'byte-data', [value & 0xff]).ret;
  }
  readWordData(command: number): number {
    const r = this.smbusXfer(this.addr, true, command, 'word-data');
    return r.ret < 0 ? r.ret : (r.data[0] ?? 0) | ((r.data[1] ?? 0) << 8);
  }
  writeWordData(command: number, value: number): number {
    return this.smbusXfer(this.addr, false, command, 'word-data', [value & 0xff, (value >> 8) & 0xff]).ret;
  }

  // ---- GPIO -----------------------------------------------------------------------------------

  private gpioConfig(): Uint8Array | number {
    const buf = new Uint8Array(5);
    const ret = this.hid.rawRequest(CP2112_GPIO_CONFIG, buf, 5, 'feature', true);
    if (ret !== 5) {
      this.log.push(`error requesting GPIO config: ${ret}`);
      return ret >= 0 ? -EIO : ret;
    }
    return buf;
  }

  /** cp2112_gpio_direction_input (gpio_push_pull is the module parameter, 0xff by default). */
  directionInput(offset: number, gpioPushPull = 0xff): number {
    const buf = this.gpioConfig();
    if (typeof buf === 'number') return buf;
    buf[1] = (buf[1] ?? 0) & ~(1 << offset);
    buf[2] = gpioPushPull;
    const ret = this.hid.rawRequest(CP2112_GPIO_CONFIG, buf, 5, 'feature', false);
    return ret === 5 ? 0 : ret >= 0 ? -EIO : ret;
  }

  /** cp2112_gpio_direction_output: direction first, then the value (AN495 4.4). */
  directionOutput(offset: number, value: boolean, gpioPushPull = 0xff): number {
    const buf = this.gpioConfig();
    if (typeof buf === 'number') return buf;
    buf[1] = (buf[1] ?? 0) | (1 << offset);
    buf[2] = gpioPushPull;
    const ret = this.hid.rawRequest(CP2112_GPIO_CONFIG, buf, 5, 'feature', false);
    if (ret < 0) return ret;
    return this.set(offset, value);
  }

  set(offset: number, value: boolean): number {
    const buf = Uint8Array.of(CP2112_GPIO_SET, value ? 0xff : 0, 1 << offset);
    const ret = this.hid.rawRequest(CP2112_GPIO_SET, buf, 3, 'feature', false);
    return ret === 3 ? 0 : ret < 0 ? ret : -EIO;
  }

  getAll(): number {
    const buf = new Uint8Array(2);
    const ret = this.hid.rawRequest(CP2112_GPIO_GET, buf, 2, 'feature', true);
    if (ret !== 2) {
      this.log.push(`error requesting GPIO values: ${ret}`);
      return ret < 0 ? ret : -EIO;
    }
    return buf[1] ?? 0;
  }

  /** request_irq on a GPIO line: cp2112_gpio_irq_startup unmasks it (and starts the poll worker). */
  requestIrq(line: number, type: number, handler: () => void): void {
    this.irqs.set(line, { type, handler });
    this.irqMask |= 1 << line;
  }

  freeIrq(line: number): void {
    this.irqs.delete(line);
    this.irqMask &= ~(1 << line);
  }

  /** One run of cp2112_gpio_poll_callback (the kernel reschedules it every 10 jiffies while gpio_poll is set). */
  pollCallback(): number {
    const ret = this.getAll();
    if (ret < 0) return ret;
    const mask = ret;
    for (let virq = 0; virq < 8; virq++) {
      if (!(this.irqMask & (1 << virq))) continue;
      const irq = this.irqs.get(virq);
      if (!irq?.type) continue;
      if (mask & (1 << virq)) {
        if (irq.type & IRQ_TYPE.LEVEL_HIGH) irq.handler();
        if (irq.type & IRQ_TYPE.EDGE_RISING && !(this.gpioPrevState & (1 << virq))) irq.handler();
      } else {
        if (irq.type & IRQ_TYPE.LEVEL_LOW) irq.handler();
        if (irq.type & IRQ_TYPE.EDGE_FALLING && this.gpioPrevState & (1 << virq)) irq.handler();
      }
    }
    this.gpioPrevState = mask;
    return 0;
  }
}

function hex2(v: number): string {
  return v.toString(16).toUpperCase().padStart(2, '0');
}
