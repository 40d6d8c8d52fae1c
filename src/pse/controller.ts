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
 * - Every disable returns budget and retries the domain's pending PIs in index order.
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
  | { type: 'pse.notify'; pi: number; events: readonly PseNotification[] }
  /**
   * pse_core re-entered the power delivery of a PI from inside that PI's own budget allocation: the kernel
   * recurses without bound (see PseControllerModel.deliver). The model stops there; the kernel overflows its stack.
   */
  | { type: 'pse.unbounded-recursion'; pi: number };

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
   * Model 7.2's pse_pi_disable literally: it clears admin_state_enabled only after _pse_pi_disable has retried
   * the domain, and that retry finds the PI being disabled still admin-enabled, with its PD detected and no
   * power, so it powers it again. Default false: the admin flag clears first, as the code intends.
   */
  readonly reenableOnAdminDisable?: boolean;
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
  private readonly reenableOnAdminDisable: boolean;
  /** Nesting depth of deliver() per PI: the kernel re-enters it through the domain retry. */
  private readonly delivering = new Map<number, number>();
  /** Set once pse_core would have recursed without bound: the kernel's state is lost from then on. */
  unboundedRecursion = false;

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
    this.reenableOnAdminDisable = options.reenableOnAdminDisable ?? false;
    this.pis = Array.from({ length: piCount }, (_, i) => {
      const domain = domains.findIndex((d) => d.pis.includes(i));
      return {
        adminEnabled: false,
        pd: undefined,
        detection: 'none',
        pdClass: undefined,
        pdDetected: false,
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
      if (!this.reenableOnAdminDisable) pi.adminEnabled = false;
      if (pi.hwEnabled || pi.domain !== undefined) this.disable(index, 'admin');
      pi.adminEnabled = false;
      return;
    }
    if (pi.adminEnabled) return;
    pi.adminEnabled = true;
    if (pi.domain === undefined) this.hardwareControl(index);
    else if (pi.pdDetected) this.deliver(index);
  }

  /** ethtool --set-pse c33-pse-prio N (pse_ethtool_set_prio, static strategy): 0 is the highest. */
  setPrio(index: number, prio: number): void {
    const pi = this.pi(index);
    if (pi.domain === undefined) throw new RangeError(`PI ${index}: no power domain attached`);
    if (!Number.isInteger(prio) || prio < 0 || prio >= this.nrLines)
      throw new RangeError(`priority ${prio} exceed priority max ${this.nrLines}`);
    pi.prio = prio;
    this.retryDomain(pi.domain);
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
  }

  removePd(index: number): void {
    const pi = this.pi(index);
    if (!pi.pd) return;
    pi.pd = undefined;
    pi.detection = 'none';
    pi.pdClass = undefined;
    this.disconnection(index, 'pd-removed', ['disconnection']);
    this.emit({ type: 'pse.pd-removed', pi: index });
  }

  /**
   * The PD drew past the PI's limit: the controller cut it (over-current and disconnection, as tps23881
   * reports a PCUT), then detects and classifies the still-connected PD again.
   */
  overCurrent(index: number): void {
    const pi = this.pi(index);
    if (!pi.hwEnabled) return;
    this.disconnection(index, 'over-current', ['over-current', 'disconnection']);
    if (pi.pd) {
      pi.detection = 'none';
      pi.pdClass = undefined;
      this.detect(index);
    }
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

  /** Detection and classification of the connected PD, and what pse_isr does with their notification. */
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
    pi.pdClass = device.pdClass;
    this.emit({ type: 'pse.classification', pi: index, pdClass: device.pdClass });
    this.notify(index, ['detection', 'classification']);
    if (pi.domain === undefined) {
      this.hardwareControl(index);
      return;
    }
    // pse_set_config_isr: CLASSIFICATION sets isr_pd_detected and powers an admin-enabled PI.
    pi.pdDetected = true;
    if (pi.adminEnabled) this.deliver(index);
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
   * _pse_pi_delivery_power_sw_pw_ctrl: false when the budget could not be found (-ERANGE).
   *
   * Taken from 7.2 as it is: turning a lower-priority PI off to make room goes through _pse_pi_disable, which
   * retries every pending PI of the domain, and the PI being powered is itself pending (admin-enabled,
   * isr_pd_detected set, not yet on). The retry first powers the PI just turned off again (its budget was freed)
   * and then, for a requesting PI with a higher index, re-enters this function for it, which turns the other PI
   * off again: unbounded recursion. With the requesting PI at a lower index the retry powers it before the
   * other one, and preemption works (the outer call then fails its own, now redundant, request). A third
   * nested call for the same PI can only repeat the second, so the model stops there.
   */
  private deliver(index: number): boolean {
    const pi = this.pi(index);
    if (pi.hwEnabled || !pi.pd) return true;
    if (this.unboundedRecursion) return false;
    const depth = this.delivering.get(index) ?? 0;
    if (depth >= 2) {
      this.unboundedRecursion = true;
      this.emit({ type: 'pse.unbounded-recursion', pi: index });
      return false;
    }
    this.delivering.set(index, depth + 1);
    try {
      let req = this.requestMw(pi.pd);
      if (pi.pwLimitMw !== undefined && pi.pwLimitMw < req) req = pi.pwLimitMw;
      if (!this.allocate(index, req)) return false;
      pi.hwEnabled = true;
      this.emit({ type: 'pse.power-on', pi: index, allocatedMw: req });
      return true;
    } finally {
      if (depth === 0) this.delivering.delete(index);
      else this.delivering.set(index, depth);
    }
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
