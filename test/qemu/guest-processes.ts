import { readdirSync, readFileSync } from 'node:fs';
import { qemuBinary } from '../../src/qemu/machine.js';

/** QEMU processes whose command line mentions `text` (a run's report directory: only that run's QEMU does). */
export function qemuMentioning(text: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (cmdline.startsWith(qemuBinary) && cmdline.includes(text)) out.push(Number(pid));
    } catch {
      // gone meanwhile
    }
  }
  return out.filter((p) => p !== process.pid);
}
