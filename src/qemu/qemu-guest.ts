import type { GuestDriver } from '../scenario/engine.js';
import type { Step } from '../scenario/types.js';

/**
 * A real kernel under QEMU as the engine's guest. Steps go to the guest's agent as console input (`s N`); time
 * is the guest's own, read from the timestamps of its kernel log (the agent's heartbeat keeps it moving), so
 * every wait the engine asks for is measured in guest time.
 */
export class QemuGuest implements GuestDriver {
  #now = 0;
  #timers: { t: number; callback: () => void }[] = [];

  constructor(private readonly send: (line: string) => void) {}

  now(): number {
    return this.#now;
  }

  startStep(step: Step): void {
    this.send(`s ${step.index}`);
  }

  wakeAt(t: number, callback: () => void): void {
    if (t <= this.#now) {
      queueMicrotask(callback);
      return;
    }
    this.#timers.push({ t, callback });
  }

  /** The guest's clock has reached `t` (ms since boot): fires the timers that fell due, in time order. */
  advance(t: number): void {
    if (t <= this.#now) return;
    this.#now = t;
    const due = this.#timers.filter((x) => x.t <= t).sort((a, b) => a.t - b.t);
    if (due.length === 0) return;
    this.#timers = this.#timers.filter((x) => x.t > t);
    for (const d of due) d.callback();
  }

  finish(): void {
    this.send('f');
  }
}
