import type { PseEventName, Tps23881Driver } from './tps23881-driver.js';

/**
 * Linux 7.2's drivers/net/pse-pd/pse_core.c, the software power control path (PSE_BUDGET_EVAL_STRAT_STATIC)
 * transcribed over the tps23881 driver transcription: pse_isr -> pse_set_config_isr,
 * _pse_pi_delivery_power_sw_pw_ctrl with pse_pi_allocate_pw_budget_static_prio (the supply's power budget as
 * regulator_request_power_budget keeps it), _pse_pi_disable with pse_pw_d_retry_power_delivery, pse_pi_enable /
 * pse_pi_disable (the PI regulators' enable/disable), pse_ethtool_set_prio. One power domain holds every PI.
 * The kernel has no guard against recursion; the transcription throws where the kernel would be 64 calls deep
 * (a controller that kept its classification across PWOFF would get there through the retry in _pse_pi_disable).
 */
const ERANGE = 34;
const MAX_DEPTH = 64;

export class KernelStackOverflow extends Error {}

interface CorePi {
  adminStateEnabled: boolean;
  isrPdDetected: boolean;
  prio: number;
  pwAllocatedMw: number;
}

export class PseCore {
  readonly pi: CorePi[];
  /** Notifications queued for ethtool netlink, in order: [PI, events]. */
  readonly ntf: [number, string[]][] = [];
  readonly extack: string[] = [];
  private budgetUsedMw = 0;
  private depth = 0;

  constructor(
    private readonly drv: Tps23881Driver,
    /** The PIs the device tree describes (pcdev->pi[i].rdev set). */
    readonly pis: readonly number[],
    readonly nrLines: number,
    /** regulator-power-budget-milliwatt of the supply every PI's vpwr-supply points at. */
    readonly budgetMw: number,
  ) {
    this.pi = Array.from({ length: nrLines }, () => ({
      adminStateEnabled: false,
      isrPdDetected: false,
      prio: 0,
      pwAllocatedMw: 0,
    }));
  }

  /** pse_isr with the notifications tps23881_irq_handler returned. */
  isr(notifs: Map<number, Set<PseEventName>> | number): void {
    if (typeof notifs === 'number' || notifs.size === 0) return;
    for (const [i, events] of [...notifs].sort(([a], [b]) => a - b)) {
      if (!this.pis.includes(i)) continue;
      const names: string[] = [...events];
      if (this.setConfigIsr(i, events) !== 0) names.push('sw-pw-control-error');
      this.ntf.push([i, names]);
    }
  }

  private setConfigIsr(id: number, notifs: Set<PseEventName>): number {
    const pi = this.pi[id]!;
    // `if (notifs & PSE_BUDGET_EVAL_STRAT_DYNAMIC) return 0;`: PSE_BUDGET_EVAL_STRAT_DYNAMIC is 1 << 2, which
    // is also ETHTOOL_C33_PSE_EVENT_DETECTION, so any notification holding a detection stops here.
    if (notifs.has('detection')) return 0;
    if (notifs.has('disconnection') && notifs.has('classification')) return -22;
    let ret = 0;
    if (notifs.has('classification')) {
      pi.isrPdDetected = true;
      if (pi.adminStateEnabled) {
        ret = this.delivery(id);
        if (ret === -ERANGE) ret = 0;
      }
    } else if (notifs.has('disconnection')) {
      if (pi.adminStateEnabled && pi.isrPdDetected) ret = this.disable(id);
      pi.isrPdDetected = false;
    }
    return ret;
  }

  /** _pse_pi_delivery_power_sw_pw_ctrl. */
  private delivery(id: number): number {
    if (++this.depth > MAX_DEPTH)
      throw new KernelStackOverflow(`_pse_pi_delivery_power_sw_pw_ctrl ${MAX_DEPTH} deep`);
    try {
      let ret = this.drv.getPwReqMw(id);
      if (ret < 0) return ret;
      let pwReq = ret;
      ret = this.drv.getPwLimitMw(id);
      if (ret < 0) return ret;
      if (ret < pwReq) pwReq = ret;
      ret = this.allocate(id, pwReq);
      if (ret) return ret;
      ret = this.drv.piEnable(id);
      if (ret) this.deallocate(id);
      return ret;
    } finally {
      this.depth--;
    }
  }

  /** pse_pi_allocate_pw_budget_static_prio. */
  private allocate(id: number, pwReq: number): number {
    const pi = this.pi[id]!;
    let prio = this.nrLines;
    while (this.budgetUsedMw + pwReq > this.budgetMw) {
      if (prio <= pi.prio) {
        this.extack.push(`PI ${id}: not enough power budget available`);
        return -ERANGE;
      }
      // pse_disable_pi_prio
      for (let i = 0; i < this.nrLines; i++) {
        if (this.pi[i]!.prio !== prio || !this.pis.includes(i) || this.hwEnabled(i) <= 0) continue;
        const r = this.disable(i);
        this.ntf.push([i, r ? ['over-budget', 'sw-pw-control-error'] : ['over-budget']]);
        if (r) return r;
      }
      prio--;
    }
    this.budgetUsedMw += pwReq;
    pi.pwAllocatedMw = pwReq;
    return 0;
  }

  private deallocate(id: number): void {
    const pi = this.pi[id]!;
    if (!pi.pwAllocatedMw) return;
    this.budgetUsedMw -= pi.pwAllocatedMw;
    pi.pwAllocatedMw = 0;
  }

  /** pse_pi_is_hw_enabled: the driver's admin state, read from PW_STATUS. */
  private hwEnabled(id: number): number {
    return this.drv.getAdminState(id);
  }

  /** _pse_pi_disable. */
  private disable(id: number): number {
    const ret = this.drv.piDisable(id);
    if (ret) return ret;
    this.deallocate(id);
    this.retry();
    return 0;
  }

  /** pse_pw_d_retry_power_delivery, prio_max declared inside the loop as the kernel declares it. */
  private retry(): void {
    for (let i = 0; i < this.nrLines; i++) {
      const prioMax = this.nrLines;
      if (!this.pis.includes(i)) continue;
      const pi = this.pi[i]!;
      if (!pi.adminStateEnabled || !pi.isrPdDetected || this.hwEnabled(i) === 1) continue;
      if (pi.prio > prioMax) continue;
      this.delivery(i);
    }
  }

  /** The PI regulator's enable (ethtool c33-pse-admin-control enable). */
  enable(id: number): number {
    const pi = this.pi[id]!;
    let ret = 0;
    if (pi.isrPdDetected) ret = this.delivery(id);
    if (!ret || ret === -ERANGE) {
      pi.adminStateEnabled = true;
      ret = 0;
    }
    return ret;
  }

  /** The PI regulator's disable. */
  disableAdmin(id: number): number {
    const ret = this.disable(id);
    if (!ret) this.pi[id]!.adminStateEnabled = false;
    return 0;
  }

  /** pse_ethtool_set_prio, static strategy. */
  setPrio(id: number, prio: number): number {
    if (prio >= this.nrLines) return -ERANGE;
    this.pi[id]!.prio = prio;
    this.retry();
    return 0;
  }

  get usedMw(): number {
    return this.budgetUsedMw;
  }
}
