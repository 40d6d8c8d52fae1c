import { ErrorCode } from '../src/protocol/codec/constants.js';
import {
  BackendError,
  type BackendEvent,
  type BackendTraceRecord,
  type ClientIdentity,
  type ClockControl,
  type EmulationBackend,
  type I2cTransferResult,
  type PseControllerInfo,
  type PsePiStatus,
  type RecordingChunk,
  type ReplayStatusInfo,
  type ScenarioSource,
  type TopologyInfo,
} from '../src/protocol/session/backend.js';
import type { CurrentClient } from './current-client.js';
import type { DaemonRecording } from './recording.js';

/**
 * What the daemon serves: an emulation (the board's models or a replay of a recording) seen by one client.
 * Each connection gets its own instance (`forClient`), which runs the MDIO requests under the client's name
 * so the record file and the replay report can say who asked; everything else is passed through.
 */
export class DaemonBackend implements EmulationBackend {
  constructor(
    private readonly inner: EmulationBackend,
    private readonly who: CurrentClient,
    private readonly recording: DaemonRecording | undefined,
    private readonly client?: string,
  ) {}

  forClient(client: ClientIdentity): EmulationBackend {
    return new DaemonBackend(this.inner, this.who, this.recording, this.who.nameFor(client));
  }

  get clock(): ClockControl {
    return this.inner.clock;
  }

  topology(): TopologyInfo {
    return this.inner.topology();
  }
  c22Read(bus: number, phy: number, reg: number): number {
    return this.as(() => this.inner.c22Read(bus, phy, reg));
  }
  c22Write(bus: number, phy: number, reg: number, value: number): void {
    this.as(() => {
      this.inner.c22Write(bus, phy, reg, value);
    });
  }
  c45Read(bus: number, port: number, devad: number, reg: number): number {
    return this.as(() => this.inner.c45Read(bus, port, devad, reg));
  }
  c45Write(bus: number, port: number, devad: number, reg: number, value: number): void {
    this.as(() => {
      this.inner.c45Write(bus, port, devad, reg, value);
    });
  }
  i2cTransfer(bus: number, addr: number, write: Uint8Array, readLength: number): I2cTransferResult {
    return this.as(() => this.inner.i2cTransfer(bus, addr, write, readLength));
  }
  pseList(): PseControllerInfo[] {
    return this.inner.pseList();
  }
  pseStatus(controller: number, pi: number): PsePiStatus {
    return this.inner.pseStatus(controller, pi);
  }
  pseAdmin(controller: number, pi: number, enable: boolean): void {
    this.inner.pseAdmin(controller, pi, enable);
  }
  loadScenario(source: ScenarioSource): void {
    this.inner.loadScenario(source);
  }
  triggerScenarioEvent(event: string): void {
    this.inner.triggerScenarioEvent(event);
  }
  reset(): void {
    this.inner.reset();
  }
  traceSince(since: number, max: number): { records: BackendTraceRecord[]; next: number } {
    return this.inner.traceSince(since, max);
  }
  subscribe(listener: (event: BackendEvent) => void): () => void {
    return this.inner.subscribe(listener);
  }

  recordingFetch(offset: number, maxBytes: number): RecordingChunk {
    if (!this.recording)
      throw new BackendError(ErrorCode.NOT_SUPPORTED, 'this daemon is not recording (serve --record FILE)');
    return this.recording.fetch(offset, maxBytes);
  }

  replayStatus(): ReplayStatusInfo {
    if (!this.inner.replayStatus)
      throw new BackendError(ErrorCode.NOT_SUPPORTED, 'this daemon is not replaying (serve --replay TRACE)');
    return this.inner.replayStatus();
  }

  private as<T>(body: () => T): T {
    return this.client === undefined ? body() : this.who.run(this.client, body);
  }
}
