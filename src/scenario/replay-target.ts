import { buildBoard, type Board } from '../board/index.js';
import { VirtualClock } from '../clock.js';
import type { DeviceTree } from '../dts/tree.js';
import type { MdioEvent } from '../mdio/trace.js';
import type { VerifyTarget } from '../replay/verify.js';

/**
 * The hardware of a device tree as a `verifyTrace` target: its buses by DT path on a fresh virtual clock,
 * with each read's "did anyone answer" taken from the bus trace.
 */
export function boardTarget(tree: DeviceTree): VerifyTarget & { board: Board } {
  const clock = new VirtualClock();
  let responded = true;
  const board = buildBoard(tree, {
    clock,
    trace: {
      enabled: true,
      emit(e) {
        if (e.type === 'mdio.read') responded = (e as MdioEvent & { responded: boolean }).responded;
      },
    },
  });
  const bus = (name: string) => {
    const b = board.busAt(name);
    if (!b) throw new Error(`no bus ${name}`);
    return b.bus;
  };
  return {
    board,
    buses: board.mdio.map((b) => b.path),
    advanceTo(ns) {
      if (ns > clock.now()) clock.advanceTo(ns);
    },
    read(name, addr, reg, devad) {
      const b = bus(name);
      // A Clause 45 record is one whole access (mdio_access logs mdiobus_c45_read() as one event): address, then data.
      const value = devad === undefined ? b.read(addr, reg) : b.readC45(addr, devad, reg);
      return { value, result: responded ? 'ok' : 'no-response' };
    },
    write(name, addr, reg, value, devad) {
      if (devad === undefined) bus(name).write(addr, reg, value);
      else bus(name).writeC45(addr, devad, reg, value);
    },
    address(name, addr, devad, reg) {
      bus(name).c45Address(addr, devad, reg);
    },
  };
}
