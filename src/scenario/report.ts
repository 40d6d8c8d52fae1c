import type { BoardEvent } from '../board/events.js';
import { describeAction } from '../board/actions.js';
import type { EngineResult, ExpectationOutcome, StepOutcome } from './engine.js';
import type { RunEndReason, TimedEvent } from './events.js';
import type { RunLog } from './run-log.js';
import type { Scenario } from './types.js';

/**
 * The result of one run, whoever the guest was: the verdict, every step and expectation with where it was
 * decided, and the run's events on the guest's time axis, sorted into lanes for the picture (report.html).
 * Written as report.json; `mdio-emu qemu matrix` puts many side by side.
 */
export interface RunReport {
  format: 2;
  scenario: string;
  scenarioFile: string;
  description?: string;
  guest: GuestInfo;
  pass: boolean;
  /** One line a reviewer reads first. */
  verdict: string;
  end: { reason: RunEndReason; detail: string; at: number };
  /** The guest crashed: its fatal report, and the known kernel bug that names it. */
  crash?: { report: string; knownBug?: string };
  /** Known kernel bugs the scenario names that this kernel showed (in range, evidence in its log). */
  knownBugs: string[];
  wallMs: number;
  steps: StepOutcome[];
  expectations: ExpectationOutcome[];
  /** Guest-side events worth a mark on the timeline (module loads, deferrals, registrations, reports). */
  guestEvents: TimelineMark[];
  /** MDIO and I2C transactions per bus, for the density strips. */
  traffic: { bus: string; kind: 'mdio' | 'i2c'; times: number[] }[];
  /** Every PSE port's power state over time. */
  psePorts: { controller: string; port: number; changes: { t: number; state: string }[] }[];
  /** Every PHY's link over time (the PHY model's view). */
  links: { phy: string; changes: { t: number; up: boolean }[] }[];
  /** Per device that deferred: how many probe attempts were deferred before it bound (the probe-retry storm). */
  deferrals: { node: string; driver: string; attempts: number; boundAt?: number }[];
  /** Every driver binding to a device-tree node the guest reported, in time order. */
  bindings: {
    node: string;
    subsystem: string;
    name: string;
    driver: string;
    t: number;
    unboundAt?: number;
  }[];
  /** Kernel reports with their first frames. */
  reports: { t: number; report: string; title: string; function?: string; frames: string[] }[];
  /** Files next to the report: console log, traces, captures. */
  files: Record<string, string>;
  /** Guest-specific findings (PSE attach mode, KASAN summary, commands, network counters). */
  details: Record<string, unknown>;
}

export type GuestInfo =
  { kind: 'kernel-model' } | { kind: 'qemu'; kernel: string; release?: string; variant?: string };

export interface TimelineMark {
  t: number;
  lane: 'step' | 'module' | 'device' | 'deferral' | 'report' | 'log';
  label: string;
  detail?: string;
  severity?: 'info' | 'warn' | 'error';
}

export interface ReportInput {
  scenario: Scenario;
  scenarioFile: string;
  guest: GuestInfo;
  result: EngineResult;
  log: RunLog;
  wallMs: number;
  files?: Record<string, string>;
  details?: Record<string, unknown>;
}

export function buildReport(i: ReportInput): RunReport {
  const { result, log } = i;
  const failed = result.expectations.filter((e) => !e.pass);
  const expectedFailures = result.expectations.filter((e) => e.status === 'expected-failure').length;
  const verdict = verdictLine(result, failed, expectedFailures);
  return {
    format: 2,
    scenario: i.scenario.name,
    scenarioFile: i.scenarioFile,
    ...(i.scenario.description === undefined ? {} : { description: i.scenario.description }),
    guest: i.guest,
    pass: result.pass,
    verdict,
    end: result.end,
    ...(result.crash ? { crash: result.crash } : {}),
    knownBugs: result.knownBugs,
    wallMs: Math.round(i.wallMs),
    // On the same microsecond grid as every event time below, so a change caused by a step's start compares
    // equal to that start, not a rounding error before it.
    steps: result.steps.map((st) => ({
      ...st,
      ...(st.readyAt === undefined ? {} : { readyAt: round(st.readyAt) }),
      ...(st.startedAt === undefined ? {} : { startedAt: round(st.startedAt) }),
      ...(st.doneAt === undefined ? {} : { doneAt: round(st.doneAt) }),
    })),
    expectations: result.expectations,
    guestEvents: marks(log.events),
    traffic: traffic(log.events),
    psePorts: psePorts(log.events),
    links: links(log.events),
    deferrals: [...log.deferrals].map(([node, list]) => {
      // A deferral is only recorded with its list, so the list is never empty.
      const last = list[list.length - 1] as (typeof list)[number];
      const bound = log.bindings.get(node)?.find((b) => b.driver === last.driver && b.t >= last.t);
      return {
        node,
        driver: last.driver,
        attempts: list.length,
        ...(bound ? { boundAt: round(bound.t) } : {}),
      };
    }),
    bindings: [...log.bindings]
      .flatMap(([node, list]) =>
        list.map((b) => ({
          node,
          subsystem: b.subsystem,
          name: b.name,
          driver: b.driver,
          t: round(b.t),
          ...(b.unboundAt === undefined ? {} : { unboundAt: round(b.unboundAt) }),
        })),
      )
      .sort((a, b) => a.t - b.t),
    reports: log.reports.map((r) => ({
      t: round(r.t),
      report: r.report,
      title: r.title,
      ...(r.function === undefined ? {} : { function: r.function }),
      frames: r.frames.slice(0, 12),
    })),
    files: i.files ?? {},
    details: i.details ?? {},
  };
}

function verdictLine(result: EngineResult, failed: ExpectationOutcome[], xfail: number): string {
  const skipped = result.expectations.filter((e) => e.status === 'not-applicable').length;
  const n = result.expectations.length - skipped;
  const known =
    (skipped > 0 ? ` (${skipped} not for this kernel)` : '') +
    (xfail > 0 ? `, ${xfail} failing as known kernel bugs say` : '') +
    (result.knownBugs.length > 0 ? `; known kernel bug(s) seen: ${result.knownBugs.join(', ')}` : '');
  if (result.end.reason === 'guest-crashed')
    return result.pass
      ? `PASS: guest crashed as known kernel bug ${result.crash?.knownBug ?? ''} says (${result.end.detail}); ${n - xfail}/${n} expectations held${known}`
      : `FAIL: guest crashed (${result.end.detail}); ${n - failed.length}/${n} expectations held`;
  if (result.end.reason === 'guest-frozen')
    return `FAIL: ${result.end.detail}; ${n - failed.length}/${n} expectations held`;
  if (result.end.reason === 'interrupted') return `FAIL: ${result.end.detail} (not a verdict on the kernel)`;
  if (result.end.reason === 'deadline') return `FAIL: ${result.end.detail} (not a verdict on the kernel)`;
  if (result.pass) return `PASS: ${n - xfail}/${n} expectations held${known}`;
  const steps = result.steps.filter((s) => s.status === 'failed');
  const first = failed[0];
  const why = steps[0]?.detail ?? (first ? `${first.expectation.kind}: ${first.message}` : result.end.detail);
  return `FAIL: ${failed.length}/${n} expectations failed${known}; first: ${why}`;
}

function marks(events: readonly TimedEvent[]): TimelineMark[] {
  const out: TimelineMark[] = [];
  for (const { t, event: e } of events) {
    const at = round(t);
    switch (e.type) {
      case 'step.start':
        out.push({ t: at, lane: 'step', label: `step ${e.step} starts` });
        break;
      case 'step.done':
        out.push({
          t: at,
          lane: 'step',
          label: `step ${e.step} ${e.ok ? 'done' : 'failed'}`,
          ...(e.detail ? { detail: e.detail } : {}),
          severity: e.ok ? 'info' : 'error',
        });
        break;
      case 'guest.device':
        out.push({
          t: at,
          lane: 'device',
          label: `${e.action} ${e.subsystem}:${e.name}${e.driver ? ` (${e.driver})` : ''}`,
          ...(e.node === undefined ? {} : { detail: e.node }),
        });
        break;
      case 'guest.deferred':
        out.push({
          t: at,
          lane: 'deferral',
          label: `${e.driver} deferred ${e.name}`,
          ...(e.node === undefined ? {} : { detail: e.node }),
          severity: 'warn',
        });
        break;
      case 'guest.report':
        out.push({
          t: at,
          lane: 'report',
          label: e.title,
          detail: e.frames.slice(0, 6).join(' < '),
          severity: e.fatal || e.report !== 'warning' ? 'error' : 'warn',
        });
        break;
      case 'guest.pse':
        out.push({
          t: at,
          lane: 'module',
          label: `PSE ${e.controller} ${e.registered ? 'registered' : 'unregistered'}`,
        });
        break;
      case 'board.action':
        out.push({ t: at, lane: 'step', label: describeAction(e.action) });
        break;
      case 'run.end':
        out.push({
          t: at,
          lane: 'step',
          label: `run ends: ${e.reason}`,
          detail: e.detail,
          severity: e.reason === 'settled' ? 'info' : 'error',
        });
        break;
      default:
        break;
    }
  }
  return out;
}

function traffic(events: readonly TimedEvent[]): RunReport['traffic'] {
  const lanes = new Map<string, { bus: string; kind: 'mdio' | 'i2c'; times: number[] }>();
  for (const { t, event: e } of events) {
    if (e.type !== 'mdio.read' && e.type !== 'mdio.write' && e.type !== 'i2c.xfer') continue;
    const kind = e.type === 'i2c.xfer' ? 'i2c' : 'mdio';
    const key = `${kind} ${e.bus}`;
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = { bus: e.bus, kind, times: [] }));
    lane.times.push(round(t));
  }
  return [...lanes.values()];
}

function psePorts(events: readonly TimedEvent[]): RunReport['psePorts'] {
  const ports = new Map<string, RunReport['psePorts'][number]>();
  for (const { t, event: e } of events) {
    if (e.type !== 'pse.port') continue;
    const key = `${e.controller}#${e.port}`;
    let p = ports.get(key);
    if (!p) ports.set(key, (p = { controller: e.controller, port: e.port, changes: [] }));
    p.changes.push({ t: round(t), state: e.power });
  }
  return [...ports.values()];
}

function links(events: readonly TimedEvent[]): RunReport['links'] {
  const out = new Map<string, RunReport['links'][number]>();
  for (const { t, event: e } of events) {
    if (e.type !== 'phy.link') continue;
    let l = out.get(e.phy);
    if (!l) out.set(e.phy, (l = { phy: e.phy, changes: [] }));
    l.changes.push({ t: round(t), up: e.up });
  }
  return [...out.values()];
}

/** The board events the engine's log keeps (everything but per-register noise). */
export function isLoggedBoardEvent(e: BoardEvent): boolean {
  return e.type !== 'reg.tagged';
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
