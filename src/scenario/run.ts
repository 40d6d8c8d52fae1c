import { buildBoard, type Board } from '../board/index.js';
import { VirtualClock } from '../clock.js';
import type { DeviceTree } from '../dts/tree.js';
import type { FaultHandle } from '../mdio/faults.js';
import { pd } from '../pse/powered-device.js';
import { recordFromMdioEvent } from '../replay/recorder.js';
import type { TraceRecord } from '../replay/record.js';
import { KernelDriver } from './driver.js';
import type { AnyAction, AnyExpectation, EmulatorScenario } from './emulator-kinds.js';
import { ConfigError } from './errors.js';

/**
 * Runs a scenario in the emulator alone: the device tree's hardware (board.ts), the timeline's actions on
 * the clock, and a kernel-like driver (driver.ts) in place of a client; then checks the expectations.
 *
 * Timeline entries at time 0 run before the boot-time bus probe, so "PSE registered at 0" means the PSE
 * driver was there first. Controllers start unregistered: a scenario says when each registers.
 */
export interface RunOptions {
  /** Receives every MDIO transaction, for `--trace`. */
  record?: (r: TraceRecord) => void;
  /** Forces virtual time even when the scenario asks for the wall clock (tests). */
  forceVirtual?: boolean;
  /** Wall clock in ms since the epoch, stamped on records when given. */
  wallNow?: () => number;
}

export interface ExpectationOutcome {
  expectation: AnyExpectation;
  pass: boolean;
  message: string;
}

export interface ScenarioRunReport {
  name: string;
  pass: boolean;
  endMs: number;
  transactions: number;
  expectations: ExpectationOutcome[];
  /** What the driver did, with times. */
  log: string[];
}

const MS = 1_000_000;
const GUEST_ONLY = new Set(['usb-of-node', 'traces-agree', 'kernel-log', 'eeprom-contents']);
const CLIENT = 'scenario-driver';

export async function runScenario(
  scenario: EmulatorScenario,
  tree: DeviceTree,
  options: RunOptions = {},
): Promise<ScenarioRunReport> {
  scenario.expect.forEach((e, i) => {
    if (GUEST_ONLY.has(e.kind))
      throw new ConfigError(
        'SCN008',
        `expect[${i}].kind`,
        `"${e.kind}" needs a guest kernel: run this scenario with \`mdio-emu qemu run\``,
      );
  });
  const clock = new VirtualClock();
  // The driver needs the board, the board's trace needs the driver: it is filled in once both exist.
  const driverRef: { current?: KernelDriver } = {};
  let transactions = 0;
  const trace = {
    enabled: true,
    emit(e: { type: string }) {
      const r = recordFromMdioEvent(e, CLIENT, options.wallNow?.());
      if (!r) return;
      transactions++;
      driverRef.current?.noteAccess(r.bus, r.addr, r.vtNs);
      options.record?.(r);
    },
  };
  const board = buildBoard(tree, { clock, trace });
  for (const p of board.mdio.flatMap((b) => b.phys))
    if (p.clause45)
      throw new ConfigError(
        'SCN008',
        'dts',
        `${p.path}: Clause 45 PHYs are not modelled in emulator-only runs yet`,
      );
  const steps = scenario.timeline.map((t, i) => ({
    t,
    resolved: resolveAction(board, t.action, `timeline[${i}]`),
  }));
  const expectations = scenario.expect.map((e, i) => ({
    e,
    path: resolveExpectation(board, e, `expect[${i}]`),
  }));

  // A USB device whose first action plugs it in starts unplugged (the same rule as the QEMU runner).
  const unplugged = new Set<string>();
  const firstUsb = new Map<string, string>();
  for (const { t, resolved } of steps) {
    const a = t.action;
    if ((a.kind === 'usb-connect' || a.kind === 'usb-disconnect') && !firstUsb.has(resolved.target))
      firstUsb.set(resolved.target, a.kind);
  }
  for (const [path, kind] of firstUsb) if (kind === 'usb-connect') unplugged.add(path);
  const d = new KernelDriver(board, unplugged);
  driverRef.current = d;

  const before = new Map<string, { bus: Map<string, string>; accesses: Map<string, number> }>();
  const faults = new Map<string, FaultHandle[]>();
  for (const { t, resolved } of steps) {
    clock.schedule(t.at * MS, () => {
      if (t.id !== undefined) {
        before.set(t.id, {
          bus: new Map(d.busState),
          accesses: new Map([...d.phyState].map(([p, s]) => [p, s.accesses])),
        });
      }
      apply(board, d, t.action, resolved, faults);
    });
  }
  clock.schedule(0, () => d.boot());

  const endNs = scenario.end * MS;
  if (scenario.clock === 'wall' && !options.forceVirtual) {
    const start = performance.now();
    while (clock.now() < endNs) {
      await new Promise((r) => setTimeout(r, 10));
      clock.advanceTo(Math.min(endNs, Math.round((performance.now() - start) * MS)));
    }
  } else clock.advanceTo(endNs);

  const at = new Map(scenario.timeline.flatMap((t) => (t.id !== undefined ? [[t.id, t.at] as const] : [])));
  const outcomes = expectations.map(({ e, path }) => ({
    expectation: e,
    ...evaluate(board, d, e, path, before, at),
  }));
  return {
    name: scenario.name,
    pass: outcomes.every((o) => o.pass),
    endMs: scenario.end,
    transactions,
    expectations: outcomes,
    log: d.log,
  };
}

interface ResolvedAction {
  /** Node path the action is about (bus, PHY or controller); '' for actions about no node. */
  target: string;
}

/** Node paths for every action, checked before the run starts so a bad reference fails fast. */
/** `&label` or `/path` to the node's path, or a ConfigError naming `field`. */
function resolveRef(board: Board, ref: string, field: string): string {
  const path = board.resolve(ref);
  if (path !== undefined) return path;
  throw new ConfigError(
    'SCN006',
    field,
    ref.startsWith('&')
      ? `no node has the label ${ref} in the scenario's device tree`
      : `no node at ${ref} in the scenario's device tree`,
  );
}

function resolveAction(board: Board, a: AnyAction, field: string): ResolvedAction {
  switch (a.kind) {
    case 'pse-register':
    case 'pse-unregister':
    case 'pd-plug':
    case 'pd-unplug': {
      const target = resolveRef(board, a.controller, `${field}.controller`);
      const c = board.pseAt(target);
      if (!c) throw new ConfigError('SCN006', `${field}.controller`, `${target} is not a PSE controller`);
      if ((a.kind === 'pd-plug' || a.kind === 'pd-unplug') && a.port >= c.model.piCount) {
        throw new ConfigError(
          'SCN006',
          `${field}.port`,
          `${target} has ${c.model.piCount} PI(s), so port ${a.port} does not exist`,
        );
      }
      return { target };
    }
    case 'link-down':
    case 'link-up':
    case 'phy-fault':
    case 'phy-fault-clear': {
      const target = resolveRef(board, a.phy, `${field}.phy`);
      if (!board.phyAt(target))
        throw new ConfigError('SCN006', `${field}.phy`, `${target} is not a PHY node on an MDIO bus`);
      return { target };
    }
    case 'usb-connect':
    case 'usb-disconnect': {
      const target = resolveRef(board, a.device, `${field}.device`);
      if (!board.busAt(target))
        throw new ConfigError('SCN006', `${field}.device`, `${target} is not an emulated MDIO adapter`);
      return { target };
    }
    case 'load-module':
    case 'unload-module':
    case 'bind':
    case 'unbind':
    case 'snapshot':
      return { target: '' };
  }
}

/**
 * Module and driver names compared loosely: the kernel treats '-' and '_' in module names alike, and a
 * driver name such as "PSE regulator" (pse_regulator.c's driver.name) names the module pse_regulator.
 */
const moduleKey = (name: string): string => name.toLowerCase().replace(/\.ko$/, '').replace(/[-\s]/g, '_');

function apply(
  board: Board,
  d: KernelDriver,
  a: AnyAction,
  r: ResolvedAction,
  faults: Map<string, FaultHandle[]>,
): void {
  switch (a.kind) {
    case 'pse-register':
      return d.setPseRegistered(r.target, true);
    case 'pse-unregister':
      return d.setPseRegistered(r.target, false);
    case 'link-down':
      return board.phyAt(r.target)?.phy.unplug();
    case 'link-up':
      return board.phyAt(r.target)?.phy.plug();
    case 'pd-plug':
      return board.pseAt(r.target)?.model.attachPd(a.port, pd(a.class ?? 4));
    case 'pd-unplug':
      return board.pseAt(r.target)?.model.removePd(a.port);
    case 'phy-fault': {
      // resolveAction() checked that the target is a PHY on a bus.
      const p = board.phyAt(r.target);
      const bus = p && board.busAt(p.busPath)?.bus;
      if (!p || !bus) return;
      const h =
        a.fault === 'no-response'
          ? bus.injectFault({ kind: 'no-response', addr: p.address })
          : bus.injectFault({ kind: 'bit-error', addr: p.address, reg: a.reg ?? 0, xor: a.xor ?? 0 });
      faults.set(r.target, [...(faults.get(r.target) ?? []), h]);
      return;
    }
    case 'phy-fault-clear':
      for (const h of faults.get(r.target) ?? []) h.remove();
      faults.delete(r.target);
      return;
    case 'usb-connect':
    case 'usb-disconnect':
      return d.setPlugged(r.target, a.kind === 'usb-connect');
    case 'load-module':
    case 'unload-module':
    case 'bind':
    case 'unbind': {
      // A guest action, read for its effect on the modelled drivers: the PSE or bus driver it names.
      const name = moduleKey(a.kind === 'load-module' || a.kind === 'unload-module' ? a.module : a.driver);
      const on = a.kind === 'load-module' || a.kind === 'bind';
      // bind/unbind name one device: the platform device of a root node is named after the node.
      const device = a.kind === 'bind' || a.kind === 'unbind' ? a.device : undefined;
      const named = (path: string): boolean =>
        device === undefined || path === device || path.slice(path.lastIndexOf('/') + 1) === device;
      for (const c of board.pse) if (c.module === name && named(c.path)) d.setPseRegistered(c.path, on);
      for (const b of board.mdio) if (b.module === name && named(b.path)) d.setDriverLoaded(b.path, on);
      return;
    }
    case 'snapshot':
      return;
  }
}

function resolveExpectation(board: Board, e: AnyExpectation, field: string): string {
  switch (e.kind) {
    case 'phy-registered':
    case 'phy-not-registered':
    case 'no-access':
    case 'first-access-after':
    case 'phy-link':
    case 'stale-pse': {
      const path = resolveRef(board, e.phy, `${field}.phy`);
      if (!board.phyAt(path))
        throw new ConfigError('SCN006', `${field}.phy`, `${path} is not a PHY node on an MDIO bus`);
      return path;
    }
    case 'probe-deferred': {
      const path = resolveRef(board, e.device, `${field}.device`);
      const bus = board.busAt(path)?.path ?? board.phyAt(path)?.busPath;
      if (!bus)
        throw new ConfigError('SCN006', `${field}.device`, `${path} is neither an MDIO bus nor a PHY`);
      return bus;
    }
    case 'pse-port': {
      const path = resolveRef(board, e.controller, `${field}.controller`);
      const c = board.pseAt(path);
      if (!c) throw new ConfigError('SCN006', `${field}.controller`, `${path} is not a PSE controller`);
      if (e.port >= c.model.piCount)
        throw new ConfigError('SCN006', `${field}.port`, `${path} has ${c.model.piCount} PI(s)`);
      return path;
    }
    case 'usb-of-node':
    case 'traces-agree':
    case 'kernel-log':
    case 'eeprom-contents':
      return '';
  }
}

/** PHY driver names as Linux prints them, for `phy-registered`'s `driver` (by the driver's ID match). */
const DRIVERS: { id: number; mask: number; name: string }[] = [
  { id: 0x01410dd0, mask: 0xfffffff0, name: 'Marvell 88E1510' },
  { id: 0x001cc916, mask: 0xffffffff, name: 'RTL8211F Gigabit Ethernet' },
  { id: 0x2000a231, mask: 0xfffffff0, name: 'TI DP83867' },
];
function driverName(id: number): string {
  return DRIVERS.find((x) => ((id ^ x.id) & x.mask) === 0)?.name ?? 'Generic PHY';
}

type Snapshots = Map<string, { bus: Map<string, string>; accesses: Map<string, number> }>;

function evaluate(
  board: Board,
  d: KernelDriver,
  e: AnyExpectation,
  path: string,
  before: Snapshots,
  at: Map<string, number>,
): { pass: boolean; message: string } {
  const hex8 = (n: number | undefined): string =>
    n === undefined ? 'none' : `0x${n.toString(16).padStart(8, '0')}`;
  const ms = (ns: number | undefined): string => (ns === undefined ? 'never' : `${(ns / MS).toFixed(3)} ms`);
  const s = d.phyState.get(path);
  switch (e.kind) {
    case 'phy-registered': {
      if (!s?.everRegistered) return { pass: false, message: `${path} was never registered` };
      if (e.phyId !== undefined && s.phyId !== e.phyId)
        return {
          pass: false,
          message: `${path} registered with ID ${hex8(s.phyId)}, expected ${hex8(e.phyId)}`,
        };
      const name = driverName(s.phyId ?? 0);
      if (e.driver !== undefined && !name.toLowerCase().includes(e.driver.toLowerCase()))
        return {
          pass: false,
          message: `${path} bound to "${name}", expected a driver matching "${e.driver}"`,
        };
      return {
        pass: true,
        message: `${path} registered at ${ms(s.registeredAtNs)} with ID ${hex8(s.phyId)} (${name})`,
      };
    }
    case 'phy-not-registered':
      return s?.everRegistered
        ? { pass: false, message: `${path} was registered at ${ms(s.registeredAtNs)}` }
        : { pass: true, message: `${path} was never registered` };
    case 'probe-deferred': {
      const state = e.before !== undefined ? before.get(e.before)?.bus.get(path) : d.busState.get(path);
      const when = e.before !== undefined ? `just before "${e.before}"` : 'at the end';
      return { pass: state === 'deferred', message: `${path} was ${state ?? 'not probed'} ${when}` };
    }
    case 'no-access': {
      const count =
        e.before !== undefined ? (before.get(e.before)?.accesses.get(path) ?? 0) : (s?.accesses ?? 0);
      const when = e.before !== undefined ? `before "${e.before}"` : 'during the run';
      return {
        pass: count === 0,
        message:
          count === 0
            ? `no access to ${path} ${when}`
            : `${count} access(es) to ${path} ${when}, the first at ${ms(s?.firstAccessNs)}`,
      };
    }
    case 'first-access-after': {
      const eventNs = (at.get(e.event) ?? 0) * MS;
      const earlier = before.get(e.event)?.accesses.get(path) ?? 0;
      if (earlier > 0)
        return {
          pass: false,
          message: `${path} was accessed ${earlier} time(s) before "${e.event}", first at ${ms(s?.firstAccessNs)}`,
        };
      if (s?.firstAccessNs === undefined) return { pass: false, message: `${path} was never accessed` };
      const delay = (s.firstAccessNs - eventNs) / MS;
      const ok = e.withinMs === undefined || delay <= e.withinMs;
      return {
        pass: ok,
        message: `${path} first accessed ${delay.toFixed(3)} ms after "${e.event}"${ok ? '' : `, later than ${e.withinMs} ms`}`,
      };
    }
    case 'phy-link': {
      const up = s?.link ?? false;
      return {
        pass: up === e.up,
        message: `the driver's last poll saw ${path}'s link ${up ? 'up' : 'down'}`,
      };
    }
    case 'stale-pse': {
      const stale = s?.stalePse ?? false;
      return {
        pass: stale === e.present,
        message: stale
          ? `${path} holds a pse_control of an unregistered controller`
          : `${path} holds no stale pse_control`,
      };
    }
    case 'pse-port': {
      const c = board.pseAt(path);
      if (!c) return { pass: false, message: `${path} is not a PSE controller` };
      const power = c.model.status(e.port).power;
      const shown = power === 'over-budget' ? 'searching' : power;
      return { pass: shown === e.power, message: `${path} PI ${e.port} is ${power}` };
    }
    case 'usb-of-node':
    case 'traces-agree':
    case 'kernel-log':
    case 'eeprom-contents':
      return { pass: false, message: 'needs a guest kernel' };
  }
}
