import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { RunReport } from '../scenario/report.js';
import { renderReportHtml } from '../scenario/report-html.js';
import { spawnGuest } from './guest-spawn.js';
import { interruption } from './interrupt.js';
import { qemuBinary, runArgs } from './machine.js';
import { composeQemuScenario, guestAppend } from './qemu-scenario.js';
import { serveUsbDevices } from './usb-serve.js';

export interface QemuRunOptions {
  kernel: string;
  modulesDir: string;
  scenarioFile: string;
  reportDir: string;
  /** How the report names the kernel (`6.1`, `base`, `patched`); defaults to the image path. */
  kernelName?: string;
  /** The kernel's release, for known bugs (read from the modules' vermagic when absent). */
  kernelRelease?: string;
  /** Guest tools archive for `run` steps (ethtool); built on demand when absent. */
  guestTools?: string;
  /** How long a silent guest may go unheard before the run ends as frozen (GuestSessionOptions). */
  freezeAfterMs?: number | false;
  /**
   * Stops the run (SIGINT): once the guest runs, it ends as interrupted, QEMU is killed and the report of what
   * was gathered is written; before, nothing was gathered and InterruptedError is thrown.
   */
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** Boots the guest under QEMU against the emulated devices, runs the scenario with the one engine, writes the report. */
export async function runQemuScenario(o: QemuRunOptions): Promise<RunReport> {
  const progress = o.onProgress ?? (() => {});
  const { signal } = o;
  if (signal?.aborted) throw interruption(signal);
  await mkdir(o.reportDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'mdio-emu-qemu-'));
  const start = performance.now();
  const hostMs = (): number => performance.now() - start;
  const cleanup: (() => void | Promise<void>)[] = [];
  try {
    const composed = await composeQemuScenario({
      scenarioFile: o.scenarioFile,
      modulesDir: o.modulesDir,
      outDir: o.reportDir,
      workDir: work,
      hostMs,
      onProgress: progress,
      ...(o.guestTools === undefined ? {} : { guestTools: o.guestTools }),
    });
    cleanup.push(() => {
      composed.close();
    });
    const usb = await serveUsbDevices(
      composed.loaded.board,
      composed.devices,
      { socketDir: work, pcapDir: o.reportDir },
      { qemuListens: true, onLinkError: progress },
    );
    cleanup.push(() => usb.close());
    const files = {
      report: join(o.reportDir, 'report.json'),
      html: join(o.reportDir, 'report.html'),
      console: join(o.reportDir, 'console.log'),
      trace: join(o.reportDir, 'guest-trace.txt'),
      init: composed.files.init,
      dtb: composed.files.dtb,
      ...(composed.files.firmware === undefined ? {} : { firmware: composed.files.firmware }),
    };

    if (signal?.aborted) throw interruption(signal);
    const args = runArgs({
      kernel: o.kernel,
      initrd: composed.files.initramfs,
      dtb: composed.files.dtb,
      append: guestAppend,
      usb: usb.attachments,
    });
    progress(`booting: ${qemuBinary} ${args.join(' ')}`);
    const { session, process: guest } = spawnGuest(
      qemuBinary,
      args,
      composed,
      {
        hostMs,
        onProgress: progress,
        ...(o.kernelRelease === undefined ? {} : { kernelRelease: o.kernelRelease }),
        ...(o.freezeAfterMs === undefined ? {} : { freezeAfterMs: o.freezeAfterMs }),
      },
      { stderr: (c) => usb.qemuStderr(c) },
      { qmpSocket: join(work, 'qmp.sock') },
    );
    cleanup.push(() => {
      session.stop();
    });
    if (signal) {
      const stop = (): void => {
        session.interrupt(interruption(signal).detail);
      };
      signal.addEventListener('abort', stop, { once: true });
      cleanup.push(() => {
        signal.removeEventListener('abort', stop);
      });
      if (signal.aborted) stop();
    }
    await session.run(guest);
    await writeFile(files.console, session.consoleText());
    await writeFile(files.trace, session.traceLines.join('\n') + '\n');
    const report = session.report({
      kernelName: o.kernelName ?? o.kernel,
      ...(o.kernelRelease === undefined ? {} : { kernelRelease: o.kernelRelease }),
      files,
      attachments: usb.attachments,
    });
    await writeFile(files.report, JSON.stringify(report, null, 2) + '\n');
    await writeFile(files.html, renderReportHtml(report));
    return report;
  } finally {
    for (const c of cleanup.reverse()) await c();
    await rm(work, { recursive: true, force: true });
  }
}
