import { readdir, readFile } from 'node:fs/promises';

/** What Linux's /proc tells of a process now: its state, its CPU time and its threads' waits for a CPU. */
export interface ProcessSample {
  /** `R` running, `S` sleeping, `D` in uninterruptible wait, `T` stopped by a signal, `Z` exited... */
  state: string;
  /** CPU time of all its threads so far (ms). */
  cpuMs: number;
  /** Per thread id: time spent runnable but waiting for a CPU so far (ms). */
  runQueueMs: Map<string, number>;
}

/**
 * Reads /proc/PID/stat and each thread's schedstat (kernel/sched/stats.c: time on a CPU, time waiting on a
 * run queue, both in ns). Undefined where there is no /proc or no schedstat (another OS, a process gone).
 */
export async function sampleProcess(pid: number): Promise<ProcessSample | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces or parentheses: the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    let cpuNs = 0;
    const runQueueMs = new Map<string, number>();
    for (const tid of await readdir(`/proc/${pid}/task`)) {
      let fields: string[];
      try {
        fields = (await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8')).trim().split(/\s+/);
      } catch {
        continue; // the thread ended between the listing and the read
      }
      cpuNs += Number(fields[0] ?? 0);
      runQueueMs.set(tid, Number(fields[1] ?? 0) / 1e6);
    }
    return { state, cpuMs: cpuNs / 1e6, runQueueMs };
  } catch {
    return undefined;
  }
}
