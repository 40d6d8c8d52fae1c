import type { Snapshot } from './guest-observations.js';

/**
 * How the guest kernel attached a PSE to a PHY whose DT node has `pses`, told apart from the snapshots:
 * - `probe-time-deferral` (Linux 6.1): fwnode_mdiobus_register_phy() calls fwnode_find_pse_control(), which
 *   returns -EPROBE_DEFER while the PSE is missing, so the whole MDIO bus owner (the USB adapter) sits in
 *   devices_deferred and no PHY exists until the PSE driver binds;
 * - `notifier-attach` (kernels with the notifier-based series): the PHY registers without its PSE and the
 *   PSE is attached when it appears, so the PHY is listed while the PSE has no driver yet;
 * - `undetermined`: the run never had the adapter probing before the PSE bound (PSE loaded first), so both
 *   kernels behave alike.
 */
export type PseAttachBehaviour = 'probe-time-deferral' | 'notifier-attach' | 'undetermined';

export interface PseLink {
  /** DT path of the PHY node. */
  phy: string;
  /** DT path of the PSE controller node its `pses` points at. */
  pse: string;
  /** DT path of the MDIO bus owner (the PHY node's parent). */
  adapter: string;
}

export interface PseAttachFinding extends PseLink {
  behaviour: PseAttachBehaviour;
  /** One sentence: the snapshot that decided it. */
  evidence: string;
}

export function classifyPseAttach(link: PseLink, snapshots: readonly Snapshot[]): PseAttachFinding {
  const pseBound = (s: Snapshot): boolean => s.devices.some((d) => d.ofNode === link.pse && d.driver !== '');
  // Only the time before the PSE first binds says anything: afterwards both kernels have the PSE at hand
  // (and a PHY left registered after an unbind is not a notifier attach).
  const firstBound = snapshots.findIndex(pseBound);
  const early = firstBound < 0 ? snapshots : snapshots.slice(0, firstBound);
  const registered = early.find((s) => s.mdio.some((m) => m.ofNode === link.phy));
  if (registered) {
    return {
      ...link,
      behaviour: 'notifier-attach',
      evidence: `${link.phy} was registered at ${registered.t} ms (snapshot "${registered.label}") while ${link.pse} had no driver`,
    };
  }
  const deferred = early.find((s) => s.deferred.some((d) => d.ofNode === link.adapter));
  if (deferred) {
    const name = deferred.deferred.find((d) => d.ofNode === link.adapter)?.name ?? link.adapter;
    return {
      ...link,
      behaviour: 'probe-time-deferral',
      evidence: `devices_deferred listed ${name} (${link.adapter}) at ${deferred.t} ms, with no PHY, while ${link.pse} had no driver`,
    };
  }
  return {
    ...link,
    behaviour: 'undetermined',
    evidence:
      firstBound < 0
        ? `${link.adapter} never probed during the run`
        : `${link.pse} was bound before ${link.adapter} probed, so both kernels behave alike`,
  };
}

/** What a KASAN kernel reported; `enabled` false on a kernel built without it. */
export interface KasanFinding {
  enabled: boolean;
  /** `BUG: KASAN: ...` lines. */
  reports: string[];
  /** The failure the removed-PSE scenario provokes on Linux 6.1 (pse_control_put after devres freed the PSE). */
  useAfterFreeInPseControlPut: boolean;
}

export function kasanFinding(kernelLog: readonly string[]): KasanFinding {
  // arch/arm64/mm/kasan_init.c kasan_init(): "KernelAddressSanitizer initialized (generic)" at boot.
  const enabled = kernelLog.some((l) => l.includes('KernelAddressSanitizer initialized'));
  const reports = kernelLog
    .filter((l) => /BUG: KASAN: /.test(l))
    .map((l) => l.replace(/^.*?(BUG: KASAN: )/, '$1').trim());
  return {
    enabled,
    reports,
    useAfterFreeInPseControlPut: reports.some((r) =>
      /^BUG: KASAN: (slab-)?use-after-free in pse_control_put/.test(r),
    ),
  };
}
