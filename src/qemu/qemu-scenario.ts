import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { BoardUsbDevice } from '../board/usb-devices.js';
import { ms, VirtualClock } from '../clock.js';
import { InputError } from '../diagnostics/index.js';
import { readDtb } from '../dts/dtb-read.js';
import { printDts } from '../dts/print.js';
import { nodePath, walk } from '../dts/tree.js';
import type { FrameReceiver } from '../net/frame.js';
import { openPcapFile } from '../net/pcap-file.js';
import {
  loadScenarioBoard,
  readScenarioFile,
  type ScenarioBoard,
  type ScenarioFile,
} from '../scenario/load.js';
import { dumpVirtDtb } from './base-dtb.js';
import { writeGuestFirmware } from './guest-firmware.js';
import { readGuestModules } from './guest-modules.js';
import { generateInitScript } from './init-script.js';
import { buildInitramfs, guestToolsArchive, readAgentScript } from './initramfs.js';
import { usb2PortForReg, xhciNodePath } from './machine.js';

/**
 * The kernel command line: a quiet console (the agent copies /dev/kmsg, with timestamps and device names,
 * and a dying kernel still prints everything there: die() calls console_verbose()), no rate limit on the
 * agent's own kmsg lines, every deferred probe logged by drivers/base/dd.c's dynamic debug, no reboot loop.
 */
export const guestAppend = [
  'console=ttyAMA0',
  'loglevel=1',
  'printk.time=1',
  'printk.devkmsg=on',
  'panic=-1',
  'dyndbg="file drivers/base/dd.c +p"',
].join(' ');

export interface ComposeOptions {
  scenarioFile: string;
  modulesDir: string;
  /** Where the guest's init, the scenario's DTB and the Ethernet captures go (the report's directory). */
  outDir: string;
  /** Where the initramfs goes (a scratch directory: it is large and not part of the report). */
  workDir: string;
  /** Guest tools archive for `run` steps (ethtool); built on demand when absent. */
  guestTools?: string;
  /** Host milliseconds since the run started: the board's clock follows it, the captures are stamped with it. */
  hostMs: () => number;
  onProgress?: (message: string) => void;
}

/** A USB device of the board and the qemu-xhci USB2 port its `reg` places it on. */
export interface PlacedUsbDevice {
  path: string;
  port: number;
  device: BoardUsbDevice;
}

/** Everything a QEMU run of one scenario needs before the guest boots, and the board that will serve it. */
export interface ComposedQemuScenario extends QemuBoard {
  baseDtb: Uint8Array;
  /** Nodes the scenario added to QEMU's tree: the devices the agent reports on at start. */
  watchPaths: string[];
  /** `firmware`: the guest's /lib/firmware as packed, when its drivers need any (a TPS23881's images). */
  files: { init: string; dtb: string; initramfs: string; firmware?: string };
}

/** What a QEMU run serves: the scenario's board with its USB devices placed on qemu-xhci's ports. */
export interface QemuBoard {
  loaded: ScenarioBoard;
  devices: PlacedUsbDevice[];
  /** Ethernet captures by MAC node path. */
  pcapFiles: Record<string, string>;
  /** Moves the board's clock up to the host's (before each device access, and on a tick while the guest runs). */
  syncClock: () => void;
  /** Closes the Ethernet captures. */
  close(): void;
}

/**
 * The board of a scenario for a QEMU guest, its USB placement checked against qemu-xhci's ports. A scenario
 * whose tree is a DTS fragment is merged onto `base` (QEMU's own virt tree); one whose tree is the booted DTB
 * itself (a LAVA worker's) needs no base.
 */
export function loadQemuBoard(
  file: ScenarioFile,
  o: { outDir: string; hostMs: () => number; base?: { name: string; dts: string } },
): QemuBoard {
  const clock = new VirtualClock();
  const syncClock = (): void => clock.advanceTo(Math.max(clock.now(), ms(o.hostMs())));
  const pcapFiles: Record<string, string> = {};
  const pcaps: { close(): void }[] = [];
  const frameTap = (path: string): FrameReceiver => {
    const f = join(o.outDir, `eth${Object.keys(pcapFiles).length}.pcap`);
    pcapFiles[path] = f;
    const pcap = openPcapFile(f, { now: () => Math.round(o.hostMs() * 1e6) });
    pcaps.push(pcap);
    return pcap;
  };
  const close = (): void => {
    for (const p of pcaps.splice(0)) p.close();
  };
  try {
    const loaded = loadScenarioBoard(file, {
      guest: 'real-kernel',
      clock,
      ...(o.base === undefined ? {} : { base: o.base }),
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
      return { path: d.path, device: d, port };
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
    return { loaded, devices, pcapFiles, syncClock, close };
  } catch (err) {
    close();
    throw err;
  }
}

/**
 * Loads a scenario onto QEMU's virt machine: its device tree over the machine's own, the board that serves it,
 * the guest's init and initramfs written out.
 */
export async function composeQemuScenario(o: ComposeOptions): Promise<ComposedQemuScenario> {
  const progress = o.onProgress ?? (() => {});
  const file = readScenarioFile(o.scenarioFile);
  progress(`composing the device tree (${file.dtsFile})`);
  const baseDtb = await dumpVirtDtb();
  const baseDts = printDts(readDtb(baseDtb, { fileName: 'qemu-virt.dtb' })).replace(/^\/dts-v1\/;\s*/, '');
  const qemuBoard = loadQemuBoard(file, {
    outDir: o.outDir,
    hostMs: o.hostMs,
    base: { name: 'qemu-virt.dtsi', dts: baseDts },
  });
  try {
    const { loaded } = qemuBoard;
    const { scenario } = loaded;
    const modules = await readGuestModules(o.modulesDir);
    const watchPaths = addedNodePaths(baseDtb, loaded.tree.tree);
    const init = generateInitScript({
      scenario,
      agent: await readAgentScript(),
      modules,
      watchPaths,
      eepromReads: scenario.expect.flatMap((e) =>
        e.kind === 'eeprom-contents' ? [{ path: e.eeprom, length: e.length ?? 256 }] : [],
      ),
    });
    const files = {
      init: join(o.outDir, 'init'),
      dtb: join(o.outDir, 'scenario.dtb'),
      initramfs: join(o.workDir, 'initramfs.cpio.gz'),
    };
    await writeFile(files.init, init, { mode: 0o755 });
    await writeFile(files.dtb, loaded.tree.dtb);
    progress('packing the initramfs');
    const needsTools = scenario.steps.some((s) => s.action.kind === 'run');
    const firmwareDir = join(o.outDir, 'firmware');
    const firmware = await writeGuestFirmware(loaded.board, firmwareDir);
    await buildInitramfs({
      ...(firmware.length > 0 ? { firmwareDir } : {}),
      initFile: files.init,
      modules: [...modules.values()].map((m) => join(o.modulesDir, m.file)),
      out: files.initramfs,
      extraArchives: needsTools ? [o.guestTools ?? (await guestToolsArchive())] : [],
    });
    return {
      ...qemuBoard,
      baseDtb,
      watchPaths,
      files: { ...files, ...(firmware.length > 0 ? { firmware: firmwareDir } : {}) },
    };
  } catch (err) {
    qemuBoard.close();
    throw err;
  }
}

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
