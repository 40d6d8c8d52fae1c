import { CLASS_POWER_MW, type PoweredDevice } from './powered-device.js';

/**
 * A PSE controller at the level of the Linux PSE framework (drivers/net/pse-pd/pse_core.c): PIs with an
 * admin state, detection and classification results, a power state, and a static power budget shared by
 * all PIs (PSE_BUDGET_EVAL_STRAT_STATIC: a PI is allocated its class power when it turns on, and is
 * refused when the budget cannot cover it). PDs attach, get classified, powered and removed as events.
 */
export type PiPowerState = 'disabled' | 'searching' | 'delivering' | 'over-budget';
export type PiDetection = 'none' | 'valid' | 'invalid';

export interface PiStatus {
  index: number;
  adminEnabled: boolean;
  detection: PiDetection;
  /** Class assigned after classification, undefined before. */
  pdClass: number | undefined;
  power: PiPowerState;
  allocatedMw: number;
  /** What ethtool --show-pse would print for this PI's C33 state. */
  ethtool: {
    adminState: 'enabled' | 'disabled';
    pwStatus: 'delivering' | 'searching' | 'disabled' | 'otherfault';
    pwClass?: number;
    actualPwMw: number;
  };
}

export type PseEvent =
  | { type: 'pse.pd-attached'; pi: number }
  | { type: 'pse.detection'; pi: number; detection: PiDetection }
  | { type: 'pse.classification'; pi: number; pdClass: number }
  | { type: 'pse.power-on'; pi: number; allocatedMw: number }
  | { type: 'pse.power-off'; pi: number; reason: 'admin' | 'pd-removed' }
  | { type: 'pse.over-budget'; pi: number; requestedMw: number; availableMw: number }
  | { type: 'pse.pd-removed'; pi: number };

interface Pi {
  adminEnabled: boolean;
  pd: PoweredDevice | undefined;
  detection: PiDetection;
  pdClass: number | undefined;
  power: PiPowerState;
  allocatedMw: number;
}

export class PseControllerModel {
  private readonly pis: Pi[];
  private readonly listeners = new Set<(e: PseEvent) => void>();

  constructor(
    piCount: number,
    /** Total power budget of the controller's supply, in mW. */
    readonly budgetMw = Number.POSITIVE_INFINITY,
  ) {
    this.pis = Array.from({ length: piCount }, () => ({
      adminEnabled: false,
      pd: undefined,
      detection: 'none',
      pdClass: undefined,
      power: 'disabled',
      allocatedMw: 0,
    }));
  }

  subscribe(listener: (e: PseEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get piCount(): number {
    return this.pis.length;
  }

  availableMw(): number {
    return this.budgetMw - this.pis.reduce((sum, p) => sum + p.allocatedMw, 0);
  }

  setAdminState(index: number, enabled: boolean): void {
    const pi = this.pi(index);
    if (pi.adminEnabled === enabled) return;
    pi.adminEnabled = enabled;
    if (!enabled) {
      this.powerOff(index, 'admin');
      pi.power = 'disabled';
    } else {
      pi.power = 'searching';
      this.run(index);
    }
  }

  attachPd(index: number, device: PoweredDevice): void {
    const pi = this.pi(index);
    pi.pd = device;
    this.emit({ type: 'pse.pd-attached', pi: index });
    this.run(index);
  }

  removePd(index: number): void {
    const pi = this.pi(index);
    if (!pi.pd) return;
    pi.pd = undefined;
    this.powerOff(index, 'pd-removed');
    this.emit({ type: 'pse.pd-removed', pi: index });
    pi.detection = 'none';
    pi.pdClass = undefined;
    if (pi.adminEnabled) pi.power = 'searching';
    // Freed budget may let a waiting PI power up.
    for (let i = 0; i < this.pis.length; i++) if (i !== index) this.run(i);
  }

  status(index: number): PiStatus {
    const pi = this.pi(index);
    const pwStatus = pi.power === 'over-budget' ? 'otherfault' : pi.power;
    return {
      index,
      adminEnabled: pi.adminEnabled,
      detection: pi.detection,
      pdClass: pi.pdClass,
      power: pi.power,
      allocatedMw: pi.allocatedMw,
      ethtool: {
        adminState: pi.adminEnabled ? 'enabled' : 'disabled',
        pwStatus,
        ...(pi.pdClass !== undefined ? { pwClass: pi.pdClass } : {}),
        actualPwMw: pi.power === 'delivering' && pi.pd ? pi.pd.loadMw : 0,
      },
    };
  }

  /** Detection, classification and power-up for one PI, as far as its inputs allow. */
  private run(index: number): void {
    const pi = this.pi(index);
    if (!pi.adminEnabled || !pi.pd || pi.power === 'delivering') return;
    const detection: PiDetection = pi.pd.signature === 'valid' ? 'valid' : 'invalid';
    if (detection !== pi.detection) {
      pi.detection = detection;
      this.emit({ type: 'pse.detection', pi: index, detection });
    }
    if (detection !== 'valid') return;
    if (pi.pdClass !== pi.pd.pdClass) {
      pi.pdClass = pi.pd.pdClass;
      this.emit({ type: 'pse.classification', pi: index, pdClass: pi.pdClass });
    }
    const requestedMw = CLASS_POWER_MW[pi.pdClass] ?? 0;
    const availableMw = this.availableMw();
    if (requestedMw > availableMw) {
      if (pi.power !== 'over-budget')
        this.emit({ type: 'pse.over-budget', pi: index, requestedMw, availableMw });
      pi.power = 'over-budget';
      return;
    }
    pi.allocatedMw = requestedMw;
    pi.power = 'delivering';
    this.emit({ type: 'pse.power-on', pi: index, allocatedMw: requestedMw });
  }

  private powerOff(index: number, reason: 'admin' | 'pd-removed'): void {
    const pi = this.pi(index);
    const wasOn = pi.power === 'delivering';
    pi.allocatedMw = 0;
    if (pi.power === 'delivering' || pi.power === 'over-budget')
      pi.power = pi.adminEnabled ? 'searching' : 'disabled';
    if (wasOn) this.emit({ type: 'pse.power-off', pi: index, reason });
  }

  private pi(index: number): Pi {
    const pi = this.pis[index];
    if (!pi) throw new RangeError(`PI ${index} does not exist (controller has ${this.pis.length})`);
    return pi;
  }

  private emit(e: PseEvent): void {
    for (const l of this.listeners) l(e);
  }
}
