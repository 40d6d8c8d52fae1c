import test from 'ava';
import { CurrentClient } from '../../emulator/current-client.js';
import { ReplayBackend } from '../../emulator/replay-backend.js';
import { VirtualClock } from '../../src/clock.js';
import { MdioBus } from '../../src/mdio/index.js';
import { createPhy } from '../../src/phy/index.js';
import { formatTrace, parseTrace } from '../../src/replay/format.js';
import { MdioRecorder } from '../../src/replay/recorder.js';
import type { TraceRecord } from '../../src/replay/record.js';

// 802.3 45.2: MMD 1 registers 2 and 3 are the device identifier; MMD 7 register 16 the AN advertisement.
const PMAPMD = 1,
  AN = 7;
const DEVID1 = 2,
  DEVID2 = 3,
  AN_ADV = 16;
const ID = 0x31c31c12;
const PHY_PORT = 0,
  EMPTY_PORT = 5;

/** What Linux get_phy_c45_ids() does per port (drivers/net/phy/phy_device.c), plus one write. */
function kernelLikeAccesses(io: {
  read(port: number, devad: number, reg: number): number;
  write(port: number, devad: number, reg: number, value: number): void;
}): number[] {
  const got: number[] = [];
  for (const port of [PHY_PORT, EMPTY_PORT])
    for (const reg of [DEVID1, DEVID2]) got.push(io.read(port, PMAPMD, reg));
  io.write(EMPTY_PORT, AN, AN_ADV, 0x1de1);
  return got;
}

test('a recording with Clause 45 accesses to an empty port replays strictly with nothing unforeseen', (t) => {
  const clock = new VirtualClock();
  const records: TraceRecord[] = [];
  const bus = new MdioBus({ name: '/mdio', clock, trace: new MdioRecorder((r) => records.push(r)) });
  bus.attach(PHY_PORT, createPhy(ID, { clock, name: 'phy0', clause45: true }));
  const recorded = kernelLikeAccesses({
    read: (port, devad, reg) => bus.readC45(port, devad, reg),
    write: (port, devad, reg, value) => bus.writeC45(port, devad, reg, value),
  });
  t.deepEqual(recorded, [ID >>> 16, ID & 0xffff, 0xffff, 0xffff]);

  const replay = new ReplayBackend(parseTrace(formatTrace(records)).records, 'strict', new CurrentClient());
  const replayed = kernelLikeAccesses({
    read: (port, devad, reg) => replay.c45Read(0, port, devad, reg),
    write: (port, devad, reg, value) => replay.c45Write(0, port, devad, reg, value),
  });
  t.deepEqual(replay.unforeseen, []);
  t.deepEqual(replayed, recorded);
});
