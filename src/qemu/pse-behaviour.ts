import type { RunLog } from '../scenario/run-log.js';

/**
 * How the guest kernel attached a PSE to a PHY whose DT node has `pses`, told apart from the run's events:
 * - `probe-time-deferral` (Linux 6.1 to 7.2): fwnode_mdiobus_register_phy() calls fwnode_find_pse_control(),
 *   which returns -EPROBE_DEFER while the PSE is missing, so the MDIO bus owner (the USB adapter) defers and
 *   no PHY stays until the PSE driver binds (7.x registers the PHY device before the lookup and removes it
 *   again when the lookup defers: a PHY that comes and goes is still this case);
 * - `notifier-attach` (kernels with the notifier-based series): the PHY registers without its PSE and the
 *   PSE is attached when it appears, so the adapter binds, its PHY registered, while the PSE has no driver yet;
 * - `undetermined`: the bus never probed before the PSE bound (PSE loaded first), so both kernels behave alike.
 */
export type PseAttachBehaviour = 'probe-time-deferral' | 'notifier-attach' | 'undetermined';

export interface PseLink {
  /** DT path of the PHY node. */
  phy: string;
  /** DT path of the PSE controller node its `pses` points at. */
  pse: string;
  /** DT path of the device whose probe registers the bus (the PHY node's parent, or the USB MAC above it). */
  adapter: string;
}

export interface PseAttachFinding extends PseLink {
  behaviour: PseAttachBehaviour;
  /** Probe attempts of the adapter deferred before the PSE bound: the probe-retry storm. */
  deferredAttempts: number;
  /** Guest ms from the PSE controller binding to the PHY registering, when both happened. */
  pseToPhyMs?: number;
  /** One sentence: the events that decided it. */
  evidence: string;
}

export function classifyPseAttach(link: PseLink, log: RunLog): PseAttachFinding {
  const pseBound = log.bindings.get(link.pse)?.[0]?.t ?? Number.POSITIVE_INFINITY;
  // A notifier-based kernel lets the bus owner's probe finish with the PHY registered and no PSE; under
  // probe-time deferral that probe never succeeds before the PSE binds, however its PHY comes and goes (7.x
  // registers it before the lookup, so one caught mid-attempt at the PSE's bind or at the run's end proves
  // nothing). The adapter's own binding is what tells them apart, whatever the timing.
  // usbcore's generic device driver ("usb") binds every USB device node before its interface driver probes:
  // that is not the adapter's own probe succeeding.
  const adapterBound = (log.bindings.get(link.adapter) ?? []).find(
    (b) => b.t < pseBound && !(b.subsystem === 'usb' && b.driver === 'usb'),
  );
  const heldWithoutPse =
    adapterBound === undefined
      ? undefined
      : (log.registrations.get(link.phy) ?? []).find(
          (r) => r.t < pseBound && (r.removedAt === undefined || r.removedAt > adapterBound.t),
        );
  const dropped = (log.registrations.get(link.phy) ?? []).filter(
    (r) => r.removedAt !== undefined && r.removedAt < pseBound,
  );
  const deferrals = (log.deferrals.get(link.adapter) ?? []).filter((d) => d.t < pseBound);
  const attached = (log.registrations.get(link.phy) ?? []).find((r) => r.t >= pseBound);
  const pseToPhyMs =
    attached && Number.isFinite(pseBound) ? Math.round((attached.t - pseBound) * 1000) / 1000 : undefined;
  const base = {
    ...link,
    deferredAttempts: deferrals.length,
    ...(pseToPhyMs === undefined ? {} : { pseToPhyMs }),
  };
  if (heldWithoutPse)
    return {
      ...base,
      behaviour: 'notifier-attach',
      evidence: `${link.adapter} bound (${adapterBound?.driver ?? ''}) at ${ms(adapterBound?.t ?? 0)} with ${link.phy} registered at ${ms(heldWithoutPse.t)} while ${link.pse} had no driver`,
    };
  const first = deferrals[0];
  if (first) {
    const comeAndGo =
      dropped.length > 0 ? `, its PHY registered and removed ${dropped.length} time(s)` : ', with no PHY';
    return {
      ...base,
      behaviour: 'probe-time-deferral',
      evidence: `${first.driver} deferred ${first.name} (${link.adapter}) ${deferrals.length} time(s) from ${ms(first.t)}${comeAndGo}, until ${link.pse} bound${Number.isFinite(pseBound) ? ` at ${ms(pseBound)}` : ' (it never did)'}`,
    };
  }
  return {
    ...base,
    behaviour: 'undetermined',
    evidence: Number.isFinite(pseBound)
      ? `${link.pse} was bound before ${link.adapter} probed, so both kernels behave alike`
      : `${link.adapter} never probed during the run`,
  };
}

/** What a sanitizer kernel reported; `enabled` false on a kernel built without it. */
export interface SanitizerFinding {
  kasan: boolean;
  lockdep: boolean;
  /** Titles of the KASAN and lockdep reports, in order. */
  reports: string[];
}

export function sanitizerFinding(log: RunLog): SanitizerFinding {
  const lines = log.logLines;
  return {
    // arch/arm64/mm/kasan_init.c: "KernelAddressSanitizer initialized" at boot; kernel/locking/lockdep.c
    // lockdep_init(): "Lock dependency validator: Copyright ...".
    kasan: lines.some((l) => l.text.includes('KernelAddressSanitizer initialized')),
    lockdep: lines.some((l) => l.text.startsWith('Lock dependency validator')),
    reports: log.reports.filter((r) => r.report === 'kasan' || r.report === 'lockdep').map((r) => r.title),
  };
}

function ms(t: number): string {
  return `${Math.round(t * 1000) / 1000} ms`;
}
