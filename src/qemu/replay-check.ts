import { VirtualClock } from '../clock.js';
import type { DeviceTree } from '../dts/tree.js';
import { formatDifference, importMdioAccess, verifyTrace, type VerifyTarget } from '../replay/index.js';
import { buildPhyModels, phyOnBuses, type EmulatorMdioAccess, type PhyHardwareEvent } from './usb-devices.js';

export interface GuestReplayResult {
  /** Records replayed (reads and writes). */
  checked: number;
  reads: number;
  /** Each differing read, as src/replay formats it. */
  differences: string[];
  /** Guest bus name → model bus (DT path). */
  busMap: Record<string, string>;
  /** Whose clock timed the replay: the emulator's (traces aligned) or the guest's. */
  timing: 'emulator' | 'guest';
}

/**
 * Replays the guest's `mdio:mdio_access` trace (raw ftrace lines) against fresh instances of the PHY
 * models a QEMU run serves (catalogue models with the tree's link partners, src/qemu/usb-devices.ts
 * buildPhyModels), with src/replay's importer and verifier, applying the run's non-MDIO PHY events
 * (reset pin pulses, cable changes) at the times they happened.
 *
 * Time: the served models ran on the orchestrator's clock. When the guest's trace and the emulator's
 * agree transaction for transaction, each guest record takes the time its twin was served at; otherwise
 * guest times are used, shifted so the first record falls where the emulator's first access did.
 */
export function verifyGuestTrace(
  tree: DeviceTree,
  traceLines: readonly string[],
  served: readonly EmulatorMdioAccess[],
  events: readonly PhyHardwareEvent[],
): GuestReplayResult {
  const { records } = importMdioAccess(traceLines.join('\n'));
  const aligned =
    records.length === served.length &&
    records.every((r, i) => {
      const s = served[i];
      return s !== undefined && s.op === r.op && s.addr === r.addr && s.reg === r.reg && s.value === r.value;
    });
  const t0 = records[0]?.vtNs ?? 0;
  const offset = Math.round((served[0]?.hostMs ?? 0) * 1e6);
  const timed = records.map((r, i) => ({
    ...r,
    vtNs: aligned ? Math.round((served[i]?.hostMs ?? 0) * 1e6) : r.vtNs - t0 + offset,
  }));
  const report = verifyTrace(timed, catalogueTarget(tree, events), { timeBase: 'absolute' });
  return {
    checked: report.checked,
    reads: report.reads,
    differences: report.differences.map(formatDifference),
    busMap: Object.fromEntries(report.busMap),
    timing: aligned ? 'emulator' : 'guest',
  };
}

/**
 * The catalogue PHY models of a tree as a verify target, buses named by DT path, with PHY events on its clock.
 * Not src/scenario boardTarget: these must be the PHYs a QEMU run served (buildPhyModels, with per-node
 * mdio-emu,link-partner), replay the run's PHY events, and call all-ones reads no-response as the importer does.
 */
export function catalogueTarget(tree: DeviceTree, events: readonly PhyHardwareEvent[] = []): VerifyTarget {
  const clock = new VirtualClock();
  const buses = buildPhyModels(tree, clock);
  const pending = [...events].sort((a, b) => a.hostMs - b.hostMs);
  const moveTo = (ns: number): void => {
    if (ns > clock.now()) clock.advanceTo(ns);
  };
  const bus = (name: string) => {
    const b = buses.find((x) => x.info.path === name);
    if (!b) throw new Error(`no MDIO bus ${name} in the tree`);
    return b.bus;
  };
  return {
    buses: buses.map((b) => b.info.path),
    advanceTo(ns) {
      for (let e = pending[0]; e && e.hostMs * 1e6 <= ns; e = pending[0]) {
        pending.shift();
        moveTo(Math.round(e.hostMs * 1e6));
        const phy = phyOnBuses(buses, e.phy);
        if (e.kind === 'hard-reset') phy?.hardReset();
        else if (e.kind === 'unplug') phy?.unplug();
        else phy?.plug();
      }
      moveTo(ns);
    },
    read(name, addr, reg, devad) {
      const b = bus(name);
      const value = devad === undefined ? b.read(addr, reg) : b.readC45(addr, devad, reg);
      // The mdio_access importer calls every all-ones read "no response" (a trace cannot tell); so do we.
      return { value, result: value === 0xffff ? 'no-response' : 'ok' };
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
