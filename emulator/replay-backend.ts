import { ErrorCode } from '../src/protocol/codec/constants.js';
import {
  BackendError,
  type BackendEvent,
  type BackendTraceRecord,
  type ClockControl,
  type EmulationBackend,
  type I2cTransferResult,
  type PhyInfo,
  type PseControllerInfo,
  type PsePiStatus,
  type ReplayStatusInfo,
  type TopologyInfo,
  type UnforeseenInfo,
} from '../src/protocol/session/backend.js';
import { describeRequest, ReplayServer, type ReplayRequest, type ServeMode } from '../src/replay/serve.js';
import type { TraceRecord } from '../src/replay/record.js';
import type { CurrentClient } from './current-client.js';
import { checkedRun } from './board-backend.js';
import { TraceRing } from './trace-ring.js';

const MDIO_ONLY = 'a replay answers MDIO only: the recording holds no I2C, PSE or scenario state';
/** Unforeseen requests listed by REPLAY_STATUS and the stop report; later ones are counted, not kept. */
export const KEPT_UNFORESEEN = 1000;

/**
 * `serve --replay TRACE`: MDIO answers from a recording (src/replay/serve.ts `ReplayServer`) instead of
 * models. Buses are the recording's bus names in order of first use (bus id = that index), so a client
 * that asks TOPOLOGY finds the recorded bus paths. A request the recording did not foresee is answered
 * with ERROR UNFORESEEN (the connection stays open) and kept, with the client that sent it, for
 * REPLAY_STATUS and the report at shutdown.
 */
export class ReplayBackend implements EmulationBackend {
  readonly clock: ClockControl;
  readonly unforeseen: UnforeseenInfo[] = [];
  /** Every unforeseen request since the daemon started, kept in `unforeseen` or not. */
  #unforeseenTotal = 0;
  #server: ReplayServer;
  #served = 0;
  #nowNs = 0n;
  /** Wall time when the clock was tied to it (CLOCK op 3), else undefined. */
  #realtimeSince: bigint | undefined;
  readonly #busNames: string[];
  /** Our own traces hold the Clause 45 address frame as a record of its own; kernel mdio_access text does not. */
  readonly #c45AddressFrames: boolean;
  readonly #ring = new TraceRing();
  readonly #listeners = new Set<(e: BackendEvent) => void>();

  constructor(
    private readonly records: readonly TraceRecord[],
    readonly mode: ServeMode,
    private readonly who: CurrentClient,
  ) {
    this.#server = new ReplayServer(records, mode, { keepUnforeseen: 0 });
    this.#busNames = [...new Set(records.map((r) => r.bus))];
    this.#c45AddressFrames = records.some((r) => r.op === 'address');
    const now = () => this.now();
    const isRealtime = () => this.#realtimeSince !== undefined;
    this.clock = {
      now,
      run: (ns) => {
        this.#nowNs = this.now() + BigInt(checkedRun(this.now(), ns));
        if (this.#realtimeSince !== undefined) this.#realtimeSince = process.hrtime.bigint();
      },
      // Nothing is scheduled in a replay: there is no next event to step to.
      step: () => undefined,
      setRealtime: (on) => {
        this.#nowNs = this.now();
        this.#realtimeSince = on ? process.hrtime.bigint() : undefined;
      },
      get realtime() {
        return isRealtime();
      },
    };
  }

  topology(): TopologyInfo {
    return {
      buses: this.#busNames.map((path, id) => ({ id, path, phys: this.phys(path) })),
      pse: [],
      i2c: [],
    };
  }

  c22Read(bus: number, phy: number, reg: number): number {
    return this.serve({ bus: this.busName(bus), op: 'read', addr: phy, reg });
  }
  c22Write(bus: number, phy: number, reg: number, value: number): void {
    this.serve({ bus: this.busName(bus), op: 'write', addr: phy, reg, value });
  }
  c45Read(bus: number, port: number, devad: number, reg: number): number {
    const name = this.busName(bus);
    if (this.#c45AddressFrames) this.serve({ bus: name, op: 'address', addr: port, devad, reg, value: reg });
    return this.serve({ bus: name, op: 'read', addr: port, devad, reg });
  }
  c45Write(bus: number, port: number, devad: number, reg: number, value: number): void {
    const name = this.busName(bus);
    if (this.#c45AddressFrames) this.serve({ bus: name, op: 'address', addr: port, devad, reg, value: reg });
    this.serve({ bus: name, op: 'write', addr: port, devad, reg, value });
  }

  i2cTransfer(): I2cTransferResult {
    throw new BackendError(ErrorCode.NOT_SUPPORTED, MDIO_ONLY);
  }
  pseList(): PseControllerInfo[] {
    return [];
  }
  pseStatus(): PsePiStatus {
    throw new BackendError(ErrorCode.NOT_SUPPORTED, MDIO_ONLY);
  }
  pseAdmin(): void {
    throw new BackendError(ErrorCode.NOT_SUPPORTED, MDIO_ONLY);
  }
  loadScenario(): void {
    throw new BackendError(ErrorCode.NOT_SUPPORTED, MDIO_ONLY);
  }
  triggerScenarioEvent(): void {
    throw new BackendError(ErrorCode.NOT_SUPPORTED, MDIO_ONLY);
  }

  /** Starts the recording over (strict mode: from its first transaction) with the clock at 0; the unforeseen list is kept. */
  reset(): void {
    this.#server = new ReplayServer(this.records, this.mode, { keepUnforeseen: 0 });
    this.#nowNs = 0n;
    if (this.#realtimeSince !== undefined) this.#realtimeSince = process.hrtime.bigint();
  }

  traceSince(since: number, max: number): { records: BackendTraceRecord[]; next: number } {
    return this.#ring.since(since, max);
  }

  subscribe(listener: (event: BackendEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  replayStatus(): ReplayStatusInfo {
    return {
      mode: this.mode,
      recorded: this.records.length,
      served: this.#served,
      remaining: this.#server.remaining,
      unforeseenTotal: this.#unforeseenTotal,
      unforeseen: this.unforeseen,
    };
  }

  /** One line per unforeseen request kept, for the daemon's report at shutdown. */
  report(): string[] {
    const lines = this.unforeseen.map(
      (u) =>
        `request ${u.request}${u.client === undefined ? '' : ` from ${u.client}`}: ${u.description}: ${u.reason}`,
    );
    const more = this.#unforeseenTotal - this.unforeseen.length;
    if (more > 0) lines.push(`... and ${more} more (only the first ${KEPT_UNFORESEEN} are kept)`);
    return lines;
  }

  private serve(req: ReplayRequest): number {
    const before = this.#server.unforeseenCount;
    const value = this.#server.handle(req);
    const request = ++this.#served;
    const miss = this.#server.unforeseenCount > before ? this.#server.lastUnforeseen : undefined;
    if (miss) {
      const info: UnforeseenInfo = { request, description: describeRequest(req), reason: miss.reason };
      if (this.who.name !== undefined) info.client = this.who.name;
      this.#unforeseenTotal++;
      if (this.unforeseen.length < KEPT_UNFORESEEN) this.unforeseen.push(info);
      throw new BackendError(ErrorCode.UNFORESEEN, `${info.description}: ${miss.reason}`);
    }
    this.trace(req, value);
    return value;
  }

  /** The answer as a bus trace event (src/mdio/trace.ts shape), so TRACE_FETCH and --record see it. */
  private trace(req: ReplayRequest, value: number): void {
    const t = Number(this.now());
    const base = { t, bus: req.bus, addr: req.addr, reg: req.reg };
    const event =
      req.op === 'address'
        ? { type: 'mdio.c45.address', ...base, devad: req.devad ?? 0, responded: true }
        : {
            type: req.op === 'read' ? 'mdio.read' : 'mdio.write',
            ...base,
            ...(req.devad === undefined ? {} : { devad: req.devad }),
            value: req.op === 'read' ? value : (req.value ?? 0),
            // A recorded all-ones read is how an empty address looks (802.3 22.2.4.5: MDIO is pulled up).
            responded: req.op !== 'read' || value !== 0xffff,
          };
    const record = this.#ring.push(BigInt(t), event);
    for (const l of this.#listeners) l({ type: 'trace', record });
  }

  private phys(bus: string): PhyInfo[] {
    const phys = new Map<number, { ids: Map<number, number>; c45: boolean }>();
    for (const r of this.records) {
      if (r.bus !== bus || r.result !== 'ok') continue;
      let p = phys.get(r.addr);
      if (!p) phys.set(r.addr, (p = { ids: new Map(), c45: false }));
      if (r.devad !== undefined) p.c45 = true;
      // PHYSID1/PHYSID2 (802.3 22.2.4.3.1): the first recorded read of each gives the identifier.
      else if (r.op === 'read' && (r.reg === 2 || r.reg === 3) && !p.ids.has(r.reg))
        p.ids.set(r.reg, r.value);
    }
    return [...phys]
      .sort(([a], [b]) => a - b)
      .map(([addr, p]) => ({
        addr,
        phyId: (((p.ids.get(2) ?? 0) << 16) | (p.ids.get(3) ?? 0)) >>> 0,
        c45: p.c45,
        path: `${bus}/ethernet-phy@${addr.toString(16)}`,
        model: 'replay',
      }));
  }

  private busName(bus: number): string {
    const name = this.#busNames[bus];
    if (name === undefined)
      throw new BackendError(ErrorCode.NO_SUCH_BUS, `no MDIO bus ${bus} in the recording`);
    return name;
  }

  private now(): bigint {
    return this.#realtimeSince === undefined
      ? this.#nowNs
      : this.#nowNs + (process.hrtime.bigint() - this.#realtimeSince);
  }
}
