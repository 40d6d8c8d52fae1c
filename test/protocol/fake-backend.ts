import { ErrorCode } from '../../src/protocol/codec/constants.js';
import {
  BackendError,
  type BackendEvent,
  type BackendTraceRecord,
  type ClockControl,
  type EmulationBackend,
  type PsePiStatus,
  type ScenarioSource,
  type TopologyInfo,
} from '../../src/protocol/session/backend.js';

/**
 * A deliberately tiny emulation for protocol tests: plain register files, one I2C echo device, one PSE
 * controller with two PIs that registers when the `pse-load` event is triggered. The MDIO rule that matters
 * to the protocol is kept: an empty address reads 0xffff (802.3 22.2.4: nothing drives MDIO, the pull-up wins).
 */
export class FakeBackend implements EmulationBackend {
  readonly c22 = new Map<string, number>();
  readonly c45 = new Map<string, number>();
  readonly loaded: ScenarioSource[] = [];
  private listeners = new Set<(e: BackendEvent) => void>();
  private trace: BackendTraceRecord[] = [];
  private seq = 0;
  private nowNs = 0n;
  pseRegistered = false;
  admin = [false, false];

  constructor() {
    this.reset();
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  clock: ClockControl = {
    now: () => this.nowNs,
    run: (ns) => {
      this.nowNs += ns;
    },
    step: () => {
      this.nowNs += 1000n;
    },
    setRealtime: (on) => {
      (this.clock as { realtime: boolean }).realtime = on;
    },
    realtime: false,
  };

  topology(): TopologyInfo {
    return {
      buses: [
        {
          id: 0,
          path: '/soc/mdio@1000',
          phys: [{ addr: 1, phyId: 0x01410dd1, c45: false, path: '/soc/mdio@1000/ethernet-phy@1' }],
        },
        {
          id: 1,
          path: '/soc/mdio@2000',
          phys: [{ addr: 4, phyId: 0x002b0980, c45: true, path: '/soc/mdio@2000/ethernet-phy@4' }],
        },
      ],
      pse: this.pseList(),
      i2c: [
        {
          id: 0,
          path: '/soc/i2c@3000',
          devices: [{ addr: 0x20, path: '/soc/i2c@3000/pse@20', compatible: 'echo' }],
        },
      ],
    };
  }

  c22Read(bus: number, phy: number, reg: number): number {
    this.checkBus(bus);
    const v = this.c22.get(`${bus}/${phy}/${reg}`) ?? 0xffff;
    this.record({ type: 'mdio.read', bus, phy, reg, value: v });
    return v;
  }
  c22Write(bus: number, phy: number, reg: number, value: number): void {
    this.checkBus(bus);
    if (this.c22.has(`${bus}/${phy}/${reg}`)) this.c22.set(`${bus}/${phy}/${reg}`, value);
    this.record({ type: 'mdio.write', bus, phy, reg, value });
  }
  c45Read(bus: number, port: number, devad: number, reg: number): number {
    this.checkBus(bus);
    return this.c45.get(`${bus}/${port}/${devad}/${reg}`) ?? 0xffff;
  }
  c45Write(bus: number, port: number, devad: number, reg: number, value: number): void {
    this.checkBus(bus);
    this.c45.set(`${bus}/${port}/${devad}/${reg}`, value);
  }
  i2cTransfer(bus: number, addr: number, write: Uint8Array, readLength: number) {
    if (bus !== 0) throw new BackendError(ErrorCode.NO_SUCH_BUS, `no I2C bus ${bus}`);
    if (addr !== 0x20) return { result: 'nack-address' as const, data: new Uint8Array(0) };
    const data = new Uint8Array(readLength);
    for (let i = 0; i < readLength; i++) data[i] = (write[i % Math.max(write.length, 1)] ?? 0) ^ 0xff;
    return { result: 'ack' as const, data };
  }
  pseList() {
    return [
      {
        id: 0,
        path: '/soc/i2c@3000/pse@20',
        compatible: 'ti,tps23881',
        state: this.pseRegistered ? ('registered' as const) : ('unregistered' as const),
        pis: [
          { index: 0, name: 'pi0' },
          { index: 1, name: 'pi1' },
        ],
      },
    ];
  }
  pseStatus(controller: number, pi: number): PsePiStatus {
    this.checkPi(controller, pi);
    const on = this.admin[pi] === true;
    return {
      adminState: on ? 3 : 2,
      powerStatus: on ? 4 : 2,
      powerClass: on ? 4 : 0,
      actualPowerMw: on ? 12950 : 0,
      powerLimitMw: 30000,
    };
  }
  pseAdmin(controller: number, pi: number, enable: boolean): void {
    this.checkPi(controller, pi);
    this.admin[pi] = enable;
  }
  loadScenario(source: ScenarioSource): void {
    if (source.text.includes('syntax error'))
      throw new BackendError(ErrorCode.SCENARIO_ERROR, 'line 1: syntax error');
    this.loaded.push(source);
  }
  triggerScenarioEvent(event: string): void {
    if (event === 'pse-load') {
      this.pseRegistered = true;
      this.emit({
        type: 'pse-lifecycle',
        controller: 0,
        state: 'registered',
        path: '/soc/i2c@3000/pse@20',
        timeNs: this.nowNs,
      });
    } else if (event === 'link-down') {
      this.emit({ type: 'link', bus: 0, phy: 1, up: false, speed: 0, duplex: 'unknown', timeNs: this.nowNs });
      this.emit({ type: 'phy-irq', bus: 0, phy: 1, asserted: true, timeNs: this.nowNs });
    } else if (event === 'step') {
      this.emit({ type: 'scenario-step', index: 2, name: 'pse driver loads', timeNs: this.nowNs });
    } else {
      throw new BackendError(ErrorCode.NO_SUCH_EVENT, `no event ${event}`);
    }
  }
  reset(): void {
    this.c22.clear();
    this.c45.clear();
    // 802.3 22.2.4.1 BMCR reset value with AN enabled; PHY ID of a Marvell 88E1510 (0x01410dd1).
    this.c22.set('0/1/0', 0x1140);
    this.c22.set('0/1/2', 0x0141);
    this.c22.set('0/1/3', 0x0dd1);
    this.c45.set('1/4/1/2', 0x002b);
    this.pseRegistered = false;
    this.admin = [false, false];
  }
  traceSince(since: number, max: number) {
    const records = this.trace.filter((r) => r.seq >= since).slice(0, max);
    const last = records.at(-1);
    return { records, next: last ? last.seq + 1 : Math.max(since, this.seq) };
  }
  subscribe(listener: (e: BackendEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  emit(e: BackendEvent): void {
    for (const l of this.listeners) l(e);
  }
  private record(event: { type: string } & Record<string, unknown>): void {
    // Bounded like a real trace ring, so robustness tests measure the server, not this list.
    const r = { seq: this.seq++, timeNs: this.nowNs, event };
    this.trace.push(r);
    if (this.trace.length > 1000) this.trace.shift();
    this.emit({ type: 'trace', record: r });
  }
  private checkBus(bus: number): void {
    if (bus > 1) throw new BackendError(ErrorCode.NO_SUCH_BUS, `no MDIO bus ${bus}`);
  }
  private checkPi(controller: number, pi: number): void {
    if (controller !== 0)
      throw new BackendError(ErrorCode.NO_SUCH_CONTROLLER, `no PSE controller ${controller}`);
    if (!this.pseRegistered)
      throw new BackendError(ErrorCode.NOT_REGISTERED, 'PSE controller not registered yet');
    if (pi > 1) throw new BackendError(ErrorCode.NO_SUCH_PI, `no PI ${pi}`);
  }
}
