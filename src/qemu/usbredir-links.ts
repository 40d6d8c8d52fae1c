/**
 * The usb-redir links of one QEMU run, with QEMU listening (`-chardev socket,...,server=on,wait=on`) and
 * the emulator connecting. Why this way round: a socket Node connects can read into one buffer for its
 * whole life (src/usbredir/transport.ts), where a socket a Node server accepts gets a fresh buffer per
 * read, and every read of a guest access is on its critical path (docs/latency.md). With `wait=on` QEMU
 * sets each chardev up in turn and waits for its client before the next, and before the guest starts, so
 * no device can miss the guest's first look at the bus.
 *
 * QEMU says on stderr when it waits (chardev/char-socket.c tcp_chr_wait_connected: "QEMU waiting for
 * connection on: disconnected:unix:PATH,server=on"); the emulator connects when it reads that line, so
 * there is neither a race with QEMU creating the socket nor a poll for it.
 */
import {
  connectUsbredir,
  type LinkOptions,
  type UsbDeviceModel,
  type UsbredirLink,
} from '../usbredir/index.js';

export interface QemuLinkSpec {
  readonly socketPath: string;
  readonly device: UsbDeviceModel;
  /** Session options (trace, clock); `attached` is the link's, see QemuUsbredirLink. */
  readonly options?: Omit<LinkOptions, 'attached'>;
  /** Whether the device starts plugged in (default true). */
  readonly attached?: boolean;
}

/** One device's link: attach/detach are remembered until QEMU's socket is there, then applied. */
export interface QemuUsbredirLink {
  readonly socketPath: string;
  readonly connected: boolean;
  attach(): void;
  detach(): void;
}

class Link implements QemuUsbredirLink {
  private live: UsbredirLink | undefined;
  private connecting = false;
  private closed = false;
  private wantAttached: boolean;

  constructor(private readonly spec: QemuLinkSpec) {
    this.wantAttached = spec.attached ?? true;
  }

  get socketPath(): string {
    return this.spec.socketPath;
  }
  get connected(): boolean {
    return this.live !== undefined;
  }

  attach(): void {
    this.wantAttached = true;
    this.live?.attach();
  }
  detach(): void {
    this.wantAttached = false;
    this.live?.detach();
  }

  async connect(): Promise<void> {
    if (this.connecting || this.closed) return;
    this.connecting = true;
    const link = await connectUsbredir(
      this.spec.device,
      { path: this.spec.socketPath },
      { ...this.spec.options, attached: this.wantAttached },
    );
    // close() may have run while we connected; the narrowing above does not see across the await.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
    if (this.closed) await link.close();
    else this.live = link;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.live?.close();
    this.live = undefined;
  }
}

export class QemuUsbredirLinks {
  readonly links: readonly QemuUsbredirLink[];
  private readonly byPath: ReadonlyMap<string, Link>;
  private partial = '';

  /** `onError`: a connection QEMU announced could not be made (the run then waits for its deadline). */
  constructor(
    specs: readonly QemuLinkSpec[],
    private readonly onError: (socketPath: string, error: Error) => void,
  ) {
    const links = specs.map((s) => new Link(s));
    this.links = links;
    this.byPath = new Map(links.map((l) => [l.socketPath, l]));
  }

  /** QEMU's stderr, in whatever pieces it arrives. */
  stderr(text: string): void {
    const lines = (this.partial + text).split('\n');
    this.partial = lines.pop() ?? '';
    for (const line of lines) {
      const path = waitingPath(line);
      const link = path === undefined ? undefined : this.byPath.get(path);
      link?.connect().catch((e: unknown) => {
        this.onError(link.socketPath, e instanceof Error ? e : new Error(String(e)));
      });
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.byPath.values()].map((l) => l.close()));
  }
}

const WAITING = 'QEMU waiting for connection on: disconnected:unix:';

/** The socket path of a "QEMU waiting for connection" line, if the line is one. */
export function waitingPath(line: string): string | undefined {
  const at = line.indexOf(WAITING);
  if (at < 0) return undefined;
  const rest = line.slice(at + WAITING.length).trimEnd();
  return rest.endsWith(',server=on') ? rest.slice(0, -',server=on'.length) : undefined;
}
