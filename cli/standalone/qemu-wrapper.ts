// Entry of bin/mdio-emu-qemu.js: what a LAVA worker's QEMU device runs in place of qemu-system-aarch64
// (docs/scale-out.md). Its arguments are QEMU's; it must not parse them as an mdio-emu command line.
import { runLavaWorker } from '../../src/lava/worker.js';

let stop: (() => void) | undefined;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const)
  process.on(signal, () => {
    // Once QEMU runs, ending it lets the run end and say so; before, there is nothing to wait for.
    if (stop) stop();
    else process.exit(128 + (signal === 'SIGHUP' ? 1 : signal === 'SIGINT' ? 2 : 15));
  });
process.exitCode = await runLavaWorker(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  onStop: (s) => {
    stop = s;
  },
});
