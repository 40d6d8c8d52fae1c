import { openSync, writeSync, closeSync } from 'node:fs';
import type { Clock } from '../clock.js';
import { PcapRecorder } from './pcap.js';

/**
 * A pcap tap that writes to a file as frames arrive (synchronous writes: a capture is complete up to the
 * last frame even if the process is killed). Close it to release the file.
 */
export function openPcapFile(
  path: string,
  clock: Pick<Clock, 'now'>,
  snaplen?: number,
): PcapRecorder & { close(): void } {
  const fd = openSync(path, 'w');
  const recorder = new PcapRecorder({
    clock,
    write: (chunk) => void writeSync(fd, chunk),
    ...(snaplen !== undefined ? { snaplen } : {}),
  });
  let open = true;
  return Object.assign(recorder, {
    close(): void {
      if (open) closeSync(fd);
      open = false;
    },
  });
}
