import test from 'ava';
import { VirtualClock } from '../../src/clock.js';
import { MdioBus, Tracer, type EmulationEvent } from '../../src/mdio/index.js';
import { createPhy } from '../../src/phy/index.js';

// 802.3 45.2: MMD 1 is the PMA/PMD; registers 1.2 and 1.3 are its device identifier.
const PMAPMD = 1,
  AN = 7;
const DEVID1 = 2,
  DEVID2 = 3;

function dataFrames(bus: MdioBus, trace: Tracer<EmulationEvent>) {
  const seen: {
    type: string;
    addr: number;
    devad?: number;
    reg: number;
    value: number;
    responded: boolean;
  }[] = [];
  trace.on((e) => {
    if (e.type === 'mdio.read' || e.type === 'mdio.write')
      seen.push({
        type: e.type,
        addr: e.addr,
        ...(e.devad === undefined ? {} : { devad: e.devad }),
        reg: e.reg,
        value: e.value,
        responded: e.responded,
      });
  });
  return { bus, seen };
}

function emptyBus() {
  const clock = new VirtualClock();
  const trace = new Tracer<EmulationEvent>();
  return dataFrames(new MdioBus({ name: '/mdio', clock, trace }), trace);
}

test('a Clause 45 address frame then data frames to an empty port trace the addressed register, unanswered', (t) => {
  const { bus, seen } = emptyBus();
  t.false(bus.c45Address(5, PMAPMD, 0x0007));
  t.is(bus.c45Read(5, PMAPMD), 0xffff);
  bus.c45Write(5, PMAPMD, 0x1234);
  t.is(bus.readC45(5, AN, 0x0020), 0xffff);
  t.deepEqual(seen, [
    { type: 'mdio.read', addr: 5, devad: PMAPMD, reg: 0x0007, value: 0xffff, responded: false },
    { type: 'mdio.write', addr: 5, devad: PMAPMD, reg: 0x0007, value: 0x1234, responded: false },
    { type: 'mdio.read', addr: 5, devad: AN, reg: 0x0020, value: 0xffff, responded: false },
  ]);
});

test('each (port, MMD) keeps its own wire address; none yet reads as register 0', (t) => {
  const { bus, seen } = emptyBus();
  bus.c45Address(5, PMAPMD, 0x0007);
  bus.c45Address(6, PMAPMD, 0x0009);
  bus.c45Read(5, AN);
  bus.c45Read(6, PMAPMD);
  bus.c45Read(5, PMAPMD);
  t.deepEqual(
    seen.map((f) => [f.addr, f.devad, f.reg]),
    [
      [5, AN, 0],
      [6, PMAPMD, 0x0009],
      [5, PMAPMD, 0x0007],
    ],
  );
});

test('read-increment frames to an empty port all trace the addressed register', (t) => {
  // 45.3: the post-increment happens in the MMD's address register; a data frame carries no address, so with
  // nothing there the wire still shows the last address frame.
  const { bus, seen } = emptyBus();
  bus.c45Address(9, PMAPMD, DEVID1);
  t.is(bus.c45ReadIncrement(9, PMAPMD), 0xffff);
  t.is(bus.c45ReadIncrement(9, PMAPMD), 0xffff);
  t.deepEqual(
    seen.map((f) => f.reg),
    [DEVID1, DEVID1],
  );
});

test('an answering Clause 45 PHY still traces its own post-incremented address', (t) => {
  const clock = new VirtualClock();
  const trace = new Tracer<EmulationEvent>();
  const bus = new MdioBus({ name: '/mdio', clock, trace });
  const id = 0x31c31c12;
  bus.attach(0, createPhy(id, { clock, trace, name: 'phy0', clause45: true }));
  const { seen } = dataFrames(bus, trace);
  bus.c45Address(0, PMAPMD, DEVID1);
  bus.c45ReadIncrement(0, PMAPMD);
  bus.c45ReadIncrement(0, PMAPMD);
  t.deepEqual(seen, [
    { type: 'mdio.read', addr: 0, devad: PMAPMD, reg: DEVID1, value: id >>> 16, responded: true },
    { type: 'mdio.read', addr: 0, devad: PMAPMD, reg: DEVID2, value: id & 0xffff, responded: true },
  ]);
});
