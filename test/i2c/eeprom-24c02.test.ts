import test from 'ava';
import { I2cBus, Eeprom24c02 } from '../../src/i2c/index.js';

function setup(): { bus: I2cBus; rom: Eeprom24c02 } {
  const bus = new I2cBus();
  const rom = new Eeprom24c02();
  bus.attach(0x50, rom);
  return { bus, rom };
}

function readAt(bus: I2cBus, offset: number, n: number): number[] {
  const r = bus.transfer([
    { addr: 0x50, kind: 'write', data: Uint8Array.of(offset) },
    { addr: 0x50, kind: 'read', length: n },
  ]);
  if (!r.ok) throw new Error('NACK');
  return [...r.reads[0]!];
}

test('blank EEPROM reads 0xff and holds 256 bytes', (t) => {
  const { bus, rom } = setup();
  t.deepEqual(readAt(bus, 0, 4), [0xff, 0xff, 0xff, 0xff]);
  t.is(rom.contents().length, 256);
});

test('a page write longer than 8 bytes wraps within the page', (t) => {
  const { bus } = setup();
  // Start at 0x0e (page 0x08-0x0f) and write 4 bytes: 0x0e, 0x0f, then wrap to 0x08, 0x09.
  bus.transfer([{ addr: 0x50, kind: 'write', data: Uint8Array.of(0x0e, 1, 2, 3, 4) }]);
  t.deepEqual(readAt(bus, 0x08, 8), [3, 4, 0xff, 0xff, 0xff, 0xff, 1, 2]);
  t.deepEqual(readAt(bus, 0x10, 1), [0xff], 'the next page is untouched');
  // Ten bytes from the page start: the last two overwrite the first two.
  bus.transfer([{ addr: 0x50, kind: 'write', data: Uint8Array.of(0x20, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9) }]);
  t.deepEqual(readAt(bus, 0x20, 8), [8, 9, 2, 3, 4, 5, 6, 7]);
});

test('sequential read wraps from 0xff to 0x00, and a current-address read continues', (t) => {
  const { bus } = setup();
  bus.transfer([{ addr: 0x50, kind: 'write', data: Uint8Array.of(0xfe, 0xaa, 0xbb) }]);
  bus.transfer([{ addr: 0x50, kind: 'write', data: Uint8Array.of(0x00, 0xcc) }]);
  t.deepEqual(readAt(bus, 0xfe, 3), [0xaa, 0xbb, 0xcc]);
  const r = bus.transfer([{ addr: 0x50, kind: 'read', length: 1 }]);
  t.true(r.ok);
  if (r.ok) t.deepEqual([...r.reads[0]!], [0xff], 'address counter stood at 0x01');
});
