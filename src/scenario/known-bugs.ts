import type { KnownBug } from './types.js';

/** A kernel version as `uname -r` starts: major, minor, patch (`7.2.13-dirty` is 7.2.13). */
export interface KernelVersion {
  major: number;
  minor: number;
  patch: number;
}

export function parseKernelVersion(release: string): KernelVersion | undefined {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(release.trim());
  if (!m) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3] ?? 0) };
}

function compare(a: KernelVersion, b: KernelVersion): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/**
 * Whether a known bug's kernel range covers this kernel: every comma-separated term must hold (`>=6.17`,
 * `<7.3`, `7.2` for the whole 7.2 series, `=7.2.13` for one release).
 */
export function appliesTo(bug: Pick<KnownBug, 'kernels'>, kernel: KernelVersion): boolean {
  return bug.kernels.split(',').every((term) => {
    const m = /^\s*(>=|<=|>|<|=)?\s*(\d+)\.(\d+)(?:\.(\d+))?\s*$/.exec(term);
    if (!m) return false;
    const op = m[1] ?? '';
    const v = { major: Number(m[2]), minor: Number(m[3]), patch: Number(m[4] ?? 0) };
    // A bare "7.2" names the series: compare major.minor only.
    if (op === '' && m[4] === undefined) return kernel.major === v.major && kernel.minor === v.minor;
    const c = compare(kernel, v);
    switch (op) {
      case '>=':
        return c >= 0;
      case '<=':
        return c <= 0;
      case '>':
        return c > 0;
      case '<':
        return c < 0;
      default:
        return c === 0;
    }
  });
}

/** One kernel report as evidence patterns see it: `kasan: KASAN: use-after-free in pse_control_put <- a <- b`. */
export function reportText(r: {
  report: string;
  title: string;
  function?: string;
  frames: readonly string[];
}): string {
  const fn = r.function === undefined || r.title.includes(` in ${r.function}`) ? '' : ` in ${r.function}`;
  return `${r.report}: ${r.title}${fn}${r.frames.length > 0 ? ` <- ${r.frames.join(' <- ')}` : ''}`;
}

/**
 * The first of the guest's kernel log lines and reports (in `texts`, as reportText writes reports) that one of
 * the bug's evidence patterns matches, or undefined.
 */
export function bugEvidence(bug: KnownBug, texts: readonly string[]): string | undefined {
  const res = bug.evidence.map((p) => new RegExp(p));
  return texts.find((t) => res.some((re) => re.test(t)));
}

/**
 * The kernel bugs the rig exposes, by name; scenarios refer to them (`"knownBug": "pse-kfifo-nr-lines"`) and
 * docs/kernel-findings.md says how to reproduce each. A bug counts as an expectation's reason only on kernels
 * in its range whose log shows its evidence, so a build carrying the fix is judged like any other kernel.
 */
export const KNOWN_BUGS: Readonly<Record<string, KnownBug>> = {
  'pse-kfifo-nr-lines': {
    name: 'pse-kfifo-nr-lines',
    kernels: '>=6.17',
    bug: 'pse_controller_register() allocates the notification kfifo with nr_lines elements before nr_lines defaults to 1; pse_regulator sets none, so kfifo_alloc() fails with -EINVAL and PoDL PHYs stay deferred forever (fix: patches/linux/pse-kfifo-min-size.patch)',
    evidence: ['failed to allocate kfifo notifications', 'failed to register PSE controller \\(-22\\)'],
  },
  'pse-control-put-uaf': {
    name: 'pse-control-put-uaf',
    kernels: '>=6.1',
    bug: "a PHY keeps its pse_control after the PSE controller went away; at the adapter's disconnect (mvusb_mdio_disconnect <- mdiobus_unregister <- phy_mdio_device_remove) pse_control_put() touches the freed controller",
    evidence: ['^(?:oops|kasan|bug|panic|warning): .*\\bpse_control_put\\b'],
  },
  'pse-stale-control-ethtool': {
    name: 'pse-stale-control-ethtool',
    kernels: '>=6.1',
    bug: 'the PSE device is unbound and bound again under a PHY attached to an up interface: the PHY keeps the pse_control of the old, freed controller, and ethtool --show-pse reaches it through pse_ethtool_get_status() <- ethnl (an Oops on Linux 6.1)',
    // The Oops's innermost frame is wherever the freed ops pointer led (pse_ethtool_get_status, or a stray
    // symbol); its caller in net/ethtool/pse-pd.c is always there.
    evidence: [
      '^(?:oops|kasan|bug|panic): .*\\b(?:pse_ethtool_(?:get_status|set_config)|pse_prepare_data|ethnl_set_pse)\\b',
    ],
  },
  'pse-stale-control-silent': {
    name: 'pse-stale-control-silent',
    kernels: '6.12',
    bug: "as pse-stale-control-ethtool, without a crash: after the PSE device is unbound and bound again, ethtool --show-pse reads the old controller through the PHY's stale pse_control and prints no admin state (a use-after-free read that only KASAN would report)",
    evidence: [],
  },
  'pse-regulator-enable-leak': {
    name: 'pse-regulator-enable-leak',
    kernels: '>=6.1',
    bug: 'pse_regulator gets its supply exclusively while it is on (one enable to the regulator core) and nothing disables it before devres puts it: unbinding the PSE (or its failed probe) puts an enabled regulator, a WARN in _regulator_put (enable_count)',
    evidence: ['^warning: WARN in _regulator_put\\b'],
  },
  'pse-pi-lock-inversion': {
    name: 'pse-pi-lock-inversion',
    kernels: '>=6.9',
    bug: "lockdep: pse_pi_disable() (a PI regulator's op, under the regulator core's ww lock) takes pcdev->lock, then pse_regulator's pi_disable calls regulator_disable() on its supply, which takes regulator_list_mutex: the inverse of regulator_list_mutex -> regulator_ww_class_mutex -> pcdev->lock; seen on ethtool --set-pse ... disable",
    evidence: ['\\(&pcdev->lock\\)\\{[^}]*\\}-\\{[^}]*\\}, at: pse_pi_(?:en|dis)able'],
  },
  'pse-isr-drops-classification': {
    name: 'pse-isr-drops-classification',
    kernels: '7.2',
    bug: 'pse_set_config_isr() returns early when the events include PSE_BUDGET_EVAL_STRAT_DYNAMIC, whose value (1 << 2) is ETHTOOL_C33_PSE_EVENT_DETECTION: a classification reported in the same interrupt as its detection is dropped and the PD is never powered',
    // Nothing in the kernel log says so; the scenario's own outputs (the notification, the class read) do.
    evidence: [],
  },
  'pse-budget-double-request': {
    name: 'pse-budget-double-request',
    kernels: '7.2',
    bug: "pse_pi_allocate_pw_budget_static_prio() turns off a lower-priority PI whose _pse_pi_disable() retries the domain's pending PIs, which already powers and allocates the requesting PI; the loop then requests the same power again, and where it fits twice keeps both requests while the PI records one: the domain's budget leaks the difference for good",
    // Only the numbers show it (vpwr's power_requested_milliwatt, the regulator core's 'out of budget' lines).
    evidence: [],
  },
  'tps23881-class5-unreported': {
    name: 'tps23881-class5-unreported',
    kernels: '7.2',
    bug: 'tps23881_irq_event_classification() skips class code 0x8 as an unknown class, but 0x8 is class 5 of a single-signature 4-pair PD (tps23881_power_class_table[8] is 45000 mW): no classification event, so pse_core never powers such a PD',
    evidence: [],
  },
  'tps23881-4p-detection-lost': {
    name: 'tps23881-4p-detection-lost',
    kernels: '7.2',
    bug: "tps23881_pi_disable() on a 4-pair PI sets DET_CLA_EN for its second channel starting from the register it read, dropping the first channel's bits that PWOFF had cleared; the driver watches only the first channel of a 4-pair PI, so after its first disable (a PD leaving, an admin disable) the PI never detects, classifies or powers a PD again",
    evidence: [],
  },
};

export const KNOWN_BUG_NAMES = Object.keys(KNOWN_BUGS);
