import { join } from 'node:path';
import type { Board } from '../board/index.js';
import { listenUsbredir, type UsbredirServer } from '../usbredir/index.js';
import type { UsbRedirAttachment } from './machine.js';
import type { PlacedUsbDevice } from './qemu-scenario.js';

export interface ServedUsbDevices {
  /** What QEMU is told: one `usb-redir` per device, in the order of `devices`. */
  attachments: UsbRedirAttachment[];
  close(): Promise<void>;
}

/**
 * One usbredir server per USB device on a UNIX socket in `socketDir` (QEMU connects as the client), each
 * following its device's plug state on the board; QEMU captures each device's traffic into `pcapDir`.
 */
export async function serveUsbDevices(
  board: Board,
  devices: readonly PlacedUsbDevice[],
  dirs: { socketDir: string; pcapDir: string },
): Promise<ServedUsbDevices> {
  const servers: UsbredirServer[] = [];
  const close = async (): Promise<void> => {
    await Promise.all(servers.splice(0).map((s) => s.close()));
  };
  const attachments: UsbRedirAttachment[] = [];
  try {
    for (const [i, d] of devices.entries()) {
      const socketPath = join(dirs.socketDir, `usb${i}.sock`);
      servers.push(
        await listenUsbredir(d.device.model, { path: socketPath }, { attached: d.device.attached }),
      );
      attachments.push({
        id: String(i),
        socketPath,
        port: d.port,
        pcapPath: join(dirs.pcapDir, `usb${i}.pcap`),
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  board.events.on((e) => {
    if (e.type !== 'usb.attach') return;
    const server = servers[devices.findIndex((d) => d.path === e.device)];
    if (e.attached) server?.attach();
    else server?.detach();
  });
  return { attachments, close };
}
