import type { BoardEvent } from '../board/events.js';
import type { PhyHardwareEvent } from '../board/verify-target.js';
import { mdioBusKind } from '../bindings/mdio.js';
import { NS_PER_MS } from '../clock.js';
import type { readDtb } from '../dts/dtb-read.js';
import { findNodeByPath, nodePath } from '../dts/tree.js';
import { ScenarioEngine } from '../scenario/engine.js';
import type { FinalObservations, Verdict } from '../scenario/expectations.js';
import { buildReport, isLoggedBoardEvent, type RunReport } from '../scenario/report.js';
import { ConsoleParser, type AgentBlock } from './console.js';
import { parseCommand, parseGuestTrace, parseHexLines, parseSnapshot } from './guest-observations.js';
import { KernelLogReader, type KmsgRecord } from './kernel-log.js';
import type { UsbRedirAttachment } from './machine.js';
import { DEFAULT_FREEZE_AFTER_MS, HeartbeatWatchdog, type FreezeFinding } from './guest-watchdog.js';
import { sampleProcess } from './process-sample.js';
import { qmpQuery } from './qmp.js';
import { classifyPseAttach, sanitizerFinding } from './pse-behaviour.js';
import { QemuGuest } from './qemu-guest.js';
import type { QemuBoard } from './qemu-scenario.js';
import { I2cRunLog, type I2cReplayResult } from './i2c-replay.js';
import { verifyGuestTrace, type GuestReplayResult, type ServedAccess } from './replay-check.js';

/** How often the board's clock follows the wall clock while the guest runs (autoneg timers fire on it). */
const BOARD_TICK_MS = 5;
/** After the guest is told to finish: how long it may take to dump its traces and power off (wall time). */
const FINISH_GRACE_MS = 60_000;
/** How often the watchdog looks at the host while the guest is silent. */
const WATCHDOG_TICK_MS = 1000;
/** How long a frozen guest's QEMU may take to answer for the evidence (a stopped QEMU answers nothing). */
const EVIDENCE_TIMEOUT_MS = 3000;
/** A console line that is only the agent's heartbeat: not worth quoting as the last thing the guest said. */
const HEARTBEAT_LINE = /mdio-emu: tick\s*$/;

/** How QEMU ended: its exit status or signal, or why it could not start. */
export interface QemuExit {
  code: number | null;
  signal: string | null;
  error?: string;
}

/** The running QEMU as the session sees it: the console's input, a way to stop it, and its end. */
export interface GuestProcess {
  /** The program, for messages. */
  program: string;
  kill(): void;
  exited: Promise<QemuExit>;
  /** Its process id (the watchdog reads its threads' waits for a CPU), once started. */
  pid?: number;
  /** Its QMP socket (src/qemu/qmp.ts), for the state and registers of a guest that froze. */
  qmpSocket?: string;
}

export interface GuestSessionOptions {
  /** Writes one line to the guest's console (the agent reads its steps there). */
  send: (line: string) => void;
  /** Host milliseconds since the run started. */
  hostMs: () => number;
  /** The kernel's release, for known bugs. */
  kernelRelease?: string;
  /**
   * How long the guest may say nothing (no heartbeat, no output) while it could run before the run ends as
   * frozen (ms; default DEFAULT_FREEZE_AFTER_MS); false: wait for the deadline.
   */
  freezeAfterMs?: number | false;
  onProgress?: (message: string) => void;
}

/** What the watchdog saw of a guest that froze, and what QEMU said of it (the report's `details.freeze`). */
export interface FreezeEvidence extends FreezeFinding {
  /** QEMU's process state (`T`: stopped by a signal), when the host tells. */
  qemuProcess?: string;
  /** QMP query-status: the VM's run state, or why there is none. */
  qemuStatus: string;
  /** QMP `info registers` of the vCPU, when QEMU answered. */
  registers?: string;
  /** The last console line before the silence that was not a heartbeat, and the guest's clock then (ms). */
  lastOutput?: string;
  guestMs: number;
  /** The guest froze before its agent came up: no heartbeat was due yet, only the kernel's own output. */
  booting?: true;
}

/** What the report says about where the run's files are and which kernel ran. */
export interface SessionReportOptions {
  kernelName: string;
  kernelRelease?: string;
  files: Record<string, string>;
  attachments: readonly UsbRedirAttachment[];
}

/**
 * One scenario run against a booted guest: the engine drives the guest's agent through its console and takes
 * the board's events and the guest's kernel log as one timeline. It knows nothing of how QEMU was started, so
 * the local runner and a LAVA worker (where QEMU is started by the dispatcher) share it.
 */
export class GuestSession {
  readonly engine: ScenarioEngine;
  readonly #guest: QemuGuest;
  readonly #obs: Observer;
  readonly #parser: ConsoleParser;
  readonly #console: string[] = [];
  readonly #composed: QemuBoard;
  readonly #o: GuestSessionOptions;
  readonly #i2c: I2cRunLog;
  #pacer: ReturnType<typeof setInterval> | undefined;
  #exit: QemuExit | undefined;
  readonly #watchdog: HeartbeatWatchdog | undefined;
  #watchTimer: ReturnType<typeof setInterval> | undefined;
  #lastLine = '';
  #partialLine = '';
  #freeze: FreezeEvidence | undefined;
  #agentUp = false;

  constructor(composed: QemuBoard, o: GuestSessionOptions) {
    this.#composed = composed;
    this.#o = o;
    const { board, scenario } = composed.loaded;
    this.#guest = new QemuGuest(o.send);
    this.engine = new ScenarioEngine(scenario, board, this.#guest, {
      ...(o.kernelRelease === undefined ? {} : { kernelRelease: o.kernelRelease }),
      onProgress: o.onProgress ?? (() => {}),
    });
    this.#obs = new Observer(this.engine, this.#guest, o.hostMs);
    const watchdog =
      o.freezeAfterMs === false
        ? undefined
        : new HeartbeatWatchdog(o.freezeAfterMs ?? DEFAULT_FREEZE_AFTER_MS);
    this.#watchdog = watchdog;
    // Once the agent is up its heartbeat keeps the console busy; before, only the kernel's own output does.
    this.#obs.onUp = () => {
      this.#agentUp = true;
      watchdog?.arm(o.hostMs());
    };
    this.#i2c = new I2cRunLog(board);
    board.events.on((e) => {
      this.#obs.hardware(e);
    });
    this.#pacer = setInterval(composed.syncClock, BOARD_TICK_MS);
    this.#parser = new ConsoleParser(this.#obs);
    this.#obs.parser = this.#parser;
  }

  /** Output of the guest's serial console. */
  consoleOutput(chunk: string): void {
    this.#watchdog?.heard(this.#o.hostMs());
    this.#console.push(chunk);
    const lines = (this.#partialLine + chunk).split('\n');
    this.#partialLine = (lines.pop() ?? '').slice(-1000);
    for (let i = lines.length - 1; i >= 0; i--) {
      const line = (lines[i] ?? '').trim();
      if (line && !HEARTBEAT_LINE.test(line)) {
        this.#lastLine = line;
        break;
      }
    }
    this.#parser.push(chunk);
  }

  /** QEMU's own messages: kept in the console log, not parsed. */
  qemuOutput(chunk: string): void {
    this.#console.push(chunk);
  }

  /** Everything the console and QEMU printed, in arrival order. */
  consoleText(): string {
    return this.#console.join('');
  }

  /** The guest's MDIO/I2C trace as its agent dumped it. */
  get traceLines(): readonly string[] {
    return this.#obs.traceLines;
  }

  /**
   * Runs the scenario to its end (or the deadline, or the guest's death), then lets the guest dump its traces
   * and power off; a guest that crashed or missed its deadline is killed.
   */
  async run(proc: GuestProcess): Promise<QemuExit> {
    const { scenario } = this.#composed.loaded;
    const engine = this.engine;
    const deadline = setTimeout(() => {
      engine.deadline();
    }, scenario.deadlineMs);
    this.#watch(proc);
    const outcome = await Promise.race([
      engine.whenEnded().then(() => 'ended' as const),
      proc.exited.then(() => 'exited' as const),
    ]);
    clearTimeout(deadline);
    clearInterval(this.#watchTimer);
    const reason = engine.endReason;
    // A guest that crashed, froze or ran out of time cannot finish; a user who stopped the run is not kept waiting.
    const kill = reason === 'deadline' || reason === 'guest-frozen' || reason === 'interrupted';
    if (outcome === 'ended' && !this.#obs.crashed && !kill) {
      this.#o.onProgress?.('collecting the guest traces');
      this.#guest.finish();
      const grace = setTimeout(() => {
        proc.kill();
      }, FINISH_GRACE_MS);
      await proc.exited;
      clearTimeout(grace);
    } else if (outcome === 'ended') {
      proc.kill();
    }
    const exit = await proc.exited;
    this.#parser.end();
    this.#obs.flush();
    if (exit.error !== undefined) engine.guestStopped(`could not start ${proc.program}: ${exit.error}`);
    else
      engine.guestStopped(
        `the guest stopped (QEMU exit ${exit.code ?? exit.signal}) before the run was over; see console.log`,
      );
    this.stop();
    this.#exit = exit;
    return exit;
  }

  /** The user stopped the run: it ends now, and `run` kills QEMU rather than waiting for the guest to finish. */
  interrupt(detail: string): void {
    this.engine.interrupted(detail);
  }

  /** Stops following the wall clock (also when the run never started). */
  stop(): void {
    clearInterval(this.#pacer);
    clearInterval(this.#watchTimer);
  }

  /**
   * Looks at the host every second while the run goes on; a guest silent for too long while it could run
   * ends the run as frozen, with what QEMU can still say about it.
   */
  #watch(proc: GuestProcess): void {
    const watchdog = this.#watchdog;
    if (!watchdog) return;
    // Silence counts from the guest's start: a boot that hangs, even before the kernel's first line, is as
    // frozen as a run whose heartbeat stops (the first look's sample is its baseline).
    watchdog.arm(this.#o.hostMs());
    let busy = false;
    this.#watchTimer = setInterval(() => {
      if (busy || this.engine.ended) return;
      busy = true;
      void this.#look(watchdog, proc).finally(() => {
        busy = false;
      });
    }, WATCHDOG_TICK_MS);
  }

  async #look(watchdog: HeartbeatWatchdog, proc: GuestProcess): Promise<void> {
    const atMs = this.#o.hostMs();
    const [qemu, self] = await Promise.all([
      proc.pid === undefined ? undefined : sampleProcess(proc.pid),
      sampleProcess(process.pid),
    ]);
    // QEMU's threads and our own main thread, which reads the console: a wait of either delays the heartbeat.
    const ownWait = self?.runQueueMs.get(String(process.pid));
    const runQueueMs =
      qemu && ownWait !== undefined
        ? new Map([...[...qemu.runQueueMs].map(([t, ms]) => [`qemu/${t}`, ms] as const), ['self', ownWait]])
        : undefined;
    const finding = watchdog.sample({
      atMs,
      ...(runQueueMs ? { runQueueMs } : {}),
      ...(qemu ? { qemuCpuMs: qemu.cpuMs } : {}),
    });
    if (!finding || this.engine.ended) return;
    const heardBefore = watchdog.lastHeardMs;
    const answers = proc.qmpSocket
      ? await qmpQuery(
          proc.qmpSocket,
          [
            { execute: 'query-status' },
            { execute: 'human-monitor-command', arguments: { 'command-line': 'info registers' } },
          ],
          EVIDENCE_TIMEOUT_MS,
        )
      : [];
    // The guest spoke while QEMU was asked: it was slow, not frozen. (The run may also have ended meanwhile.)
    const ended = (): boolean => this.engine.ended;
    if (watchdog.lastHeardMs !== heardBefore || ended()) return;
    const [status, regs] = answers;
    const evidence: FreezeEvidence = {
      ...finding,
      ...(qemu ? { qemuProcess: qemu.state } : {}),
      qemuStatus: !proc.qmpSocket
        ? 'no QMP socket'
        : !status
          ? 'QEMU did not answer'
          : status.ok
            ? runState(status.value)
            : `error: ${status.error}`,
      ...(regs?.ok && typeof regs.value === 'string' ? { registers: regs.value } : {}),
      ...(this.#lastLine ? { lastOutput: this.#lastLine.slice(0, 200) } : {}),
      guestMs: this.#guest.now(),
      ...(this.#agentUp ? {} : { booting: true }),
    };
    this.#freeze = evidence;
    this.#console.push(
      `\n[mdio-emu watchdog] ${freezeDetail(evidence)}\n[mdio-emu watchdog] QEMU ${evidence.qemuStatus}${evidence.registers ? `; info registers:\n${evidence.registers}` : ''}\n`,
    );
    this.engine.guestFrozen(freezeDetail(evidence));
  }

  /** The run's verdict and everything observed, after `run`. */
  report(o: SessionReportOptions): RunReport {
    const exit = this.#exit;
    if (!exit) throw new Error('GuestSession.report() before run() ended');
    const { loaded, devices, pcapFiles } = this.#composed;
    const { board, scenario } = loaded;
    const { engine } = this;
    const obs = this.#obs;
    // The guest's own trace times the MDIO accesses exactly: expectations about them are judged on it.
    const served = obs.served;
    const hwEvents = obs.phyEvents;
    let replay: GuestReplayResult | undefined;
    const replayed = (): GuestReplayResult =>
      (replay ??= verifyGuestTrace(loaded.tree.tree, obs.traceLines, served, hwEvents));
    const i2c = this.#i2c;
    let i2cReplay: I2cReplayResult | undefined;
    const i2cReplayed = (): I2cReplayResult => (i2cReplay ??= i2c.replay(loaded.tree.tree, obs.traceLines));
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
      replayVerify: () => replayVerdict(replayed, i2c.transfers > 0 ? i2cReplayed : undefined),
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
    return buildReport({
      scenario,
      scenarioFile: loaded.file,
      guest: {
        kind: 'qemu',
        kernel: o.kernelName,
        ...(o.kernelRelease === undefined ? {} : { release: o.kernelRelease }),
      },
      result,
      log: engine.log,
      wallMs: this.#o.hostMs(),
      files: {
        ...o.files,
        ...Object.fromEntries(
          o.attachments.flatMap((a) =>
            a.pcapPath === undefined ? [] : [[`usbredir ${devices[Number(a.id)]?.path ?? a.id}`, a.pcapPath]],
          ),
        ),
        ...Object.fromEntries(Object.entries(pcapFiles).map(([path, f]) => [`ethernet ${path}`, f])),
      },
      details: {
        qemuExit: exit,
        ...(this.#freeze ? { freeze: this.#freeze } : {}),
        ...(this.#watchdog
          ? {
              heartbeat: {
                freezeAfterMs: this.#watchdog.freezeAfterMs,
                longestSilence: this.#watchdog.longest,
              },
            }
          : {}),
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
        i2c: { transfers: i2c.transfers, chips: i2c.chips(), replay: i2cReplay ?? null },
        // Every transaction as the emulator served it (board clock, ms): the density strips' source, and the
        // emulator's side of the latency bench.
        emulatorTrace: served.map((a) => ({ ...a, atNs: undefined, hostMs: a.atNs / NS_PER_MS })),
      },
    });
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
  /** The agent said it is up. */
  onUp: (() => void) | undefined;

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
    if (a?.kind === 'up') {
      this.engine.push(t, { type: 'guest.up' });
      this.onUp?.();
    } else if (a?.kind === 'step' && a.phase === 'start')
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

/** QMP query-status's `status` (`running`, `paused`, `guest-panicked`...). */
function runState(value: unknown): string {
  const s = (value as { status?: unknown } | undefined)?.status;
  return typeof s === 'string' ? s : 'unknown';
}

/** One line for the verdict: how long the guest was silent, what QEMU was doing, the last it said. */
export function freezeDetail(e: FreezeEvidence): string {
  const s = (ms: number): string => (ms / 1000).toFixed(1);
  // The baseline sample may precede the last output by a second: a wait below 2 s is not worth a word.
  const starved = e.starvedMs >= 2000 ? `, ${s(e.runnableMs)} s of it with a CPU free to run it` : '';
  const qemu =
    e.qemuProcess === 'T'
      ? "QEMU's process is stopped"
      : e.qemuStatus === 'running'
        ? `QEMU runs the VM${e.qemuCpuMs === undefined ? '' : ` and used ${s(e.qemuCpuMs)} s of CPU meanwhile`}`
        : `QEMU: ${e.qemuStatus}`;
  const cpu = cpuState(e.registers);
  const last = e.lastOutput === undefined ? 'no output' : `last output "${e.lastOutput}"`;
  const silence = e.booting ? ' while booting: no console output' : ': no heartbeat';
  return `guest froze${silence} for ${s(e.silentMs)} s${starved} (${qemu}${cpu ? `; ${cpu}` : ''}); guest clock stopped at ${s(e.guestMs)} s, ${last}`;
}

/**
 * The vCPU's PC, exception level and whether IRQs are masked, from QEMU's `info registers` (target/arm's
 * aarch64_cpu_dump_state: `PC=...` and `PSTATE=... EL1h`). Masked IRQs alone are no hard lockup: arm64's idle
 * loop waits in WFI with them masked; the CPU QEMU used meanwhile tells a spin from an idle guest.
 */
export function cpuState(registers: string | undefined): string | undefined {
  if (registers === undefined) return undefined;
  const pc = /\bPC=([0-9a-f]+)/i.exec(registers)?.[1];
  const ps = /\bPSTATE=([0-9a-f]+)\s+\S+\s+(?:N?S\s+)?(EL\d[th]?)/i.exec(registers);
  if (pc === undefined) return undefined;
  const pstate = ps?.[1] === undefined ? undefined : parseInt(ps[1], 16);
  // PSTATE.I is bit 7 (DAIF).
  const irqs = pstate === undefined ? '' : (pstate & 0x80) !== 0 ? ', IRQs masked' : ', IRQs on';
  return `vCPU at PC ${pc}${ps?.[2] ? ` in ${ps[2]}` : ''}${irqs}`;
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

function replayVerdict(replay: () => GuestReplayResult, i2c?: () => I2cReplayResult): Verdict {
  let r: GuestReplayResult;
  let smbus: I2cReplayResult | undefined;
  try {
    r = replay();
    smbus = i2c?.();
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
    ...(smbus ? { i2c: { ...smbus, differences: smbus.differences.slice(0, 20) } } : {}),
  };
  if (r.reads === 0 && (smbus?.reads ?? 0) === 0)
    return { status: 'failed', message: 'the guest trace has no reads to verify', observed };
  if (r.differences.length > 0)
    return {
      status: 'failed',
      message: `${r.differences.length} of ${r.reads} reads differ, first: ${r.differences[0] ?? ''}`,
      observed,
    };
  if (smbus && smbus.differences.length > 0)
    return {
      status: 'failed',
      message: `${smbus.differences.length} of ${smbus.checked} SMBus transfers differ, first: ${smbus.differences[0] ?? ''}`,
      observed,
    };
  const mdio = `${r.checked} guest transactions replayed against fresh models: all ${r.reads} reads agree`;
  return {
    status: 'held',
    message: smbus ? `${mdio}; ${smbus.checked} SMBus transfers: all ${smbus.reads} reads agree` : mdio,
    observed,
  };
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
