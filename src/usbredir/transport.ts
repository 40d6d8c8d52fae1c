import * as net from 'node:net';
import type { UsbDeviceModel } from './device.js';
import { UsbredirHostSession, type HostSessionOptions } from './session.js';

/** A UNIX socket path, or a loopback TCP port. */
export type UsbredirAddress = { readonly path: string } | { readonly host?: string; readonly port: number };

export interface LinkOptions extends Omit<HostSessionOptions, 'send'> {
  /** Called for every new connection's session (after its hello was sent). */
  readonly onSession?: (session: UsbredirHostSession) => void;
  /** Called when a connection ends. */
  readonly onDisconnect?: (session: UsbredirHostSession) => void;
}

/** Attach/detach that outlive one connection: applied to the live session and to later ones. */
export interface UsbredirLink {
  readonly session: UsbredirHostSession | undefined;
  attach(): void;
  detach(): void;
  close(): Promise<void>;
}

export interface UsbredirServer extends UsbredirLink {
  /** The bound path, or the TCP port actually bound (useful with port 0). */
  readonly address: string | number;
}

/**
 * socket.write() turns a Uint8Array into a Buffer over its `.buffer`, and for the small arrays the encoder
 * makes that moves the array off V8's heap: about 2 µs per reply on Node 20, against a fraction of that
 * for a copy into Node's pooled buffer space (Buffer.allocUnsafe below 4 KiB).
 */
function toPooledBuffer(bytes: Uint8Array): Buffer {
  if (Buffer.isBuffer(bytes)) return bytes;
  const out = Buffer.allocUnsafe(bytes.length);
  out.set(bytes);
  return out;
}

/**
 * Where a connected socket's reads go. A socket we connect can read into one buffer of ours for its whole
 * life (`onread`), so a read allocates nothing; the decoder copies what it keeps. Node offers that only to
 * sockets it creates for a connect, not to a server's accepted ones, which emit 'data' with a fresh Buffer.
 */
interface ReadTarget {
  session: UsbredirHostSession | undefined;
}

const READ_BUFFER_SIZE = 64 * 1024;

function bindSocket(
  socket: net.Socket,
  device: UsbDeviceModel,
  options: LinkOptions,
  attached: boolean,
  onEnd: (session: UsbredirHostSession) => void,
  reads?: ReadTarget,
): UsbredirHostSession {
  socket.setNoDelay(true);
  const session = new UsbredirHostSession(device, {
    ...options,
    attached,
    // Replies then need no copy into Node's pool before the write (toPooledBuffer).
    allocate: (size) => Buffer.allocUnsafe(size),
    send: (bytes) => {
      if (!socket.destroyed) socket.write(toPooledBuffer(bytes));
    },
  });
  if (reads) reads.session = session;
  else socket.on('data', (chunk: Buffer) => session.receive(chunk));
  socket.on('error', () => socket.destroy());
  socket.on('close', () => {
    session.close();
    onEnd(session);
    options.onDisconnect?.(session);
  });
  session.start();
  options.onSession?.(session);
  return session;
}

/**
 * Listen for QEMU's `-chardev socket,path=...` (QEMU connects as a client). One device has one
 * owner, so while a connection is live further connections are refused; after it closes, the
 * next connection gets the device again (a fresh hello and device_connect).
 */
export function listenUsbredir(
  device: UsbDeviceModel,
  address: UsbredirAddress,
  options: LinkOptions = {},
): Promise<UsbredirServer> {
  let wantAttached = options.attached ?? true;
  let current: UsbredirHostSession | undefined;
  let currentSocket: net.Socket | undefined;
  const server = net.createServer((socket) => {
    if (current) {
      socket.destroy();
      return;
    }
    currentSocket = socket;
    current = bindSocket(socket, device, options, wantAttached, (s) => {
      if (current === s) {
        current = undefined;
        currentSocket = undefined;
      }
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    const onListening = (): void => {
      server.off('error', reject);
      const bound = server.address();
      resolve({
        address: typeof bound === 'string' ? bound : (bound?.port ?? 0),
        get session() {
          return current;
        },
        attach() {
          wantAttached = true;
          current?.attach();
        },
        detach() {
          wantAttached = false;
          current?.detach();
        },
        close: () =>
          new Promise<void>((done) => {
            currentSocket?.destroy();
            server.close(() => done());
          }),
      });
    };
    if ('path' in address) server.listen(address.path, onListening);
    else server.listen(address.port, address.host ?? '127.0.0.1', onListening);
  });
}

/**
 * Connect to QEMU's `-chardev socket,...,server=on` (QEMU listens). Resolves once connected; the
 * link ends when the socket closes (connect again for a new one).
 */
export function connectUsbredir(
  device: UsbDeviceModel,
  address: UsbredirAddress,
  options: LinkOptions = {},
): Promise<UsbredirLink> {
  return new Promise((resolve, reject) => {
    const reads: ReadTarget = { session: undefined };
    const onread = {
      buffer: Buffer.allocUnsafe(READ_BUFFER_SIZE),
      callback: (n: number, buffer: Uint8Array): boolean => {
        reads.session?.receive(buffer.subarray(0, n));
        return true;
      },
    };
    const socket =
      'path' in address
        ? net.createConnection({ path: address.path, onread })
        : net.createConnection({ port: address.port, host: address.host ?? '127.0.0.1', onread });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      let live: UsbredirHostSession | undefined = bindSocket(
        socket,
        device,
        options,
        options.attached ?? true,
        () => {
          live = undefined;
        },
        reads,
      );
      const session = live;
      resolve({
        get session() {
          return live;
        },
        attach: () => session.attach(),
        detach: () => session.detach(),
        close: () =>
          new Promise<void>((done) => {
            if (socket.destroyed) return done();
            socket.once('close', () => done());
            socket.destroy();
          }),
      });
    });
  });
}
