import type { FrameClass } from '../net/peer.js';
import type { RunLog } from './run-log.js';
import type { Expectation, ExpectationKind, Scenario } from './types.js';

/**
 * How an expectation settles (issue: verdicts must not depend on how busy the machine is):
 * - `event`: holds as soon as the awaited event is seen; fails only when it can no longer come (the run is
 *   over, or a `before` step has started);
 * - `absence`: fails as soon as the forbidden event is seen; holds when its window closes (a `before` step
 *   starts, or the run's settle period after the last step has passed);
 * - `final`: judged once at the end, on what only the end can tell (traces, EEPROM contents, end states).
 */
export type Settling = 'event' | 'absence' | 'final';

export function settlingOf(e: Expectation): Settling {
  switch (e.kind) {
    case 'phy-registered':
    case 'first-access-after':
    case 'usb-of-node':
    case 'command-output':
      return 'event';
    case 'kernel-log':
    case 'kernel-report':
      return e.present ? 'event' : 'absence';
    case 'phy-not-registered':
    case 'no-access':
      return 'absence';
    case 'probe-deferred':
      return e.before === undefined ? 'final' : 'event';
    default:
      return 'final';
  }
}

export type VerdictStatus = 'held' | 'failed' | 'pending';

export interface Verdict {
  status: VerdictStatus;
  /** One sentence saying what was seen. */
  message: string;
  /** Guest time (ms) of the observation that decided it. */
  at?: number;
  observed: Record<string, unknown>;
}

/** What only the end of a run can tell; each guest supplies what it can (undefined: cannot judge this here). */
export interface FinalObservations {
  /** Transaction-for-transaction comparison of the guest's mdio_access trace and the emulator's. */
  tracesAgree?: () => Verdict;
  /** The guest's trace replayed against fresh models. */
  replayVerify?: () => Verdict;
  /** What the guest read from an EEPROM node, and what the model holds. */
  eeprom?: (node: string) => { read: Uint8Array | undefined; model: Uint8Array | undefined };
  /** Frames the guest sent on a USB Ethernet node, by class; undefined when no emulated host is on its cable. */
  guestFrames?: (node: string) => Record<FrameClass, number> | undefined;
  /** The board's PI power state at the end. */
  psePort: (controller: string, port: number) => string;
}

export interface JudgeContext {
  scenario: Scenario;
  log: RunLog;
  /** The run is over: pending `event` expectations fail, open `absence` windows close. */
  ended: boolean;
  /** Present once ended. */
  final?: FinalObservations;
}

/** Judges one expectation on what the log holds so far. */
export function judge(e: Expectation, ctx: JudgeContext): Verdict {
  const { log } = ctx;
  const stepIndex = (id: string): number => ctx.scenario.steps.findIndex((s) => s.id === id);
  /** When step `id` started; undefined while it has not. */
  const startOf = (id: string): number | undefined => log.stepStart.get(stepIndex(id));
  const pending = (message: string): Verdict => ({ status: 'pending', message, observed: {} });
  const never = (message: string, observed: Record<string, unknown> = {}): Verdict =>
    ctx.ended ? { status: 'failed', message, observed } : pending(message);

  switch (e.kind) {
    case 'phy-registered': {
      // A kernel may register the PHY, drop it with its bus when the probe defers (7.x registers the PHY
      // before asking for its PSE), and register it again: judge the registration that meets the
      // expectation, else the latest.
      const all = log.registrations.get(e.phy) ?? [];
      const r =
        all.find(
          (x) =>
            (e.phyId === undefined || x.phyId === undefined || x.phyId === e.phyId) &&
            (e.driver === undefined || (x.driver ?? '').includes(e.driver)),
        ) ?? all.at(-1);
      if (!r) return never(`no MDIO device of ${e.phy} appeared`);
      const problems: string[] = [];
      if (e.phyId !== undefined && r.phyId !== undefined && r.phyId !== e.phyId)
        problems.push(`phy_id ${hex8(r.phyId)} instead of ${hex8(e.phyId)}`);
      if (e.driver !== undefined && !(r.driver ?? '').includes(e.driver)) {
        // The driver binds just after the device appears: wait for it while the run goes on.
        if (r.driver === undefined && !ctx.ended)
          return pending(`${r.name} registered; waiting for its driver`);
        problems.push(`driver "${r.driver ?? '(none)'}" does not contain "${e.driver}"`);
      }
      const observed = { name: r.name, phyId: hex8(r.phyId), driver: r.driver ?? '', t: r.t };
      if (problems.length > 0)
        return {
          status: 'failed',
          at: r.t,
          message: `${r.name} registered but ${problems.join(', ')}`,
          observed,
        };
      return {
        status: 'held',
        at: r.t,
        message: `${r.name} (${e.phy}) registered at ${fmt(r.t)}, phy_id ${hex8(r.phyId)}, driver ${r.driver ?? '(none)'}`,
        observed,
      };
    }
    case 'phy-not-registered': {
      const limit = e.before === undefined ? undefined : startOf(e.before);
      const r = log.registeredAt(e.phy, limit);
      if (r)
        return {
          status: 'failed',
          at: r.t,
          message: `${e.phy} registered at ${fmt(r.t)} as ${r.name}`,
          observed: { t: r.t },
        };
      const closed = e.before === undefined ? ctx.ended : limit !== undefined || ctx.ended;
      const where = e.before === undefined ? 'during the run' : `before "${e.before}"`;
      if (e.before !== undefined && limit === undefined && ctx.ended)
        return { status: 'failed', message: `the run never reached "${e.before}"`, observed: {} };
      return closed
        ? { status: 'held', message: `${e.phy} never registered ${where}`, observed: {} }
        : pending(`${e.phy} not registered so far`);
    }
    case 'probe-deferred': {
      const at = e.before === undefined ? (ctx.ended ? log.now : undefined) : startOf(e.before);
      if (at === undefined) {
        if (e.before !== undefined && ctx.ended)
          return { status: 'failed', message: `the run never reached "${e.before}"`, observed: {} };
        return pending(`waiting for "${e.before ?? 'the end'}"`);
      }
      const d = log.deferredAt(e.device, at);
      const when = e.before === undefined ? 'at the end' : `just before "${e.before}"`;
      const attempts = log.deferrals.get(e.device)?.filter((x) => x.t <= at).length ?? 0;
      if (!d)
        return {
          status: 'failed',
          at,
          message: `${e.device} was not waiting on a deferred probe ${when}${attempts > 0 ? ` (${attempts} deferral(s) earlier, then bound)` : ''}`,
          observed: { attempts },
        };
      return {
        status: 'held',
        at: d.t,
        message: `${d.name} (${e.device}) deferred by ${d.driver} at ${fmt(d.t)}, still waiting ${when}; ${attempts} probe attempt(s) deferred`,
        observed: { attempts, driver: d.driver },
      };
    }
    case 'no-access': {
      const limit = e.before === undefined ? undefined : startOf(e.before);
      const seen = log.accessesTo(e.phy).filter((t) => limit === undefined || t < limit);
      const where = e.before === undefined ? 'during the run' : `before "${e.before}"`;
      const first = seen[0];
      if (first !== undefined)
        return {
          status: 'failed',
          at: first,
          message: `the emulator saw ${seen.length} access(es) to ${e.phy} ${where}, the first at ${fmt(first)}`,
          observed: { accesses: seen.length },
        };
      if (e.before !== undefined && limit === undefined && ctx.ended)
        return { status: 'failed', message: `the run never reached "${e.before}"`, observed: {} };
      const closed = e.before === undefined ? ctx.ended : limit !== undefined;
      return closed
        ? { status: 'held', message: `no access to ${e.phy} ${where}`, observed: { accesses: 0 } }
        : pending(`no access to ${e.phy} so far`);
    }
    case 'first-access-after': {
      const from = startOf(e.after);
      if (from === undefined) return never(`the run never reached "${e.after}"`);
      const all = log.accessesTo(e.phy);
      const early = all.filter((t) => t < from);
      if (early[0] !== undefined)
        return {
          status: 'failed',
          at: early[0],
          message: `${e.phy} was accessed ${early.length} time(s) before "${e.after}", first at ${fmt(early[0])}`,
          observed: { early: early.length },
        };
      const first = all.find((t) => t >= from);
      if (first === undefined) return never(`no access to ${e.phy} after "${e.after}"`);
      const delayMs = round(first - from);
      const ok = e.withinMs === undefined || delayMs <= e.withinMs;
      return {
        status: ok ? 'held' : 'failed',
        at: first,
        message: `${e.phy} first accessed ${delayMs} ms after "${e.after}"${ok ? '' : `, later than ${e.withinMs} ms`}`,
        observed: { delayMs },
      };
    }
    case 'usb-of-node': {
      const b = log.bindings.get(e.device)?.find((x) => x.subsystem === 'usb');
      if (!b) return never(`no USB device bound to ${e.device}: check its reg (the xHCI raw port)`);
      return {
        status: 'held',
        at: b.t,
        message: `USB device ${b.name} has of_node ${e.device} (driver ${b.driver})`,
        observed: { name: b.name, driver: b.driver },
      };
    }
    case 'kernel-log': {
      const re = new RegExp(e.pattern);
      const hit = log.logLines.find((l) => re.test(l.text));
      if (e.present) {
        if (hit)
          return {
            status: 'held',
            at: hit.t,
            message: `kernel log at ${fmt(hit.t)}: ${hit.text}`,
            observed: { line: hit.text },
          };
        return never(`no kernel log line matches /${e.pattern}/`);
      }
      if (hit)
        return {
          status: 'failed',
          at: hit.t,
          message: `kernel log at ${fmt(hit.t)} matches /${e.pattern}/: ${hit.text}`,
          observed: { line: hit.text },
        };
      return ctx.ended
        ? { status: 'held', message: `no kernel log line matches /${e.pattern}/`, observed: {} }
        : pending('nothing so far');
    }
    case 'kernel-report': {
      const hit = log.reports.find(
        (r) =>
          r.report === e.report &&
          (e.function === undefined || r.function === e.function || r.frames.includes(e.function)),
      );
      const what = `${e.report}${e.function === undefined ? '' : ` in ${e.function}`}`;
      if (e.present) {
        if (hit)
          return {
            status: 'held',
            at: hit.t,
            message: `${hit.title} at ${fmt(hit.t)}`,
            observed: { title: hit.title, frames: hit.frames.slice(0, 8) },
          };
        return never(`the kernel reported no ${what}`);
      }
      if (hit)
        return {
          status: 'failed',
          at: hit.t,
          message: `the kernel reported ${hit.title} at ${fmt(hit.t)}`,
          observed: { title: hit.title, frames: hit.frames.slice(0, 8) },
        };
      return ctx.ended
        ? { status: 'held', message: `the kernel reported no ${what}`, observed: {} }
        : pending('nothing so far');
    }
    case 'command-output': {
      const index = stepIndex(e.step);
      const result = log.commands.get(index);
      if (!result) return never(`the guest never ran "${e.step}"`);
      const text = result.output.join('\n');
      const matched = new RegExp(e.pattern, 'm').test(text);
      const want = e.present ?? true;
      const observed = { command: result.command, rc: result.rc, output: result.output.slice(0, 60) };
      const first = result.output[0] ?? '(no output)';
      if (e.rc !== undefined && e.rc !== result.rc)
        return {
          status: 'failed',
          at: result.t,
          message: `"${result.command}" exited ${result.rc}, expected ${e.rc}; output starts: ${first}`,
          observed,
        };
      if (matched !== want)
        return {
          status: 'failed',
          at: result.t,
          message: `the output of "${result.command}" ${want ? 'does not match' : 'matches'} /${e.pattern}/; it starts: ${first}`,
          observed,
        };
      return {
        status: 'held',
        at: result.t,
        message: `"${result.command}" (exit ${result.rc}) output ${want ? 'matches' : 'does not match'} /${e.pattern}/`,
        observed,
      };
    }
    case 'traces-agree':
    case 'replay-verify':
    case 'eeprom-contents':
    case 'guest-frames':
    case 'phy-link':
    case 'pse-port':
    case 'stale-pse':
      return finalVerdict(e, ctx);
  }
}

type FinalExpectation = Extract<
  Expectation,
  {
    kind:
      | 'traces-agree'
      | 'replay-verify'
      | 'eeprom-contents'
      | 'guest-frames'
      | 'phy-link'
      | 'pse-port'
      | 'stale-pse';
  }
>;

function finalVerdict(e: FinalExpectation, ctx: JudgeContext): Verdict {
  if (!ctx.ended || !ctx.final) return { status: 'pending', message: 'judged at the end', observed: {} };
  const f = ctx.final;
  const cannot = (what: string): Verdict => ({
    status: 'failed',
    message: `${what} cannot be judged by this guest`,
    observed: {},
  });
  switch (e.kind) {
    case 'traces-agree':
      return f.tracesAgree ? f.tracesAgree() : cannot('traces-agree');
    case 'replay-verify':
      return f.replayVerify ? f.replayVerify() : cannot('replay-verify');
    case 'eeprom-contents': {
      if (!f.eeprom) return cannot('eeprom-contents');
      const { read, model } = f.eeprom(e.eeprom);
      if (!model) return { status: 'failed', message: `no EEPROM model at ${e.eeprom}`, observed: {} };
      if (!read || read.length === 0)
        return {
          status: 'failed',
          message: `the guest read nothing from ${e.eeprom} (is at24 bound?)`,
          observed: {},
        };
      const length = e.length ?? model.length;
      const want = Buffer.from(model.subarray(0, length)).toString('hex');
      const got = Buffer.from(read.subarray(0, length)).toString('hex');
      return want === got
        ? {
            status: 'held',
            message: `the guest read back ${length} bytes equal to the model's`,
            observed: { read: got },
          }
        : {
            status: 'failed',
            message: `the guest read ${got}, the model holds ${want}`,
            observed: { read: got, model: want },
          };
    }
    case 'guest-frames': {
      const counts = f.guestFrames?.(e.device);
      if (!counts)
        return {
          status: 'failed',
          message: `${e.device} has no emulated host on its cable (mdio-emu,peer-ipv4)`,
          observed: {},
        };
      const min = e.min ?? 1;
      const n = counts[e.frames];
      return {
        status: n >= min ? 'held' : 'failed',
        message: `the guest sent ${n} ${e.frames} frame(s) on ${e.device} (at least ${min} expected)`,
        observed: { ...counts },
      };
    }
    case 'phy-link': {
      const up = ctx.log.phyLink.get(e.phy);
      if (up === undefined)
        return { status: 'failed', message: `no status poll of ${e.phy} was seen`, observed: {} };
      return {
        status: up === e.up ? 'held' : 'failed',
        message: `the driver's last poll saw ${e.phy}'s link ${up ? 'up' : 'down'}`,
        observed: { up },
      };
    }
    case 'pse-port': {
      const power = f.psePort(e.controller, e.port);
      const shown = power === 'over-budget' ? 'searching' : power;
      return {
        status: shown === e.power ? 'held' : 'failed',
        message: `${e.controller} PI ${e.port} is ${power}`,
        observed: { power },
      };
    }
    case 'stale-pse': {
      const controller = ctx.log.stalePse.get(e.phy);
      const stale = controller !== undefined;
      return {
        status: stale === e.present ? 'held' : 'failed',
        message: stale
          ? `${e.phy} holds a pse_control of ${controller}, which unregistered`
          : `${e.phy} holds no stale pse_control`,
        observed: { stale },
      };
    }
  }
}

/** Which expectation kinds need a real kernel (a shell, ftrace, the USB core) and cannot be judged by the model. */
export const NEEDS_REAL_KERNEL: ReadonlySet<ExpectationKind> = new Set([
  'usb-of-node',
  'traces-agree',
  'replay-verify',
  'kernel-log',
  'kernel-report',
  'eeprom-contents',
  'command-output',
  'guest-frames',
]);

/** Which need the kernel model (it reports the driver's view directly; a real kernel shows these otherwise). */
export const NEEDS_KERNEL_MODEL: ReadonlySet<ExpectationKind> = new Set(['phy-link', 'stale-pse']);

function fmt(t: number): string {
  return `${round(t)} ms`;
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function hex8(n: number | undefined): string {
  return n === undefined ? 'none' : `0x${n.toString(16).padStart(8, '0')}`;
}
