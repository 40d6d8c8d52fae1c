import { EventEmitter } from 'node:events';
import { createConnection, type Socket } from 'node:net';
import { ALL_CAPABILITIES, ClockOp, DEFAULT_MAX_FRAME, ScenarioKind } from './codec/constants.js';
import type { ProtocolError } from './codec/errors.js';
import { FrameParser } from './codec/parser.js';
import type {
  BatchAccess,
  BatchResult,
  ClockReply,
  Event,
  HelloReply,
  I2cXferReply,
  PseControllerEntry,
  PseStatusReply,
  RecordingFetchReply,
  Reply,
  TopologyReply,
  TraceFetchReply,
  ValueReply,
} from './codec/messages.js';
import type { ReplayStatusInfo, TopologyInfo } from './session/backend.js';
import { ClientSession, ConnectionClosedError } from './session/client-session.js';
import { SocketSink } from './transport/socket-sink.js';

export type ConnectTarget = { unix: string } | { host?: string; port: number };

export interface ConnectOptions {
  /** Client name sent in HELLO (shows up in server logs and traces). */
  name?: string;
  maxFrame?: number;
}

/**
 * Promise-based client for the mdio-emu protocol. Calls may be issued without awaiting the previous ones:
 * they are pipelined in one socket write per burst and matched to replies by tag. Server-pushed events
 * arrive as 'event' emissions (or through `events()`) once `subscribe(mask)` has asked for them.
 */
export class MdioClient extends EventEmitter<{ event: [Event]; close: [Error | undefined] }> {
  private constructor(
    private readonly socket: Socket,
    private readonly session: ClientSession,
    readonly server: HelloReply,
  ) {
    super();
  }

  static async connect(target: ConnectTarget, options: ConnectOptions = {}): Promise<MdioClient> {
    const socket =
      'unix' in target
        ? createConnection(target.unix)
        : createConnection(target.port, target.host ?? '127.0.0.1');
    socket.setNoDelay(true);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const sink = new SocketSink(socket, DEFAULT_MAX_FRAME);
    let client: MdioClient | undefined;
    const fail = (err: ProtocolError) => {
      session.onClose(err);
      socket.destroy();
    };
    // No event can precede HELLO_REPLY (a subscription needs a request first), so `client` is set by then.
    const session = new ClientSession(sink, (e) => client?.emit('event', e), fail);
    const maxFrame = options.maxFrame ?? DEFAULT_MAX_FRAME;
    const parser = new FrameParser(
      (type, tag, payload) => {
        session.onFrame(type, tag, payload);
      },
      fail,
      maxFrame,
    );
    socket.on('data', (chunk: Buffer) => {
      parser.push(chunk);
    });
    socket.on('error', (err) => {
      session.onClose(err);
    });
    socket.on('close', () => {
      session.onClose();
      client?.emit('close', undefined);
    });
    try {
      const hello = await session.hello(options.name ?? 'mdio-emu-client', ALL_CAPABILITIES, maxFrame);
      sink.encoder.maxFrame = hello.maxFrame;
      client = new MdioClient(socket, session, hello);
      return client;
    } catch (err) {
      socket.destroy();
      throw err;
    }
  }

  get inFlight(): number {
    return this.session.inFlight;
  }

  c22Read(bus: number, phy: number, reg: number): Promise<number> {
    return this.session.c22Read(bus, phy, reg);
  }

  async c22Write(bus: number, phy: number, reg: number, value: number): Promise<void> {
    await this.session.request({ kind: 'c22-write', bus, phy, reg, value });
  }

  async c45Read(bus: number, port: number, devad: number, reg: number): Promise<number> {
    return (await this.session.request<ValueReply>({ kind: 'c45-read', bus, port, devad, reg })).value;
  }

  async c45Write(bus: number, port: number, devad: number, reg: number, value: number): Promise<void> {
    await this.session.request({ kind: 'c45-write', bus, port, devad, reg, value });
  }

  /** Runs all accesses in one frame, atomically with respect to other clients. */
  async batch(accesses: BatchAccess[]): Promise<BatchResult[]> {
    return (await this.session.request<Extract<Reply, { kind: 'batch-reply' }>>({ kind: 'batch', accesses }))
      .results;
  }

  async i2cTransfer(bus: number, addr: number, write: Uint8Array, readLength: number): Promise<I2cXferReply> {
    return this.session.request<I2cXferReply>({ kind: 'i2c-xfer', bus, addr, write, readLength });
  }

  async pseList(): Promise<PseControllerEntry[]> {
    return (await this.session.request<Extract<Reply, { kind: 'pse-list-reply' }>>({ kind: 'pse-list' }))
      .controllers;
  }

  pseStatus(controller: number, pi: number): Promise<PseStatusReply> {
    return this.session.request<PseStatusReply>({ kind: 'pse-status', controller, pi });
  }

  async pseAdmin(controller: number, pi: number, enable: boolean): Promise<void> {
    await this.session.request({ kind: 'pse-admin', controller, pi, enable });
  }

  async topology(): Promise<TopologyInfo> {
    const reply = await this.session.request<TopologyReply>({ kind: 'topology' });
    return JSON.parse(reply.json) as TopologyInfo;
  }

  /** Selects the event families (EventMask bits) this connection receives; returns the mask in force. */
  async subscribe(mask: number): Promise<number> {
    return (
      await this.session.request<Extract<Reply, { kind: 'subscribe-reply' }>>({ kind: 'subscribe', mask })
    ).mask;
  }

  async loadScenario(kind: 'scenario' | 'dts', name: string, text: string): Promise<void> {
    const sourceKind = kind === 'dts' ? ScenarioKind.DTS : ScenarioKind.SCENARIO;
    await this.session.request({ kind: 'scenario-load', sourceKind, name, text });
  }

  async trigger(event: string): Promise<void> {
    await this.session.request({ kind: 'scenario-trigger', event });
  }

  clock(op: 'get' | 'run' | 'step' | 'realtime-on' | 'realtime-off', ns = 0n): Promise<ClockReply> {
    const code = {
      get: ClockOp.GET,
      run: ClockOp.RUN,
      step: ClockOp.STEP,
      'realtime-on': ClockOp.REALTIME_ON,
      'realtime-off': ClockOp.REALTIME_OFF,
    }[op];
    return this.session.request<ClockReply>({ kind: 'clock', op: code, ns });
  }

  async reset(): Promise<void> {
    await this.session.request({ kind: 'reset' });
  }

  traceFetch(since = 0, max = 1000): Promise<TraceFetchReply> {
    return this.session.request<TraceFetchReply>({ kind: 'trace-fetch', since, max });
  }

  /** A piece of the daemon's record file (trace-format text, whole lines) from byte `offset`. */
  recordingFetch(offset = 0, max = 60_000): Promise<RecordingFetchReply> {
    return this.session.request<RecordingFetchReply>({ kind: 'recording-fetch', offset, max });
  }

  /** The record file from `offset` up to what is written now, fetched piece by piece. */
  async recordingText(offset = 0): Promise<{ text: string; next: number }> {
    const parts: string[] = [];
    let at = offset;
    for (;;) {
      const r = await this.recordingFetch(at);
      parts.push(r.text);
      // An empty piece short of the end would loop forever: a line longer than the frame limit.
      if (r.next >= r.size || r.text.length === 0) return { text: parts.join(''), next: r.next };
      at = r.next;
    }
  }

  /** What a replaying daemon served and which requests its recording did not foresee. */
  async replayStatus(): Promise<ReplayStatusInfo> {
    const reply = await this.session.request<Extract<Reply, { kind: 'replay-status-reply' }>>({
      kind: 'replay-status',
    });
    return JSON.parse(reply.json) as ReplayStatusInfo;
  }

  async ping(data: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    return (await this.session.request<Extract<Reply, { kind: 'pong' }>>({ kind: 'ping', data })).data;
  }

  /** Events as an async iterator; ends when the connection closes. */
  async *events(): AsyncGenerator<Event> {
    const queue: Event[] = [];
    let wake: (() => void) | undefined;
    // Set from the close listener; an object so the loop re-reads it after every await.
    const closed = { done: false };
    const onEvent = (e: Event) => {
      queue.push(e);
      wake?.();
    };
    const onClose = () => {
      closed.done = true;
      wake?.();
    };
    this.on('event', onEvent);
    this.on('close', onClose);
    try {
      for (;;) {
        const next = queue.shift();
        if (next !== undefined) {
          yield next;
          continue;
        }
        if (closed.done || this.socket.destroyed) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      this.off('event', onEvent);
      this.off('close', onClose);
    }
  }

  /** Closes after pending requests have been written; in-flight requests reject with ConnectionClosedError. */
  async close(): Promise<void> {
    if (this.socket.destroyed) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => {
        resolve();
      });
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }
}

export { ConnectionClosedError };
