import { duplexOf, modeOf, PRIORITY, speedOf, type Duplex, type LinkMode, type Speed } from './modes.js';
import type { LinkPartner, MasterSlavePreference } from './partner.js';

/** What the local PHY is configured to do, read from its control registers at negotiation time. */
export interface LocalLinkConfig {
  readonly autoneg: boolean;
  /** Modes advertised (ANAR, CTRL1000, 7.32) when autoneg is on. */
  readonly advertised: readonly LinkMode[];
  /** Modes the PMA can run at all: what parallel detection may select. */
  readonly supported: readonly LinkMode[];
  readonly forced: { readonly speed: Speed; readonly duplex: Duplex };
  readonly masterSlave: MasterSlavePreference;
  readonly multiport: boolean;
  readonly seed: number;
}

export type ResolutionMethod = 'autoneg' | 'parallel-detect' | 'forced';

export interface LinkResolution {
  readonly up: boolean;
  readonly speed: Speed;
  readonly duplex: Duplex;
  readonly method: ResolutionMethod;
  /** 802.3 40.5.1.1: only meaningful for 1000BASE-T and faster. */
  readonly master: boolean;
  readonly masterSlaveFault: boolean;
  /** Why the link stayed down, for traces. */
  readonly reason?: string;
}

/** A link that came up without master/slave resolution (below 1000BASE-T, or looped back). */
export function linkUp(speed: Speed, duplex: Duplex, method: ResolutionMethod): LinkResolution {
  return { up: true, speed, duplex, method, master: false, masterSlaveFault: false };
}

/** 802.3 Annex 28B.3: the highest-priority mode both sides advertise. */
export function highestCommonMode(a: readonly LinkMode[], b: readonly LinkMode[]): LinkMode | undefined {
  return PRIORITY.find((m) => a.includes(m) && b.includes(m));
}

/**
 * Resolves what link comes up between a local PHY and its partner:
 * - both autonegotiating: 28B.3 priority over the common abilities;
 * - exactly one autonegotiating: 28.2.3.1 parallel detection of the forced side's 10/100 signalling, which
 *   always yields half duplex on the detecting side (the forced side keeps its own duplex; a mismatch is real);
 * - neither: the link comes up if both force the same 10/100 speed.
 * 1000BASE-T and faster need autoneg (40.5.1: master/slave is negotiated), so they never parallel-detect.
 */
export function resolveLink(local: LocalLinkConfig, partner: LinkPartner): LinkResolution {
  const down = (method: ResolutionMethod, reason: string): LinkResolution => ({
    up: false,
    speed: 10,
    duplex: 'half',
    method,
    master: false,
    masterSlaveFault: false,
    reason,
  });
  if (local.autoneg && partner.autoneg) {
    const mode = highestCommonMode(local.advertised, partner.modes);
    if (!mode) return down('autoneg', 'no common mode');
    const speed = speedOf(mode);
    if (speed >= 1000) {
      const ms = resolveMasterSlave(local, partner);
      if (ms.fault)
        return {
          ...down('autoneg', 'master/slave configuration fault'),
          speed,
          duplex: duplexOf(mode),
          masterSlaveFault: true,
        };
      return { ...linkUp(speed, duplexOf(mode), 'autoneg'), master: ms.localMaster };
    }
    return linkUp(speed, duplexOf(mode), 'autoneg');
  }
  if (local.autoneg) {
    const forced = partner.forced;
    if (!forced) return down('parallel-detect', 'partner forced without a speed');
    const detected = modeOf(forced.speed, 'half');
    if (forced.speed > 100 || !detected || !local.supported.includes(detected))
      return down('parallel-detect', `cannot parallel-detect ${forced.speed} Mb/s`);
    return linkUp(forced.speed, 'half', 'parallel-detect');
  }
  if (partner.autoneg) {
    const { speed, duplex } = local.forced;
    const detected = modeOf(speed, 'half');
    const partnerCan = partner.modes.some((m) => speedOf(m) === speed);
    if (speed > 100 || !detected || !partnerCan)
      return down('parallel-detect', `partner cannot parallel-detect ${speed} Mb/s`);
    return linkUp(speed, duplex, 'parallel-detect');
  }
  const forced = partner.forced;
  if (!forced || forced.speed !== local.forced.speed || local.forced.speed > 100)
    return down('forced', 'forced speeds differ');
  return linkUp(local.forced.speed, local.forced.duplex, 'forced');
}

/**
 * 802.3 40.5.1.1 master/slave resolution: manual settings win (the same manual value on both sides is a
 * configuration fault); otherwise a multiport device is master over a single-port one; otherwise the higher
 * seed is master. Equal seeds would restart negotiation on silicon; the model reports a fault instead so the
 * condition is visible.
 */
export function resolveMasterSlave(
  local: Pick<LocalLinkConfig, 'masterSlave' | 'multiport' | 'seed'>,
  partner: Pick<LinkPartner, 'masterSlave' | 'multiport' | 'seed'>,
): { fault: boolean; localMaster: boolean } {
  const lp = partner.masterSlave ?? 'auto';
  if (local.masterSlave !== 'auto' && lp !== 'auto') {
    return local.masterSlave === lp
      ? { fault: true, localMaster: false }
      : { fault: false, localMaster: local.masterSlave === 'master' };
  }
  if (local.masterSlave !== 'auto') return { fault: false, localMaster: local.masterSlave === 'master' };
  if (lp !== 'auto') return { fault: false, localMaster: lp === 'slave' };
  const lm = local.multiport;
  const pm = partner.multiport ?? false;
  if (lm !== pm) return { fault: false, localMaster: lm };
  const ps = partner.seed ?? 0x5a5;
  if (local.seed === ps) return { fault: true, localMaster: false };
  return { fault: false, localMaster: local.seed > ps };
}
