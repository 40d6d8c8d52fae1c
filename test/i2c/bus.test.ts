import test from 'ava';
import {
  I2cBus,
  type I2cDevice,
  type I2cTraceEvent,
  smbusReadByteData,
  smbusReadWordData,
  smbusWriteWordData,
  ENXIO,
} from '../../src/i2c/index.js';

/** A register-file chip with an 8-bit pointer that auto-increments, as most SMBus chips do. */
function registerFile(): I2cDevice & { regs: Uint8Array } {
  const regs = new Uint8Array(256);
  let ptr = 0;
  return {
    regs,
    write(bytes) {
      if (bytes.length === 0) return;
      ptr = bytes[0]!;
      for (const b of bytes.subarray(1)) regs[ptr++ & 0xff] = b;
    },
    read(n) {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = regs[ptr++ & 0xff]!;
      return out;
    },
  };
}

test('an address with no device is NACKed and the transfer stops there', (t) => {
  const events: I2cTraceEvent[] = [];
  const bus = new I2cBus((e) => events.push(e));
  bus.attach(0x20, registerFile());
  t.true(bus.probe(0x20));
  t.false(bus.probe(0x21));
  const r = bus.transfer([
    { addr: 0x20, kind: 'write', data: Uint8Array.of(0) },
    { addr: 0x33, kind: 'read', length: 1 },
  ]);
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.failedAt, 1);
    t.is(r.addr, 0x33);
  }
  t.true(events.some((e) => e.type === 'i2c.nack' && e.addr === 0x33));
  // Linux reports an address NACK from SMBus helpers as -ENXIO.
  t.is(smbusReadByteData(bus, 0x33, 0), -ENXIO);
});

test('a device that is not present is NACKed like an empty address', (t) => {
  const bus = new I2cBus();
  let present = false;
  bus.attach(0x40, { ...registerFile(), isPresent: () => present });
  t.false(bus.probe(0x40));
  present = true;
  t.true(bus.probe(0x40));
});

test('combined write-then-read reads from the register pointer; SMBus words are LSB first', (t) => {
  const bus = new I2cBus();
  const chip = registerFile();
  bus.attach(0x50, chip);
  chip.regs[0x10] = 0x34;
  chip.regs[0x11] = 0x12;
  t.is(smbusReadWordData(bus, 0x50, 0x10), 0x1234);
  t.is(smbusWriteWordData(bus, 0x50, 0x20, 0xbeef), 0);
  t.is(chip.regs[0x20], 0xef);
  t.is(chip.regs[0x21], 0xbe);
});

test('reserved 7-bit addresses and duplicates are refused', (t) => {
  const bus = new I2cBus();
  t.throws(() => bus.attach(0x78, registerFile()));
  t.throws(() => bus.attach(0x03, registerFile()));
  bus.attach(0x50, registerFile());
  t.throws(() => bus.attach(0x50, registerFile()));
});
