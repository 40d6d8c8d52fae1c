import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { BoardEvent } from '../board/events.js';
import type { PhyHardwareEvent } from '../board/verify-target.js';
import { ms, NS_PER_MS, VirtualClock } from '../clock.js';
import { InputError } from '../diagnostics/index.js';
import { readDtb } from '../dts/dtb-read.js';
import { printDts } from '../dts/print.js';
import { nodePath, walk } from '../dts/tree.js';
import type { FrameReceiver } from '../net/frame.js';
import { openPcapFile } from '../net/pcap-file.js';
import { ScenarioEngine } from '../scenario/engine.js';
import type { FinalObservations, Verdict } from '../scenario/expectations.js';
import { loadScenarioBoard, readScenarioFile } from '../scenario/load.js';
import { buildReport, isLoggedBoardEvent, type RunReport } from '../scenario/report.js';
import { mdioBusKind } from '../bindings/mdio.js';
import { findNodeByPath } from '../dts/tree.js';
import { dumpVirtDtb } from './base-dtb.js';
import { ConsoleParser, type AgentBlock } from './console.js';
import { parseCommand, parseGuestTrace, parseHexLines, parseSnapshot } from './guest-observations.js';
import { readGuestModules } from './guest-modules.js';
import { generateInitScript } from './init-script.js';
import { buildInitramfs, guestToolsArchive, readAgentScript } from './initramfs.js';
import { KernelLogReader, type KmsgRecord } from './kernel-log.js';
import { qemuBinary, runArgs, usb2PortForReg, xhciNodePath } from './machine.js';
import { classifyPseAttach, sanitizerFinding } from './pse-behaviour.js';
import { QemuGuest } from './qemu-guest.js';
import { QemuUsbredirLinks } from './usbredir-links.js';
import { verifyGuestTrace, type GuestReplayResult, type ServedAccess } from './replay-check.js';
import { renderReportHtml } from '../scenario/report-html.js';

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
  onProgress?: (message: string) => void;
}

/**
 * The kernel command line: a quiet console (the agent copies /dev/kmsg, with timestamps and device names,
 * and a dying kernel still prints everything there: die() calls console_verbose()), no rate limit on the
 * agent's own kmsg lines, every deferred probe logged by drivers/base/dd.c's dynamic debug, no reboot loop.
 */
const APPEND = [
  'console=ttyAMA0',
  'loglevel=1',
  'printk.time=1',
  'printk.devkmsg=on',
  'panic=-1',
  'dyndbg="file drivers/base/dd.c +p"',
].join(' ');

/** How often the board's clock follows the wall clock while the guest runs (autoneg timers fire on it). */
const BOARD_TICK_MS = 5;
/** After the guest is told to finish: how long it may take to dump its traces and power off (wall time). */
const FINISH_GRACE_MS = 60_000;

/** Boots the guest under QEMU against the emulated devices, runs the scenario with the one engine, writes the report. */
export async function runQemuScenario(o: QemuRunOptions): Promise<RunReport> {
  const progress = o.onProgress ?? (() => {});
  const file = readScenarioFile(o.scenarioFile);
  await mkdir(o.reportDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'mdio-emu-qemu-'));
  const start = performance.now();
  const hostMs = (): number => performance.now() - start;
  let usbredirLinks: QemuUsbredirLinks | undefined;
  const pcaps: { close(): void }[] = [];
  let pacer: ReturnType<typeof setInterval> | undefined;
  try {
    progress(`composing the device tree (${file.dtsFile})`);
    const baseDtb = await dumpVirtDtb();
    const baseDts = printDts(readDtb(baseDtb, { fileName: 'qemu-virt.dtb' })).replace(/^\/dts-v1\/;\s*/, '');
    const clock = new VirtualClock();
    const syncClock = (): void => clock.advanceTo(Math.max(clock.now(), ms(hostMs())));
    const pcapFiles: Record<string, string> = {};
    const frameTap = (path: string): FrameReceiver => {
      const f = join(o.reportDir, `eth${Object.keys(pcapFiles).length}.pcap`);
      pcapFiles[path] = f;
      const pcap = openPcapFile(f, { now: () => Math.round(hostMs() * 1e6) });
      pcaps.push(pcap);
      return pcap;
    };
    const loaded = loadScenarioBoard(file, {
      guest: 'real-kernel',
      clock,
      base: { name: 'qemu-virt.dtsi', dts: baseDts },
      beforeDeviceAccess: syncClock,
      frameTap,
    });
    const { board, scenario } = loaded;
    const devices = board.usb.map((d) => {
      const port = d.reg === undefined ? undefined : usb2PortForReg(d.reg);
      if (
        !d.path.startsWith(`${xhciNodePath}/`) ||
        d.path.slice(xhciNodePath.length + 1).includes('/') ||
        port === undefined
      )
        throw new InputError(
          'QEMU1001',
          `${d.path}: a USB device for QEMU sits under ${xhciNodePath} with reg = the xHCI raw port of a USB2 port (5 to 8 on qemu-xhci), got ${d.reg ?? 'none'}`,
          { where: d.path },
        );
      return { ...d, device: d, port };
    });
    // A device whose first USB step plugs it in starts unplugged.
    for (const d of board.usb) {
      const first = scenario.steps.find(
        (s) =>
          (s.action.kind === 'usb-connect' || s.action.kind === 'usb-disconnect') &&
          s.action.device === d.path,
      );
      if (first?.action.kind === 'usb-connect') d.setAttached(false);
    }

    const modules = await readGuestModules(o.modulesDir);
    const init = generateInitScript({
      scenario,
      agent: await readAgentScript(),
      modules,
      watchPaths: addedNodePaths(baseDtb, loaded.tree.tree),
      eepromReads: scenario.expect.flatMap((e) =>
        e.kind === 'eeprom-contents' ? [{ path: e.eeprom, length: e.length ?? 256 }] : [],
      ),
    });
    const files = {
      init: join(o.reportDir, 'init'),
      dtb: join(o.reportDir, 'scenario.dtb'),
      initramfs: join(work, 'initramfs.cpio.gz'),
      console: join(o.reportDir, 'console.log'),
      trace: join(o.reportDir, 'guest-trace.txt'),
      report: join(o.reportDir, 'report.json'),
      html: join(o.reportDir, 'report.html'),
    };
    await writeFile(files.init, init, { mode: 0o755 });
    await writeFile(files.dtb, loaded.tree.dtb);
    progress('packing the initramfs');
    const needsTools = scenario.steps.some((s) => s.action.kind === 'run');
    await buildInitramfs({
      initFile: files.init,
      modules: [...modules.values()].map((m) => join(o.modulesDir, m.file)),
      out: files.initramfs,
      extraArchives: needsTools ? [o.guestTools ?? (await guestToolsArchive())] : [],
    });

    // QEMU listens on each device's socket and we connect (usbredir-links.ts: why).
    const attachments = devices.map((d, i) => ({
      id: String(i),
      socketPath: join(work, `usb${i}.sock`),
      port: d.port,
      qemuListens: true,
      pcapPath: join(o.reportDir, `usb${i}.pcap`),
    }));
    const usbLinks = new QemuUsbredirLinks(
      devices.map((d, i) => ({
        socketPath: join(work, `usb${i}.sock`),
        device: d.model,
        attached: d.device.attached,
      })),
      (path, e) => progress(`usb-redir: could not connect to QEMU at ${path}: ${e.message}`),
    );
    usbredirLinks = usbLinks;
    board.events.on((e) => {
      if (e.type !== 'usb.attach') return;
      const link = usbLinks.links[devices.findIndex((d) => d.path === e.device)];
      if (e.attached) link?.attach();
      else link?.detach();
    });

    const args = runArgs({
      kernel: o.kernel,
      initrd: files.initramfs,
      dtb: files.dtb,
      append: APPEND,
      usb: attachments,
    });
    progress(`booting: ${qemuBinary} ${args.join(' ')}`);
    const child = spawn(qemuBinary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const guest = new QemuGuest((line) => {
      if (child.stdin.writable) child.stdin.write(`${line}\n`);
    });
    const engine = new ScenarioEngine(scenario, board, guest, {
      ...(o.kernelRelease === undefined ? {} : { kernelRelease: o.kernelRelease }),
      onProgress: progress,
    });
    const obs = new Observer(engine, guest, hostMs);
    board.events.on((e) => {
      obs.hardware(e);
    });
    pacer = setInterval(syncClock, BOARD_TICK_MS);
    const consoleChunks: string[] = [];
    const parser = new ConsoleParser(obs);
    obs.parser = parser;
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      consoleChunks.push(c);
      parser.push(c);
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      consoleChunks.push(c);
      usbLinks.stderr(c);
    });
    const exited = new Promise<{ code: number | null; signal: string | null; error?: string }>((done) => {
      child.on('error', (err) => {
        done({ code: null, signal: null, error: err.message });
      });
      child.on('close', (code, signal) => {
        done({ code, signal });
      });
    });
    child.stdin.on('error', () => undefined);
    const deadline = setTimeout(() => {
      engine.deadline();
    }, scenario.deadlineMs);
    const outcome = await Promise.race([
      engine.whenEnded().then(() => 'ended' as const),
      exited.then(() => 'exited' as const),
    ]);
    clearTimeout(deadline);
    if (outcome === 'ended' && !obs.crashed && engine.endReason !== 'deadline') {
      progress('collecting the guest traces');
      guest.finish();
      const grace = setTimeout(() => child.kill('SIGKILL'), FINISH_GRACE_MS);
      await exited;
      clearTimeout(grace);
    } else if (outcome === 'ended') {
      child.kill('SIGKILL');
    }
    const exit = await exited;
    parser.end();
    obs.flush();
    if (exit.error !== undefined) engine.guestStopped(`could not start ${qemuBinary}: ${exit.error}`);
    else
      engine.guestStopped(
        `the guest stopped (QEMU exit ${exit.code ?? exit.signal}) before the run was over; see console.log`,
      );
    clearInterval(pacer);
    await writeFile(files.console, consoleChunks.join(''));
    await writeFile(files.trace, obs.traceLines.join('\n') + '\n');

    // The guest's own trace times the MDIO accesses exactly: expectations about them are judged on it.
    const served = obs.served;
    const hwEvents = obs.phyEvents;
    let replay: GuestReplayResult | undefined;
    const replayed = (): GuestReplayResult =>
      (replay ??= verifyGuestTrace(loaded.tree.tree, obs.traceLines, served, hwEvents));
    const guestTrace = parseGuestTrace(obs.traceLines);
    const guestMdio = guestTrace.filter((g) => g.kind === 'mdio');
    if (guestMdio.length === served.length && guestMdio.length > 0) {
      const byPhy = new Map<string, number[]>();
      served.forEach((s, i) => {
        const phy = board.busAt(s.bus)?.phys.find((p) => p.address === s.addr)?.path;
        const g = guestMdio[i];
        if (phy === undefined || !g) return;
        byPhy.set(phy, [...(byPhy.get(phy) ?? []), g.ts * 1000]);
      });
      engine.log.retimeAccesses(byPhy);
    }
    const final: FinalObservations = {
      ...obs.final(),
      tracesAgree: () => tracesAgree(guestTrace, served),
      replayVerify: () => replayVerdict(replayed),
      eeprom: (node) => ({
        read: obs.eeproms.get(node),
        model: board.usb
          .find((d) => d.eeproms.has(node))
          ?.eeproms.get(node)
          ?.contents(),
      }),
      guestFrames: (node) => {
        const peer = board.usbAt(node)?.peer;
        return peer ? { ...peer.counts } : undefined;
      },
    };
    const result = engine.result(final);
    const links = pseLinks(loaded.tree.tree, board.bindings.links);
    const report = buildReport({
      scenario,
      scenarioFile: loaded.file,
      guest: {
        kind: 'qemu',
        kernel: o.kernelName ?? o.kernel,
        ...(o.kernelRelease === undefined ? {} : { release: o.kernelRelease }),
      },
      result,
      log: engine.log,
      wallMs: hostMs(),
      files: {
        report: files.report,
        html: files.html,
        console: files.console,
        trace: files.trace,
        init: files.init,
        dtb: files.dtb,
        ...Object.fromEntries(
          attachments.map((a) => [`usbredir ${devices[Number(a.id)]?.path ?? a.id}`, a.pcapPath]),
        ),
        ...Object.fromEntries(Object.entries(pcapFiles).map(([path, f]) => [`ethernet ${path}`, f])),
      },
      details: {
        qemuExit: exit,
        pseAttach: links.map((l) => classifyPseAttach(l, engine.log)),
        sanitizers: sanitizerFinding(engine.log),
        commands: [...engine.log.commands.values()],
        snapshots: obs.snapshots,
        eeproms: Object.fromEntries(
          [...obs.eeproms].map(([path, bytes]) => [path, Buffer.from(bytes).toString('hex')]),
        ),
        network: Object.fromEntries(
          board.usb.flatMap((d) =>
            d.peer
              ? [
                  [
                    d.path,
                    {
                      peer: d.peer.description,
                      guestFrames: { ...d.peer.counts },
                      replies: { ...d.peer.replies },
                    },
                  ],
                ]
              : [],
          ),
        ),
        replay: replay ?? null,
        // Every transaction as the emulator served it (board clock, ms): the density strips' source, and the
        // emulator's side of the latency bench.
        emulatorTrace: served.map((a) => ({ ...a, atNs: undefined, hostMs: a.atNs / NS_PER_MS })),
      },
    });
    await writeFile(files.report, JSON.stringify(report, null, 2) + '\n');
    await writeFile(files.html, renderReportHtml(report));
    return report;
  } finally {
    clearInterval(pacer);
    for (const p of pcaps) p.close();
    await usbredirLinks?.close();
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * Everything the console and the board report during a run, turned into the engine's events on the guest's
 * time axis. Hardware events happen on the host: they are placed on the guest's axis by the smallest
 * observed difference between the host time a kernel record arrived and its guest timestamp (the console's
 * latency only makes that difference larger, so the smallest is the best estimate).
 */
class Observer {
  readonly reader = new KernelLogReader();
  readonly traceLines: string[] = [];
  readonly eeproms = new Map<string, Uint8Array>();
  readonly snapshots: ReturnType<typeof parseSnapshot>[] = [];
  readonly served: ServedAccess[] = [];
  readonly phyEvents: PhyHardwareEvent[] = [];
  crashed = false;
  #offset: number | undefined;
  #pending: BoardEvent[] = [];
  #seen = new Set<string>();
  /** The console parser, whose open agent block a step's end completes. */
  parser: ConsoleParser | undefined;

  constructor(
    private readonly engine: ScenarioEngine,
    private readonly guest: QemuGuest,
    private readonly hostMs: () => number,
  ) {}

  kmsg(r: KmsgRecord): void {
    const t = r.tsUs / 1000;
    this.#seen.add(`${r.tsUs} ${r.text}`);
    const delta = this.hostMs() - t;
    if (this.#offset === undefined || delta < this.#offset) this.#offset = delta;
    if (this.#pending.length > 0) for (const e of this.#pending.splice(0)) this.hardware(e);
    this.guest.advance(t);
    const c = this.reader.push(r);
    const a = c.agent;
    if (a?.kind === 'up') this.engine.push(t, { type: 'guest.up' });
    else if (a?.kind === 'step' && a.phase === 'start')
      this.engine.push(t, { type: 'step.start', step: a.step });
    else if (a?.kind === 'step') {
      // The agent printed the step's command output before logging its end: that block is complete.
      this.parser?.flushBlock();
      const step = this.engine.scenario.steps[a.step];
      // A command's status is data (command-output checks it); any other guest act that fails fails its step.
      const ok = step?.action.kind === 'run' || a.rc === 0;
      const cmd = this.engine.log.commands.get(a.step);
      this.engine.push(t, {
        type: 'step.done',
        step: a.step,
        ok,
        ...(ok ? {} : { detail: `exit status ${a.rc}${cmd?.output[0] ? `: ${cmd.output[0]}` : ''}` }),
      });
    }
    for (const e of c.events) this.#guestEvent(t, e);
  }

  /** A line the kernel printed on the console itself: a crash's output that /dev/kmsg may never deliver. */
  consoleLine(tsUs: number, text: string): void {
    if (this.#seen.has(`${tsUs} ${text}`)) return;
    this.kmsg({ level: 0, seq: -1, tsUs, text, dict: new Map() });
  }

  block(b: AgentBlock): void {
    const t = this.guest.now();
    if (b.kind === 'command') {
      const c = parseCommand(b);
      this.engine.push(t, {
        type: 'guest.command',
        step: c.index,
        rc: c.rc,
        command: c.command,
        output: c.output,
      });
    } else if (b.kind === 'trace') this.traceLines.push(...b.lines);
    else if (b.kind === 'eeprom' && typeof b.fields.path === 'string')
      this.eeproms.set(b.fields.path, parseHexLines(b.lines));
    else if (b.kind === 'snapshot') this.snapshots.push(parseSnapshot(b));
  }

  hardware(e: BoardEvent): void {
    if (!isLoggedBoardEvent(e)) return;
    const atNs = 't' in e ? e.t : 0;
    if (e.type === 'mdio.read' || e.type === 'mdio.write')
      this.served.push({
        bus: e.bus,
        op: e.type === 'mdio.read' ? 'read' : 'write',
        addr: e.addr,
        reg: e.reg,
        value: e.value,
        atNs,
      });
    if (e.type === 'phy.reset' && e.kind === 'hard')
      this.phyEvents.push({ phy: e.phy, kind: 'hard-reset', atNs });
    if (e.type === 'phy.cable')
      this.phyEvents.push({ phy: e.phy, kind: e.plugged ? 'plug' : 'unplug', atNs });
    if (this.#offset === undefined) {
      this.#pending.push(e);
      return;
    }
    this.engine.push(atNs / NS_PER_MS - this.#offset, e);
  }

  flush(): void {
    for (const e of this.reader.flush()) this.#guestEvent(this.guest.now(), e);
  }

  final(): FinalObservations {
    return {
      psePort: (controller, port) =>
        this.engine.board.pseAt(controller)?.model.status(port).power ?? 'no such port',
    };
  }

  #guestEvent(t: number, e: ReturnType<KernelLogReader['flush']>[number]): void {
    if (e.type === 'guest.report' && e.fatal) this.crashed = true;
    this.engine.push(t, e);
  }
}

function tracesAgree(
  guestTrace: ReturnType<typeof parseGuestTrace>,
  served: readonly ServedAccess[],
): Verdict {
  const guest = guestTrace.filter((g) => g.kind === 'mdio');
  const n = Math.max(guest.length, served.length);
  const show = (x: { op: string; addr: number; reg: number; value: number } | undefined): string =>
    x ? `${x.op} phy:${x.addr} reg:${x.reg} val:0x${x.value.toString(16)}` : 'nothing';
  for (let i = 0; i < n; i++) {
    const g = guest[i];
    const m = served[i];
    if (!(g && m && g.op === m.op && g.addr === m.addr && g.reg === m.reg && g.value === m.value))
      return {
        status: 'failed',
        message: `transaction ${i} differs: guest ${show(g)}, emulator ${show(m)}`,
        observed: { guest: guest.length, emulator: served.length, firstDifference: i },
      };
  }
  if (n === 0) return { status: 'failed', message: 'neither side saw any MDIO transaction', observed: {} };
  return {
    status: 'held',
    message: `${n} transactions agree`,
    observed: { guest: guest.length, emulator: served.length },
  };
}

function replayVerdict(replay: () => GuestReplayResult): Verdict {
  let r: GuestReplayResult;
  try {
    r = replay();
  } catch (err) {
    return {
      status: 'failed',
      message: `the guest trace could not be replayed: ${(err as Error).message}`,
      observed: {},
    };
  }
  const observed = {
    checked: r.checked,
    reads: r.reads,
    busMap: r.busMap,
    differences: r.differences.slice(0, 20),
  };
  if (r.reads === 0) return { status: 'failed', message: 'the guest trace has no reads to verify', observed };
  if (r.differences.length > 0)
    return {
      status: 'failed',
      message: `${r.differences.length} of ${r.reads} reads differ, first: ${r.differences[0] ?? ''}`,
      observed,
    };
  return {
    status: 'held',
    message: `${r.checked} guest transactions replayed against fresh models: all ${r.reads} reads agree`,
    observed,
  };
}

/** Nodes the scenario added to QEMU's tree: the devices the agent reports on at start. */
function addedNodePaths(baseDtb: Uint8Array, tree: ReturnType<typeof readDtb>): string[] {
  const base = new Set<string>();
  walk(readDtb(baseDtb).root, (n) => base.add(nodePath(n)));
  const out: string[] = [];
  walk(tree.root, (n) => {
    const p = nodePath(n);
    if (!base.has(p) && !p.startsWith('/__')) out.push(p);
  });
  return out;
}

/**
 * PHY nodes with `pses`, the PSE controller each points at, and the device whose probe registers the bus:
 * the PHY's parent, or for a USB Ethernet MAC's `mdio` child (lan78xx.c) the MAC above it.
 */
function pseLinks(
  tree: ReturnType<typeof readDtb>,
  links: readonly { phy: string; controller: string }[],
): { phy: string; pse: string; adapter: string }[] {
  return links.flatMap((l) => {
    const bus = findNodeByPath(tree.root, l.phy)?.parent;
    if (!bus) return [];
    const owner = mdioBusKind(bus) === 'usb-ethernet' && bus.parent ? bus.parent : bus;
    return [{ phy: l.phy, pse: l.controller, adapter: nodePath(owner) }];
  });
}
