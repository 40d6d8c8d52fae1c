import test from 'ava';
import { VirtualClock } from '../../src/clock.js';
import { defineInterruptPair, RegisterMap } from '../../src/regs/index.js';

// A layout with gaps and an explicitly reserved bit, as the RTL8211F INER/INSR and 88E1510 18/19 have them.
const CAUSES = { RESERVED_0: 0, LINK: 4, PAGE: 5, JABBER: 10 } as const;

function setup() {
  const map = new RegisterMap({
    name: 't',
    clock: new VirtualClock(),
    pages: { register: 31, banked: (a) => a < 31 },
  });
  map.define(31, 'PAGE', 0).field(0, 16, 'PAGE', 'rw');
  const pair = defineInterruptPair(
    map,
    { address: 18, name: 'IER', page: 1 },
    { address: 19, name: 'ISR', page: 2 },
    CAUSES,
  );
  return { map, pair };
}

test('every bit of both registers is declared: named causes, RESERVED names and unnamed runs', (t) => {
  const { map, pair } = setup();
  t.deepEqual(map.undeclared(), []);
  for (const reg of [pair.enable, pair.status])
    t.deepEqual(
      reg.fields.map((f) => [f.name, f.offset, f.width, f.access === 'reserved']),
      [
        ['RESERVED_0', 0, 1, true],
        ['RESERVED_3_1', 1, 3, true],
        ['LINK', 4, 1, false],
        ['PAGE', 5, 1, false],
        ['RESERVED_9_6', 6, 4, true],
        ['JABBER', 10, 1, false],
        ['RESERVED_15_11', 11, 5, true],
      ],
    );
});

test('enable is read/write on its page; status is raised by the model and clears on read', (t) => {
  const { map, pair } = setup();
  t.is(pair.enable.page, 1);
  t.is(pair.status.page, 2);
  map.write(31, 1);
  map.write(18, 0xffff);
  t.is(map.read(18), 0x0430, 'only cause bits are writable');
  map.write(31, 2);
  map.write(19, 0xffff);
  t.is(map.read(19), 0, 'writes do not set status bits');
  pair.status.raise(1 << CAUSES.LINK);
  t.is(map.read(19), 0x0010);
  t.is(map.read(19), 0, 'cleared by the read');
});

test('pending() is an enabled cause in status, without side effects', (t) => {
  const { pair } = setup();
  pair.status.raise(1 << CAUSES.PAGE);
  t.false(pair.pending(), 'nothing enabled');
  pair.enable.write(1 << CAUSES.LINK);
  t.false(pair.pending(), 'a different cause enabled');
  pair.enable.write((1 << CAUSES.LINK) | (1 << CAUSES.PAGE));
  t.true(pair.pending());
  t.true(pair.pending(), 'peeking does not clear the status');
  pair.status.read();
  t.false(pair.pending());
});
