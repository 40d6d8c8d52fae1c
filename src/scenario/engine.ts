import type { Board } from '../board/board.js';
import { ACTION_SIDE, describeAction } from '../board/actions.js';
import type { Condition, Expectation, KnownBug, Scenario, Step } from './types.js';
import type { RunEndReason, RunEvent } from './events.js';
import { RunLog } from './run-log.js';
import { judge, settlingOf, type FinalObservations, type Verdict } from './expectations.js';
import { appliesTo, bugEvidence, parseKernelVersion, reportText, type KernelVersion } from './known-bugs.js';

/** Frames of the kernel's own reporting code (KASAN, lockdep, dump_stack), which say nothing about the crash. */
const REPORTING_FRAMES =
  /^(?:dump_backtrace|show_stack|dump_stack(?:_lvl)?|print_report|print_address_description.*|kasan_report|__asan_\w+|__kasan_\w+|print_circular_bug|check_noncircular)$/;

/** The kernel the kernel model behaves like (docs/scenarios.md, "The kernel model"). */
const MODEL_KERNEL: KernelVersion = { major: 6, minor: 1, patch: 0 };

/**
 * What the engine needs from a guest: a real kernel under QEMU (src/qemu/qemu-guest.ts) or the kernel model
 * (src/scenario/model-guest.ts). Time is the guest's own (ms since its boot; virtual time for the model).
 */
export interface GuestDriver {
  /** Guest time now. */
  now(): number;
  /**
   * Carries out a step: waits its `delayMs` in guest time, then reports `step.start`; a guest action is done
   * by the guest, which reports `step.done`; a hardware action is applied by the engine on `step.start`.
   */
  startStep(step: Step): void;
  /** Calls back once guest time has reached `t`; the guest keeps its time moving (heartbeats, the virtual clock). */
  wakeAt(t: number, callback: () => void): void;
}

export type StepStatus = 'waiting' | 'started' | 'done' | 'failed' | 'skipped';

export interface StepOutcome {
  index: number;
  id?: string;
  action: string;
  side: 'hardware' | 'guest';
  status: StepStatus;
  /** Guest time its condition held, it started and it ended. */
  readyAt?: number;
  startedAt?: number;
  doneAt?: number;
  detail?: string;
}

export type ExpectationStatus = 'held' | 'failed' | 'expected-failure' | 'fixed' | 'not-applicable';

export interface ExpectationOutcome {
  expectation: Expectation;
  /** The known bug that applied on this kernel (in range, evidence seen), by name. */
  knownBug?: string;
  /**
   * `expected-failure`: failed as its known bug says it must; `fixed`: held although a known bug says it fails;
   * `not-applicable`: its `kernels` range excludes this kernel.
   */
  status: ExpectationStatus;
  pass: boolean;
  message: string;
  /** Guest time of the observation that decided it. */
  at?: number;
  observed: Record<string, unknown>;
}

export interface EngineResult {
  end: { reason: RunEndReason; detail: string; at: number };
  /** The guest crashed: the fatal report, and the known kernel bug that names it (then the run may pass). */
  crash?: { report: string; knownBug?: string };
  /** Known kernel bugs the scenario names that this kernel showed (in range, evidence in its log). */
  knownBugs: string[];
  steps: StepOutcome[];
  expectations: ExpectationOutcome[];
  /** Every expectation held (or failed as a known bug says it must) and the run was not cut short by a deadline. */
  pass: boolean;
}

export interface EngineOptions {
  /** The guest kernel's release (`7.2.13`), for known bugs; undefined for the kernel model. */
  kernelRelease?: string;
  onProgress?: (message: string) => void;
}

/**
 * The one scenario interpreter. It carries out steps when their conditions hold (never at fixed wall-clock
 * times), settles expectations as events arrive (held, or can no longer hold), and ends the run when every
 * step is done and every expectation has settled, when the guest crashes, or when a step's condition can
 * no longer happen. Every decision is taken on the guest's own clock, so a busy host slows the run but does
 * not change its verdict.
 */
export class ScenarioEngine {
  readonly log: RunLog;
  readonly #steps: StepOutcome[];
  readonly #decided = new Map<number, Verdict>();
  readonly #kernel: KernelVersion | undefined;
  #ended: { reason: RunEndReason; detail: string; at: number } | undefined;
  #upAt: number | undefined;
  #lastStepEnd = 0;
  #wakePending = new Set<number>();
  readonly #endListeners: (() => void)[] = [];

  constructor(
    readonly scenario: Scenario,
    readonly board: Board,
    readonly guest: GuestDriver,
    readonly options: EngineOptions = {},
  ) {
    this.log = new RunLog((bus, addr) => board.busAt(bus)?.phys.find((p) => p.address === addr)?.path);
    this.#steps = scenario.steps.map((s) => ({
      index: s.index,
      ...(s.id === undefined ? {} : { id: s.id }),
      action: describeAction(s.action),
      side: ACTION_SIDE[s.action.kind],
      status: 'waiting',
    }));
    this.#kernel =
      options.kernelRelease === undefined ? undefined : parseKernelVersion(options.kernelRelease);
  }

  get ended(): boolean {
    return this.#ended !== undefined;
  }

  /** Why the run ended, once it has. */
  get endReason(): RunEndReason | undefined {
    return this.#ended?.reason;
  }

  /** Resolves once the engine has decided the run is over. */
  whenEnded(): Promise<void> {
    return this.#ended ? Promise.resolve() : new Promise((resolve) => this.#endListeners.push(resolve));
  }

  /** One event on the guest's time axis. The guest's `guest.up` starts the steps. */
  push(t: number, event: RunEvent): void {
    if (this.#ended) {
      this.log.push(t, event);
      return;
    }
    this.log.push(t, event);
    switch (event.type) {
      case 'guest.up':
        this.#upAt ??= t;
        this.#lastStepEnd = Math.max(this.#lastStepEnd, t);
        break;
      case 'guest.report':
        if (event.fatal) {
          const frames = event.frames
            .filter((f) => !REPORTING_FRAMES.test(f))
            .slice(0, 4)
            .join(' <- ');
          return this.#end('guest-crashed', `${event.title}${frames ? ` (${frames})` : ''}`, t);
        }
        break;
      case 'step.start':
        return this.#stepStarted(event.step, t);
      case 'step.done':
        this.#stepDone(event.step, t, event.ok, event.detail);
        break;
      default:
        break;
    }
    this.#evaluate();
  }

  /** The guest stopped before the engine decided the end (QEMU exited, the model ran out of time). */
  guestStopped(detail: string): void {
    if (!this.#ended) this.#end('guest-stopped', detail, this.log.now);
  }

  /** The guest stopped answering without a report (src/qemu/guest-watchdog.ts): `detail` says how it was seen. */
  guestFrozen(detail: string): void {
    if (!this.#ended) this.#end('guest-frozen', detail, this.log.now);
  }

  /** The user stopped the run (`detail`: how). */
  interrupted(detail: string): void {
    if (!this.#ended) this.#end('interrupted', detail, this.log.now);
  }

  /** The overall wall-clock deadline passed. */
  deadline(): void {
    if (!this.#ended)
      this.#end(
        'deadline',
        `the run did not settle within ${this.scenario.deadlineMs} ms of wall time`,
        this.log.now,
      );
  }

  /** Final verdicts, with what only the end can tell. */
  result(final: FinalObservations): EngineResult {
    const end = this.#ended ?? {
      reason: 'guest-stopped' as const,
      detail: 'the run was not finished',
      at: this.log.now,
    };
    const texts = this.#evidenceTexts();
    const expectations = this.scenario.expect.map((e) => this.#outcome(e, final, texts));
    const fatal = end.reason === 'guest-crashed' ? this.log.reports.find((r) => r.fatal) : undefined;
    // A crash fails the run unless a known bug that an expectation expected to fail names it by its evidence.
    const namedBy = fatal
      ? expectations.find((o) => {
          const b = o.expectation.knownBug?.find((x) => x.name === o.knownBug);
          return (
            o.status === 'expected-failure' &&
            b !== undefined &&
            bugEvidence(b, [reportText(fatal)]) !== undefined
          );
        })?.knownBug
      : undefined;
    const crash = fatal
      ? { report: reportText(fatal), ...(namedBy ? { knownBug: namedBy } : {}) }
      : undefined;
    // The known bugs this scenario names that this kernel shows (its range, and its evidence in the log).
    const kernel = this.#kernel;
    const shows = (b: KnownBug): boolean =>
      kernel !== undefined &&
      b.evidence.length > 0 &&
      appliesTo(b, kernel) &&
      bugEvidence(b, texts) !== undefined;
    const named = new Map(
      [...this.scenario.expect, ...this.scenario.steps].flatMap((x) =>
        (x.knownBug ?? []).map((b) => [b.name, b] as const),
      ),
    );
    const seen = [...named.values()]
      .filter(
        (b) => expectations.some((o) => o.status === 'expected-failure' && o.knownBug === b.name) || shows(b),
      )
      .map((b) => b.name);
    // A step that failed where a bug it names shows (or a crash a bug names) is that bug's consequence, and so
    // are the steps it left undone; any other failed or undone step fails the run.
    const excused = this.#steps.find(
      (s) => s.status === 'failed' && (this.scenario.steps[s.index]?.knownBug ?? []).some(shows),
    );
    const stepsOk = this.#steps.every(
      (s) =>
        s.status === 'done' ||
        (namedBy !== undefined && s.status !== 'failed') ||
        s === excused ||
        (excused !== undefined && s.status === 'skipped'),
    );
    const pass =
      end.reason !== 'deadline' &&
      end.reason !== 'guest-stopped' &&
      end.reason !== 'guest-frozen' &&
      end.reason !== 'interrupted' &&
      (end.reason !== 'guest-crashed' || namedBy !== undefined) &&
      expectations.every((o) => o.pass) &&
      stepsOk;
    return {
      end,
      ...(crash ? { crash } : {}),
      knownBugs: seen,
      steps: this.#steps.map((s) => ({ ...s })),
      expectations,
      pass,
    };
  }

  /** The guest's kernel log lines and reports, as known bugs' evidence patterns read them (the whole run). */
  #evidenceTexts(): string[] {
    const out: string[] = [];
    for (const { event: e } of this.log.events)
      if (e.type === 'guest.log') out.push(e.text);
      else if (e.type === 'guest.report') out.push(reportText(e));
    return out;
  }

  /**
   * Judged afresh on the whole log: decisions taken while the run went on only decided when it could end, and
   * the end may have brought better data (the guest's own timing of every MDIO access).
   */
  #outcome(e: Expectation, final: FinalObservations, texts: readonly string[]): ExpectationOutcome {
    if (!this.#applies(e))
      return {
        expectation: e,
        status: 'not-applicable',
        pass: true,
        message: `not judged on this kernel: the expectation is for ${e.kernels}`,
        observed: {},
      };
    const v = judge(e, { scenario: this.scenario, log: this.log, ended: true, final });
    const held = v.status === 'held';
    // With evidence patterns a bug is the reason only when its evidence is in the log (a patched build of
    // the same version is judged as any kernel); without, the version range alone says so.
    const kernel = this.#kernel;
    const inRange = kernel === undefined ? [] : (e.knownBug ?? []).filter((b) => appliesTo(b, kernel));
    const shown = inRange
      .map((b) => ({ b, evidence: b.evidence.length > 0 ? bugEvidence(b, texts) : undefined }))
      .find((x) => x.b.evidence.length === 0 || x.evidence !== undefined);
    const bug = shown?.b;
    const evidence = shown?.evidence;
    const applies = bug !== undefined;
    const status: ExpectationStatus = applies
      ? held
        ? bug.evidence.length === 0
          ? 'fixed'
          : 'held'
        : 'expected-failure'
      : held
        ? 'held'
        : 'failed';
    const message =
      applies && status !== 'held'
        ? `${v.message} (known bug ${bug.name} on ${bug.kernels}: ${bug.bug}${evidence === undefined ? '' : `; seen: ${evidence}`})`
        : v.message;
    return {
      expectation: e,
      ...(applies ? { knownBug: bug.name } : {}),
      status,
      pass: status !== 'failed',
      message,
      ...(v.at === undefined ? {} : { at: v.at }),
      observed: v.observed,
    };
  }

  /** Whether the expectation is judged on this kernel (its `kernels` range). */
  #applies(e: Expectation): boolean {
    return e.kernels === undefined || appliesTo({ kernels: e.kernels }, this.#kernel ?? MODEL_KERNEL);
  }

  #stepStarted(index: number, t: number): void {
    const step = this.scenario.steps[index];
    const outcome = this.#steps[index];
    if (!step || !outcome) return;
    outcome.status = 'started';
    outcome.startedAt = t;
    this.options.onProgress?.(`t=${Math.round(t)} ms: ${outcome.action}`);
    if (ACTION_SIDE[step.action.kind] === 'hardware') {
      let detail: string | undefined;
      try {
        this.board.apply(step.action);
      } catch (err) {
        detail = err instanceof Error ? err.message : String(err);
      }
      this.push(t, {
        type: 'step.done',
        step: index,
        ok: detail === undefined,
        ...(detail === undefined ? {} : { detail }),
      });
      return;
    }
    this.#evaluate();
  }

  #stepDone(index: number, t: number, ok: boolean, detail: string | undefined): void {
    const outcome = this.#steps[index];
    if (!outcome || outcome.status === 'done' || outcome.status === 'failed') return;
    outcome.status = ok ? 'done' : 'failed';
    outcome.doneAt = t;
    if (detail !== undefined) outcome.detail = detail;
    this.#lastStepEnd = Math.max(this.#lastStepEnd, t);
    if (!ok) this.#end('step-failed', `step ${stepName(outcome)} failed: ${detail ?? 'no detail'}`, t);
  }

  /** Starts steps whose condition holds, settles expectations, and decides whether the run is over. */
  #evaluate(): void {
    if (this.#ended || this.#upAt === undefined) return;
    const now = this.log.now;
    let busy = false;
    for (const [i, step] of this.scenario.steps.entries()) {
      const outcome = this.#steps[i];
      if (!outcome) continue;
      if (outcome.status === 'started') {
        busy = true;
        break; // steps run one after another
      }
      if (outcome.status !== 'waiting') continue;
      const ready = this.#conditionTime(step, i);
      if (ready === undefined) {
        if (this.#waitFailed(step, outcome, now)) return;
        break; // steps run in order: a later step never overtakes a waiting one
      }
      outcome.readyAt = ready;
      outcome.status = 'started';
      busy = true;
      this.guest.startStep(step);
      // The guest may have started (and finished) it synchronously: look again from the top.
      return this.#evaluate();
    }
    for (const e of this.scenario.expect) {
      if (this.#decided.has(e.index) || settlingOf(e) === 'final' || !this.#applies(e)) continue;
      const v = judge(e, { scenario: this.scenario, log: this.log, ended: false });
      if (v.status !== 'pending') this.#decided.set(e.index, v);
    }
    if (busy) return;
    const allSteps = this.#steps.every(
      (s) => s.status === 'done' || s.status === 'failed' || s.status === 'skipped',
    );
    if (!allSteps) return;
    const waitingForEvent = this.scenario.expect.some(
      (e) => !this.#decided.has(e.index) && settlingOf(e) === 'event' && this.#applies(e),
    );
    const settleEnd = this.#lastStepEnd + this.scenario.settleMs;
    if (!waitingForEvent) {
      if (now >= settleEnd) return this.#end('settled', 'every step done and every expectation settled', now);
      return this.#wake(settleEnd);
    }
    // Waiting for something that may never come: it can no longer hold once the guest has been quiet long enough.
    const quietEnd = Math.max(this.log.lastActivity, this.#lastStepEnd) + this.scenario.quietMs;
    if (now >= quietEnd && now >= settleEnd)
      return this.#end(
        'settled',
        `the guest was quiet for ${this.scenario.quietMs} ms after the last step`,
        now,
      );
    this.#wake(Math.max(quietEnd, settleEnd));
  }

  /** Guest time at which the step's condition held, or undefined while it has not. */
  #conditionTime(step: Step, index: number): number | undefined {
    const after: Condition | undefined = step.after ?? (index === 0 ? undefined : { kind: 'step', step: '' });
    if (!after) return this.#upAt;
    if (after.kind === 'step') {
      const target =
        after.step === '' ? index - 1 : this.scenario.steps.findIndex((s) => s.id === after.step);
      const done = this.#steps[target];
      return done?.status === 'done' ? done.doneAt : undefined;
    }
    const from = this.#steps[index - 1]?.startedAt ?? this.#upAt ?? 0;
    const t = conditionTime(after, this.log, from);
    return t === undefined ? undefined : Math.max(t, this.#steps[index - 1]?.doneAt ?? from);
  }

  /** A waiting step fails when its `withinMs` has passed, or the guest has gone quiet: its event will not come. */
  #waitFailed(step: Step, outcome: StepOutcome, now: number): boolean {
    const since = Math.max(this.#lastStepEnd, this.#upAt ?? 0);
    const limit =
      step.withinMs !== undefined
        ? since + step.withinMs
        : Math.max(this.log.lastActivity, since) + this.scenario.quietMs;
    if (now < limit) {
      this.#wake(limit);
      return false;
    }
    outcome.status = 'failed';
    const why =
      step.withinMs !== undefined
        ? `not within ${step.withinMs} ms`
        : `the guest was quiet for ${this.scenario.quietMs} ms`;
    outcome.detail = `waited for ${describeCondition(step.after)}: ${why}`;
    for (const s of this.#steps) if (s.status === 'waiting') s.status = 'skipped';
    this.#end('step-failed', `step ${stepName(outcome)} ${outcome.detail}`, now);
    return true;
  }

  #wake(t: number): void {
    if (!Number.isFinite(t)) return;
    const key = Math.ceil(t);
    if (this.#wakePending.has(key)) return;
    this.#wakePending.add(key);
    this.guest.wakeAt(key, () => {
      this.#wakePending.delete(key);
      if (this.log.now < key) this.log.now = key;
      this.#evaluate();
    });
  }

  #end(reason: RunEndReason, detail: string, at: number): void {
    if (this.#ended) return;
    this.#ended = { reason, detail, at };
    for (const s of this.#steps) if (s.status === 'waiting') s.status = 'skipped';
    this.log.push(at, { type: 'run.end', reason, detail });
    // What happens after the end (the guest dumping its traces, powering off) is not part of the run.
    this.log.freeze();
    this.options.onProgress?.(`run ends: ${detail}`);
    for (const l of this.#endListeners.splice(0)) l();
  }
}

/**
 * Guest time from which an event condition holds, or undefined while it does not. States (a PHY registered, a
 * device bound or waiting on a deferred probe, a link up or down) are judged as they are now; occurrences (an
 * MDIO access, a log line) count from `from`, the start of the previous step, so a step waits for something
 * new rather than something that happened long before.
 */
export function conditionTime(c: Condition, log: RunLog, from: number): number | undefined {
  const now = log.now;
  switch (c.kind) {
    case 'step':
      return undefined;
    case 'phy-registered': {
      const r = log.registrations.get(c.phy)?.findLast((x) => x.removedAt === undefined);
      if (!r || (c.driver !== undefined && !(r.driver ?? '').includes(c.driver))) return undefined;
      const bound = log.bindings.get(c.phy)?.findLast((b) => b.unboundAt === undefined && b.t >= r.t)?.t;
      return c.driver === undefined ? r.t : bound;
    }
    case 'probe-deferred':
      return log.deferredAt(c.device, now)?.t;
    case 'device-bound':
      return log.bindings
        .get(c.device)
        ?.findLast(
          (b) => b.unboundAt === undefined && (c.driver === undefined || b.driver.includes(c.driver)),
        )?.t;
    case 'mdio-access':
      return log.accessesTo(c.phy).find((t) => t >= from);
    case 'link': {
      const last = log.modelLink.get(c.phy);
      return last?.up === c.up ? last.t : undefined;
    }
    case 'kernel-log': {
      const re = new RegExp(c.pattern);
      return log.logLines.find((l) => l.t >= from && re.test(l.text))?.t;
    }
  }
}

export function describeCondition(c: Condition | undefined): string {
  if (!c) return 'the previous step';
  switch (c.kind) {
    case 'step':
      return c.step === '' ? 'the previous step' : `step "${c.step}"`;
    case 'phy-registered':
      return `${c.phy} to register${c.driver === undefined ? '' : ` with a ${c.driver} driver`}`;
    case 'probe-deferred':
      return `${c.device}'s probe to defer`;
    case 'device-bound':
      return `a driver${c.driver === undefined ? '' : ` like ${c.driver}`} to bind ${c.device}`;
    case 'mdio-access':
      return `an MDIO access to ${c.phy}`;
    case 'link':
      return `${c.phy}'s link to go ${c.up ? 'up' : 'down'}`;
    case 'kernel-log':
      return `a kernel log line like /${c.pattern}/`;
  }
}

function stepName(s: StepOutcome): string {
  return s.id === undefined ? `${s.index} (${s.action})` : `"${s.id}"`;
}
