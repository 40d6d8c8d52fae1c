import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MdioClient } from '../../src/protocol/client.js';
import { encodeFrame } from '../../src/protocol/codec/encode.js';
import { FrameParser } from '../../src/protocol/codec/parser.js';
import { decodeMessage } from '../../src/protocol/codec/decode.js';
import type { Message } from '../../src/protocol/codec/messages.js';
import { ProtocolServer, type ProtocolServerOptions } from '../../src/protocol/transport/server.js';
import { FakeBackend } from './fake-backend.js';

export interface Live {
  backend: FakeBackend;
  server: ProtocolServer;
  path: string;
  connect(name?: string): Promise<MdioClient>;
  close(): Promise<void>;
}

export async function startLive(options: ProtocolServerOptions = {}): Promise<Live> {
  const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-test-'));
  const path = join(dir, 'emu.sock');
  const backend = new FakeBackend();
  const server = new ProtocolServer(backend, options);
  await server.listenUnix(path);
  const clients: MdioClient[] = [];
  return {
    backend,
    server,
    path,
    async connect(name) {
      const c = await MdioClient.connect({ unix: path }, name === undefined ? {} : { name });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A raw socket that speaks frames by hand, for tests that must misbehave. */
export class RawPeer {
  readonly frames: { type: number; tag: number; message: Message }[] = [];
  closed = false;
  private waiters: (() => void)[] = [];
  private constructor(readonly socket: Socket) {
    const parser = new FrameParser(
      (type, tag, payload) => {
        this.frames.push({ type, tag, message: decodeMessage(type, payload) });
        this.wake();
      },
      () => undefined,
      1 << 24,
    );
    socket.on('data', (b: Buffer) => {
      parser.push(b);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async open(path: string): Promise<RawPeer> {
    const socket = createConnection(path);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawPeer(socket);
  }

  static async ready(path: string): Promise<RawPeer> {
    const p = await RawPeer.open(path);
    p.send(encodeFrame(1, { kind: 'hello', version: 1, capabilities: 0, maxFrame: 65536, name: 'raw' }));
    await p.until((f) => f.length >= 1);
    p.frames.length = 0;
    return p;
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  async until(cond: (frames: RawPeer['frames'], closed: boolean) => boolean, ms = 3000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!cond(this.frames, this.closed)) {
      if (Date.now() > deadline)
        throw new Error(`timed out; frames: ${JSON.stringify(this.frames.map((f) => f.message.kind))}`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 50);
      });
    }
  }

  destroy(): void {
    this.socket.destroy();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
}
