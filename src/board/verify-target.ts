import { VirtualClock } from '../clock.js';
import type { DeviceTree } from '../dts/tree.js';
import type { VerifyTarget } from '../replay/verify.js';
import { buildBoard, type Board } from './board.js';

/** Something that happened to a PHY outside MDIO but changes what it answers: a replay applies it too. */
export interface PhyHardwareEvent {
  phy: string;
  kind: 'hard-reset' | 'unplug' | 'plug';
  /** Board clock, ns. */
  atNs: number;
}

export interface VerifyTargetOptions {
  /** PHY events to apply at their times while the trace replays. */
  events?: readonly PhyHardwareEvent[];
  /**
   * Call every all-ones read "no response", as the kernel's mdio_access importer must (a trace cannot tell);
   * otherwise a read is "no response" when no device drove the bus.
   */
  allOnesIsNoResponse?: boolean;
}

/**
 * A fresh board of a tree as the target `verifyTrace` replays a recording against: its buses by DT path on
 * their own virtual clock, with the run's non-MDIO PHY events applied at their times.
 */
export function boardVerifyTarget(
  tree: DeviceTree,
  o: VerifyTargetOptions = {},
): VerifyTarget & { board: Board } {
  const clock = new VirtualClock();
  const board = buildBoard(tree, { clock });
  let responded = true;
  board.events.on((e) => {
    if (e.type === 'mdio.read') responded = e.responded;
  });
  const pending = [...(o.events ?? [])].sort((a, b) => a.atNs - b.atNs);
  const moveTo = (ns: number): void => {
    if (ns > clock.now()) clock.advanceTo(ns);
  };
  const bus = (name: string) => {
    const b = board.busAt(name);
    if (!b) throw new Error(`no MDIO bus ${name} in the tree`);
    return b.bus;
  };
  return {
    board,
    buses: board.mdio.map((b) => b.path),
    advanceTo(ns) {
      for (let e = pending[0]; e && e.atNs <= ns; e = pending[0]) {
        pending.shift();
        moveTo(e.atNs);
        const phy = board.phyAt(e.phy)?.phy;
        if (e.kind === 'hard-reset') phy?.hardReset();
        else if (e.kind === 'unplug') phy?.unplug();
        else phy?.plug();
      }
      moveTo(ns);
    },
    read(name, addr, reg, devad) {
      const b = bus(name);
      // A Clause 45 record is one whole access (mdio_access logs mdiobus_c45_read() as one event).
      const value = devad === undefined ? b.read(addr, reg) : b.readC45(addr, devad, reg);
      const ok = o.allOnesIsNoResponse ? value !== 0xffff : responded;
      return { value, result: ok ? 'ok' : 'no-response' };
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
