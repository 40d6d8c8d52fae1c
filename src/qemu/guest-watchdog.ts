/**
 * Whether a guest has frozen without a word: no heartbeat and no other console output for a while. A silent
 * freeze (a TPS23881 unbind once froze Linux 7.2 without any report) otherwise costs the run its whole
 * deadline. The agent's heartbeat comes every 200 ms of guest time, but a busy host delays it by seconds: what
 * counts is how long the guest could have spoken and did not, so the time QEMU's threads (and ours, which
 * read the console) spent waiting for a CPU is not counted as silence. A QEMU stopped by a signal or a guest
 * idle in a deadlock waits for no CPU: all of its silence counts.
 *
 * Pure: the caller samples the host (src/qemu/process-sample.ts) and supplies the time.
 */

/** One look at the host: when, and how long each thread has waited for a CPU so far. */
export interface HostSample {
  /** Host milliseconds (monotonic). */
  atMs: number;
  /**
   * Per thread (any key: `qemu/1234`, `self`), milliseconds spent runnable but waiting for a CPU since the
   * thread started (Linux schedstat); undefined where the host does not tell, so all silence counts.
   */
  runQueueMs?: ReadonlyMap<string, number>;
  /** CPU time QEMU has used so far (ms): a spinning guest burns it, an idle or stopped one does not. */
  qemuCpuMs?: number;
}

/** The silence that counts as a freeze (ms the guest could have run). Measured in docs/guest-kernel.md. */
export const DEFAULT_FREEZE_AFTER_MS = 30_000;

export interface FreezeFinding {
  /** Wall time since the last output (ms). */
  silentMs: number;
  /** Of that, the time the guest could have run (wall minus the longest wait for a CPU). */
  runnableMs: number;
  /** The longest wait for a CPU of any thread meanwhile (ms). */
  starvedMs: number;
  /** CPU time QEMU used meanwhile (ms), when known. */
  qemuCpuMs?: number;
}

export class HeartbeatWatchdog {
  #heardAt: number | undefined;
  #longest = { silentMs: 0, runnableMs: 0 };
  /** Samples from the newest one at or before the last output onwards: the baseline and what followed. */
  #samples: HostSample[] = [];

  constructor(readonly freezeAfterMs: number = DEFAULT_FREEZE_AFTER_MS) {
    if (!(freezeAfterMs > 0)) throw new RangeError(`freezeAfterMs must be positive, got ${freezeAfterMs}`);
  }

  /**
   * The longest silence seen so far (sampled), in wall time and in time the guest could have run: how close a
   * run came to being judged frozen (the report keeps it; docs/guest-kernel.md has the measurements).
   */
  get longest(): { silentMs: number; runnableMs: number } {
    return { ...this.#longest };
  }

  /** When the guest last printed anything (host ms), once armed. */
  get lastHeardMs(): number | undefined {
    return this.#heardAt;
  }

  /** Starts watching (the agent is up, so its heartbeat must follow); silence counts from `atMs`. */
  arm(atMs: number): void {
    this.#heardAt ??= atMs;
  }

  /** The guest printed something at `atMs`. */
  heard(atMs: number): void {
    if (this.#heardAt === undefined) return;
    this.#heardAt = Math.max(this.#heardAt, atMs);
  }

  /** A periodic look at the host: a finding once the guest has been silent too long while it could have run. */
  sample(s: HostSample): FreezeFinding | undefined {
    // Kept before arming too: the newest then is the baseline of the first silence.
    this.#samples.push(s);
    const heardAt = this.#heardAt;
    // The baseline is the newest sample taken at or before the last output (or the oldest after it).
    while (this.#samples.length > 1 && (this.#samples[1]?.atMs ?? Infinity) <= (heardAt ?? Infinity))
      this.#samples.shift();
    if (heardAt === undefined) return undefined;
    const base = this.#samples[0] ?? s;
    const silentMs = s.atMs - heardAt;
    const starvedMs = longestWait(base.runQueueMs, s.runQueueMs);
    const runnableMs = silentMs - starvedMs;
    this.#longest = {
      silentMs: Math.max(this.#longest.silentMs, silentMs),
      runnableMs: Math.max(this.#longest.runnableMs, runnableMs),
    };
    if (runnableMs < this.freezeAfterMs) return undefined;
    return {
      silentMs,
      runnableMs,
      starvedMs,
      ...(s.qemuCpuMs !== undefined && base.qemuCpuMs !== undefined
        ? { qemuCpuMs: Math.max(0, s.qemuCpuMs - base.qemuCpuMs) }
        : {}),
    };
  }
}

/**
 * The longest any one thread waited for a CPU between two samples. Not the sum: threads wait side by side,
 * and the guest's progress is held up by the one that waited longest. A thread new since `from` counts all
 * of its waiting; without both samples nothing is discounted.
 */
function longestWait(
  from: ReadonlyMap<string, number> | undefined,
  to: ReadonlyMap<string, number> | undefined,
): number {
  if (!to || !from) return 0;
  let longest = 0;
  for (const [thread, ms] of to) longest = Math.max(longest, ms - (from.get(thread) ?? 0));
  return longest;
}
