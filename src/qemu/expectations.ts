import type { FrameClass, QemuScenario, QemuScenarioExpectation } from '../scenario/qemu-kinds.js';
import type { CommandResult, Snapshot, GuestTraceEntry } from './guest-observations.js';
import type { GuestReplayResult } from './replay-check.js';
import type { EmulatorMdioAccess } from './usb-devices.js';

/** Everything a run observed, from both sides. Host times are the orchestrator's clock in ms. */
export interface Observations {
  snapshots: Snapshot[];
  guestTrace: GuestTraceEntry[];
  emulatorTrace: EmulatorMdioAccess[];
  /** Per timeline index: when the guest reached it (guest ms since /init) and when the host read that. */
  actions: Map<number, { t: number; hostMs: number }>;
  kernelLog: string[];
  eeproms: Map<string, Uint8Array>;
  /** The guest reached the end of its script. */
  completed: boolean;
  /** Results of the guest's `run` commands, by timeline index (a load-module logs several under one index). */
  commands: CommandResult[];
}

export interface EvaluationContext {
  scenario: QemuScenario;
  /** `&label` or path → canonical DT path. */
  resolve: (ref: string) => string;
  /** PHY node path → its adapter's path and its MDIO address. */
  phyLocation: (path: string) => { adapter: string; addr: number };
  /** Bytes the emulator's EEPROM model holds at that node. */
  eepromModel: (path: string) => Uint8Array | undefined;
  /** Frames the guest sent on a USB Ethernet node, by class; undefined when no emulated host sits at its cable. */
  guestFrames: (path: string) => Record<FrameClass, number> | undefined;
  /** The guest's mdio_access trace replayed against fresh models (computed on demand). */
  replay: () => GuestReplayResult;
}

export interface ExpectationResult {
  expectation: QemuScenarioExpectation;
  pass: boolean;
  /** One sentence saying what was seen. */
  message: string;
  observed: Record<string, unknown>;
}

export function evaluate(ctx: EvaluationContext, obs: Observations): ExpectationResult[] {
  return ctx.scenario.expect.map((e) => {
    const r = evaluateOne(ctx, obs, e);
    return { expectation: e, ...r };
  });
}

type Outcome = Omit<ExpectationResult, 'expectation'>;

function evaluateOne(ctx: EvaluationContext, obs: Observations, e: QemuScenarioExpectation): Outcome {
  switch (e.kind) {
    case 'phy-registered': {
      const path = ctx.resolve(e.phy);
      const seen = obs.snapshots.flatMap((s) =>
        s.mdio.filter((m) => m.ofNode === path).map((m) => ({ ...m, snapshot: s.label, t: s.t })),
      );
      const last = seen.at(-1);
      if (!last)
        return {
          pass: false,
          message: `no MDIO device of ${path} appeared in any snapshot`,
          observed: { snapshots: obs.snapshots.length },
        };
      const problems: string[] = [];
      if (e.phyId !== undefined && last.phyId !== e.phyId)
        problems.push(`phy_id ${hex8(last.phyId)} instead of ${hex8(e.phyId)}`);
      if (e.driver !== undefined && !last.driver.includes(e.driver))
        problems.push(`driver "${last.driver}" does not contain "${e.driver}"`);
      const observed = {
        name: last.name,
        phyId: hex8(last.phyId),
        driver: last.driver,
        firstSeenT: seen[0]?.t,
      };
      if (problems.length > 0)
        return { pass: false, message: `${last.name} registered but ${problems.join(', ')}`, observed };
      return {
        pass: true,
        message: `${last.name} registered, phy_id ${hex8(last.phyId)}, driver ${last.driver || '(none)'}`,
        observed,
      };
    }
    case 'phy-not-registered': {
      const path = ctx.resolve(e.phy);
      const seen = obs.snapshots.find((s) => s.mdio.some((m) => m.ofNode === path));
      if (!obs.completed)
        return {
          pass: false,
          message: 'the guest did not finish its script, so the whole run was not observed',
          observed: {},
        };
      if (seen)
        return {
          pass: false,
          message: `${path} registered (snapshot "${seen.label}" at ${seen.t} ms)`,
          observed: { snapshot: seen.label },
        };
      return {
        pass: true,
        message: `${path} never registered in ${obs.snapshots.length} snapshots`,
        observed: { snapshots: obs.snapshots.length },
      };
    }
    case 'probe-deferred': {
      const path = ctx.resolve(e.device);
      const before = e.before;
      const snap =
        before === undefined
          ? obs.snapshots.find((s) => s.label === 'end')
          : obs.snapshots.find((s) => s.label === 'before' && s.index === indexOf(ctx, before));
      if (!snap)
        return {
          pass: false,
          message: `no snapshot ${e.before === undefined ? 'at the end' : `before "${e.before}"`}`,
          observed: {},
        };
      const hit = snap.deferred.find((d) => d.ofNode === path);
      const observed = { snapshotT: snap.t, devicesDeferred: snap.deferred.map((d) => d.name) };
      if (!hit)
        return { pass: false, message: `devices_deferred did not list ${path} at ${snap.t} ms`, observed };
      return {
        pass: true,
        message: `devices_deferred listed ${hit.name} (${path}) at ${snap.t} ms`,
        observed,
      };
    }
    case 'no-access': {
      const path = ctx.resolve(e.phy);
      const { adapter, addr } = ctx.phyLocation(path);
      let limit = Number.POSITIVE_INFINITY;
      if (e.before !== undefined) {
        const reached = obs.actions.get(indexOf(ctx, e.before));
        if (!reached) return { pass: false, message: `the guest never reached "${e.before}"`, observed: {} };
        limit = reached.hostMs;
      }
      const early = obs.emulatorTrace.filter(
        (a) => a.adapter === adapter && a.addr === addr && a.hostMs < limit,
      );
      const observed = {
        accessesBefore: early.length,
        totalAccesses: obs.emulatorTrace.filter((a) => a.adapter === adapter && a.addr === addr).length,
      };
      if (early.length > 0)
        return {
          pass: false,
          message: `the emulator saw ${early.length} accesses to PHY address ${addr} before ${e.before ?? 'the end'}`,
          observed,
        };
      return {
        pass: true,
        message: `no access to PHY address ${addr} before ${e.before ?? 'the end'}`,
        observed,
      };
    }
    case 'first-access-after': {
      const path = ctx.resolve(e.phy);
      const { adapter, addr } = ctx.phyLocation(path);
      const index = indexOf(ctx, e.event);
      const reached = obs.actions.get(index);
      if (!reached) return { pass: false, message: `the guest never reached "${e.event}"`, observed: {} };
      const first = obs.emulatorTrace.find(
        (a) => a.adapter === adapter && a.addr === addr && a.hostMs >= reached.hostMs,
      );
      // The guest's own clock is more precise: from its trace marker at the action to its first mdio_access.
      const mark = obs.guestTrace.find(
        (g) => g.kind === 'marker' && g.text.startsWith(`mdio-emu action ${index} `),
      );
      const guestFirst = mark
        ? obs.guestTrace.find((g) => g.kind === 'mdio' && g.addr === addr && g.ts >= mark.ts)
        : undefined;
      const guestDelayMs = mark && guestFirst ? round((guestFirst.ts - mark.ts) * 1000) : undefined;
      const hostDelayMs = first ? round(first.hostMs - reached.hostMs) : undefined;
      const observed = { guestDelayMs, hostDelayMs };
      if (!first)
        return { pass: false, message: `no access to PHY address ${addr} after "${e.event}"`, observed };
      const delay = guestDelayMs ?? hostDelayMs ?? 0;
      if (e.withinMs !== undefined && delay > e.withinMs)
        return {
          pass: false,
          message: `first access ${delay} ms after "${e.event}", later than ${e.withinMs} ms`,
          observed,
        };
      return {
        pass: true,
        message: `first access to PHY address ${addr} ${delay} ms after "${e.event}" (guest clock; host saw ${hostDelayMs} ms)`,
        observed,
      };
    }
    case 'usb-of-node': {
      const path = ctx.resolve(e.device);
      const hit = obs.snapshots.flatMap((s) => s.devices).find((d) => d.bus === 'usb' && d.ofNode === path);
      if (!hit)
        return {
          pass: false,
          message: `no USB device bound to ${path}: check its reg (the xHCI raw port)`,
          observed: {},
        };
      return {
        pass: true,
        message: `USB device ${hit.name} has of_node ${path}`,
        observed: { name: hit.name, driver: hit.driver },
      };
    }
    case 'traces-agree':
      return tracesAgree(obs);
    case 'kernel-log': {
      const re = new RegExp(e.pattern);
      const lines = obs.kernelLog.filter((l) => re.test(l));
      const pass = e.present ? lines.length > 0 : lines.length === 0;
      const message =
        lines.length > 0
          ? `${lines.length} kernel log lines match /${e.pattern}/, first: ${lines[0]}`
          : `no kernel log line matches /${e.pattern}/`;
      return { pass, message, observed: { lines: lines.slice(0, 40) } };
    }
    case 'eeprom-contents': {
      const path = ctx.resolve(e.eeprom);
      const read = obs.eeproms.get(path);
      const model = ctx.eepromModel(path);
      const length = e.length ?? model?.length ?? 0;
      if (!model) return { pass: false, message: `no EEPROM model at ${path}`, observed: {} };
      if (!read || read.length === 0)
        return { pass: false, message: `the guest read nothing from ${path} (is at24 bound?)`, observed: {} };
      const want = Buffer.from(model.subarray(0, length)).toString('hex');
      const got = Buffer.from(read.subarray(0, length)).toString('hex');
      return {
        pass: want === got,
        message:
          want === got
            ? `the guest read back ${length} bytes equal to the model's`
            : `the guest read ${got}, the model holds ${want}`,
        observed: { read: got, model: want },
      };
    }
    case 'command-output': {
      const index = indexOf(ctx, e.event);
      const result = obs.commands.find((c) => c.index === index);
      if (!result) return { pass: false, message: `the guest never ran "${e.event}"`, observed: {} };
      const text = result.output.join('\n');
      const matched = new RegExp(e.pattern, 'm').test(text);
      const want = e.present ?? true;
      const observed = { command: result.command, rc: result.rc, output: result.output.slice(0, 60) };
      const rcOk = e.rc === undefined || e.rc === result.rc;
      const first = result.output[0] ?? '(no output)';
      if (!rcOk)
        return {
          pass: false,
          message: `"${result.command}" exited ${result.rc}, expected ${e.rc}; output starts: ${first}`,
          observed,
        };
      if (matched !== want)
        return {
          pass: false,
          message: `the output of "${result.command}" ${want ? 'does not match' : 'matches'} /${e.pattern}/; it starts: ${first}`,
          observed,
        };
      return {
        pass: true,
        message: `"${result.command}" (exit ${result.rc}) output ${want ? 'matches' : 'does not match'} /${e.pattern}/`,
        observed,
      };
    }
    case 'guest-frames': {
      const path = ctx.resolve(e.device);
      const counts = ctx.guestFrames(path);
      if (!counts)
        return {
          pass: false,
          message: `${path} has no emulated host on its cable (mdio-emu,peer-ipv4)`,
          observed: {},
        };
      const min = e.min ?? 1;
      const n = counts[e.frames];
      return {
        pass: n >= min,
        message: `the guest sent ${n} ${e.frames} frame(s) on ${path} (at least ${min} expected)`,
        observed: { ...counts },
      };
    }
    case 'replay-verify': {
      let r: GuestReplayResult;
      try {
        r = ctx.replay();
      } catch (err) {
        return {
          pass: false,
          message: `the guest trace could not be replayed: ${(err as Error).message}`,
          observed: {},
        };
      }
      const observed = {
        checked: r.checked,
        reads: r.reads,
        busMap: r.busMap,
        differences: r.differences.slice(0, 20),
      };
      if (r.reads === 0) return { pass: false, message: 'the guest trace has no reads to verify', observed };
      if (r.differences.length > 0)
        return {
          pass: false,
          message: `${r.differences.length} of ${r.reads} reads differ, first: ${r.differences[0] ?? ''}`,
          observed,
        };
      return {
        pass: true,
        message: `${r.checked} guest transactions replayed against fresh models: all ${r.reads} reads agree`,
        observed,
      };
    }
  }
}

/** Transaction for transaction: same order, operation, address, register and value on each adapter's bus. */
function tracesAgree(obs: Observations): Outcome {
  const guest = obs.guestTrace.filter((g) => g.kind === 'mdio');
  const emu = obs.emulatorTrace;
  const n = Math.max(guest.length, emu.length);
  for (let i = 0; i < n; i++) {
    const g = guest[i];
    const m = emu[i];
    const same = g && m && g.op === m.op && g.addr === m.addr && g.reg === m.reg && g.value === m.value;
    if (!same) {
      const show = (x: { op: string; addr: number; reg: number; value: number } | undefined): string =>
        x ? `${x.op} phy:${x.addr} reg:${x.reg} val:0x${x.value.toString(16)}` : 'nothing';
      return {
        pass: false,
        message: `transaction ${i} differs: guest ${show(g)}, emulator ${show(m)}`,
        observed: { guest: guest.length, emulator: emu.length, firstDifference: i },
      };
    }
  }
  if (n === 0)
    return {
      pass: false,
      message: 'neither side saw any MDIO transaction',
      observed: { guest: 0, emulator: 0 },
    };
  return {
    pass: true,
    message: `${n} transactions agree`,
    observed: { guest: guest.length, emulator: emu.length },
  };
}

function indexOf(ctx: EvaluationContext, id: string): number {
  return ctx.scenario.timeline.findIndex((t) => t.id === id);
}

function hex8(n: number | undefined): string {
  return n === undefined ? 'none' : `0x${n.toString(16).padStart(8, '0')}`;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
