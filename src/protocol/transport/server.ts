import { EnvironmentError } from '../../diagnostics/index.js';
import { existsSync, unlinkSync, chmodSync } from 'node:fs';
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { DEFAULT_MAX_FRAME, MIN_MAX_FRAME } from '../codec/constants.js';
import { FrameParser } from '../codec/parser.js';
import type { EmulationBackend } from '../session/backend.js';
import { ServerSession } from '../session/server-session.js';
import { SocketSink } from './socket-sink.js';

export interface ProtocolServerOptions {
  serverName?: string;
  /** Largest frame accepted from a client. */
  maxFrame?: number;
  /** Stop reading a client's requests while this many reply bytes wait to be sent to it. */
  outputHighWater?: number;
  /** Drop events (counted, reported as EV_LOST) for a client with more than this many unsent bytes. */
  eventBacklogLimit?: number;
  /** Close a connection that has not completed HELLO within this many milliseconds. */
  handshakeTimeoutMs?: number;
}

export type ListenAddress = { kind: 'unix'; path: string } | { kind: 'tcp'; host: string; port: number };

/**
 * Serves one EmulationBackend to many clients over UNIX and/or TCP sockets. All clients share the backend
 * and Node runs one request at a time, so every client sees one consistent emulation.
 * Memory per client is bounded: input by the maximum frame size (the parser holds at most one partial
 * frame), output by pausing reads above `outputHighWater` and dropping events above `eventBacklogLimit`.
 */
export class ProtocolServer {
  private readonly servers: Server[] = [];
  private readonly sockets = new Set<Socket>();
  private readonly parsers = new WeakMap<Socket, FrameParser>();
  private readonly unixPaths: string[] = [];
  private readonly opts: Required<ProtocolServerOptions>;
  private connections = 0;
  readonly addresses: ListenAddress[] = [];

  constructor(
    private readonly backend: EmulationBackend,
    options: ProtocolServerOptions = {},
  ) {
    this.opts = {
      serverName: options.serverName ?? 'mdio-emu',
      maxFrame: Math.max(options.maxFrame ?? DEFAULT_MAX_FRAME, MIN_MAX_FRAME),
      outputHighWater: options.outputHighWater ?? 1 << 20,
      eventBacklogLimit: options.eventBacklogLimit ?? 1 << 20,
      handshakeTimeoutMs: options.handshakeTimeoutMs ?? 10_000,
    };
  }

  get connectionCount(): number {
    return this.sockets.size;
  }

  /** What the server holds for its clients right now: the numbers the "bounded memory" promise is about. */
  stats(): { connections: number; queuedOutputBytes: number; bufferedInputBytes: number } {
    let queuedOutputBytes = 0;
    let bufferedInputBytes = 0;
    for (const socket of this.sockets) {
      queuedOutputBytes += socket.writableLength;
      bufferedInputBytes += this.parsers.get(socket)?.buffered ?? 0;
    }
    return { connections: this.sockets.size, queuedOutputBytes, bufferedInputBytes };
  }

  /** Listens on a UNIX socket, removing a stale socket file first; the socket gets `mode` (0600 by default). */
  async listenUnix(path: string, mode = 0o600): Promise<ListenAddress> {
    await removeStaleSocket(path);
    const server = this.newServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      // The socket file is created inside listen(): a tight umask closes the window in which another user
      // could connect before the chmod below. Worker threads may not change the umask; chmod still applies.
      const restore = tightUmask();
      try {
        server.listen(path, () => {
          server.off('error', reject);
          resolve();
        });
      } finally {
        restore();
      }
    });
    chmodSync(path, mode);
    this.unixPaths.push(path);
    const address: ListenAddress = { kind: 'unix', path };
    this.addresses.push(address);
    return address;
  }

  /** Listens on TCP; port 0 picks a free port (the returned address has the real one). */
  async listenTcp(host = '127.0.0.1', port = 0): Promise<ListenAddress> {
    const server = this.newServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const info = server.address() as AddressInfo;
    const address: ListenAddress = { kind: 'tcp', host: info.address, port: info.port };
    this.addresses.push(address);
    return address;
  }

  /** Stops listening, ends every connection after its pending replies, removes UNIX socket files. */
  async close(): Promise<void> {
    const closed = this.servers.map(
      (s) =>
        new Promise<void>((resolve) =>
          s.close(() => {
            resolve();
          }),
        ),
    );
    for (const socket of this.sockets) {
      socket.end();
      setTimeout(() => socket.destroy(), 500).unref();
    }
    await Promise.all(closed);
    for (const p of this.unixPaths) {
      try {
        unlinkSync(p);
      } catch {
        // already gone
      }
    }
  }

  private newServer(): Server {
    const server = createServer({ noDelay: true }, (socket) => {
      this.accept(socket);
    });
    this.servers.push(server);
    return server;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    const sink = new SocketSink(socket, DEFAULT_MAX_FRAME);
    const session = new ServerSession(this.backend, sink, {
      serverName: this.opts.serverName,
      maxFrame: this.opts.maxFrame,
      eventBacklogLimit: this.opts.eventBacklogLimit,
      connection: ++this.connections,
    });
    const parser = new FrameParser(
      (type, tag, payload) => {
        session.onFrame(type, tag, payload);
      },
      (err) => {
        session.onFatal(err);
      },
      this.opts.maxFrame,
    );
    this.parsers.set(socket, parser);
    const handshake = setTimeout(() => {
      if (!session.isReady) socket.destroy();
    }, this.opts.handshakeTimeoutMs);
    handshake.unref();
    const highWater = this.opts.outputHighWater;
    socket.on('data', (chunk: Buffer) => {
      parser.push(chunk);
      sink.writeNow();
      // Backpressure: a client that does not read its replies stops being read.
      if (socket.writableLength > highWater && !sink.isClosing) socket.pause();
    });
    socket.on('drain', () => {
      if (socket.isPaused() && !sink.isClosing) socket.resume();
    });
    socket.on('error', () => {
      // A client that vanishes mid-request is normal; 'close' does the cleanup.
    });
    socket.on('close', () => {
      clearTimeout(handshake);
      session.dispose();
      parser.stop();
      this.sockets.delete(socket);
    });
  }
}

function tightUmask(): () => void {
  try {
    const old = process.umask(0o177);
    return () => process.umask(old);
  } catch {
    return () => undefined;
  }
}

async function removeStaleSocket(path: string): Promise<void> {
  if (!existsSync(path)) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => {
      resolve(false);
    });
  });
  if (alive) throw new EnvironmentError('CLI1001', 'a running server is listening here', { where: path });
  unlinkSync(path);
}
