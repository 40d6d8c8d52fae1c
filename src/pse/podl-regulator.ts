/**
 * `podl-pse-regulator` (drivers/net/pse-pd/pse_regulator.c): one PI whose admin state switches the
 * `pse-supply` regulator. The driver reports PoDL admin state from its own flag and power status from
 * regulator_is_enabled(): enabled -> DELIVERING, disabled -> DISABLED.
 */
export class RegulatorModel {
  private enabled = false;
  constructor(
    readonly name: string,
    /** regulator-min/max-microvolt of a fixed regulator. */
    readonly microvolts: number,
  ) {}
  enable(): void {
    this.enabled = true;
  }
  disable(): void {
    this.enabled = false;
  }
  isEnabled(): boolean {
    return this.enabled;
  }
  /** regulator_get_voltage(): a fixed regulator reports its voltage whether on or off. */
  voltage(): number {
    return this.microvolts;
  }
}

export type PodlAdminState = 'enabled' | 'disabled';
export type PodlPwStatus = 'delivering' | 'disabled';

export class PodlPseRegulator {
  private admin: PodlAdminState = 'disabled';
  constructor(readonly supply: RegulatorModel) {}

  /** ethtool --set-pse podl-pse-admin-control enable|disable. */
  setAdminState(state: PodlAdminState): void {
    this.admin = state;
    if (state === 'enabled') this.supply.enable();
    else this.supply.disable();
  }

  /** What `ethtool --show-pse` prints: PoDL admin state and PoDL power status. */
  status(): { podlAdminState: PodlAdminState; podlPwStatus: PodlPwStatus } {
    return { podlAdminState: this.admin, podlPwStatus: this.supply.isEnabled() ? 'delivering' : 'disabled' };
  }
}
