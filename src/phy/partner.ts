import type { Duplex, EeeMode, LinkMode, Speed } from './modes.js';

/** 802.3 40.5.1.1 master/slave configuration of one side. */
export type MasterSlavePreference = 'auto' | 'master' | 'slave';

/** The device at the far end of the cable. */
export interface LinkPartner {
  /** Autoneg on: it advertises `modes`. Off: it runs `forced` and can only be parallel-detected. */
  readonly autoneg: boolean;
  readonly modes: readonly LinkMode[];
  readonly forced?: { readonly speed: Speed; readonly duplex: Duplex };
  readonly pause?: boolean;
  readonly asymPause?: boolean;
  readonly remoteFault?: boolean;
  readonly masterSlave?: MasterSlavePreference;
  /** 802.3 40.5.1.1 port type: a multiport device prefers master. */
  readonly multiport?: boolean;
  /** 802.3 40.5.1.1 master/slave seed used when neither side is configured manually. */
  readonly seed?: number;
  readonly eee?: readonly EeeMode[];
}

/** A typical gigabit switch port: autoneg, all 10/100/1000 modes, symmetric pause, multiport. */
export const GIGABIT_SWITCH_PORT: LinkPartner = {
  autoneg: true,
  modes: ['10baseT-Half', '10baseT-Full', '100baseTX-Half', '100baseTX-Full', '1000baseT-Full'],
  pause: true,
  multiport: true,
  eee: ['100baseTX-Full', '1000baseT-Full'],
};
