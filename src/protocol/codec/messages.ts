/**
 * Decoded frame payloads. Each request kind has a reply kind whose wire type is the request's with
 * REPLY_BIT set; events travel with tag 0. Field names follow docs/protocol.md.
 */

export interface Hello {
  kind: 'hello';
  version: number;
  capabilities: number;
  maxFrame: number;
  name: string;
}
export interface HelloReply extends Omit<Hello, 'kind'> {
  kind: 'hello-reply';
}
export interface Ping {
  kind: 'ping';
  data: Uint8Array;
}
export interface Pong {
  kind: 'pong';
  data: Uint8Array;
}
export interface C22Read {
  kind: 'c22-read';
  bus: number;
  phy: number;
  reg: number;
}
export interface C22Write {
  kind: 'c22-write';
  bus: number;
  phy: number;
  reg: number;
  value: number;
}
export interface C45Read {
  kind: 'c45-read';
  bus: number;
  port: number;
  devad: number;
  reg: number;
}
export interface C45Write {
  kind: 'c45-write';
  bus: number;
  port: number;
  devad: number;
  reg: number;
  value: number;
}
export interface ValueReply {
  kind: 'c22-read-reply' | 'c45-read-reply';
  value: number;
}
export interface EmptyReply {
  kind:
    | 'c22-write-reply'
    | 'c45-write-reply'
    | 'pse-admin-reply'
    | 'scenario-load-reply'
    | 'scenario-trigger-reply'
    | 'reset-reply';
}
export type BatchAccess =
  | { op: 'c22-read'; bus: number; phy: number; reg: number }
  | { op: 'c22-write'; bus: number; phy: number; reg: number; value: number }
  | { op: 'c45-read'; bus: number; port: number; devad: number; reg: number }
  | { op: 'c45-write'; bus: number; port: number; devad: number; reg: number; value: number };
export interface Batch {
  kind: 'batch';
  accesses: BatchAccess[];
}
/** `status` is 0 for success or an ErrorCode; `value` is the read value (0 for writes and failures). */
export interface BatchResult {
  value: number;
  status: number;
}
export interface BatchReply {
  kind: 'batch-reply';
  results: BatchResult[];
}
export interface I2cXfer {
  kind: 'i2c-xfer';
  bus: number;
  addr: number;
  write: Uint8Array;
  readLength: number;
}
export interface I2cXferReply {
  kind: 'i2c-xfer-reply';
  /** I2cResult: 0 ACK, 1 address NACK, 2 data NACK. */
  result: number;
  data: Uint8Array;
}
export interface PseList {
  kind: 'pse-list';
}
export interface PseControllerEntry {
  id: number;
  /** PseState: 0 unregistered, 1 registered. */
  state: number;
  piCount: number;
  path: string;
  compatible: string;
}
export interface PseListReply {
  kind: 'pse-list-reply';
  controllers: PseControllerEntry[];
}
export interface PseStatus {
  kind: 'pse-status';
  controller: number;
  pi: number;
}
/** Admin state and power status use the numbering of Linux's uapi ethtool.h (C33 enums). */
export interface PseStatusReply {
  kind: 'pse-status-reply';
  adminState: number;
  powerStatus: number;
  powerClass: number;
  actualPowerMw: number;
  powerLimitMw: number;
}
export interface PseAdmin {
  kind: 'pse-admin';
  controller: number;
  pi: number;
  enable: boolean;
}
export interface Topology {
  kind: 'topology';
}
export interface TopologyReply {
  kind: 'topology-reply';
  /** UTF-8 JSON text; schema in docs/protocol.md. */
  json: string;
}
export interface Subscribe {
  kind: 'subscribe';
  mask: number;
}
export interface SubscribeReply {
  kind: 'subscribe-reply';
  mask: number;
}
export interface ScenarioLoad {
  kind: 'scenario-load';
  /** ScenarioKind: 0 scenario file, 1 DTS source. */
  sourceKind: number;
  name: string;
  text: string;
}
export interface ScenarioTrigger {
  kind: 'scenario-trigger';
  event: string;
}
export interface Clock {
  kind: 'clock';
  /** ClockOp. */
  op: number;
  ns: bigint;
}
export interface ClockReply {
  kind: 'clock-reply';
  nowNs: bigint;
  realtime: boolean;
}
export interface Reset {
  kind: 'reset';
}
export interface TraceFetch {
  kind: 'trace-fetch';
  since: number;
  max: number;
}
export interface TraceRecord {
  seq: number;
  timeNs: bigint;
  /** One trace event as UTF-8 JSON text (its `type` is a dotted name such as `mdio.read`). */
  json: string;
}
export interface TraceFetchReply {
  kind: 'trace-fetch-reply';
  next: number;
  /** TraceFetchFlag bits: MORE (the reply was cut to fit; fetch again from `next`), TRUNCATED. */
  flags: number;
  records: TraceRecord[];
}
/** Asks for the daemon's record file (docs/trace-format.md text) from byte `offset`, at most `max` bytes. */
export interface RecordingFetch {
  kind: 'recording-fetch';
  offset: number;
  max: number;
}
export interface RecordingFetchReply {
  kind: 'recording-fetch-reply';
  /** Offset to ask for next: `offset` plus the bytes of `text`. */
  next: number;
  /** Size of the record file now; `next === size` means the client has everything written so far. */
  size: number;
  /** Whole lines of the trace format. */
  text: string;
}
export interface ReplayStatus {
  kind: 'replay-status';
}
export interface ReplayStatusReply {
  kind: 'replay-status-reply';
  /** UTF-8 JSON: mode, requests served, unforeseen requests; schema in docs/protocol.md. */
  json: string;
}
export interface ErrorFrame {
  kind: 'error';
  code: number;
  requestType: number;
  message: string;
}
export interface EvPseLifecycle {
  kind: 'ev-pse-lifecycle';
  controller: number;
  state: number;
  timeNs: bigint;
  path: string;
}
export interface EvPhyIrq {
  kind: 'ev-phy-irq';
  bus: number;
  phy: number;
  asserted: boolean;
  timeNs: bigint;
}
export interface EvLink {
  kind: 'ev-link';
  bus: number;
  phy: number;
  up: boolean;
  /** Mb/s, 0 when unknown or down. */
  speed: number;
  /** 0 half, 1 full, 0xff unknown. */
  duplex: number;
  timeNs: bigint;
}
export interface EvScenarioStep {
  kind: 'ev-scenario-step';
  index: number;
  timeNs: bigint;
  name: string;
}
export interface EvTrace {
  kind: 'ev-trace';
  record: TraceRecord;
}
export interface EvLost {
  kind: 'ev-lost';
  count: number;
}

export type Request =
  | Hello
  | Ping
  | C22Read
  | C22Write
  | C45Read
  | C45Write
  | Batch
  | I2cXfer
  | PseList
  | PseStatus
  | PseAdmin
  | Topology
  | Subscribe
  | ScenarioLoad
  | ScenarioTrigger
  | Clock
  | Reset
  | TraceFetch
  | RecordingFetch
  | ReplayStatus;
export type Reply =
  | HelloReply
  | Pong
  | ValueReply
  | EmptyReply
  | BatchReply
  | I2cXferReply
  | PseListReply
  | PseStatusReply
  | TopologyReply
  | SubscribeReply
  | ClockReply
  | TraceFetchReply
  | RecordingFetchReply
  | ReplayStatusReply;
export type Event = EvPseLifecycle | EvPhyIrq | EvLink | EvScenarioStep | EvTrace | EvLost;
export type Message = Request | Reply | ErrorFrame | Event;
export type MessageKind = Message['kind'];

/** A decoded frame: its tag and payload. */
export interface Frame<M extends Message = Message> {
  tag: number;
  message: M;
}
