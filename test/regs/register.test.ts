import test from 'ava';
import { VirtualClock } from '../../src/clock.js';
import { RegisterMap, type RegisterEvent } from '../../src/regs/index.js';

function setup() {
  const clock = new VirtualClock();
  const events: RegisterEvent[] = [];
  const map = new RegisterMap({ name: 't', clock, emit: (e) => events.push(e) });
  return { clock, map, events };
}

test('rw stores, ro ignores writes, reserved reads its reset value', (t) => {
  const { map } = setup();
  map.define(0, 'R', 0x00f0).field(0, 4, 'A', 'rw').field(4, 4, 'B', 'ro').reserved(8, 8);
  map.write(0, 0xffff);
  t.is(map.read(0), 0x00ff); // A written, B keeps reset 0xf, reserved keeps 0
  map.write(0, 0x0000);
  t.is(map.read(0), 0x00f0);
});

test('sc with a delay reads 1 until the action completes, then clears and calls onClear', (t) => {
  const { map, clock } = setup();
  let cleared = 0;
  map
    .define(0, 'R', 0)
    .flag(15, 'GO', 'sc', { clearAfterNs: () => 1000, onClear: () => cleared++ })
    .reserved(0, 15);
  map.write(0, 0x8000);
  t.is(map.read(0), 0x8000);
  clock.advance(999);
  t.is(map.read(0), 0x8000);
  clock.advance(1);
  t.is(map.read(0), 0);
  t.is(cleared, 1);
});

test('sc without a delay never reads back as 1 but its hook runs', (t) => {
  const { map } = setup();
  let runs = 0;
  map
    .define(0, 'R', 0)
    .flag(0, 'GO', 'sc', { onWrite: () => runs++ })
    .reserved(1, 15);
  map.write(0, 1);
  t.is(map.read(0), 0);
  t.is(runs, 1);
  map.write(0, 0);
  t.is(runs, 1);
});

test('ll latches a low condition until read, lh a high one', (t) => {
  const { map } = setup();
  let live = 1;
  map
    .define(0, 'R', 0)
    .flag(0, 'LOW', 'll', { value: () => live })
    .flag(1, 'HIGH', 'lh', { value: () => live })
    .reserved(2, 14);
  t.is(map.read(0), 0b11);
  live = 0;
  map.sample();
  live = 1;
  map.sample();
  // the momentary drop is remembered by LOW; HIGH (live 1 now) reads 1
  t.is(map.read(0) & 1, 0);
  t.is(map.read(0) & 1, 1);
  live = 0;
  map.sample();
  t.is(map.read(0) & 0b10, 0b10); // it was high when the last read re-armed it
  t.is(map.read(0) & 0b10, 0); // now it follows the live 0
  live = 1;
  map.sample();
  live = 0;
  map.sample();
  t.is(map.read(0) & 0b10, 0b10); // the high pulse was latched
  t.is(map.read(0) & 0b10, 0);
});

test('cor clears on read, w1c clears on writing 1, raise sets them', (t) => {
  const { map } = setup();
  const reg = map.define(0, 'R', 0).field(0, 4, 'COR', 'cor').field(4, 4, 'W1C', 'w1c').reserved(8, 8);
  reg.raise(0x00ff);
  t.is(map.peek(0), 0x00ff);
  t.is(map.read(0), 0x00ff);
  t.is(map.read(0), 0x00f0);
  map.write(0, 0x0030);
  t.is(map.read(0), 0x00c0);
});

test('tagged bits are stored and every write is reported', (t) => {
  const { map, events } = setup();
  map.define(0, 'R', 0).tagged(0, 16, 'MYSTERY');
  map.write(0, 0x1234);
  t.is(map.read(0), 0x1234);
  t.deepEqual(events, [{ type: 'reg.tagged', map: 't', register: 'R', field: 'MYSTERY', value: 0x1234 }]);
});

test('unmodelled addresses read 0 and are reported', (t) => {
  const { map, events } = setup();
  t.is(map.read(7), 0);
  map.write(7, 5);
  t.deepEqual(
    events.map((e) => e.type === 'reg.unmodelled' && e.op),
    ['read', 'write'],
  );
});

test('reset restores every register and cancels pending self-clears', (t) => {
  const { map, clock } = setup();
  let cleared = 0;
  map
    .define(0, 'A', 0x1140)
    .field(0, 15, 'V', 'rw')
    .flag(15, 'GO', 'sc', { clearAfterNs: () => 10, onClear: () => cleared++ });
  map.define(1, 'B', 0xbeef).field(0, 16, 'V', 'rw');
  map.write(0, 0x8000);
  map.write(1, 0);
  map.reset();
  clock.advance(100);
  t.is(map.read(0), 0x1140);
  t.is(map.read(1), 0xbeef);
  t.is(cleared, 0);
});

test('overlapping fields and latches without a live value are rejected; undeclared bits are listed', (t) => {
  const { map } = setup();
  const r = map.define(0, 'R', 0).field(0, 4, 'A', 'rw');
  t.throws(() => r.field(3, 2, 'B', 'rw'), { instanceOf: RangeError });
  t.throws(() => r.flag(5, 'L', 'll'), { instanceOf: TypeError });
  t.deepEqual(map.undeclared(), [{ register: 'R', page: undefined, address: 0, mask: 0xfff0 }]);
});

test('page-banked registers follow the page-select register; aliases share a bank', (t) => {
  const clock = new VirtualClock();
  const map = new RegisterMap({
    name: 'paged',
    clock,
    pages: {
      register: 31,
      banked: (a) => a >= 16 && a < 31,
      alias: (p, a) => (p === 0 ? (a < 24 ? 0xa42 : 0xa43) : p),
    },
  });
  map.define(31, 'PAGSR', 0).field(0, 16, 'PAGE', 'rw');
  map.define(0, 'SHARED', 0x1111).field(0, 16, 'V', 'rw');
  map.define(18, 'INER', 0, { page: 0xa42 }).field(0, 16, 'V', 'rw');
  map.define(26, 'PHYSR', 0x2222, { page: 0xa43 }).field(0, 16, 'V', 'ro');
  map.write(18, 0x10); // page 0 -> 0xa42
  map.write(31, 0xa42);
  t.is(map.read(18), 0x10);
  t.is(map.read(0), 0x1111);
  map.write(31, 0xa43);
  t.is(map.read(26), 0x2222);
  t.is(map.read(18), 0); // nothing at 0xa43/18
  map.write(31, 0);
  t.is(map.read(26), 0x2222);
});
