import type { Clock } from '../../clock.js';
import { RegisterMap, type RegisterEventSink } from '../../regs/index.js';

/**
 * The CP2112's HID reports (Silicon Labs AN495 "CP2112 Interface Specification", the ids drivers/hid/hid-cp2112.c
 * names) as data: id, type and payload length (the bytes after the report id). The HID report descriptor is
 * generated from this table, so what Linux's hid-core parses and what the model answers cannot disagree.
 */
export const Cp2112Report = {
  RESET_DEVICE: 0x01,
  GPIO_CONFIG: 0x02,
  GPIO_GET: 0x03,
  GPIO_SET: 0x04,
  GET_VERSION_INFO: 0x05,
  SMBUS_CONFIG: 0x06,
  DATA_READ_REQUEST: 0x10,
  DATA_WRITE_READ_REQUEST: 0x11,
  DATA_READ_FORCE_SEND: 0x12,
  DATA_READ_RESPONSE: 0x13,
  DATA_WRITE_REQUEST: 0x14,
  TRANSFER_STATUS_REQUEST: 0x15,
  TRANSFER_STATUS_RESPONSE: 0x16,
  CANCEL_TRANSFER: 0x17,
  LOCK_BYTE: 0x20,
  USB_CONFIG: 0x21,
  MANUFACTURER_STRING: 0x22,
  PRODUCT_STRING: 0x23,
  SERIAL_STRING: 0x24,
} as const;

export type HidReportType = 'input' | 'output' | 'feature';

export interface ReportSpec {
  readonly id: number;
  readonly type: HidReportType;
  /** Payload bytes after the report id. */
  readonly length: number;
}

/**
 * Payload lengths as hid-cp2112.c sizes its buffers (CP2112_GPIO_CONFIG_LENGTH 5 = id + 4, struct
 * cp2112_smbus_config_report 14 = id + 13, struct cp2112_usb_config_report 10, struct cp2112_string_report's
 * contents 63, struct cp2112_write_req_report 64, cp2112_xfer_status_report 7, read response id + 63).
 */
export const CP2112_REPORTS: readonly ReportSpec[] = [
  { id: Cp2112Report.RESET_DEVICE, type: 'feature', length: 1 },
  { id: Cp2112Report.GPIO_CONFIG, type: 'feature', length: 4 },
  { id: Cp2112Report.GPIO_GET, type: 'feature', length: 1 },
  { id: Cp2112Report.GPIO_SET, type: 'feature', length: 2 },
  { id: Cp2112Report.GET_VERSION_INFO, type: 'feature', length: 2 },
  { id: Cp2112Report.SMBUS_CONFIG, type: 'feature', length: 13 },
  { id: Cp2112Report.DATA_READ_REQUEST, type: 'output', length: 3 },
  { id: Cp2112Report.DATA_WRITE_READ_REQUEST, type: 'output', length: 20 },
  { id: Cp2112Report.DATA_READ_FORCE_SEND, type: 'output', length: 2 },
  { id: Cp2112Report.DATA_READ_RESPONSE, type: 'input', length: 63 },
  { id: Cp2112Report.DATA_WRITE_REQUEST, type: 'output', length: 63 },
  { id: Cp2112Report.TRANSFER_STATUS_REQUEST, type: 'output', length: 1 },
  { id: Cp2112Report.TRANSFER_STATUS_RESPONSE, type: 'input', length: 6 },
  { id: Cp2112Report.CANCEL_TRANSFER, type: 'output', length: 1 },
  { id: Cp2112Report.LOCK_BYTE, type: 'feature', length: 1 },
  { id: Cp2112Report.USB_CONFIG, type: 'feature', length: 9 },
  { id: Cp2112Report.MANUFACTURER_STRING, type: 'feature', length: 62 },
  { id: Cp2112Report.PRODUCT_STRING, type: 'feature', length: 62 },
  { id: Cp2112Report.SERIAL_STRING, type: 'feature', length: 62 },
];

export const REPORT_BY_ID: ReadonlyMap<number, ReportSpec> = new Map(CP2112_REPORTS.map((r) => [r.id, r]));

/**
 * The HID report descriptor (HID 1.11 6.2.2): one vendor-defined application collection (usage page 0xFF00),
 * 8-bit fields 0-255, and for each report its id, a vendor usage, its byte count and its main item.
 */
export function cp2112ReportDescriptor(): Uint8Array {
  const main = { input: 0x81, output: 0x91, feature: 0xb1 } as const;
  const bytes: number[] = [
    0x06,
    0x00,
    0xff, // Usage Page (Vendor Defined 0xFF00)
    0x09,
    0x01, // Usage (0x01)
    0xa1,
    0x01, // Collection (Application)
    0x15,
    0x00, // Logical Minimum (0)
    0x26,
    0xff,
    0x00, // Logical Maximum (255)
    0x75,
    0x08, // Report Size (8)
  ];
  for (const r of CP2112_REPORTS) {
    bytes.push(0x85, r.id); // Report ID
    bytes.push(0x95, r.length); // Report Count
    bytes.push(0x09, 0x01); // Usage (0x01)
    bytes.push(main[r.type], 0x02); // Input/Output/Feature (Data, Variable, Absolute)
  }
  bytes.push(0xc0); // End Collection
  return Uint8Array.from(bytes);
}

/** AN495 GPIO CONFIGURATION SPECIAL bits. */
export const GPIO_SPECIAL = {
  GPIO7_CLOCK: 1 << 0,
  GPIO0_TX_TOGGLE: 1 << 1,
  GPIO1_RX_TOGGLE: 1 << 2,
} as const;

/** CP2112 part number in the version report (AN495 "Get Version Information"). */
export const CP2112_PART_NUMBER = 0x0c;

export interface Cp2112ReportHooks {
  /** GPIO pin levels as the chip samples them (GPIO_GET). */
  levels(): number;
  /** GPIO_SET: latch bits under `mask` take `value`. */
  setLatch(value: number, mask: number): void;
  deviceVersion(): number;
  /** LOCK_BYTE: one bit per customizable field, 1 while it is still unprogrammed. */
  lockByte(): number;
}

/**
 * The feature reports that hold state, each a byte-addressed register map whose address 1 is the first payload
 * byte (address 0 is the report id on the wire). SMBus configuration is big-endian (AN495), USB configuration
 * little-endian (its VID/PID are USB descriptor fields; struct cp2112_usb_config_report uses __le16).
 */
export function defineCp2112Reports(
  hooks: Cp2112ReportHooks,
  clock: Clock,
  emit: RegisterEventSink | undefined,
  usb: { readonly vid: number; readonly pid: number; readonly maxPower2mA: number },
): ReadonlyMap<number, RegisterMap> {
  const map = (name: string, endian: 'big' | 'little' = 'big'): RegisterMap =>
    new RegisterMap({
      name: `cp2112.${name}`,
      clock,
      addressing: 'byte',
      width: 8,
      endian,
      ...(emit ? { emit } : {}),
    });
  const pins = (
    reg: ReturnType<RegisterMap['define']>,
    prefix: string,
    access: 'rw' | 'ro',
    value?: () => number,
  ) => {
    for (let p = 0; p < 8; p++)
      reg.flag(p, `${prefix}${p}`, access, value ? { value: () => (value() >> p) & 1 } : {});
  };

  const gpioConfig = map('gpio_config');
  // AN495 4.1: every pin an open-drain input after reset, no special functions, clock divider 0 (48 MHz/...).
  pins(gpioConfig.define(1, 'DIRECTION', 0x00), 'OUT', 'rw');
  pins(gpioConfig.define(2, 'PUSH_PULL', 0x00), 'PP', 'rw');
  gpioConfig
    .define(3, 'SPECIAL', 0x00)
    .tagged(0, 1, 'GPIO7_CLOCK')
    .tagged(1, 1, 'GPIO0_TX_TOGGLE')
    .tagged(2, 1, 'GPIO1_RX_TOGGLE')
    .reserved(3, 5);
  gpioConfig.define(4, 'CLOCK_DIVIDER', 0x00).tagged(0, 8, 'DIVIDER');

  const gpioGet = map('gpio_get');
  pins(gpioGet.define(1, 'LATCH', 0), 'GPIO', 'ro', () => hooks.levels());

  const gpioSet = map('gpio_set');
  const value = gpioSet.define(1, 'LATCH_VALUE', 0);
  pins(value, 'GPIO', 'rw');
  const mask = gpioSet.define(2, 'LATCH_MASK', 0);
  pins(mask, 'MASK', 'rw');
  mask.onWrite((m) => hooks.setLatch(value.peek(), m));

  const version = map('version');
  version.define(1, 'PART_NUMBER', CP2112_PART_NUMBER).field(0, 8, 'PART', 'ro');
  version.define(2, 'DEVICE_VERSION', 0).field(0, 8, 'VERSION', 'ro', { value: () => hooks.deviceVersion() });

  const smbus = map('smbus_config');
  // AN495 5.6 defaults: 100 kHz, address 0x02, no auto send, no timeouts, no retry limit.
  smbus.define(1, 'CLOCK_SPEED', 100_000, { width: 32 }).field(0, 32, 'HZ', 'rw');
  smbus.define(5, 'DEVICE_ADDRESS', 0x02).reserved(0, 1).field(1, 7, 'ADDRESS', 'rw');
  smbus.define(6, 'AUTO_SEND_READ', 0).flag(0, 'ENABLE', 'rw').reserved(1, 7);
  smbus.define(7, 'WRITE_TIMEOUT', 0, { width: 16 }).field(0, 16, 'MS', 'rw');
  smbus.define(9, 'READ_TIMEOUT', 0, { width: 16 }).field(0, 16, 'MS', 'rw');
  smbus.define(11, 'SCL_LOW_TIMEOUT', 0).flag(0, 'ENABLE', 'rw').reserved(1, 7);
  smbus.define(12, 'RETRY_TIME', 0, { width: 16 }).field(0, 16, 'RETRIES', 'rw');

  const lock = map('lock_byte');
  lock.define(1, 'LOCK', 0).field(0, 8, 'UNPROGRAMMED', 'ro', { value: () => hooks.lockByte() });

  const usbConfig = map('usb_config', 'little');
  usbConfig.define(1, 'VID', usb.vid, { width: 16 }).field(0, 16, 'VID', 'rw');
  usbConfig.define(3, 'PID', usb.pid, { width: 16 }).field(0, 16, 'PID', 'rw');
  usbConfig.define(5, 'MAX_POWER', usb.maxPower2mA).field(0, 8, 'MAX_POWER', 'rw');
  usbConfig.define(6, 'POWER_MODE', 0).field(0, 2, 'MODE', 'rw').reserved(2, 6);
  usbConfig.define(7, 'RELEASE_MAJOR', 1).field(0, 8, 'MAJOR', 'rw');
  usbConfig.define(8, 'RELEASE_MINOR', 0).field(0, 8, 'MINOR', 'rw');
  usbConfig.define(9, 'MASK', 0).field(0, 5, 'FIELDS', 'rw').reserved(5, 3);

  return new Map([
    [Cp2112Report.GPIO_CONFIG, gpioConfig],
    [Cp2112Report.GPIO_GET, gpioGet],
    [Cp2112Report.GPIO_SET, gpioSet],
    [Cp2112Report.GET_VERSION_INFO, version],
    [Cp2112Report.SMBUS_CONFIG, smbus],
    [Cp2112Report.LOCK_BYTE, lock],
    [Cp2112Report.USB_CONFIG, usbConfig],
  ]);
}
