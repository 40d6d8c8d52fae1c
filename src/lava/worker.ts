import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Writable } from 'node:stream';
import { EnvironmentError, InputError } from '../diagnostics/index.js';
import { spawnGuest } from '../qemu/guest-spawn.js';
import { qemuBinary, usbRedirArgs } from '../qemu/machine.js';
import { loadQemuBoard } from '../qemu/qemu-scenario.js';
import { serveUsbDevices } from '../qemu/usb-serve.js';
import { renderReportHtml } from '../scenario/report-html.js';
import { readScenarioFile } from '../scenario/load.js';
import { failureLines, resultLines } from './console-protocol.js';
import { RUN_SPEC_OPTION } from './job.js';
import { parseRunSpec } from './run-spec.js';

export interface WorkerIo {
  stdout: Writable;
  stderr: Writable;
  /** The real QEMU (default: qemu-system-aarch64 on PATH). */
  qemu?: string;
  /** Signals that end the run (LAVA ends a job's QEMU with SIGTERM or a hang-up of its terminal). */
  onStop?: (stop: () => void) => void;
}

/** The value after an option in QEMU's argument list, and the list without the two. */
function takeOption(args: readonly string[], option: string): { value?: string; rest: string[] } {
  const i = args.indexOf(option);
  if (i < 0) return { rest: [...args] };
  const value = args[i + 1];
  if (value === undefined) throw new InputError('LAVA002', `${option} needs a file`);
  return { value, rest: [...args.slice(0, i), ...args.slice(i + 2)] };
}

/**
 * What a LAVA worker's QEMU device runs in place of qemu-system-aarch64 (bin/mdio-emu-qemu.js): with the run
 * spec option it serves the scenario's USB devices on UNIX sockets, adds them to QEMU's command line, runs
 * the scenario against the guest through the same GuestSession as the local runner (the timeline is the
 * guest's own kernel log, read from the console this process sits on), passes the console through to LAVA,
 * and prints the result block the job's monitor reads. Without it, it is QEMU. Returns the exit status.
 */
export async function runLavaWorker(argv: readonly string[], io: WorkerIo): Promise<number> {
  const qemu = io.qemu ?? qemuBinary;
  const { value: specFile, rest: qemuArgs } = takeOption(argv, RUN_SPEC_OPTION);
  if (specFile === undefined) return passThrough(qemu, qemuArgs, io);
  const start = performance.now();
  const hostMs = (): number => performance.now() - start;
  const say = (line: string): void => {
    io.stderr.write(`mdio-emu-lava: ${line}\n`);
  };
  const work = await mkdtemp(join(tmpdir(), 'mdio-emu-lava-'));
  const reportDir = join(dirname(specFile), 'mdio-emu-report');
  const cleanup: (() => void | Promise<void>)[] = [];
  try {
    const spec = parseRunSpec(await readFile(specFile, 'utf8'), specFile);
    await mkdir(reportDir, { recursive: true });
    const scenarioFile = join(work, `${spec.scenario}.scenario.json`);
    await writeFile(join(work, 'scenario.dts'), spec.dts);
    await writeFile(scenarioFile, JSON.stringify({ ...spec.scenarioJson, dts: 'scenario.dts' }, null, 2));
    const board = loadQemuBoard(readScenarioFile(scenarioFile), { outDir: reportDir, hostMs });
    cleanup.push(() => {
      board.close();
    });
    await checkMachine(qemuArgs, board.loaded.tree.dtb);
    // QEMU listens and the emulator connects when QEMU says it waits, as in the local runner: the guest starts
    // only once every device's link is up, and the emulator's reads take the faster path (usbredir-links.ts).
    const usb = await serveUsbDevices(
      board.loaded.board,
      board.devices,
      { socketDir: work, pcapDir: reportDir },
      { qemuListens: true, onLinkError: say },
    );
    cleanup.push(() => usb.close());
    const args = [...qemuArgs, ...usbRedirArgs(usb.attachments)];
    say(`${spec.scenario} on ${spec.kernel.name}: ${qemu} ${args.join(' ')}`);
    // The console goes on to LAVA as it comes; LAVA's own input is not forwarded: the guest's agent takes its
    // steps from the session, and nothing else may type into it.
    const { session, process: guest } = spawnGuest(
      qemu,
      args,
      board,
      {
        hostMs,
        onProgress: say,
        ...(spec.kernel.release === undefined ? {} : { kernelRelease: spec.kernel.release }),
      },
      {
        stdout: (c) => io.stdout.write(c),
        stderr: (c) => {
          usb.qemuStderr(c);
          io.stderr.write(c);
        },
      },
      { qmpSocket: join(work, 'qmp.sock') },
    );
    cleanup.push(() => {
      session.stop();
    });
    // LAVA's own timeout or a cancelled job: the run ends as interrupted (not a verdict on the kernel), QEMU is
    // killed, and the report of what was gathered still goes to the console.
    io.onStop?.(() => {
      session.interrupt('stopped by the LAVA worker (a signal to the wrapper)');
    });
    const exit = await session.run(guest);
    const files = {
      report: join(reportDir, 'report.json'),
      html: join(reportDir, 'report.html'),
      console: join(reportDir, 'console.log'),
      trace: join(reportDir, 'guest-trace.txt'),
    };
    await writeFile(files.console, session.consoleText());
    await writeFile(files.trace, session.traceLines.join('\n') + '\n');
    const report = session.report({
      kernelName: spec.kernel.name,
      ...(spec.kernel.release === undefined ? {} : { kernelRelease: spec.kernel.release }),
      // Named as the collected copy will have them, next to its report.json.
      files: Object.fromEntries(Object.entries(files).map(([k, f]) => [k, basename(f)])),
      attachments: usb.attachments.map((a) => ({
        ...a,
        ...(a.pcapPath ? { pcapPath: basename(a.pcapPath) } : {}),
      })),
    });
    await writeFile(files.report, JSON.stringify(report, null, 2) + '\n');
    await writeFile(files.html, renderReportHtml(report));
    say(report.verdict);
    io.stdout.write(`\n${resultLines(report).join('\n')}\n`);
    return exit.code ?? 1;
  } catch (err) {
    // A job whose emulator side cannot start says so as a failed case, rather than leaving LAVA to time out.
    say(`cannot run: ${(err as Error).message}`);
    io.stdout.write(`\n${failureLines().join('\n')}\n`);
    return 1;
  } finally {
    for (const c of cleanup.reverse()) await c();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The machine LAVA starts must be the one the job's tree was composed for: the qemu-xhci the USB devices sit
 * on, and the booted DTB the very one the board was built from (otherwise the guest probes one tree and the
 * emulator serves another).
 */
async function checkMachine(args: readonly string[], dtb: Uint8Array): Promise<void> {
  if (!args.some((a) => a.startsWith('qemu-xhci,id=xhci')))
    throw new EnvironmentError(
      'LAVA003',
      "the device's QEMU options have no qemu-xhci,id=xhci: use the mdio-emu device dictionary (docs/scale-out.md)",
    );
  const dtbFile = takeOption(args, '-dtb').value;
  if (dtbFile === undefined) throw new InputError('LAVA004', 'the job boots no -dtb');
  const booted = await readFile(dtbFile);
  if (!booted.equals(Buffer.from(dtb)))
    throw new InputError(
      'LAVA004',
      `${dtbFile} is not the tree of the run spec: the job's DTB and run spec come from different generations`,
      { where: dtbFile },
    );
}

/** Plain QEMU for jobs without a scenario: the device stays usable for anything else. */
function passThrough(qemu: string, args: readonly string[], io: WorkerIo): Promise<number> {
  const child = spawn(qemu, args, { stdio: 'inherit' });
  io.onStop?.(() => child.kill('SIGTERM'));
  return new Promise((done) => {
    child.on('error', (err) => {
      io.stderr.write(`mdio-emu-qemu: could not start ${qemu}: ${err.message}\n`);
      done(127);
    });
    child.on('close', (code) => {
      done(code ?? 1);
    });
  });
}
