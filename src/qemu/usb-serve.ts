import { join } from 'node:path';
import type { Board } from '../board/index.js';
import { listenUsbredir, type UsbredirServer } from '../usbredir/index.js';
import type { UsbRedirAttachment } from './machine.js';
import type { PlacedUsbDevice } from './qemu-scenario.js';
import { QemuUsbredirLinks } from './usbredir-links.js';

export interface ServedUsbDevices {
  /** What QEMU is told: one `usb-redir` per device, in the order of `devices`. */
  attachments: UsbRedirAttachment[];
  /** QEMU's stderr as it arrives: with `qemuListens`, its "waiting for connection" lines start each link. */
  qemuStderr(text: string): void;
  close(): Promise<void>;
}

export interface ServeUsbOptions {
  /**
   * QEMU listens on each socket and the emulator connects (src/qemu/usbredir-links.ts: why); the caller
   * must then feed QEMU's stderr to `qemuStderr`. Default: the emulator listens and QEMU connects.
   */
  readonly qemuListens?: boolean;
  /** A link QEMU announced could not be made (the run then ends at its deadline). */
  readonly onLinkError?: (message: string) => void;
}

/**
 * One usbredir link per USB device on a UNIX socket in `socketDir`, each following its device's plug state on
 * the board; QEMU captures each device's traffic into `pcapDir`.
 */
export async function serveUsbDevices(
  board: Board,
  devices: readonly PlacedUsbDevice[],
  dirs: { socketDir: string; pcapDir: string },
  options: ServeUsbOptions = {},
): Promise<ServedUsbDevices> {
  const socketPath = (i: number): string => join(dirs.socketDir, `usb${i}.sock`);
  const attachments: UsbRedirAttachment[] = devices.map((d, i) => ({
    id: String(i),
    socketPath: socketPath(i),
    port: d.port,
    pcapPath: join(dirs.pcapDir, `usb${i}.pcap`),
    ...(options.qemuListens ? { qemuListens: true } : {}),
  }));
  let links: readonly { attach(): void; detach(): void }[];
  let qemuStderr: (text: string) => void = () => undefined;
  let close: () => Promise<void>;
  if (options.qemuListens) {
    const qemuLinks = new QemuUsbredirLinks(
      devices.map((d, i) => ({
        socketPath: socketPath(i),
        device: d.device.model,
        attached: d.device.attached,
      })),
      (path, e) => options.onLinkError?.(`usb-redir: could not connect to QEMU at ${path}: ${e.message}`),
    );
    links = qemuLinks.links;
    qemuStderr = (text) => {
      qemuLinks.stderr(text);
    };
    close = () => qemuLinks.close();
  } else {
    const servers: UsbredirServer[] = [];
    close = async () => {
      await Promise.all(servers.splice(0).map((s) => s.close()));
    };
    try {
      for (const [i, d] of devices.entries()) {
        servers.push(
          await listenUsbredir(d.device.model, { path: socketPath(i) }, { attached: d.device.attached }),
        );
      }
    } catch (err) {
      await close();
      throw err;
    }
    links = servers;
  }
  board.events.on((e) => {
    if (e.type !== 'usb.attach') return;
    const link = links[devices.findIndex((d) => d.path === e.device)];
    if (e.attached) link?.attach();
    else link?.detach();
  });
  return { attachments, qemuStderr, close };
}
