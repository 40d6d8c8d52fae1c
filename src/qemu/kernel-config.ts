import { compareVersions, type KernelVariant } from './kernel-spec.js';

/**
 * Which Kconfig fragments (files in scripts/) a guest kernel of a given version and variant gets, merged in
 * this order over `allnoconfig`, and the check that every option they ask for survived `olddefconfig`.
 */
export interface FragmentRule {
  file: string;
  /** Applies to kernels of this version and newer. */
  since?: string;
  /** Applies to this variant only. */
  variant?: KernelVariant;
}

export const FRAGMENTS: readonly FragmentRule[] = [
  // The base every guest needs (console, initramfs, USB, MDIO, PSE regulator, CP2615, LAN7801, tracing).
  { file: 'guest-kernel.config' },
  // HID for the CP2112 bridge, and the PoE PSE drivers that exist from here on (TPS23881 since 6.11).
  { file: 'guest-kernel-6.12.config', since: '6.12' },
  // The Si3474 PSE driver (a 7.x addition).
  { file: 'guest-kernel-7.2.config', since: '7.2' },
  { file: 'guest-kernel-kasan.config', variant: 'kasan' },
  { file: 'guest-kernel-lockdep.config', variant: 'lockdep' },
];

export function fragmentsFor(version: string, variant: KernelVariant): string[] {
  return FRAGMENTS.filter(
    (f) =>
      (f.since === undefined || compareVersions(version, f.since) >= 0) &&
      (f.variant === undefined || f.variant === variant),
  ).map((f) => f.file);
}

/**
 * Symbols a fragment asks for that a newer kernel no longer has at all, by design: absent from `.config`
 * there is not a dropped option. Each applies to versions after `after` (the last version known to have it)
 * and only when the tree really defines no such symbol, so a tree that still has it is checked as usual.
 */
export interface VanishedSymbol {
  symbol: string;
  after: string;
  why: string;
}

export const VANISHED: readonly VanishedSymbol[] = [
  {
    symbol: 'MDIO_DEVICE',
    after: '6.12',
    why: 'no Kconfig symbol in 7.2 (drivers/net/mdio/Kconfig): mdio_device/mdio_bus are part of PHYLIB',
  },
  {
    symbol: 'MDIO_BUS',
    after: '6.12',
    why: 'no Kconfig symbol in 7.2 (drivers/net/mdio/Kconfig): mdio_device/mdio_bus are part of PHYLIB',
  },
];

/** Options requested by fragments, last one winning as in merge_config.sh: symbol → value (`n` for "is not set"). */
export function requestedOptions(fragments: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const text of fragments) {
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      const set = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
      const unset = /^# CONFIG_([A-Za-z0-9_]+) is not set$/.exec(line);
      if (set?.[1] !== undefined) out.set(set[1], set[2] ?? '');
      else if (unset?.[1] !== undefined) out.set(unset[1], 'n');
    }
  }
  return out;
}

/** A `.config` as symbol → value; symbols "not set" are absent. */
export function parseDotConfig(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^CONFIG_([A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (m?.[1] !== undefined) out.set(m[1], m[2] ?? '');
  }
  return out;
}

export interface ConfigCheck {
  /** `CONFIG_X=v` lines asked for and not in `.config`: the build must stop. */
  dropped: string[];
  /** Symbols asked for that this version no longer has by design (VANISHED), with why. */
  vanished: { symbol: string; why: string }[];
}

/**
 * Compares what the fragments asked for with the `.config` olddefconfig wrote. `defined` tells whether the tree
 * defines a symbol at all (a `config X` entry in some Kconfig file); without it, the vanished list alone decides.
 */
export function checkConfig(o: {
  fragments: readonly string[];
  config: string;
  version: string;
  defined?: (symbol: string) => boolean;
}): ConfigCheck {
  const have = parseDotConfig(o.config);
  const dropped: string[] = [];
  const vanished: ConfigCheck['vanished'] = [];
  for (const [symbol, want] of requestedOptions(o.fragments)) {
    const got = have.get(symbol);
    if (want === 'n' ? got === undefined || got === 'n' : got === want) continue;
    const gone = VANISHED.find((v) => v.symbol === symbol && compareVersions(o.version, v.after) > 0);
    if (gone && want !== 'n' && got === undefined && !(o.defined?.(symbol) ?? false)) {
      vanished.push({ symbol, why: gone.why });
      continue;
    }
    dropped.push(
      want === 'n' ? `# CONFIG_${symbol} is not set (got ${got ?? ''})` : `CONFIG_${symbol}=${want}`,
    );
  }
  return { dropped, vanished };
}
