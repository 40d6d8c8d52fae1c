import {
  ALL_CAPABILITIES,
  ALL_EVENTS,
  ClockOp,
  ErrorCode,
  EventMask,
  FATAL_ERRORS,
  FrameType,
  I2cResult,
  PROTOCOL_VERSION,
  PseState,
  ScenarioKind,
  type ErrorCodeValue,
} from '../codec/constants.js';
import { decodeMessage } from '../codec/decode.js';
import { ProtocolError } from '../codec/errors.js';
import type {
  BatchAccess,
  BatchResult,
  Event,
  Message,
  Reply,
  Request,
  TraceRecord,
} from '../codec/messages.js';
import {
  BackendError,
  type BackendEvent,
  type BackendTraceRecord,
  type EmulationBackend,
} from './backend.js';
import type { FrameSink } from './sink.js';

export interface ServerSessionOptions {
  serverName: string;
  /** Largest frame this server accepts (announced in HELLO_REPLY). */
  maxFrame: number;
  /** Events are dropped (and counted in EV_LOST) while the client has more than this many bytes unread. */
  eventBacklogLimit: number;
  /** Number of this connection, unique within the server (names the client when two share a name). */
  connection?: number;
}

type State = 'await-hello' | 'ready' | 'closed';

const LIFECYCLE_STATE = { registered: PseState.REGISTERED, unregistered: PseState.UNREGISTERED } as const;
const I2C_RESULT = {
  ack: I2cResult.ACK,
  'nack-address': I2cResult.NACK_ADDRESS,
  'nack-data': I2cResult.NACK_DATA,
};
const DUPLEX = { half: 0, full: 1, unknown: 0xff } as const;

/**
 * The server side of one connection: a small state machine (await-hello → ready → closed) with one handler
 * per request type. It knows nothing of sockets: bytes arrive through `onFrame`, replies leave through the
 * sink's encoder. Requests are handled to completion in arrival order, so replies come back in request order.
 */
export class ServerSession {
  private state: State = 'await-hello';
  private mask = 0;
  private unsubscribe: (() => void) | undefined;
  private lostEvents = 0;
  /** Where this client's requests go: the backend, or its view for this client once HELLO named it. */
  private target: EmulationBackend;

  constructor(
    private readonly backend: EmulationBackend,
    private readonly sink: FrameSink,
    private readonly options: ServerSessionOptions,
  ) {
    this.target = backend;
  }

  get isReady(): boolean {
    return this.state === 'ready';
  }

  onFrame(type: number, tag: number, payload: Buffer): void {
    if (this.state === 'closed') return;
    // Hot path: a Clause 22 read is decoded and answered without building objects.
    if (type === FrameType.C22_READ && this.state === 'ready' && payload.length === 4) {
      const bus = payload.readUInt16LE(0);
      const phy = payload[2] as number;
      const reg = payload[3] as number;
      if (phy > 31 || reg > 31) {
        this.error(tag, type, ErrorCode.BAD_ADDRESS, `PHY ${phy} register ${reg}: both must be 0..31`);
        return;
      }
      try {
        this.sink.encoder.valueReply(FrameType.C22_READ_REPLY, tag, this.target.c22Read(bus, phy, reg));
      } catch (err) {
        this.fail(tag, type, err);
      }
      return;
    }
    let message: Message;
    try {
      message = decodeMessage(type, payload);
    } catch (err) {
      this.fail(tag, type, err);
      return;
    }
    if (this.state === 'await-hello') {
      if (message.kind !== 'hello') {
        this.error(tag, type, ErrorCode.HANDSHAKE_REQUIRED, 'the first frame must be HELLO');
        return;
      }
      this.hello(tag, message.version, message.maxFrame, message.name);
      return;
    }
    if (message.kind === 'hello' || !isRequest(message)) {
      this.error(tag, type, ErrorCode.UNEXPECTED, `a client may not send ${message.kind}`);
      return;
    }
    try {
      const reply = this.handle(message);
      this.reply(tag, type, reply);
    } catch (err) {
      this.fail(tag, type, err);
    }
  }

  /** The transport found the byte stream unusable (bad size field): report it and close. */
  onFatal(err: ProtocolError): void {
    this.error(0, err.frameType < 0 ? 0 : err.frameType, err.status, err.wireMessage);
  }

  dispose(): void {
    this.state = 'closed';
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private hello(tag: number, version: number, clientMaxFrame: number, name: string): void {
    if (version !== PROTOCOL_VERSION) {
      this.error(
        tag,
        FrameType.HELLO,
        ErrorCode.VERSION_MISMATCH,
        `server speaks version ${PROTOCOL_VERSION}, not ${version}`,
      );
      return;
    }
    if (clientMaxFrame < 4096) {
      this.error(tag, FrameType.HELLO, ErrorCode.MALFORMED, `max frame ${clientMaxFrame} is below 4096`);
      return;
    }
    this.sink.encoder.maxFrame = clientMaxFrame;
    this.target =
      this.backend.forClient?.({ name, connection: this.options.connection ?? 0 }) ?? this.backend;
    this.state = 'ready';
    this.reply(tag, FrameType.HELLO, {
      kind: 'hello-reply',
      version: PROTOCOL_VERSION,
      capabilities: ALL_CAPABILITIES,
      maxFrame: this.options.maxFrame,
      name: this.options.serverName,
    });
  }

  private handle(m: Exclude<Request, { kind: 'hello' }>): Reply {
    const b = this.target;
    switch (m.kind) {
      case 'ping':
        return { kind: 'pong', data: m.data };
      case 'c22-read':
        checkC22(m.phy, m.reg);
        return { kind: 'c22-read-reply', value: b.c22Read(m.bus, m.phy, m.reg) };
      case 'c22-write':
        checkC22(m.phy, m.reg);
        b.c22Write(m.bus, m.phy, m.reg, m.value);
        return { kind: 'c22-write-reply' };
      case 'c45-read':
        checkC45(m.port, m.devad);
        return { kind: 'c45-read-reply', value: b.c45Read(m.bus, m.port, m.devad, m.reg) };
      case 'c45-write':
        checkC45(m.port, m.devad);
        b.c45Write(m.bus, m.port, m.devad, m.reg, m.value);
        return { kind: 'c45-write-reply' };
      case 'batch':
        return { kind: 'batch-reply', results: m.accesses.map((a) => this.batchOne(a)) };
      case 'i2c-xfer': {
        if (m.addr > 0x7f)
          throw new BackendError(ErrorCode.BAD_ADDRESS, `I2C address 0x${m.addr.toString(16)} is not 7-bit`);
        if (m.readLength > this.sink.encoder.maxFrame - 16)
          throw new BackendError(
            ErrorCode.BAD_ADDRESS,
            `read length ${m.readLength} does not fit in one reply`,
          );
        const r = b.i2cTransfer(m.bus, m.addr, m.write, m.readLength);
        return { kind: 'i2c-xfer-reply', result: I2C_RESULT[r.result], data: r.data };
      }
      case 'pse-list':
        return {
          kind: 'pse-list-reply',
          controllers: b.pseList().map((c) => ({
            id: c.id,
            state: LIFECYCLE_STATE[c.state],
            piCount: c.pis.length,
            path: c.path,
            compatible: c.compatible,
          })),
        };
      case 'pse-status':
        return { kind: 'pse-status-reply', ...b.pseStatus(m.controller, m.pi) };
      case 'pse-admin':
        b.pseAdmin(m.controller, m.pi, m.enable);
        return { kind: 'pse-admin-reply' };
      case 'topology':
        return { kind: 'topology-reply', json: JSON.stringify(b.topology()) };
      case 'subscribe':
        this.setMask(m.mask & ALL_EVENTS);
        return { kind: 'subscribe-reply', mask: this.mask };
      case 'scenario-load': {
        if (m.sourceKind !== ScenarioKind.SCENARIO && m.sourceKind !== ScenarioKind.DTS)
          throw new ProtocolError(
            ErrorCode.MALFORMED,
            `unknown source kind ${m.sourceKind}`,
            12,
            FrameType.SCENARIO_LOAD,
          );
        b.loadScenario({
          kind: m.sourceKind === ScenarioKind.DTS ? 'dts' : 'scenario',
          name: m.name,
          text: m.text,
        });
        return { kind: 'scenario-load-reply' };
      }
      case 'scenario-trigger':
        b.triggerScenarioEvent(m.event);
        return { kind: 'scenario-trigger-reply' };
      case 'clock':
        this.clock(m.op, m.ns);
        return { kind: 'clock-reply', nowNs: b.clock.now(), realtime: b.clock.realtime };
      case 'reset':
        b.reset();
        return { kind: 'reset-reply' };
      case 'trace-fetch': {
        const { records, next } = b.traceSince(m.since, m.max);
        return { kind: 'trace-fetch-reply', next, records: records.map(wireTrace) };
      }
      case 'recording-fetch': {
        if (!b.recordingFetch)
          throw new BackendError(
            ErrorCode.NOT_SUPPORTED,
            'this daemon is not recording (serve --record FILE)',
          );
        // Header 12 + next 4 + size 4 + text length 4: the rest of the client's frame limit is text.
        const room = this.sink.encoder.maxFrame - 24;
        const chunk = b.recordingFetch(m.offset, Math.min(m.max, room));
        return { kind: 'recording-fetch-reply', next: chunk.next, size: chunk.size, text: chunk.text };
      }
      case 'replay-status': {
        if (!b.replayStatus)
          throw new BackendError(
            ErrorCode.NOT_SUPPORTED,
            'this daemon is not replaying (serve --replay TRACE)',
          );
        return { kind: 'replay-status-reply', json: JSON.stringify(b.replayStatus()) };
      }
    }
  }

  private clock(op: number, ns: bigint): void {
    const c = this.target.clock;
    switch (op) {
      case ClockOp.GET:
        return;
      case ClockOp.RUN:
        c.run(ns);
        return;
      case ClockOp.STEP:
        c.step();
        return;
      case ClockOp.REALTIME_ON:
        c.setRealtime(true);
        return;
      case ClockOp.REALTIME_OFF:
        c.setRealtime(false);
        return;
      default:
        throw new ProtocolError(ErrorCode.MALFORMED, `unknown clock op ${op}`, 12, FrameType.CLOCK);
    }
  }

  private batchOne(a: BatchAccess): BatchResult {
    const b = this.target;
    try {
      switch (a.op) {
        case 'c22-read':
          checkC22(a.phy, a.reg);
          return { value: b.c22Read(a.bus, a.phy, a.reg), status: 0 };
        case 'c22-write':
          checkC22(a.phy, a.reg);
          b.c22Write(a.bus, a.phy, a.reg, a.value);
          return { value: 0, status: 0 };
        case 'c45-read':
          checkC45(a.port, a.devad);
          return { value: b.c45Read(a.bus, a.port, a.devad, a.reg), status: 0 };
        case 'c45-write':
          checkC45(a.port, a.devad);
          b.c45Write(a.bus, a.port, a.devad, a.reg, a.value);
          return { value: 0, status: 0 };
      }
    } catch (err) {
      return {
        value: 0,
        status: err instanceof BackendError || err instanceof ProtocolError ? err.status : ErrorCode.INTERNAL,
      };
    }
  }

  private setMask(mask: number): void {
    this.mask = mask;
    if (mask !== 0 && this.unsubscribe === undefined) {
      this.unsubscribe = this.backend.subscribe((e) => {
        this.pushEvent(e);
      });
    } else if (mask === 0 && this.unsubscribe !== undefined) {
      this.unsubscribe();
      this.unsubscribe = undefined;
    }
  }

  private pushEvent(e: BackendEvent): void {
    if (this.state !== 'ready' || (this.mask & EVENT_BIT[e.type]) === 0) return;
    if (this.sink.backlog() > this.options.eventBacklogLimit) {
      this.lostEvents++;
      return;
    }
    try {
      if (this.lostEvents > 0) {
        this.sink.encoder.frame(0, { kind: 'ev-lost', count: this.lostEvents });
        this.lostEvents = 0;
      }
      this.sink.encoder.frame(0, wireEvent(e));
    } catch {
      // An event too large for the client's frame limit (a huge trace record) is counted as lost.
      this.lostEvents++;
    }
    this.sink.flush();
  }

  private reply(tag: number, requestType: number, reply: Reply): void {
    try {
      this.sink.encoder.frame(tag, reply);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      this.error(tag, requestType, ErrorCode.INTERNAL, `reply could not be sent: ${why}`);
    }
  }

  private fail(tag: number, requestType: number, err: unknown): void {
    if (err instanceof ProtocolError) {
      this.error(tag, requestType, err.status, err.wireMessage);
    } else if (err instanceof BackendError) {
      this.error(tag, requestType, err.status, err.detail);
    } else {
      this.error(tag, requestType, ErrorCode.INTERNAL, err instanceof Error ? err.message : String(err));
    }
  }

  private error(tag: number, requestType: number, code: ErrorCodeValue, message: string): void {
    // Messages are cut so an error about a huge frame cannot itself exceed the limit.
    this.sink.encoder.frame(tag, { kind: 'error', code, requestType, message: message.slice(0, 1024) });
    if (FATAL_ERRORS.has(code)) {
      this.dispose();
      this.sink.close();
    }
  }
}

const EVENT_BIT: Readonly<Record<BackendEvent['type'], number>> = {
  'pse-lifecycle': EventMask.PSE_LIFECYCLE,
  'phy-irq': EventMask.PHY_IRQ,
  link: EventMask.LINK,
  'scenario-step': EventMask.SCENARIO_STEP,
  trace: EventMask.TRACE,
};

const REQUEST_KINDS: ReadonlySet<string> = new Set([
  'hello',
  'ping',
  'c22-read',
  'c22-write',
  'c45-read',
  'c45-write',
  'batch',
  'i2c-xfer',
  'pse-list',
  'pse-status',
  'pse-admin',
  'topology',
  'subscribe',
  'scenario-load',
  'scenario-trigger',
  'clock',
  'reset',
  'trace-fetch',
  'recording-fetch',
  'replay-status',
]);

function isRequest(m: Message): m is Request {
  return REQUEST_KINDS.has(m.kind);
}

function checkC22(phy: number, reg: number): void {
  if (phy > 31 || reg > 31)
    throw new BackendError(ErrorCode.BAD_ADDRESS, `PHY ${phy} register ${reg}: both must be 0..31`);
}

function checkC45(port: number, devad: number): void {
  if (port > 31 || devad > 31)
    throw new BackendError(ErrorCode.BAD_ADDRESS, `port ${port} devad ${devad}: both must be 0..31`);
}

function wireTrace(r: BackendTraceRecord): TraceRecord {
  return { seq: r.seq, timeNs: r.timeNs, json: JSON.stringify(r.event, bigintJson) };
}

function bigintJson(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value;
}

function wireEvent(e: BackendEvent): Event {
  switch (e.type) {
    case 'pse-lifecycle':
      return {
        kind: 'ev-pse-lifecycle',
        controller: e.controller,
        state: LIFECYCLE_STATE[e.state],
        timeNs: e.timeNs,
        path: e.path,
      };
    case 'phy-irq':
      return { kind: 'ev-phy-irq', bus: e.bus, phy: e.phy, asserted: e.asserted, timeNs: e.timeNs };
    case 'link':
      return {
        kind: 'ev-link',
        bus: e.bus,
        phy: e.phy,
        up: e.up,
        speed: e.speed,
        duplex: DUPLEX[e.duplex],
        timeNs: e.timeNs,
      };
    case 'scenario-step':
      return { kind: 'ev-scenario-step', index: e.index, name: e.name, timeNs: e.timeNs };
    case 'trace':
      return { kind: 'ev-trace', record: wireTrace(e.record) };
  }
}
