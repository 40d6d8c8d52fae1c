import test from 'ava';
import { VirtualClock } from '../../src/clock.js';
import { RegisterMap, readWord, writeWord, type RegisterEvent } from '../../src/regs/index.js';

function byteMap(endian: 'little' | 'big' = 'little', width: 8 | 16 | 32 = 8) {
  const events: RegisterEvent[] = [];
  const map = new RegisterMap({
    name: 'b',
    clock: new VirtualClock(),
    addressing: 'byte',
    endian,
    width,
    emit: (e) => events.push(e),
  });
  return { map, events };
}

test('8-bit registers: fields must fit 8 bits, writes and reads are 8 bits wide', (t) => {
  const { map } = byteMap();
  const r = map.define(0x10, 'CTRL', 0x80).field(0, 7, 'V', 'rw');
  t.throws(() => r.field(7, 2, 'X', 'rw'), { instanceOf: RangeError, message: /8-bit register/ });
  t.deepEqual(map.undeclared(), [{ register: 'CTRL', page: undefined, address: 0x10, mask: 0x80 }]);
  r.reserved(7, 1);
  t.deepEqual(map.undeclared(), []);
  map.write(0x10, 0x1ff);
  t.is(map.read(0x10), 0xff, 'bit 7 keeps its reset value, bits above 7 do not exist');
});

test('32-bit registers: bit 31 is an ordinary bit, values are unsigned, w1c and cor work on the top bit', (t) => {
  const { map } = byteMap('little', 32);
  map.define(0x00, 'INT_STS', 0).flag(31, 'TOP', 'w1c').field(0, 31, 'LOW', 'cor');
  map.define(0x04, 'DATA', 0xdead_beef).field(0, 32, 'V', 'rw');
  t.is(map.read(0x04), 0xdead_beef);
  t.true(map.read(0x04) > 0, 'unsigned');
  map.get('INT_STS').raise(0xffff_ffff);
  t.is(map.read(0x00), 0xffff_ffff);
  t.is(map.read(0x00), 0x8000_0000, 'the cor bits cleared on the read');
  map.write(0x00, 0x8000_0000);
  t.is(map.read(0x00), 0);
  t.false(map.get('INT_STS').raise(0), 'raising nothing changes nothing');
});

test('"no undeclared bits" fails on a 32-bit register that leaves bit 31 out', (t) => {
  const { map } = byteMap('little', 32);
  map.define(0x08, 'HW_CFG', 0).field(0, 31, 'V', 'rw');
  t.deepEqual(map.undeclared(), [{ register: 'HW_CFG', page: undefined, address: 0x08, mask: 0x8000_0000 }]);
});

test('byte addressing: a multi-byte register spans its bytes, little- or big-endian, partial writes merge', (t) => {
  for (const [endian, bytes] of [
    ['little', [0x78, 0x56, 0x34, 0x12]],
    ['big', [0x12, 0x34, 0x56, 0x78]],
  ] as const) {
    const { map } = byteMap(endian);
    map.define(0x04, 'W32', 0x1234_5678, { width: 32 }).field(0, 32, 'V', 'rw');
    map.define(0x08, 'B', 0xaa).field(0, 8, 'V', 'rw');
    t.deepEqual([...map.readBytes(0x04, 5)], [...bytes, 0xaa], endian);
    t.deepEqual([...map.readBytes(0x06, 2)], bytes.slice(2), `${endian}: a read may start inside a register`);
    map.writeBytes(0x05, Uint8Array.of(0xff));
    const expect = endian === 'little' ? 0x1234_ff78 : 0x12ff_5678;
    t.is(map.read(0x04), expect, `${endian}: one byte written, the others kept`);
  }
});

test('byte addressing: overlapping registers are refused; bytes of no register read 0 and are reported', (t) => {
  const { map, events } = byteMap();
  map.define(0x30, 'I', 0x1234, { width: 16 }).field(0, 16, 'V', 'ro');
  t.throws(() => map.define(0x31, 'X', 0), { message: /overlaps I/ });
  t.deepEqual([...map.readBytes(0x2f, 3)], [0, 0x34, 0x12]);
  map.writeBytes(0x40, Uint8Array.of(7));
  t.deepEqual(
    events.map((e) => (e.type === 'reg.unmodelled' ? [e.op, e.address, e.value] : e.type)),
    [
      ['read', 0x2f, 0],
      ['write', 0x40, 7],
    ],
  );
});

test('byte addressing: a clear-on-read register is read once per transfer, not once per byte', (t) => {
  const { map } = byteMap();
  const reg = map.define(0x00, 'EV', 0, { width: 16 }).field(0, 16, 'E', 'cor');
  reg.raise(0xbeef);
  t.deepEqual([...map.readBytes(0x00, 2)], [0xef, 0xbe]);
  t.deepEqual([...map.readBytes(0x00, 2)], [0, 0]);
});

test('banked word access: 8-bit registers pair across banks, a 16-bit register is read whole from one bank', (t) => {
  const quad = (n: number) => {
    const { map } = byteMap();
    map.define(0x10, 'PW_STATUS', 0x10 + n).field(0, 8, 'V', 'rw');
    map.define(0x30, 'CURRENT', 0x1000 * (n + 1) + 0x11, { width: 16 }).field(0, 16, 'V', 'ro');
    return map;
  };
  const banks = [quad(0), quad(1)] as const;
  const access = { kind: 'banked', banks } as const;
  t.is(readWord(access, 0x10), 0x1110, 'low byte from bank 0, high byte from bank 1');
  t.is(readWord(access, 0x30), 0x1011, "even address: bank 0's 16-bit register");
  t.is(readWord(access, 0x31), 0x2011, "odd address: bank 1's 16-bit register");
  writeWord(access, 0x10, 0xa55a);
  t.is(banks[0].read(0x10), 0x5a);
  t.is(banks[1].read(0x10), 0xa5);
});

test('sequential word access: an SMBus word is the register at the pointer and the next, low byte first', (t) => {
  const { map } = byteMap();
  map.define(0x00, 'LO', 0x34).field(0, 8, 'V', 'rw');
  map.define(0x01, 'HI', 0x12).field(0, 8, 'V', 'rw');
  map.define(0x02, 'W', 0xbeef, { width: 16 }).field(0, 16, 'V', 'rw');
  const access = { kind: 'sequential', map } as const;
  t.is(readWord(access, 0x00), 0x1234);
  t.is(readWord(access, 0x02), 0xbeef);
  writeWord(access, 0x00, 0xabcd);
  t.is(map.read(0x00), 0xcd);
  t.is(map.read(0x01), 0xab);
});
