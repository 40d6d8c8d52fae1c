import { CLASS_POWER_MW, type PoweredDevice } from './powered-device.js';

/**
 * A PSE controller at the level of the Linux PSE framework (drivers/net/pse-pd/pse_core.c, 6.17 to 7.2) over a
 * controller that detects and classifies in hardware and reports it by interrupt (tps23881): what the kernel
 * decides, and what `ethtool --show-pse` and `ethtool --monitor` then show.
 *
 * - Power domains: PIs whose regulators share a supply share its power budget
 *   (`regulator-power-budget-milliwatt`). A PI outside every domain is under hardware power control: enabling
 *   it powers whatever the controller detects, with no budget.
 * - Software power control (PSE_BUDGET_EVAL_STRAT_STATIC): a PI powers when it is admin-enabled and the IRQ
 *   reported a classification (isr_pd_detected). It is allocated the smaller of the PD's requested power
 *   (pi_get_pw_req, from the class) and the PI's power limit; when the domain cannot cover it, PIs of lower
 *   priority (higher numbers, from nr_lines down to one below this PI's) are turned off with an over-budget
 *   notification, and if that is not enough the PI stays admin-enabled but unpowered until budget is freed.
 * - Every disable returns budget and retries the domain's pending PIs in index order. That retry can power the
 *   very PI whose allocation is turning others off; the allocation loop then requests its power again and, where
 *   it fits twice, keeps both (7.2's pse-budget-double-request: the domain leaks one request for good).
 * - The controller forgets a port's classification when the port is switched off (tps23881's PWOFF "resets
 *   lots of register") and classifies it again some time later, reported by a later interrupt. Until then
 *   pi_get_pw_req fails (-ERANGE), so the retry inside a disable cannot power the PI it just turned off.
 * - 7.2's pse_set_config_isr returns early on any notification holding ETHTOOL_C33_PSE_EVENT_DETECTION (it tests
 *   `notifs & PSE_BUDGET_EVAL_STRAT_DYNAMIC`, and both are 1 << 2): a classification reported in the same
 *   interrupt as its detection is dropped, and that PI is never powered (`detectionWithClassification`).
 */
export type PiPowerState = 'disabled' | 'searching' | 'delivering' | 'over-budget';
export type PiDetection = 'none' | 'valid' | 'invalid';

/** enum ethtool_pse_event bits as `ethtool --monitor` names them. */
export type PseNotification =
  | 'over-current'
  | 'over-temp'
  | 'detection'
  | 'classification'
  | 'disconnection'
  | 'over-budget'
  | 'sw-pw-control-error';

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

/**
 * The C33 fields pse_ethtool_get_status fills for a tps23881 PI under software power control: admin state from
 * the software flag, power status DELIVERING or DISABLED from the chip's power-good bits, priority and its
 * maximum (nr_lines - 1), the power domain id.
 */
export interface KernelPseView {
  c33AdminState: 'enabled' | 'disabled';
  c33PwStatus: 'delivering' | 'disabled';
  c33PwClass: number;
  c33ActualPwMw: number;
  c33AvailPwLimitMw: number | undefined;
  prio: number | undefined;
  prioMax: number | undefined;
  pwDomainId: number | undefined;
}

export type PseEvent =
  | { type: 'pse.pd-attached'; pi: number }
  | { type: 'pse.detection'; pi: number; detection: PiDetection }
  | { type: 'pse.classification'; pi: number; pdClass: number }
  | { type: 'pse.power-on'; pi: number; allocatedMw: number }
  | { type: 'pse.power-off'; pi: number; reason: 'admin' | 'pd-removed' | 'over-current' | 'over-budget' }
  | { type: 'pse.over-budget'; pi: number; requestedMw: number; availableMw: number }
  | { type: 'pse.pd-removed'; pi: number }
  /** A notification pse_core queues for ethtool netlink (ETHTOOL_MSG_PSE_NTF). */
  | { type: 'pse.notify'; pi: number; events: readonly PseNotification[] };

export interface PowerDomain {
  /** The supply's power budget in mW (`regulator-power-budget-milliwatt`). */
  readonly budgetMw: number;
  /** PI indexes whose `vpwr-supply` is this supply. */
  readonly pis: readonly number[];
}

export interface PseControllerModelOptions {
  /**
   * Power domains. Default: one domain holding every PI, with the constructor's budget (unlimited when
   * none is given).
   */
  readonly domains?: readonly PowerDomain[];
  /** Power the driver's pi_get_pw_req reports for a PD; default the PSE class power of IEEE 802.3. */
  readonly requestMw?: (device: PoweredDevice) => number;
  /** pcdev->nr_lines: the priority range (0 to nr_lines - 1); default the PI count (tps23881 has 8). */
  readonly nrLines?: number;
  /**
   * The controller reports a classification in the same interrupt as its detection (tps23881 with both results
   * in one DETECTION EVENT read: the model's default timing, or an interrupt slower than the classification).
   * 7.2 then drops the notification and never powers the PI. Default false: separate interrupts.
   */
  readonly detectionWithClassification?: boolean;
}

/** tps23881_power_class_table by class: what the 7.2 driver asks the framework to allocate. */
export const TPS23881_REQUEST_MW: readonly number[] = [
  15_500, 4_000, 7_000, 15_500, 30_000, 45_000, 60_000, 75_000, 90_000,
];

interface Pi {
  adminEnabled: boolean;
  pd: PoweredDevice | undefined;
  detection: PiDetection;
  pdClass: number | undefined;
  /** isr_pd_detected: a classification was reported and no disconnection since. */
  pdDetected: boolean;
  /** The controller holds a classification result for the port (lost when the port is switched off). */
  classified: boolean;
  /** Powered by the controller (the chip's power-enable and power-good bits). */
  hwEnabled: boolean;
  allocatedMw: number;
  prio: number;
  pwLimitMw: number | undefined;
  domain: number | undefined;
}

export class PseControllerModel {
  private readonly pis: Pi[];
  private readonly domains: { budgetMw: number; allocatedMw: number }[];
  private readonly listeners = new Set<(e: PseEvent) => void>();
  private readonly requestMw: (device: PoweredDevice) => number;
  private readonly nrLines: number;
  private readonly together: boolean;

  constructor(
    piCount: number,
    /** Total power budget of the controller's supply, in mW (the single default domain). */
    readonly budgetMw = Number.POSITIVE_INFINITY,
    options: PseControllerModelOptions = {},
  ) {
    const domains = options.domains ?? [{ budgetMw, pis: Array.from({ length: piCount }, (_, i) => i) }];
    this.domains = domains.map((d) => ({ budgetMw: d.budgetMw, allocatedMw: 0 }));
    this.requestMw = options.requestMw ?? ((d) => CLASS_POWER_MW[d.pdClass] ?? 0);
    this.nrLines = options.nrLines ?? piCount;
    this.together = options.detectionWithClassification ?? false;
    this.pis = Array.from({ length: piCount }, (_, i) => {
      const domain = domains.findIndex((d) => d.pis.includes(i));
      return {
        adminEnabled: false,
        pd: undefined,
        detection: 'none',
        pdClass: undefined,
        pdDetected: false,
        classified: false,
        hwEnabled: false,
        allocatedMw: 0,
        prio: 0,
        pwLimitMw: undefined,
        domain: domain < 0 ? undefined : domain,
      };
    });
  }

  subscribe(listener: (e: PseEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get piCount(): number {
    return this.pis.length;
  }

  /** Budget left in the domain of PI `index` (default: the first domain). */
  availableMw(index = 0): number {
    const d = this.domains[this.pi(index).domain ?? -1];
    return d ? d.budgetMw - d.allocatedMw : Number.POSITIVE_INFINITY;
  }

  /** ethtool --set-pse c33-pse-admin-control enable|disable (pse_pi_enable / pse_pi_disable). */
  setAdminState(index: number, enabled: boolean): void {
    const pi = this.pi(index);
    if (!enabled) {
      // pse_pi_disable clears admin_state_enabled after _pse_pi_disable's retry; that retry cannot power this
      // PI again, because switching it off made the controller forget its class (see the file comment).
      if (pi.hwEnabled || pi.domain !== undefined) this.disable(index, 'admin');
      pi.adminEnabled = false;
      this.settle();
      return;
    }
    if (pi.adminEnabled) return;
    pi.adminEnabled = true;
    if (pi.domain === undefined) this.hardwareControl(index);
    else if (pi.pdDetected) this.deliver(index);
    this.settle();
  }

  /** ethtool --set-pse c33-pse-prio N (pse_ethtool_set_prio, static strategy): 0 is the highest. */
  setPrio(index: number, prio: number): void {
    const pi = this.pi(index);
    if (pi.domain === undefined) throw new RangeError(`PI ${index}: no power domain attached`);
    if (!Number.isInteger(prio) || prio < 0 || prio >= this.nrLines)
      throw new RangeError(`priority ${prio} exceed priority max ${this.nrLines}`);
    pi.prio = prio;
    this.retryDomain(pi.domain);
    this.settle();
  }

  /**
   * ethtool --set-pse c33-pse-avail-pw-limit N (pse_ethtool_set_pw_limit): a powered PI's allocation follows
   * the new limit; returns false, changing nothing, when the domain cannot cover an increase.
   */
  setPwLimit(index: number, mW: number): boolean {
    const pi = this.pi(index);
    const d = pi.domain === undefined ? undefined : this.domains[pi.domain];
    if (d && pi.adminEnabled && pi.pdDetected && pi.hwEnabled) {
      const diff = mW - pi.allocatedMw;
      if (diff > 0 && d.allocatedMw + diff > d.budgetMw) return false;
      d.allocatedMw += diff;
      pi.allocatedMw = mW;
    }
    pi.pwLimitMw = mW;
    return true;
  }

  /** A PD plugged into the PI: the controller detects and classifies it and the IRQ reports it. */
  attachPd(index: number, device: PoweredDevice): void {
    const pi = this.pi(index);
    pi.pd = device;
    this.emit({ type: 'pse.pd-attached', pi: index });
    this.detect(index);
    this.settle();
  }

  removePd(index: number): void {
    const pi = this.pi(index);
    if (!pi.pd) return;
    pi.pd = undefined;
    pi.detection = 'none';
    pi.pdClass = undefined;
    pi.classified = false;
    this.disconnection(index, 'pd-removed', ['disconnection']);
    this.emit({ type: 'pse.pd-removed', pi: index });
    this.settle();
  }

  /**
   * The PD drew past the PI's limit: the controller cut it (over-current and disconnection, as tps23881
   * reports a PCUT), then detects and classifies the still-connected PD again.
   */
  overCurrent(index: number): void {
    const pi = this.pi(index);
    if (!pi.hwEnabled) return;
    this.disconnection(index, 'over-current', ['over-current', 'disconnection']);
    this.settle();
  }

  status(index: number): PiStatus {
    const pi = this.pi(index);
    const power: PiPowerState = pi.hwEnabled
      ? 'delivering'
      : !pi.adminEnabled
        ? 'disabled'
        : pi.pdDetected && pi.domain !== undefined
          ? 'over-budget'
          : 'searching';
    const pwStatus = power === 'over-budget' ? 'otherfault' : power;
    return {
      index,
      adminEnabled: pi.adminEnabled,
      detection: pi.detection,
      pdClass: pi.pdClass,
      power,
      allocatedMw: pi.allocatedMw,
      ethtool: {
        adminState: pi.adminEnabled ? 'enabled' : 'disabled',
        pwStatus,
        ...(pi.pdClass !== undefined ? { pwClass: pi.pdClass } : {}),
        actualPwMw: pi.hwEnabled && pi.pd ? pi.pd.loadMw : 0,
      },
    };
  }

  /** What pse_ethtool_get_status reports for a tps23881 PI (see KernelPseView). */
  kernelView(index: number): KernelPseView {
    const pi = this.pi(index);
    const domain = pi.domain;
    return {
      c33AdminState: pi.adminEnabled ? 'enabled' : 'disabled',
      c33PwStatus: pi.hwEnabled ? 'delivering' : 'disabled',
      c33PwClass: pi.hwEnabled ? (pi.pdClass ?? 0) : 0,
      c33ActualPwMw: pi.hwEnabled && pi.pd ? pi.pd.loadMw : 0,
      c33AvailPwLimitMw: pi.pwLimitMw,
      prio: domain === undefined ? undefined : pi.prio,
      prioMax: domain === undefined ? undefined : this.nrLines - 1,
      // Power domain ids come from an xarray allocated from 1, in registration order.
      pwDomainId: domain === undefined ? undefined : domain + 1,
    };
  }

  // ---- pse_core ---------------------------------------------------------------------------------

  /** Detection and classification of the connected PD, and what pse_isr does with their notifications. */
  private detect(index: number): void {
    const pi = this.pi(index);
    const device = pi.pd;
    if (!device) return;
    const detection: PiDetection = device.signature === 'valid' ? 'valid' : 'invalid';
    pi.detection = detection;
    this.emit({ type: 'pse.detection', pi: index, detection });
    if (detection !== 'valid') {
      this.disconnection(index, 'pd-removed', ['disconnection']);
      return;
    }
    if (device.classOvercurrent) {
      // No classification notification for a failed classification: the framework never powers it.
      this.notify(index, ['detection']);
      return;
    }
    pi.classified = true;
    pi.pdClass = device.pdClass;
    this.emit({ type: 'pse.classification', pi: index, pdClass: device.pdClass });
    if (pi.domain === undefined) {
      this.notify(index, ['detection', 'classification']);
      this.hardwareControl(index);
      return;
    }
    if (this.together) {
      // pse_set_config_isr: `notifs & PSE_BUDGET_EVAL_STRAT_DYNAMIC` is the DETECTION bit: return 0.
      this.notify(index, ['detection', 'classification']);
      return;
    }
    // A DETECTION notification alone also returns early; the CLASSIFICATION one sets isr_pd_detected.
    this.notify(index, ['detection']);
    this.notify(index, ['classification']);
    pi.pdDetected = true;
    if (pi.adminEnabled) this.deliver(index);
  }

  /**
   * The controller classifies again the ports it switched off while their PD stayed connected, after the
   * kernel operation that switched them off has returned: a later interrupt.
   */
  private settle(): void {
    for (let round = 0; round < this.pis.length; round++) {
      const again = this.pis.findIndex(
        (p) => p.pd && !p.classified && !p.hwEnabled && p.detection === 'valid',
      );
      if (again < 0) return;
      this.detect(again);
    }
  }

  /** pse_set_config_isr on DISCONNECTION: an admin-enabled PI with a detected PD is disabled. */
  private disconnection(
    index: number,
    reason: 'pd-removed' | 'over-current',
    events: PseNotification[],
  ): void {
    const pi = this.pi(index);
    if (pi.domain === undefined) {
      if (pi.hwEnabled) this.powerOff(index, reason);
    } else if (pi.adminEnabled && pi.pdDetected) this.disable(index, reason);
    else if (pi.hwEnabled) this.powerOff(index, reason);
    pi.pdDetected = false;
    this.notify(index, events);
  }

  /**
   * _pse_pi_delivery_power_sw_pw_ctrl: false when the budget could not be found (-ERANGE), or pi_get_pw_req
   * failed because the controller has no class for the port yet (also -ERANGE: tps23881_power_class_table[0]).
   */
  private deliver(index: number): boolean {
    const pi = this.pi(index);
    if (pi.hwEnabled || !pi.pd) return true;
    if (!pi.classified) return false;
    let req = this.requestMw(pi.pd);
    if (pi.pwLimitMw !== undefined && pi.pwLimitMw < req) req = pi.pwLimitMw;
    if (!this.allocate(index, req)) return false;
    pi.hwEnabled = true;
    this.emit({ type: 'pse.power-on', pi: index, allocatedMw: req });
    return true;
  }

  /** pse_pi_allocate_pw_budget_static_prio. */
  private allocate(index: number, req: number): boolean {
    const pi = this.pi(index);
    const d = pi.domain === undefined ? undefined : this.domains[pi.domain];
    if (!d) return true;
    let prio = this.nrLines;
    while (d.allocatedMw + req > d.budgetMw) {
      if (prio <= pi.prio) {
        this.emit({
          type: 'pse.over-budget',
          pi: index,
          requestedMw: req,
          availableMw: d.budgetMw - d.allocatedMw,
        });
        return false;
      }
      // pse_disable_pi_prio: every powered PI of this priority in the domain goes off, notified over-budget.
      for (let i = 0; i < this.pis.length; i++) {
        const other = this.pi(i);
        if (other.prio !== prio || other.domain !== pi.domain || !other.hwEnabled) continue;
        this.disable(i, 'over-budget');
        this.notify(i, ['over-budget']);
      }
      prio--;
    }
    d.allocatedMw += req;
    pi.allocatedMw = req;
    return true;
  }

  /** _pse_pi_disable: power off, free the budget, retry the domain's pending PIs. */
  private disable(index: number, reason: 'admin' | 'pd-removed' | 'over-current' | 'over-budget'): void {
    const pi = this.pi(index);
    this.powerOff(index, reason);
    pi.classified = false;
    const d = pi.domain === undefined ? undefined : this.domains[pi.domain];
    if (d) {
      d.allocatedMw -= pi.allocatedMw;
      pi.allocatedMw = 0;
      this.retryDomain(pi.domain);
    }
  }

  /**
   * pse_pw_d_retry_power_delivery: pending PIs (admin-enabled, PD detected, not powered) in index order. The
   * kernel resets its `prio_max` cut-off on every iteration, so every pending PI is tried; so is it here.
   */
  private retryDomain(domain: number | undefined): void {
    if (domain === undefined) return;
    for (let i = 0; i < this.pis.length; i++) {
      const pi = this.pi(i);
      if (pi.domain !== domain || !pi.adminEnabled || !pi.pdDetected || pi.hwEnabled) continue;
      this.deliver(i);
    }
  }

  /** A PI outside every power domain: the controller powers what it classified while admin-enabled. */
  private hardwareControl(index: number): void {
    const pi = this.pi(index);
    if (!pi.adminEnabled || pi.hwEnabled || pi.detection !== 'valid' || pi.pdClass === undefined || !pi.pd)
      return;
    pi.hwEnabled = true;
    this.emit({ type: 'pse.power-on', pi: index, allocatedMw: 0 });
  }

  private powerOff(index: number, reason: 'admin' | 'pd-removed' | 'over-current' | 'over-budget'): void {
    const pi = this.pi(index);
    if (!pi.hwEnabled) return;
    pi.hwEnabled = false;
    this.emit({ type: 'pse.power-off', pi: index, reason });
  }

  private notify(index: number, events: PseNotification[]): void {
    this.emit({ type: 'pse.notify', pi: index, events });
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
