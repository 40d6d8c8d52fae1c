import test from 'ava';
import { Status } from '../../src/usbredir/codec/constants.js';
import type { Clause22Bus } from '../../src/usbredir/devices/buses.js';
import { MvusbAdapter, type MvusbTraceEvent } from '../../src/usbredir/devices/mvusb.js';

// Frames built exactly as drivers/net/mdio/mdio-mvusb.c does: __le16 buf[4] with
// buf[0] = 0xe800, buf[1] = 0x0001, buf[2] = 0xa400 | dev << 5 | reg (read, 6 bytes) or
// 0x8000 | dev << 5 | reg (write, 8 bytes, buf[3] = value).
function frame(words: number[]): Uint8Array {
  const b = new Uint8Array(words.length * 2);
  words.forEach((w, i) => new DataView(b.buffer).setUint16(2 * i, w, true));
  return b;
}
const readFrame = (dev: number, reg: number) => frame([0xe800, 0x0001, 0xa400 | (dev << 5) | reg]);
const writeFrame = (dev: number, reg: number, val: number) =>
  frame([0xe800, 0x0001, 0x8000 | (dev << 5) | reg, val]);

class FakeBus implements Clause22Bus {
  readonly accesses: [string, number, number, number][] = [];
  read(addr: number, reg: number): number {
    const v = (addr << 8) | reg | 0x8000;
    this.accesses.push(['read', addr, reg, v]);
    return v;
  }
  write(addr: number, reg: number, value: number): void {
    this.accesses.push(['write', addr, reg, value]);
  }
}

test('read command reaches the bus and the value comes back little-endian on EP 0x86', (t) => {
  const bus = new FakeBus();
  const dev = new MvusbAdapter(bus);
  const notified: number[] = [];
  dev.setInNotifier((ep) => notified.push(ep));
  t.is(dev.dataIn(0x86), undefined, 'nothing to read yet: NAK');
  t.is(dev.dataOut(0x02, readFrame(31, 0x13)), Status.success);
  t.deepEqual(bus.accesses, [['read', 31, 0x13, 0x9f13]]);
  t.deepEqual(notified, [0x86]);
  t.deepEqual(dev.dataIn(0x86), { status: Status.success, data: Uint8Array.of(0x13, 0x9f) });
  t.is(dev.dataIn(0x86), undefined);
});

test('write command carries the value in the fourth word; every PHY address and register is reachable', (t) => {
  const bus = new FakeBus();
  const trace: MvusbTraceEvent[] = [];
  const dev = new MvusbAdapter(bus, { trace: (e) => trace.push(e) });
  for (const [addr, reg] of [
    [0, 0],
    [1, 0x12],
    [31, 31],
  ] as const)
    dev.dataOut(0x02, writeFrame(addr, reg, 0xbeef ^ reg));
  t.deepEqual(bus.accesses, [
    ['write', 0, 0, 0xbeef],
    ['write', 1, 0x12, 0xbeef ^ 0x12],
    ['write', 31, 31, 0xbeef ^ 31],
  ]);
  t.is(trace.length, 3);
  t.is(dev.dataIn(0x86), undefined, 'writes produce no IN data');
});

test('reads queue in order; a bus reset drops unread values', (t) => {
  const bus = new FakeBus();
  const dev = new MvusbAdapter(bus);
  dev.dataOut(0x02, readFrame(0, 2));
  dev.dataOut(0x02, readFrame(0, 3));
  t.deepEqual(dev.dataIn(0x86)?.data, Uint8Array.of(0x02, 0x80));
  t.deepEqual(dev.dataIn(0x86)?.data, Uint8Array.of(0x03, 0x80));
  dev.dataOut(0x02, readFrame(0, 1));
  dev.reset();
  t.is(dev.dataIn(0x86), undefined);
});

test('malformed commands are traced as guest errors and never reach the bus', (t) => {
  const bus = new FakeBus();
  const trace: MvusbTraceEvent[] = [];
  const dev = new MvusbAdapter(bus, { trace: (e) => trace.push(e) });
  dev.dataOut(0x02, frame([0xe800, 0x0001, 0xa400])); // fine
  dev.dataOut(0x02, frame([0xe800, 0x0002, 0xa400])); // bad preamble
  dev.dataOut(0x02, frame([0xe800, 0x0001, 0xa400, 0])); // read with 8 bytes
  dev.dataOut(0x02, frame([0xe800, 0x0001, 0x8000])); // write without a value
  t.is(bus.accesses.length, 1);
  t.deepEqual(
    trace.map((e) => e.event),
    ['mvusb.read', 'mvusb.bad_command', 'mvusb.bad_command', 'mvusb.bad_command'],
  );
  t.is(dev.dataOut(0x01, readFrame(0, 0)), Status.stall, 'no such endpoint');
});

test('descriptors match what mdio-mvusb.c and the combined DT node need', (t) => {
  const d = new MvusbAdapter(new FakeBus()).descriptors;
  t.is(d.vendorId, 0x1286);
  t.is(d.productId, 0x1fa4);
  t.is(d.deviceClass, 0);
  t.is(d.configurations.length, 1);
  t.is(d.configurations[0]?.interfaces.length, 1);
  t.deepEqual(
    d.configurations[0]?.interfaces[0]?.alternates[0]?.endpoints.map((e) => [e.address, e.transfer]),
    [
      [0x02, 2],
      [0x86, 2],
    ],
  );
});
