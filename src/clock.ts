/**
 * Virtual time for every model: nanoseconds as a plain number (2^53 ns is about 104 days of emulated time).
 * Models never read the wall clock; they ask an injected `Clock` for `now()` and schedule timers on it, so
 * tests, scenarios and replays are deterministic.
 */
export interface Clock {
  /** Current virtual time in nanoseconds. */
  now(): number;
  /** Runs `callback` when virtual time reaches `atNs` (immediately on the next advance if already past). */
  schedule(atNs: number, callback: () => void): TimerHandle;
}

export interface TimerHandle {
  cancel(): void;
  readonly pending: boolean;
}

/**
 * The last virtual time that is exact: past 2^53 ns a number can no longer count single nanoseconds (adding
 * 1 ns does nothing), so a clock refuses to go beyond it rather than stop or round silently.
 */
export const MAX_VIRTUAL_NS = Number.MAX_SAFE_INTEGER;

export const NS_PER_US = 1_000;
export const NS_PER_MS = 1_000_000;
export const ms = (n: number): number => n * NS_PER_MS;
export const us = (n: number): number => n * NS_PER_US;

interface Timer extends TimerHandle {
  readonly at: number;
  readonly seq: number;
  readonly callback: () => void;
  pending: boolean;
}

/**
 * A manually advanced clock. `advance()` fires due timers in (time, insertion) order, with `now()` equal to
 * each timer's deadline while it runs, so a callback that schedules a follow-up sees consistent time.
 */
export class VirtualClock implements Clock {
  #now = 0;
  #seq = 0;
  #timers: Timer[] = [];

  constructor(startNs = 0) {
    this.#now = startNs;
  }

  now(): number {
    return this.#now;
  }

  schedule(atNs: number, callback: () => void): TimerHandle {
    const timer: Timer = {
      at: Math.max(atNs, this.#now),
      seq: this.#seq++,
      callback,
      pending: true,
      cancel() {
        timer.pending = false;
      },
    };
    this.#timers.push(timer);
    return timer;
  }

  /** Schedules relative to now. */
  after(delayNs: number, callback: () => void): TimerHandle {
    return this.schedule(this.#now + delayNs, callback);
  }

  /** Advances by `deltaNs`, firing every timer that falls due on the way. */
  advance(deltaNs: number): void {
    if (deltaNs < 0) throw new RangeError(`cannot advance a clock backwards (${deltaNs} ns)`);
    this.advanceTo(this.#now + deltaNs);
  }

  advanceTo(targetNs: number): void {
    if (!(targetNs <= MAX_VIRTUAL_NS))
      throw new RangeError(`virtual time ${targetNs} ns is past the last exact time, ${MAX_VIRTUAL_NS} ns`);
    for (;;) {
      const next = this.#nextDue(targetNs);
      if (!next) break;
      this.#now = next.at;
      next.pending = false;
      next.callback();
    }
    this.#timers = this.#timers.filter((t) => t.pending);
    if (targetNs > this.#now) this.#now = targetNs;
  }

  /** When the next pending timer falls due, or undefined when none is waiting. */
  nextDue(): number | undefined {
    return this.#nextDue(Number.POSITIVE_INFINITY)?.at;
  }

  /** Number of timers still waiting. */
  get pendingTimers(): number {
    return this.#timers.filter((t) => t.pending).length;
  }

  #nextDue(limit: number): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers) {
      if (!t.pending || t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
