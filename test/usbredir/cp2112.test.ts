import test from 'ava';
import { I2cBus } from '../../src/i2c/bus.js';
import { Eeprom24c02 } from '../../src/i2c/eeprom-24c02.js';
import { pd } from '../../src/pse/powered-device.js';
import { generateTps23881Firmware } from '../../src/pse/tps23881-firmware.js';
import { Tps23881 } from '../../src/pse/tps23881.js';
import { encodeConfigurationDescriptor } from '../../src/usbredir/descriptors.js';
import { Cp2112, type Cp2112Options, type Cp2112TraceEvent } from '../../src/usbredir/devices/cp2112.js';
import { UsbredirHostSession } from '../../src/usbredir/session.js';
import { Tps23881Driver } from '../pse/tps23881-driver.js';
import {
  Cp2112Driver,
  EOPNOTSUPP,
  ETIMEDOUT,
  IRQ_TYPE,
  UsbHidLink,
  parseReportDescriptor,
} from './cp2112-driver.js';
import { FakeGuest, only } from './fake-guest.js';

const EEPROM = 0x50;
const TPS = 0x20;

function rig(options: Cp2112Options = {}) {
  const bus = new I2cBus();
  const eeprom = new Eeprom24c02(Uint8Array.from({ length: 256 }, (_, i) => i ^ 0x5a));
  bus.attach(EEPROM, eeprom);
  const trace: Cp2112TraceEvent[] = [];
  const dev = new Cp2112(bus, { trace: (e) => trace.push(e), ...options });
  const hid = new UsbHidLink(dev);
  const driver = new Cp2112Driver(hid, EEPROM);
  return { bus, dev, hid, driver, trace };
}

test('descriptors: one HID interface with its class descriptor and 64-byte interrupt IN 0x81 / OUT 0x01', (t) => {
  const { dev } = rig();
  t.is(dev.descriptors.vendorId, 0x10c4);
  t.is(dev.descriptors.productId, 0xea90);
  const cfg = encodeConfigurationDescriptor(dev.descriptors, dev.descriptors.configurations[0]!);
  // configuration (9) + interface (9) + HID (9) + two endpoints (7 each)
  t.is(cfg.length, 9 + 9 + 9 + 14);
  t.deepEqual(
    [...cfg.subarray(9, 18)],
    [9, 4, 0, 0, 2, 3, 0, 0, 0],
    'interface 0: 2 endpoints, class HID, no boot protocol',
  );
  const rlen = dev.reportDescriptor.length;
  t.deepEqual([...cfg.subarray(18, 27)], [9, 0x21, 0x11, 0x01, 0, 1, 0x22, rlen & 0xff, rlen >> 8]);
  t.deepEqual([...cfg.subarray(27, 34)], [7, 5, 0x81, 3, 64, 0, 1]);
  t.deepEqual([...cfg.subarray(34, 41)], [7, 5, 0x01, 3, 64, 0, 1]);
});

test('the report descriptor parses as hid-core parses it, with the report lengths hid-cp2112.c uses', (t) => {
  const parsed = parseReportDescriptor(rig().dev.reportDescriptor);
  if (typeof parsed === 'string') return t.fail(parsed);
  // Lengths include the report id byte (hid_report_len), as the driver's buffers do.
  const want: [string, number][] = [
    ['feature:2', 5], // CP2112_GPIO_CONFIG_LENGTH
    ['feature:3', 2], // CP2112_GPIO_GET_LENGTH
    ['feature:4', 3], // CP2112_GPIO_SET_LENGTH
    ['feature:5', 3], // u8 buf[3] in cp2112_probe
    ['feature:6', 14], // sizeof(struct cp2112_smbus_config_report)
    ['feature:32', 2], // lock byte buf[2]
    ['feature:33', 10], // sizeof(struct cp2112_usb_config_report)
    ['feature:36', 63], // sizeof(report.contents) of struct cp2112_string_report
    ['output:16', 4], // sizeof(struct cp2112_read_req_report)
    ['output:17', 21], // sizeof(struct cp2112_write_read_req_report)
    ['output:18', 3], // sizeof(struct cp2112_force_read_report)
    ['output:20', 64], // sizeof(struct cp2112_write_req_report)
    ['input:19', 64], // report id, status, length, read_data[61]
    ['input:22', 7], // sizeof(struct cp2112_xfer_status_report)
  ];
  for (const [key, len] of want) t.is(parsed.get(key), len, key);
  t.is(
    parseReportDescriptor(Uint8Array.of(0xa1, 0x01, 0x85, 0x00)),
    'report_id 0 is invalid',
    'the parser rejects what hid-core rejects',
  );
});

test('probe: version, SMBus configuration read and written back with the device tree clock and one retry', (t) => {
  const { dev, driver } = rig();
  t.is(driver.probe(400_000), 0);
  t.deepEqual(driver.log, ['Part Number: 0x0C Device Version: 0x02']);
  const smbus = dev.reports.get(0x06)!;
  t.is(smbus.get('CLOCK_SPEED').peek(), 400_000);
  t.is(smbus.get('RETRY_TIME').peek(), 1);
  t.is(smbus.get('DEVICE_ADDRESS').peek(), 0x02, 'the rest of the configuration is written back unchanged');
  t.is(driver.hwversion, 2);
  for (const m of dev.reports.values()) t.deepEqual(m.undeclared(), [], m.name);
});

test('SMBus byte, word, I2C block and block transfers reach the EEPROM and come back (status polled each time)', (t) => {
  const { driver, trace } = rig();
  driver.probe();
  t.is(driver.readByteData(0x10), 0x10 ^ 0x5a);
  t.is(driver.writeByteData(0x10, 0xa5), 0);
  t.is(driver.readByteData(0x10), 0xa5);
  t.is(driver.writeWordData(0x20, 0xbeef), 0);
  t.is(driver.readWordData(0x20), 0xbeef, 'little-endian word, as SMBus sends it');
  t.deepEqual(driver.smbusXfer(EEPROM, true, 0x40, 'i2c-block', [], 4), {
    ret: 0,
    data: [0x40, 0x41, 0x42, 0x43].map((b) => b ^ 0x5a),
  });
  t.is(driver.smbusXfer(EEPROM, false, 0x40, 'i2c-block', [1, 2, 3]).ret, 0);
  t.deepEqual(driver.smbusXfer(EEPROM, true, 0x40, 'i2c-block', [], 3).data, [1, 2, 3]);
  // SMBus block read: 32 bytes requested, the status' byte count decides how many are read out.
  const block = driver.smbusXfer(EEPROM, true, 0x00, 'block');
  t.is(block.ret, 0);
  t.is(block.data.length, 32);
  const i2c = trace.filter((e) => e.event === 'cp2112.i2c');
  t.true(
    i2c.every((e) => e.status === 2),
    'every transfer completed',
  );
});

test('I2C transfers: write, read, write-read with a repeated START; what the driver refuses', (t) => {
  const { driver, trace } = rig();
  driver.probe();
  t.deepEqual(driver.i2cXfer([{ addr: EEPROM, read: false, data: [0x80, 9, 8, 7] }]), { ret: 1, data: [] });
  t.deepEqual(driver.i2cXfer([{ addr: EEPROM, read: false, data: [0x80] }]).ret, 1);
  t.deepEqual(driver.i2cXfer([{ addr: EEPROM, read: true, length: 3 }]), { ret: 1, data: [9, 8, 7] });
  const wr = driver.i2cXfer([
    { addr: EEPROM, read: false, data: [0x81] },
    { addr: EEPROM, read: true, length: 2 },
  ]);
  t.deepEqual(wr, { ret: 2, data: [8, 7] });
  // A 100-byte read comes out in 61-byte responses.
  t.is(driver.i2cXfer([{ addr: EEPROM, read: true, length: 100 }]).data.length, 100);
  t.is(
    driver.i2cXfer([
      { addr: EEPROM, read: false, data: [0] },
      { addr: EEPROM, read: false, data: [1] },
    ]).ret,
    -EOPNOTSUPP,
  );
  t.true(driver.log.includes('Multi-message I2C transactions not supported'));
  const last = trace.filter((e) => e.event === 'cp2112.i2c').at(-1);
  t.like(last, { addr: EEPROM, readLength: 100 });

  const rev1 = rig({ deviceVersion: 1 });
  rev1.driver.probe();
  t.is(
    rev1.driver.i2cXfer([
      { addr: EEPROM, read: false, data: [0x81] },
      { addr: EEPROM, read: true, length: 2 },
    ]).ret,
    -EOPNOTSUPP,
    'no repeated start in rev 1',
  );
});

test('an address nobody answers ends in a transfer error the driver maps to -ETIMEDOUT', (t) => {
  const { driver } = rig();
  driver.probe();
  driver.addr = 0x51;
  t.is(driver.readByteData(0), -ETIMEDOUT);
});

test('busy status polls: retried, and after ten the driver cancels the transfer', (t) => {
  const a = rig({ busyPolls: 3 });
  a.driver.probe();
  t.is(a.driver.readByteData(0x00), 0x5a, 'three BUSY answers, then COMPLETE');
  const b = rig({ busyPolls: 10 });
  b.driver.probe();
  t.is(b.driver.readByteData(0x00), -ETIMEDOUT);
  t.true(b.driver.log.includes('Transfer timed out, cancelling.'));
  t.true(b.trace.some((e) => e.event === 'cp2112.cancel'));
});

test('GPIO: configuration, set and get as gpiolib drives them; open-drain outputs read the wire', (t) => {
  const { dev, driver } = rig();
  driver.probe();
  t.is(driver.getAll(), 0xff, 'inputs with pull-ups read high');
  t.is(driver.directionOutput(5, false), 0);
  t.is(dev.reports.get(0x02)!.get('DIRECTION').peek(), 0x20);
  t.is(driver.getAll(), 0xdf, 'push-pull (gpio_push_pull 0xff) output 5 drives low');
  t.is(driver.set(5, true), 0);
  t.is(driver.getAll(), 0xff);
  t.is(driver.directionOutput(6, true, 0x00), 0, 'open drain');
  dev.setInput(6, false);
  t.is(driver.getAll() & 0x40, 0, 'an open-drain output released high reads the low the wire is pulled to');
  t.is(driver.directionInput(5), 0);
  t.is(dev.reports.get(0x02)!.get('DIRECTION').peek(), 0x40);
  dev.setInput(3, false);
  t.is(driver.getAll() & 0x08, 0);
  t.throws(() => dev.setInput(8, true), { instanceOf: RangeError });
});

test('GPIO interrupts as cp2112_gpio_poll_callback sees them: level-low fires every poll, edge-falling once', (t) => {
  const { dev, driver } = rig();
  driver.probe();
  let level = 0;
  let edge = 0;
  driver.requestIrq(3, IRQ_TYPE.LEVEL_LOW, () => level++);
  driver.requestIrq(4, IRQ_TYPE.EDGE_FALLING, () => edge++);
  driver.pollCallback();
  t.deepEqual([level, edge], [0, 0]);
  dev.setInput(3, false);
  dev.setInput(4, false);
  driver.pollCallback();
  driver.pollCallback();
  t.deepEqual([level, edge], [2, 1]);
  dev.setInput(3, true);
  driver.pollCallback();
  t.is(level, 2);
});

test('strings, USB configuration and the lock byte: the PROM takes each field once', (t) => {
  const { dev, hid } = rig({ serialNumber: 'ABC123' });
  const buf = new Uint8Array(63);
  t.is(hid.rawRequest(0x24, buf, 63, 'feature', true), 63);
  t.deepEqual(
    [...buf.subarray(0, 9)],
    [0x24, 14, 3, 0x41, 0, 0x42, 0, 0x43, 0],
    'length 2 + 2n, USB_DT_STRING, UTF-16LE',
  );
  const lock = new Uint8Array(2);
  hid.rawRequest(0x20, lock, 2, 'feature', true);
  t.is(lock[1], 0xff, 'nothing programmed yet');
  const cfg = Uint8Array.of(0x21, 0x34, 0x12, 0x78, 0x56, 0x32, 0, 1, 0, 0x01);
  t.is(hid.rawRequest(0x21, cfg, 10, 'feature', false), 10);
  const back = new Uint8Array(10);
  hid.rawRequest(0x21, back, 10, 'feature', true);
  t.deepEqual([...back.subarray(1, 5)], [0x34, 0x12, 0x90, 0xea], 'only the VID (mask bit 0) was programmed');
  hid.rawRequest(0x20, lock, 2, 'feature', true);
  t.is(lock[1], 0xfe);
  hid.rawRequest(0x21, Uint8Array.of(0x21, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0x01), 10, 'feature', false);
  hid.rawRequest(0x21, back, 10, 'feature', true);
  t.is(back[1], 0x34, 'a programmed field ignores later writes');
  t.is(dev.dataIn(0x81), undefined, 'no input report queued by feature traffic');
});

test('through usbredir: report descriptor on request, SET_IDLE, a read over interrupt OUT and IN', (t) => {
  const { dev } = rig();
  const session = new UsbredirHostSession(dev, { send: (b) => guest.feed(b) });
  const guest = new FakeGuest((b) => session.receive(b));
  session.start();
  guest.hello();
  const [, ep, connect] = guest.take().slice(1);
  t.like(connect, { type: 'device_connect', vendorId: 0x10c4, productId: 0xea90, speed: 1 });
  t.is((ep as { epType: number[] }).epType[0x11], 3, 'interrupt IN 1');
  t.is((ep as { epType: number[] }).epType[0x01], 3, 'interrupt OUT 1');

  guest.controlIn(1n, 0x81, 6, 0x2200, 0, 1024);
  const rd = only(guest.take(), 'control_packet')[0];
  t.is(rd?.status, 0);
  t.deepEqual([...(rd?.data ?? [])], [...dev.reportDescriptor]);
  guest.controlOut(2n, 0x21, 0x0a, 0, 0);
  t.is(only(guest.take(), 'control_packet')[0]?.status, 0, 'SET_IDLE accepted');

  guest.send({ type: 'start_interrupt_receiving', id: 3n, endpoint: 0x81 });
  t.like(only(guest.take(), 'interrupt_receiving_status')[0], { status: 0 });
  const out = (id: bigint, data: number[]) =>
    guest.send({
      type: 'interrupt_packet',
      id,
      endpoint: 0x01,
      status: 0,
      length: data.length,
      data: Uint8Array.from(data),
    });
  out(4n, [0x11, EEPROM << 1, 0, 2, 1, 0x00]); // write-read: 2 bytes from offset 0
  out(5n, [0x15, 0x01]);
  out(6n, [0x12, 0, 2]);
  const packets = only(guest.take(), 'interrupt_packet');
  const reports = packets.filter((p) => p.endpoint === 0x81).map((p) => [...p.data]);
  t.deepEqual(reports[0], [0x16, 2, 5, 0, 0, 0, 2], 'transfer status: complete, 2 bytes read');
  t.deepEqual(reports[1]?.slice(0, 5), [0x13, 2, 2, 0x5a, 0x5b]);
  t.is(reports[1]?.length, 64);
  t.deepEqual(guest.errors, []);
});

// ---- the TPS23881 behind the CP2112, its INT on GPIO 3 ----------------------------------------------------

function poeRig(tpsOptions: ConstructorParameters<typeof Tps23881>[0] = {}) {
  const bus = new I2cBus();
  const tps = new Tps23881(tpsOptions);
  bus.attach(TPS, tps);
  const dev = new Cp2112(bus);
  dev.wireInterrupt(3, tps);
  const hid = new UsbHidLink(dev);
  const cp2112 = new Cp2112Driver(hid, TPS);
  const pse = new Tps23881Driver(cp2112);
  const fw = generateTps23881Firmware();
  return { bus, tps, dev, hid, cp2112, pse, fw };
}

test('TPS23881 behind the CP2112: the 7.2 driver probes through SMBus reports, firmware and all', (t) => {
  const { tps, hid, cp2112, pse, fw } = poeRig();
  t.is(cp2112.probe(), 0);
  const before = hid.transactions;
  t.is(pse.probe({ devId: 0x22, firmware: { parity: fw.parity, sram: fw.sram } }), 0);
  t.deepEqual(pse.log, ['Firmware revision 0xe']);
  t.is(tps.firmwareState, 'sram');
  // Each byte written costs a write request, a status request and its response: three USB transactions.
  const writes = 10 + fw.parity.length + 10 + fw.sram.length + 1 + 1;
  const reads = 3; // DEVID, FWREV, GEN_MASK: request, status, response, force send, response
  t.is(hid.transactions - before, writes * 3 + reads * 5);
});

test('the INT pin through GPIO 3: the poll fires the handler while asserted, the handler releases it', (t) => {
  const { tps, cp2112, pse } = poeRig({ variant: 'tps23881b' });
  cp2112.probe();
  t.is(pse.probe({ devId: 0x24 }), 0);
  t.is(pse.setupPiMatrix([{ pairsetChannels: [0, 1] }, { pairsetChannels: [2] }]), 0);
  t.is(pse.setupIrq(), 0);
  const seen: string[][] = [];
  // devm_pse_irq_helper: a threaded IRQF_ONESHOT handler; the DT gives IRQ_TYPE_LEVEL_LOW for the open-drain INT.
  cp2112.requestIrq(3, IRQ_TYPE.LEVEL_LOW, () => {
    const n = pse.irqHandler();
    seen.push(n instanceof Map ? [...(n.get(1) ?? [])].sort() : [`errno ${n}`]);
  });
  cp2112.pollCallback();
  t.deepEqual(seen, [], 'nothing pending after setup_irq');
  tps.attachPd(2, pd(3));
  t.true(tps.irq);
  cp2112.pollCallback();
  t.deepEqual(seen, [['classification', 'detection']]);
  t.false(tps.irq, 'the handler read the clear-on-read events');
  cp2112.pollCallback();
  cp2112.pollCallback();
  t.is(seen.length, 1, 'no further calls: no storm');
  t.is(pse.piEnable(1), 0);
  t.is(pse.getPwStatus(1), 1);
});

test('an interrupt the handler cannot release is called on every poll and logs "interrupt never freed"', (t) => {
  const { tps, cp2112, pse } = poeRig({ variant: 'tps23881b' });
  cp2112.probe();
  pse.probe({ devId: 0x24 });
  pse.setupPiMatrix([{ pairsetChannels: [2] }]);
  pse.setupIrq();
  let calls = 0;
  cp2112.requestIrq(3, IRQ_TYPE.LEVEL_LOW, () => {
    calls++;
    pse.irqHandler();
  });
  tps.attachPd(2, pd(2));
  cp2112.pollCallback();
  pse.piEnable(0);
  cp2112.pollCallback();
  t.is(calls, 1);
  tps.currentLimitFault(2);
  for (let i = 0; i < 3; i++) cp2112.pollCallback();
  t.is(calls, 4);
  t.is(pse.log.filter((l) => l === 'interrupt never freed').length, 3);
});
