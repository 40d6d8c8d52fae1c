import test from 'ava';
import { ms, VirtualClock } from '../../src/clock.js';
import { BusError, BusErrorCode, MdioBus, Tracer, type EmulationEvent } from '../../src/mdio/index.js';
import { Clause22Phy, genericClause22Config } from '../../src/phy/c22-phy.js';

function setup() {
  const clock = new VirtualClock();
  const trace = new Tracer<EmulationEvent>();
  const bus = new MdioBus({ name: '/mdio@0', clock, trace });
  const phy = new Clause22Phy({ clock, trace, name: 'p3' }, genericClause22Config(0x01410dd1));
  bus.attach(3, phy);
  return { clock, trace, bus, phy };
}

test('an empty address reads 0xffff (MDIO pulled up) and is traced as unanswered', (t) => {
  const { bus, trace, clock } = setup();
  const events: EmulationEvent[] = [];
  trace.on((e) => events.push(e));
  clock.advance(ms(7));
  t.is(bus.read(4, 2), 0xffff);
  bus.write(4, 0, 0x8000);
  t.deepEqual(events, [
    { type: 'mdio.read', t: ms(7), bus: '/mdio@0', addr: 4, reg: 2, value: 0xffff, responded: false },
    { type: 'mdio.write', t: ms(7), bus: '/mdio@0', addr: 4, reg: 0, value: 0x8000, responded: false },
  ]);
});

test('reads and writes reach the PHY and are traced with timestamps', (t) => {
  const { bus, trace, clock } = setup();
  const seen: EmulationEvent[] = [];
  const off = trace.on((e) => {
    if (e.type.startsWith('mdio.')) seen.push(e);
  });
  clock.advance(123);
  t.is(bus.read(3, 2), 0x0141);
  t.deepEqual(seen, [
    { type: 'mdio.read', t: 123, bus: '/mdio@0', addr: 3, reg: 2, value: 0x0141, responded: true },
  ]);
  off();
  bus.read(3, 3);
  t.is(seen.length, 1, 'unsubscribed');
});

test('Clause 45 frames to a Clause 22-only PHY are not answered', (t) => {
  const { bus } = setup();
  t.false(bus.c45Address(3, 1, 2));
  t.is(bus.c45Read(3, 1), 0xffff);
  t.is(bus.readC45(3, 7, 60), 0xffff);
});

test('fault injection: a PHY that stops answering, then recovers', (t) => {
  const { bus } = setup();
  const fault = bus.injectFault({ kind: 'no-response', addr: 3, count: 2 });
  t.is(bus.read(3, 2), 0xffff);
  bus.write(3, 4, 0); // lost
  t.is(fault.hits, 2);
  t.is(bus.read(3, 2), 0x0141);
  t.not(bus.read(3, 4), 0, 'the lost write did not clear ANAR');
});

test('fault injection: bit errors on one register', (t) => {
  const { bus, trace } = setup();
  const faults: EmulationEvent[] = [];
  trace.on((e) => {
    if (e.type === 'mdio.read' && e.fault) faults.push(e);
  });
  const handle = bus.injectFault({ kind: 'bit-error', addr: 3, reg: 3, xor: 0x0001 });
  t.is(bus.read(3, 3), 0x0dd1 ^ 0x0001);
  t.is(bus.read(3, 2), 0x0141, 'other registers unaffected');
  handle.remove();
  t.is(bus.read(3, 3), 0x0dd1);
  t.is(faults.length, 1);
});

test('API misuse raises BusError with a stable code', (t) => {
  const { bus, phy } = setup();
  t.is(t.throws(() => bus.read(32, 0), { instanceOf: BusError }).code, BusErrorCode.ADDRESS_RANGE);
  t.is(t.throws(() => bus.read(0, 32), { instanceOf: BusError }).code, BusErrorCode.REGISTER_RANGE);
  t.is(t.throws(() => bus.attach(3, phy), { instanceOf: BusError }).code, BusErrorCode.ADDRESS_IN_USE);
  t.is(t.throws(() => bus.write(3, 0, 0x10000), { instanceOf: BusError }).code, BusErrorCode.REGISTER_RANGE);
});

test('phy.link events are traced when the link comes up', (t) => {
  const { trace, clock, phy } = setup();
  const links: EmulationEvent[] = [];
  trace.on((e) => {
    if (e.type === 'phy.link') links.push(e);
  });
  phy.setPartner({ autoneg: true, modes: ['100baseTX-Full'] });
  clock.advance(ms(2000));
  t.deepEqual(links, [
    { type: 'phy.link', t: ms(1500), phy: 'p3', up: true, speed: 100, duplex: 'full', method: 'autoneg' },
  ]);
});
