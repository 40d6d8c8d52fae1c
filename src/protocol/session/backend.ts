import type { ErrorCodeValue } from '../codec/constants.js';
import { InputError } from '../../diagnostics/index.js';
import { wireCode } from '../codec/errors.js';

/**
 * What the protocol server needs from an emulation. The daemon binds it to the real MDIO, PHY, PSE, I2C and
 * scenario modules (emulator/backend.ts); tests bind it to small fakes. Every method is synchronous: the
 * server runs each request to completion before the next, which is what makes accesses to one bus
 * serialised across clients (and a BATCH atomic) without locks.
 */
export interface EmulationBackend {
  topology(): TopologyInfo;
  c22Read(bus: number, phy: number, reg: number): number;
  c22Write(bus: number, phy: number, reg: number, value: number): void;
  c45Read(bus: number, port: number, devad: number, reg: number): number;
  c45Write(bus: number, port: number, devad: number, reg: number, value: number): void;
  i2cTransfer(bus: number, addr: number, write: Uint8Array, readLength: number): I2cTransferResult;
  pseList(): PseControllerInfo[];
  pseStatus(controller: number, pi: number): PsePiStatus;
  pseAdmin(controller: number, pi: number, enable: boolean): void;
  loadScenario(source: ScenarioSource): void;
  triggerScenarioEvent(event: string): void;
  clock: ClockControl;
  reset(): void;
  /** Up to `max` trace records with seq >= since, oldest first. */
  traceSince(since: number, max: number): { records: BackendTraceRecord[]; next: number };
  /** Registers a listener for events; returns the unsubscribe function. */
  subscribe(listener: (event: BackendEvent) => void): () => void;
  /**
   * The backend one client's requests go to, asked for once its HELLO is accepted. A backend that records
   * or reports per client returns a view that knows who is asking; without it every client shares `this`.
   */
  forClient?(client: ClientIdentity): EmulationBackend;
  /** RECORDING_FETCH: the record file from byte `offset`. Absent: ERROR NOT_SUPPORTED. */
  recordingFetch?(offset: number, maxBytes: number): RecordingChunk;
  /** REPLAY_STATUS: what a replaying backend served and could not serve. Absent: ERROR NOT_SUPPORTED. */
  replayStatus?(): ReplayStatusInfo;
}

/** Who sent a request: the name from its HELLO and a number unique to its connection. */
export interface ClientIdentity {
  name: string;
  connection: number;
}

export interface RecordingChunk {
  /** Whole lines of the trace format (docs/trace-format.md). */
  text: string;
  next: number;
  /** Bytes in the record file now. */
  size: number;
}

/** A request the recording did not foresee, as REPLAY_STATUS reports it. */
export interface UnforeseenInfo {
  /** 1-based number of the request among all MDIO requests served. */
  request: number;
  client?: string;
  /** `read /mdio@ff0d0000 phy 1 reg 0x09`, the form trace reports use. */
  description: string;
  reason: string;
}

export interface ReplayStatusInfo {
  mode: 'strict' | 'per-register';
  /** Recorded transactions loaded. */
  recorded: number;
  /** MDIO transactions served (answered or not). */
  served: number;
  /** Recorded transactions not yet played (strict mode; 0 in per-register mode). */
  remaining: number;
  unforeseen: UnforeseenInfo[];
}

export interface ClockControl {
  now(): bigint;
  /** Advances virtual time by `ns`, firing everything scheduled on the way. */
  run(ns: bigint): void;
  /** Advances to the next scheduled event, if any. */
  step(): void;
  setRealtime(on: boolean): void;
  readonly realtime: boolean;
}

export interface ScenarioSource {
  kind: 'scenario' | 'dts';
  name: string;
  text: string;
}

export interface I2cTransferResult {
  result: 'ack' | 'nack-address' | 'nack-data';
  data: Uint8Array;
}

export interface TopologyInfo {
  buses: BusInfo[];
  pse: PseControllerInfo[];
  i2c: I2cBusInfo[];
}
export interface BusInfo {
  id: number;
  /** Device-tree path of the MDIO bus node. */
  path: string;
  phys: PhyInfo[];
}
export interface PhyInfo {
  addr: number;
  /** 32-bit PHY identifier (registers 2 and 3). */
  phyId: number;
  c45: boolean;
  path: string;
  model?: string;
  /** DT paths of the PSE PIs this PHY's `pses` property references. */
  pses?: string[];
}
export interface PseControllerInfo {
  id: number;
  path: string;
  compatible: string;
  state: 'registered' | 'unregistered';
  pis: { index: number; name: string }[];
}
export interface I2cBusInfo {
  id: number;
  path: string;
  devices: { addr: number; path: string; compatible: string }[];
}

/** C33 admin state and power status numbers of include/uapi/linux/ethtool.h. */
export interface PsePiStatus {
  adminState: number;
  powerStatus: number;
  powerClass: number;
  actualPowerMw: number;
  powerLimitMw: number;
}

export interface BackendTraceRecord {
  seq: number;
  timeNs: bigint;
  /** A JSON-serialisable event with a dotted `type`. */
  event: { type: string } & Record<string, unknown>;
}

export type BackendEvent =
  | {
      type: 'pse-lifecycle';
      controller: number;
      state: 'registered' | 'unregistered';
      path: string;
      timeNs: bigint;
    }
  | { type: 'phy-irq'; bus: number; phy: number; asserted: boolean; timeNs: bigint }
  | {
      type: 'link';
      bus: number;
      phy: number;
      up: boolean;
      speed: number;
      duplex: 'half' | 'full' | 'unknown';
      timeNs: bigint;
    }
  | { type: 'scenario-step'; index: number; name: string; timeNs: bigint }
  | { type: 'trace'; record: BackendTraceRecord };

/** A request the emulation cannot satisfy; `code` becomes the ERROR frame's code. */
export class BackendError extends InputError {
  constructor(
    readonly status: ErrorCodeValue,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(wireCode(status), message, options);
  }
}
