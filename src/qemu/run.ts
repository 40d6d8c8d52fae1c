import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { cellsOf, getProperty, walk, nodePath, findNodeByPath } from '../dts/tree.js';
import { readDtb } from '../dts/dtb-read.js';
import { loadScenario, type LoadedScenario } from '../scenario/load.js';
import { ConfigError } from '../scenario/errors.js';
import { parseQemuScenario, qemuActionSide, type QemuScenario } from '../scenario/qemu-kinds.js';
import type { FrameReceiver } from '../net/frame.js';
import { openPcapFile } from '../net/pcap-file.js';
import type { FrameClass } from '../scenario/qemu-kinds.js';
import { listenUsbredir, type UsbredirServer } from '../usbredir/index.js';
import { dumpVirtDtb } from './base-dtb.js';
import { ConsoleMarkerParser, type GuestEvent } from './console-markers.js';
import { evaluate, type ExpectationResult, type Observations } from './expectations.js';
import {
  parseCommand,
  parseGuestTrace,
  parseHexLines,
  parseSnapshot,
  type CommandResult,
} from './guest-observations.js';
import { readGuestModules } from './guest-modules.js';
import { generateInitScript } from './init-script.js';
import { buildInitramfs, guestToolsArchive, readInitShell } from './initramfs.js';
import { qemuBinary, runArgs } from './machine.js';
import { composeScenarioDtb, resolveNodeRef, type ScenarioDtb } from './scenario-dtb.js';
import {
  placeUsbHardware,
  type EmulatorMdioAccess,
  type PhyHardwareEvent,
  type PlacedUsbDevice,
} from './usb-devices.js';
import { verifyGuestTrace, type GuestReplayResult } from './replay-check.js';
import {
  classifyPseAttach,
  kasanFinding,
  type KasanFinding,
  type PseAttachFinding,
} from './pse-behaviour.js';
import { checkPseBindings } from '../bindings/pse.js';
import { mdioBusKind } from '../bindings/mdio.js';

export interface QemuRunOptions {
  kernel: string;
  modulesDir: string;
  scenarioFile: string;
  reportDir: string;
  /** Extra wall time on top of the scenario's end for boot and the final dumps (default 60 s). */
  graceMs?: number;
  onProgress?: (message: string) => void;
}

export interface QemuReport {
  scenario: string;
  scenarioFile: string;
  pass: boolean;
  /** Why the run could not be judged completely, if so (timeout, QEMU failure). */
  problem: string | undefined;
  wallMs: number;
  qemuExit: { code: number | null; signal: string | null };
  expectations: ExpectationResult[];
  timeline: {
    index: number;
    at: number;
    action: string;
    side: string;
    guestT: number | undefined;
    hostMs: number | undefined;
  }[];
  snapshots: ReturnType<typeof parseSnapshot>[];
  emulatorTrace: EmulatorMdioAccess[];
  guestTrace: ReturnType<typeof parseGuestTrace>;
  kernelLog: string[];
  /** Per PHY with `pses`: which known PSE attach behaviour the guest kernel showed (src/qemu/pse-behaviour.ts). */
  pseAttach: PseAttachFinding[];
  /** Whether the guest kernel has KASAN, and what it reported. */
  kasan: KasanFinding;
  /** What the guest read from each EEPROM node (hex), by DT path. */
  eeproms: Record<string, string>;
  /** The guest's `run` commands: exit code and output. */
  commands: CommandResult[];
  /** Per USB Ethernet node with an emulated host on its cable: what the guest sent, and the host's replies. */
  network: Record<
    string,
    { peer: string; guestFrames: Record<FrameClass, number>; replies: { arp: number; icmp: number } }
  >;
  files: Record<string, string>;
}

/** How often the PHY models' clock follows the wall clock while the guest runs (autoneg timers fire on it). */
const PHY_CLOCK_TICK_MS = 5;

/** Boots the guest under QEMU against the emulated devices, drives the scenario and writes DIR/report.json. */
export async function runQemuScenario(o: QemuRunOptions): Promise<QemuReport> {
  const progress = o.onProgress ?? (() => {});
  const loaded = await loadScenario<QemuScenario>(o.scenarioFile, parseQemuScenario);
  const { scenario } = loaded;
  await mkdir(o.reportDir, { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'mdio-emu-qemu-'));
  const start = performance.now();
  const now = (): number => performance.now() - start;
  const servers: UsbredirServer[] = [];
  const pcaps: { close(): void }[] = [];
  let pacer: ReturnType<typeof setInterval> | undefined;
  try {
    progress(`composing the device tree (${loaded.dtsFile})`);
    const baseDtb = await dumpVirtDtb();
    const dtb = await composeScenarioDtb(baseDtb, loaded.dtsFile);
    const resolve = (ref: string, field: string): string => resolveNodeRef(dtb, ref, field).path;
    checkRefs(loaded, resolve);

    const emulatorTrace: EmulatorMdioAccess[] = [];
    const pcapFiles: Record<string, string> = {};
    const frameTap = (path: string): FrameReceiver => {
      const file = join(o.reportDir, `eth${Object.keys(pcapFiles).length}.pcap`);
      pcapFiles[path] = file;
      const pcap = openPcapFile(file, { now: () => Math.round(now() * 1e6) });
      pcaps.push(pcap);
      return pcap;
    };
    const phyEvents: PhyHardwareEvent[] = [];
    const hardware = placeUsbHardware({
      dtb,
      traceMdio: (a) => emulatorTrace.push(a),
      now,
      frameTap,
      onPhyEvent: (e) => phyEvents.push(e),
    });
    const devices = hardware.devices;
    const byPath = new Map(devices.map((d) => [d.path, d]));
    for (const [i, entry] of scenario.timeline.entries()) {
      const a = entry.action;
      if (
        (a.kind === 'usb-connect' || a.kind === 'usb-disconnect') &&
        !byPath.has(resolve(a.device, `timeline[${i}].device`))
      ) {
        throw new ConfigError(
          'SCN006',
          `timeline[${i}].device`,
          `${a.device} is not an emulated USB device under the xHCI node`,
        );
      }
      if (
        (a.kind === 'cable-unplug' || a.kind === 'cable-plug') &&
        !hardware.phyAt(resolve(a.phy, `timeline[${i}].phy`))
      ) {
        throw new ConfigError(
          'SCN006',
          `timeline[${i}].phy`,
          `${a.phy} is not a PHY on an emulated MDIO bus`,
        );
      }
    }
    // A device whose first timeline action is usb-connect starts unplugged.
    const startsUnplugged = new Set<string>();
    for (const d of devices) {
      const first = scenario.timeline.find(
        (t) =>
          (t.action.kind === 'usb-connect' || t.action.kind === 'usb-disconnect') &&
          resolve(t.action.device, 'device') === d.path,
      );
      if (first?.action.kind === 'usb-connect') startsUnplugged.add(d.path);
    }

    const modules = await readGuestModules(o.modulesDir);
    const watchPaths = addedNodePaths(baseDtb, dtb);
    const init = generateInitScript({
      scenario,
      modules,
      watchPaths,
      eepromReads: eepromReads(loaded, dtb),
      shell: await readInitShell(),
    });
    const files = {
      init: join(o.reportDir, 'init'),
      dtb: join(o.reportDir, 'scenario.dtb'),
      initramfs: join(work, 'initramfs.cpio.gz'),
      console: join(o.reportDir, 'console.log'),
      report: join(o.reportDir, 'report.json'),
    };
    await writeFile(files.init, init, { mode: 0o755 });
    await writeFile(files.dtb, dtb.dtb);
    progress('packing the initramfs');
    // Only scenarios that run commands need ethtool and pse-tool (and a host able to build them).
    const extraArchives = scenario.timeline.some((t) => t.action.kind === 'run')
      ? [await guestToolsArchive()]
      : [];
    await buildInitramfs({
      initFile: files.init,
      modules: [...modules.values()].map((m) => join(o.modulesDir, m.file)),
      out: files.initramfs,
      extraArchives,
    });

    const attachments = [];
    for (const [i, d] of devices.entries()) {
      const socketPath = join(work, `usb${i}.sock`);
      servers.push(
        await listenUsbredir(d.model, { path: socketPath }, { attached: !startsUnplugged.has(d.path) }),
      );
      attachments.push({
        id: String(i),
        socketPath,
        port: d.port,
        pcapPath: join(o.reportDir, `usb${i}.pcap`),
      });
    }

    const args = runArgs({
      kernel: o.kernel,
      initrd: files.initramfs,
      dtb: files.dtb,
      append: 'console=ttyAMA0 loglevel=5 panic=-1',
      usb: attachments,
    });
    progress(`booting: ${qemuBinary} ${args.join(' ')}`);
    const actions = new Map<number, { t: number; hostMs: number }>();
    const onEvent = (e: GuestEvent): void => {
      if (e.kind !== 'action') return;
      const index = Number(e.fields.index);
      actions.set(index, { t: e.t, hostMs: e.hostMs });
      const entry = scenario.timeline[index];
      if (!entry) return;
      progress(`t=${e.t} ms: ${entry.action.kind}`);
      const a = entry.action;
      if (a.kind === 'usb-connect' || a.kind === 'usb-disconnect') {
        const index2 = devices.findIndex((d) => d.path === resolve(a.device, 'device'));
        const server = servers[index2];
        if (a.kind === 'usb-connect') server?.attach();
        else server?.detach();
      }
      if (a.kind === 'cable-unplug' || a.kind === 'cable-plug') {
        hardware.tick();
        const path = resolve(a.phy, 'phy');
        const phy = hardware.phyAt(path);
        phyEvents.push({ phy: path, kind: a.kind === 'cable-unplug' ? 'unplug' : 'plug', hostMs: now() });
        if (a.kind === 'cable-unplug') phy?.unplug();
        else phy?.plug();
      }
    };
    pacer = setInterval(() => hardware.tick(), PHY_CLOCK_TICK_MS);
    const parser = new ConsoleMarkerParser(onEvent, now);
    const consoleChunks: string[] = [];
    const timeoutMs = scenario.end + (o.graceMs ?? 60_000);
    const exit = await new Promise<{
      code: number | null;
      signal: string | null;
      timedOut: boolean;
      spawnError?: string;
    }>((done) => {
      const child = spawn(qemuBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        child.kill('SIGKILL');
      }, timeoutMs);
      child.stdout.setEncoding('utf8').on('data', (c: string) => {
        consoleChunks.push(c);
        parser.push(c);
      });
      child.stderr.setEncoding('utf8').on('data', (c: string) => consoleChunks.push(c));
      child.on('error', (err) => {
        clearTimeout(timer);
        done({ code: null, signal: null, timedOut, spawnError: err.message });
      });
      child.on('close', (code, signal) => {
        clearTimeout(timer);
        done({ code, signal, timedOut });
      });
    });
    parser.end();
    const consoleText = consoleChunks.join('');
    await writeFile(files.console, consoleText);

    clearInterval(pacer);
    const events = parser.events;
    const traceLines = events.find((e) => e.kind === 'trace')?.lines ?? [];
    const completed = events.some((e) => e.kind === 'done');
    const dmesg = events.find((e) => e.kind === 'dmesg')?.lines ?? [];
    const observations: Observations = {
      snapshots: events.filter((e) => e.kind === 'snapshot').map(parseSnapshot),
      guestTrace: parseGuestTrace(traceLines),
      emulatorTrace,
      actions,
      // The console keeps what dmesg cannot show when the guest died before dumping it.
      kernelLog: dmesg.length > 0 ? dmesg : consoleText.split('\n').filter((l) => !l.includes('@@mdio-emu')),
      eeproms: new Map(
        events.filter((e) => e.kind === 'eeprom').map((e) => [String(e.fields.path), parseHexLines(e.lines)]),
      ),
      completed,
      commands: events.filter((e) => e.kind === 'command').map(parseCommand),
    };
    let replay: GuestReplayResult | undefined;
    const results = evaluate(
      {
        scenario,
        resolve: (ref) => resolve(ref, 'expect'),
        phyLocation: (path) => phyLocation(dtb, path),
        eepromModel: (path) =>
          devices
            .find((d) => d.eeproms.has(path))
            ?.eeproms.get(path)
            ?.contents(),
        guestFrames: (path) => byPath.get(path)?.peer?.counts,
        replay: () => (replay ??= verifyGuestTrace(dtb.tree, traceLines, emulatorTrace, phyEvents)),
      },
      observations,
    );
    const problem = exit.spawnError
      ? `could not start ${qemuBinary}: ${exit.spawnError}`
      : exit.timedOut
        ? `the guest did not finish within ${timeoutMs} ms; QEMU was killed`
        : !completed
          ? `the guest stopped before the end of its script (QEMU exit ${exit.code ?? exit.signal}); see console.log`
          : undefined;
    const report: QemuReport = {
      scenario: scenario.name,
      scenarioFile: loaded.file,
      pass: problem === undefined && results.every((r) => r.pass),
      problem,
      wallMs: Math.round(now()),
      qemuExit: { code: exit.code, signal: exit.signal },
      expectations: results,
      timeline: scenario.timeline.map((t, index) => ({
        index,
        at: t.at,
        action: JSON.stringify(t.action),
        side: qemuActionSide(t.action),
        guestT: actions.get(index)?.t,
        hostMs: actions.has(index) ? Math.round((actions.get(index)?.hostMs ?? 0) * 1000) / 1000 : undefined,
      })),
      snapshots: observations.snapshots,
      emulatorTrace: observations.emulatorTrace,
      guestTrace: observations.guestTrace,
      kernelLog: observations.kernelLog,
      pseAttach: pseLinks(dtb).map((link) => classifyPseAttach(link, observations.snapshots)),
      kasan: kasanFinding(observations.kernelLog),
      eeproms: Object.fromEntries(
        [...observations.eeproms].map(([path, bytes]) => [path, Buffer.from(bytes).toString('hex')]),
      ),
      commands: observations.commands,
      network: Object.fromEntries(
        devices.flatMap((d) =>
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
      files: {
        report: files.report,
        console: files.console,
        init: files.init,
        dtb: files.dtb,
        ...Object.fromEntries(Object.entries(pcapFiles).map(([path, f]) => [`pcap ${path}`, f])),
      },
    };
    await writeFile(files.report, JSON.stringify(report, null, 2) + '\n');
    return report;
  } finally {
    clearInterval(pacer);
    for (const p of pcaps) p.close();
    await Promise.all(servers.map((s) => s.close()));
    await rm(work, { recursive: true, force: true });
  }
}

/** Resolves every node reference up front, so a typo fails before QEMU boots, naming the field. */
function checkRefs(
  loaded: LoadedScenario<QemuScenario>,
  resolve: (ref: string, field: string) => string,
): void {
  loaded.scenario.timeline.forEach((t, i) => {
    if (t.action.kind === 'usb-connect' || t.action.kind === 'usb-disconnect')
      resolve(t.action.device, `timeline[${i}].device`);
    if (t.action.kind === 'cable-unplug' || t.action.kind === 'cable-plug')
      resolve(t.action.phy, `timeline[${i}].phy`);
  });
  loaded.scenario.expect.forEach((e, i) => {
    for (const key of ['phy', 'device', 'eeprom'] as const) {
      const v = (e as Record<string, unknown>)[key];
      if (typeof v === 'string') resolve(v, `expect[${i}].${key}`);
    }
  });
}

function phyLocation(dtb: ScenarioDtb, path: string): { adapter: string; addr: number } {
  const node = findNodeByPath(dtb.tree.root, path);
  const reg = node ? getProperty(node, 'reg') : undefined;
  const addr = reg ? cellsOf(reg.value)[0] : undefined;
  if (!node?.parent || addr === undefined)
    throw new ConfigError('SCN006', 'expect', `${path} is not a PHY node with a reg`);
  return { adapter: nodePath(node.parent), addr };
}

/** Nodes the scenario added to QEMU's tree: the devices snapshots report on. */
function addedNodePaths(baseDtb: Uint8Array, dtb: ScenarioDtb): string[] {
  const base = new Set<string>();
  walk(readDtb(baseDtb).root, (n) => base.add(nodePath(n)));
  const out: string[] = [];
  walk(dtb.tree.root, (n) => {
    const p = nodePath(n);
    if (!base.has(p) && !p.startsWith('/__')) out.push(p);
  });
  return out;
}

/**
 * PHY nodes with `pses`, the PSE controller each points at, and the device whose probe registers the bus:
 * the PHY's parent, or for a USB Ethernet MAC's `mdio` child (lan78xx.c) the MAC above it.
 */
function pseLinks(dtb: ScenarioDtb): { phy: string; pse: string; adapter: string }[] {
  return checkPseBindings(dtb.tree.root).links.flatMap((l) => {
    const phy = findNodeByPath(dtb.tree.root, l.phy);
    const bus = phy?.parent;
    if (!phy || !bus) return [];
    const owner = mdioBusKind(bus) === 'usb-ethernet' && bus.parent ? bus.parent : bus;
    return [{ phy: nodePath(phy), pse: l.controller, adapter: nodePath(owner) }];
  });
}

function eepromReads(
  loaded: LoadedScenario<QemuScenario>,
  dtb: ScenarioDtb,
): { path: string; length: number }[] {
  return loaded.scenario.expect.flatMap((e) =>
    e.kind === 'eeprom-contents'
      ? [{ path: resolveNodeRef(dtb, e.eeprom, 'eeprom').path, length: e.length ?? 256 }]
      : [],
  );
}

export type { PlacedUsbDevice };
