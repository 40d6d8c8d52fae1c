import test from 'ava';
import { I2cBus } from '../../src/i2c/bus.js';
import { Eeprom24c02 } from '../../src/i2c/eeprom-24c02.js';
import { Status } from '../../src/usbredir/codec/constants.js';
import { Cp2615Bridge, type Cp2615TraceEvent } from '../../src/usbredir/devices/cp2615.js';
import { UsbredirHostSession } from '../../src/usbredir/session.js';
import { FakeGuest, only } from './fake-guest.js';

// Messages built as drivers/i2c/busses/i2c-cp2615.c builds them: struct cp2615_iop_msg
// { __be16 preamble = 0x2A2A, length = htons(data_len + 6), msg = htons(type); u8 data[] } and, for
// iop_DoI2cTransfer (0xD400), struct cp2615_i2c_transfer { tag = 0xdd, i2caddr = addr << 1 | rd,
// read_len, write_len, data[] }.
function iop(type: number, data: number[] = []): Uint8Array {
  const len = data.length + 6;
  return Uint8Array.from([0x2a, 0x2a, len >> 8, len & 0xff, type >> 8, type & 0xff, ...data]);
}
const i2cWrite = (addr: number, bytes: number[]) => iop(0xd400, [0xdd, addr << 1, 0, bytes.length, ...bytes]);
const i2cRead = (addr: number, n: number) => iop(0xd400, [0xdd, (addr << 1) | 1, n, 0]);

/** What cp2615_i2c_recv checks: msg == iop_I2cTransferResult, tag echoed; then status and data. */
function parseResult(bytes: Uint8Array | undefined) {
  if (!bytes) throw new Error('no response');
  const msg = (bytes[4]! << 8) | bytes[5]!;
  const length = (bytes[2]! << 8) | bytes[3]!;
  const status = (bytes[8]! << 24) >> 24;
  const readLen = bytes[9]!;
  return {
    msg,
    length,
    tag: bytes[6],
    i2caddr: bytes[7],
    status,
    data: [...bytes.subarray(10, 10 + readLen)],
    total: bytes.length,
  };
}

function rig() {
  const eeprom = new Eeprom24c02();
  const bus = new I2cBus();
  bus.attach(0x50, eeprom);
  const trace: Cp2615TraceEvent[] = [];
  const dev = new Cp2615Bridge(bus, { trace: (e) => trace.push(e) });
  return { dev, bus, trace };
}

test('GetAccessoryInfo answers AccessoryInfo with part id A02 (the probe check)', (t) => {
  const { dev } = rig();
  t.is(dev.dataOut(0x02, iop(0xd100)), Status.success);
  const r = dev.dataIn(0x82)?.data;
  t.deepEqual([...(r ?? [])].slice(0, 8), [0x2a, 0x2a, 0, 12, 0xa1, 0x00, 0x15, 0x00]);
});

test('I2C write then read: the pointer write and the read reach the EEPROM, data comes back', (t) => {
  const { dev } = rig();
  dev.dataOut(0x02, i2cWrite(0x50, [0x10, 0xca, 0xfe, 0x42]));
  const w = parseResult(dev.dataIn(0x82)?.data);
  t.like(w, { msg: 0xa400, tag: 0xdd, i2caddr: 0xa0, status: 0, data: [] });
  t.is(w.length, w.total, 'IOP length covers the whole message');
  dev.dataOut(0x02, i2cWrite(0x50, [0x10]));
  dev.dataIn(0x82);
  dev.dataOut(0x02, i2cRead(0x50, 3));
  const r = parseResult(dev.dataIn(0x82)?.data);
  t.like(r, { msg: 0xa400, tag: 0xdd, i2caddr: 0xa1, status: 0 });
  t.deepEqual(r.data, [0xca, 0xfe, 0x42]);
});

test('combined write_len + read_len does write, STOP, read (no repeated START)', (t) => {
  const { dev, trace } = rig();
  dev.dataOut(0x02, i2cWrite(0x50, [0x00, 0x11, 0x22]));
  dev.dataIn(0x82);
  dev.dataOut(0x02, iop(0xd400, [0x7, 0xa0, 2, 1, 0x00]));
  const r = parseResult(dev.dataIn(0x82)?.data);
  t.like(r, { tag: 0x7, status: 0 });
  t.deepEqual(r.data, [0x11, 0x22]);
  t.like(trace.at(-1), { event: 'cp2615.i2c', addr: 0x50, readLength: 2, status: 0 });
});

test('a missing target gives BUS_ERROR (-1, which the driver maps to -ENXIO); bad lengths INVALID_PARAM (-4)', (t) => {
  const { dev } = rig();
  dev.dataOut(0x02, i2cRead(0x51, 1));
  t.like(parseResult(dev.dataIn(0x82)?.data), { status: -1, data: [] });
  dev.dataOut(0x02, iop(0xd400, [0xdd, 0xa1, 55, 0]));
  t.like(parseResult(dev.dataIn(0x82)?.data), { status: -4 });
  dev.dataOut(0x02, iop(0xd400, [0xdd, 0xa1, 0, 0]));
  t.like(parseResult(dev.dataIn(0x82)?.data), { status: -4 }, 'read_len and write_len both zero');
});

test('non-IOP bytes are traced as guest errors and produce no answer', (t) => {
  const { dev, trace } = rig();
  dev.dataOut(0x02, Uint8Array.of(1, 2, 3, 4, 5, 6));
  dev.dataOut(0x02, iop(0xd400, [0xdd, 0xa1, 1, 0]).subarray(0, 8));
  t.is(dev.dataIn(0x82), undefined);
  t.deepEqual(
    trace.map((e) => e.event),
    ['cp2615.bad_message', 'cp2615.bad_message'],
  );
});

test('through usbredir: the IOP endpoints exist only after SET_INTERFACE(1, 2), as the driver probes', (t) => {
  const { dev } = rig();
  // The session sends nothing before start(), so its send callback never runs before guest exists.
  const session = new UsbredirHostSession(dev, { send: (b) => guest.feed(b) });
  const guest = new FakeGuest((b) => session.receive(b));
  session.start();
  guest.hello();
  const [info, ep, connect] = guest.take().slice(1);
  t.like(connect, { type: 'device_connect', vendorId: 0x10c4, productId: 0xeac1, speed: 1 });
  t.like(info, { type: 'interface_info', interfaceCount: 2 });
  t.is((ep as { epType: number[] }).epType[2], 255, 'alt 0 has no endpoints');
  guest.bulkOut(1n, 0x02, iop(0xd100));
  t.like(only(guest.take(), 'bulk_packet')[0], { status: 2 });

  guest.controlIn(2n, 0x80, 6, 0x0303, 0x409, 255);
  t.is(
    only(guest.take(), 'control_packet')[0]?.status,
    0,
    'serial number string present (probe needs usbdev->serial)',
  );

  guest.send({ type: 'set_alt_setting', id: 3n, interface: 1, alt: 2 });
  const after = guest.take();
  t.deepEqual(
    after.map((p) => p.type),
    ['interface_info', 'ep_info', 'alt_setting_status'],
  );
  t.like(after[2], { id: 3n, status: 0, interface: 1, alt: 2 });
  const epInfo = after[1] as { epType: number[]; interface: number[]; maxPacketSize: number[] };
  t.is(epInfo.epType[0x02], 2);
  t.is(epInfo.epType[0x12], 2);
  t.is(epInfo.interface[0x12], 1);
  t.is(epInfo.maxPacketSize[0x12], 64);

  guest.bulkOut(4n, 0x02, i2cRead(0x50, 2));
  guest.bulkIn(5n, 0x82, 64);
  const [out, inp] = only(guest.take(), 'bulk_packet');
  t.like(out, { id: 4n, status: 0, length: 10 }, '6-byte IOP header + 4-byte transfer header');
  t.like(parseResult(inp?.data), { msg: 0xa400, status: 0, data: [0xff, 0xff] });

  // Back to alternate 0 (and through SET_CONFIGURATION 1, which resets alternates): the endpoints go again.
  guest.send({ type: 'set_alt_setting', id: 6n, interface: 1, alt: 0 });
  guest.take();
  guest.bulkOut(7n, 0x02, iop(0xd100));
  t.like(only(guest.take(), 'bulk_packet')[0], { id: 7n, status: 2 });
  guest.send({ type: 'set_alt_setting', id: 8n, interface: 1, alt: 2 });
  guest.send({ type: 'set_configuration', id: 9n, configuration: 1 });
  guest.take();
  guest.bulkOut(10n, 0x02, iop(0xd100));
  t.like(only(guest.take(), 'bulk_packet')[0], { id: 10n, status: 2 });
  t.deepEqual(guest.errors, []);
});
