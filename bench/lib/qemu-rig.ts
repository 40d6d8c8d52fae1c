/**
 * One QEMU boot for the latency bench: a Linux 6.1 guest with four usb-redir devices, the device models on
 * USB2 ports 1 and 3 and the reference responder (bench/lib/reference-responder.ts) on ports 2 and 4, so the
 * models and "the limit QEMU allows" are measured under the same load, in the same run, by the same guest.
 * Uses src/qemu's pieces (machine arguments, DTB composition, initramfs, module order, device placement)
 * but not its scenario runner: the bench needs its own guest program and a device the scenarios never serve.
 */
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dumpVirtDtb } from '../../src/qemu/base-dtb.js';
import { readGuestModules } from '../../src/qemu/guest-modules.js';
import { loadOrder, shellQuote } from '../../src/qemu/init-script.js';
import { buildInitramfs } from '../../src/qemu/initramfs.js';
import type { GuestKernel } from '../../src/qemu/kernel.js';
import { qemuBinary, runArgs, type UsbRedirAttachment } from '../../src/qemu/machine.js';
import { usb2PortForReg } from '../../src/qemu/machine.js';
import { buildBoard, loadTreeText } from '../../src/board/index.js';
import { VirtualClock } from '../../src/clock.js';
import { printDts, readDtb } from '../../src/dts/index.js';
import { QemuUsbredirLinks, waitingPath, type QemuLinkSpec } from '../../src/qemu/usbredir-links.js';
import { listenUsbredir, type UsbredirTraceEvent } from '../../src/usbredir/index.js';
import {
  connectReference,
  listenReference,
  referenceCp2615,
  referenceMvusb,
  type ReferenceServer,
} from './reference-responder.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Host wall clock in µs, on the same scale as QEMU's pcap timestamps (gettimeofday). */
export function wallUs(): number {
  return (performance.timeOrigin + performance.now()) * 1000;
}

/** When a bulk_packet with `id` reached the emulator (rx) or its reply was handed to write() (tx). */
export interface EmulatorStamp {
  readonly dir: 'rx' | 'tx';
  readonly id: bigint;
  readonly endpoint: number;
  readonly us: number;
}

export type DeviceKind = 'mvusb' | 'cp2615';
export type Server = 'model' | 'reference';

export interface RigDevice {
  readonly path: string;
  readonly port: number;
  readonly kind: DeviceKind;
  readonly server: Server;
  readonly pcap: string | undefined;
  readonly stamps: EmulatorStamp[];
  /** The device models' handler runs (breakdown only; the reference has no model). */
  readonly calls: DeviceCall[];
}

/** When the device model's handler for the transfer `id` ran, µs on the wall clock. */
export interface DeviceCall {
  readonly id: bigint;
  readonly start: number;
  readonly end: number;
}

export interface RigResult {
  readonly devices: readonly RigDevice[];
  readonly console: string;
  readonly wallMs: number;
}

export interface RigOptions {
  readonly kernel: GuestKernel;
  readonly dir: string;
  /** Driver rebinds per Marvell adapter (one timed MDIO read each). */
  readonly rounds: number;
  /** One-byte EEPROM reads per CP2615, per round of four. */
  readonly i2cReads: number;
  /** pcap, emulator timestamps and the guest's xHCI events. */
  readonly breakdown: boolean;
  /** More kernel command line (experiments such as `nohlt`). */
  readonly append?: string;
  /**
   * The old way round: the emulator and the reference listen and QEMU connects. By default QEMU listens and
   * both connect, as `mdio-emu qemu run` does (src/qemu/usbredir-links.ts).
   */
  readonly emulatorListens?: boolean;
  /** Reference on ports 1 and 3, models on 2 and 4: the guest's loop visits the reference first. */
  readonly swapPorts?: boolean;
}

const EEPROM = `eeprom@50 { compatible = "atmel,24c02"; reg = <0x50>; };`;
const mvusbNode = (reg: number): string => `mdio@${reg} {
      compatible = "usb1286,1fa4"; reg = <${reg}>; #address-cells = <1>; #size-cells = <0>;
      ethernet-phy@0 { compatible = "ethernet-phy-id0141.0dd0"; reg = <0>; };
    };`;
const cp2615Node = (reg: number): string => `i2c-bridge@${reg} {
      compatible = "usb10c4,eac1"; reg = <${reg}>; #address-cells = <2>; #size-cells = <0>;
      interface@1,1 { reg = <1 1>; #address-cells = <1>; #size-cells = <0>; ${EEPROM} };
    };`;

/** xHCI raw ports 5-8 are USB2 ports 1-4 (src/qemu/machine.ts): model, reference, model, reference. */
const DTS = `&{/pcie@10000000} {
  usb@2,0 {
    reg = <0x1000 0 0 0 0>; #address-cells = <1>; #size-cells = <0>;
    ${mvusbNode(5)}
    ${mvusbNode(6)}
    ${cp2615Node(7)}
    ${cp2615Node(8)}
  };
};
`;
const ROLES: Record<number, { kind: DeviceKind; server: Server }> = {
  1: { kind: 'mvusb', server: 'model' },
  2: { kind: 'mvusb', server: 'reference' },
  3: { kind: 'cp2615', server: 'model' },
  4: { kind: 'cp2615', server: 'reference' },
};
const SWAPPED: Record<number, { kind: DeviceKind; server: Server }> = {
  1: { kind: 'mvusb', server: 'reference' },
  2: { kind: 'mvusb', server: 'model' },
  3: { kind: 'cp2615', server: 'reference' },
  4: { kind: 'cp2615', server: 'model' },
};

export async function runLatencyRig(o: RigOptions): Promise<RigResult> {
  const dtsFile = join(o.dir, 'latency.dts');
  await writeFile(dtsFile, DTS);
  const baseDts = printDts(readDtb(await dumpVirtDtb(), { fileName: 'qemu-virt.dtb' })).replace(
    /^\/dts-v1\/;\s*/,
    '',
  );
  const loaded = loadTreeText(dtsFile, DTS, { base: { name: 'qemu-virt.dtsi', dts: baseDts } });
  const dtbFile = join(o.dir, 'latency.dtb');
  await writeFile(dtbFile, loaded.dtb);
  const start = performance.now();
  const board = buildBoard(loaded.tree, { clock: new VirtualClock() });
  const hardware = {
    devices: board.usb.map((d) => ({ ...d, port: d.reg === undefined ? -1 : (usb2PortForReg(d.reg) ?? -1) })),
  };

  const modules = await readGuestModules(o.kernel.modulesDir);
  const seen = new Set<string>();
  const order = ['mdio-mvusb', 'i2c-cp2615', 'at24'].flatMap((m) => loadOrder(m, modules, seen));
  const insmod = order.map((m) => `insmod /lib/modules/${m.file}`).join('\n');
  const initFile = join(o.dir, 'init');
  await writeFile(
    initFile,
    [
      '#!/bin/sh',
      `ROUNDS=${o.rounds}`,
      `I2C_READS=${o.i2cReads}`,
      `BREAKDOWN=${o.breakdown ? 1 : 0}`,
      `INSMOD=${shellQuote(insmod)}`,
      await readFile(join(here, 'latency-init.sh'), 'utf8'),
    ].join('\n'),
    { mode: 0o755 },
  );
  const initrd = join(o.dir, 'initramfs.cpio.gz');
  await buildInitramfs({
    initFile,
    modules: order.map((m) => join(o.kernel.modulesDir, m.file)),
    out: initrd,
  });

  const devices: RigDevice[] = [];
  const closers: (() => Promise<void>)[] = [];
  const attachments: UsbRedirAttachment[] = [];
  const qemuListens = !o.emulatorListens;
  const modelLinks: QemuLinkSpec[] = [];
  const referenceLinks = new Map<string, () => Promise<ReferenceServer>>();
  try {
    for (const d of hardware.devices) {
      const role = (o.swapPorts ? SWAPPED : ROLES)[d.port];
      if (!role) throw new Error(`bench DTS placed a device on USB2 port ${d.port}`);
      const stamps: EmulatorStamp[] = [];
      const calls: DeviceCall[] = [];
      const socketPath = join(o.dir, `usb${d.port}.sock`);
      const pcap = o.breakdown ? join(o.dir, `usb${d.port}.pcap`) : undefined;
      if (role.server === 'reference') {
        const behaviour = role.kind === 'mvusb' ? referenceMvusb : referenceCp2615;
        const timing = o.breakdown ? { stamps, clock: wallUs } : {};
        if (qemuListens) {
          referenceLinks.set(socketPath, () => connectReference(socketPath, behaviour, timing));
        } else {
          const server = await listenReference(socketPath, behaviour, timing);
          closers.push(() => server.close());
        }
      } else {
        const trace = (e: UsbredirTraceEvent): void => {
          if (e.event === 'usbredir.device_call') {
            calls.push({ id: e.id, start: e.start, end: e.end });
            return;
          }
          if ((e.event === 'usbredir.rx' || e.event === 'usbredir.tx') && e.packet.type === 'bulk_packet') {
            stamps.push({
              dir: e.event === 'usbredir.rx' ? 'rx' : 'tx',
              id: e.packet.id,
              endpoint: e.packet.endpoint,
              us: e.at ?? NaN,
            });
          }
        };
        const options = o.breakdown ? { trace, clock: wallUs } : {};
        if (qemuListens) modelLinks.push({ socketPath, device: d.model, options });
        else {
          const server = await listenUsbredir(d.model, { path: socketPath }, options);
          closers.push(() => server.close());
        }
      }
      devices.push({ path: d.path, port: d.port, ...role, pcap, stamps, calls });
      attachments.push({
        id: String(d.port),
        socketPath,
        port: d.port,
        qemuListens,
        ...(pcap ? { pcapPath: pcap } : {}),
      });
    }
    const linkErrors: string[] = [];
    const links = new QemuUsbredirLinks(modelLinks, (path, e) => linkErrors.push(`${path}: ${e.message}`));
    closers.push(() => links.close());
    let stderrLine = '';
    const onStderr = (text: string): void => {
      links.stderr(text);
      const lines = (stderrLine + text).split('\n');
      stderrLine = lines.pop() ?? '';
      for (const line of lines) {
        const path = waitingPath(line);
        const connect = path === undefined ? undefined : referenceLinks.get(path);
        if (!path || !connect) continue;
        referenceLinks.delete(path);
        connect().then(
          (server) => closers.push(() => server.close()),
          (e: unknown) => linkErrors.push(`${path}: ${String(e)}`),
        );
      }
    };
    const args = runArgs({
      kernel: o.kernel.image,
      initrd,
      dtb: dtbFile,
      append: ['console=ttyAMA0 loglevel=5 panic=-1', o.append ?? ''].join(' ').trim(),
      usb: attachments,
    });
    const console = await new Promise<string>((resolve, reject) => {
      const child = spawn(qemuBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      const chunks: string[] = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), 600_000);
      child.stdout.setEncoding('utf8').on('data', (c: string) => chunks.push(c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => {
        chunks.push(c);
        onStderr(c);
      });
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        resolve(chunks.join(''));
      });
    });
    if (linkErrors.length > 0) throw new Error(`usb-redir links failed: ${linkErrors.join('; ')}`);
    return { devices, console, wallMs: performance.now() - start };
  } finally {
    await Promise.all(closers.map((c) => c()));
  }
}
