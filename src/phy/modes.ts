/** Twisted-pair link modes the models negotiate, and their encodings in the standard registers. */

export type Speed = 10 | 100 | 1000 | 2500 | 5000 | 10000;
export type Duplex = 'half' | 'full';

export type LinkMode =
  | '10baseT-Half'
  | '10baseT-Full'
  | '100baseTX-Half'
  | '100baseTX-Full'
  | '1000baseT-Half'
  | '1000baseT-Full'
  | '2500baseT-Full'
  | '5000baseT-Full'
  | '10000baseT-Full';

export const ALL_MODES: readonly LinkMode[] = [
  '10baseT-Half',
  '10baseT-Full',
  '100baseTX-Half',
  '100baseTX-Full',
  '1000baseT-Half',
  '1000baseT-Full',
  '2500baseT-Full',
  '5000baseT-Full',
  '10000baseT-Full',
];

/**
 * 802.3 Annex 28B.3 priority resolution, highest first (100BASE-T2/T4 are not modelled; the NBASE-T and
 * 10GBASE-T entries sit above 1000BASE-T as 28B.3 lists them).
 */
export const PRIORITY: readonly LinkMode[] = [
  '10000baseT-Full',
  '5000baseT-Full',
  '2500baseT-Full',
  '1000baseT-Full',
  '1000baseT-Half',
  '100baseTX-Full',
  '100baseTX-Half',
  '10baseT-Full',
  '10baseT-Half',
];

export function modeOf(speed: Speed, duplex: Duplex): LinkMode | undefined {
  const name = `${speed === 100 ? '100baseTX' : `${speed}baseT`}-${duplex === 'full' ? 'Full' : 'Half'}`;
  return (ALL_MODES as readonly string[]).includes(name) ? (name as LinkMode) : undefined;
}

export function speedOf(mode: LinkMode): Speed {
  return Number.parseInt(mode, 10) as Speed;
}

export function duplexOf(mode: LinkMode): Duplex {
  return mode.endsWith('Full') ? 'full' : 'half';
}

/** 802.3 28.2.1.2 / Annex 28B.2 base page technology ability bits (ANAR, ANLPAR, 7.16, 7.19). */
export const ADVERTISE = {
  SELECTOR_8023: 0x0001,
  '10baseT-Half': 0x0020,
  '10baseT-Full': 0x0040,
  '100baseTX-Half': 0x0080,
  '100baseTX-Full': 0x0100,
  PAUSE: 0x0400,
  ASYM_PAUSE: 0x0800,
  REMOTE_FAULT: 0x2000,
  ACK: 0x4000,
  NEXT_PAGE: 0x8000,
} as const;

/** 802.3 40.5.1.1: 1000BASE-T control (reg 9) ability bits and status (reg 10) partner bits. */
export const CTRL1000 = {
  '1000baseT-Half': 0x0100,
  '1000baseT-Full': 0x0200,
  PORT_TYPE: 0x0400,
  MS_VALUE: 0x0800,
  MS_MANUAL: 0x1000,
} as const;
export const STAT1000 = {
  '1000baseT-Half': 0x0400,
  '1000baseT-Full': 0x0800,
  RRS: 0x1000,
  LRS: 0x2000,
  MS_RES: 0x4000,
  MS_FAULT: 0x8000,
} as const;

/** 802.3 45.2.7.10/11: 10GBASE-T AN control (7.32) and status (7.33). */
export const AN_10GBT_CTRL = {
  '2500baseT-Full': 0x0080,
  '5000baseT-Full': 0x0100,
  '10000baseT-Full': 0x1000,
} as const;
export const AN_10GBT_STAT = {
  '2500baseT-Full': 0x0020,
  '5000baseT-Full': 0x0040,
  '10000baseT-Full': 0x0800,
} as const;

/** 802.3 45.2.7.13: EEE advertisement (7.60) / partner (7.61) bits, and PCS EEE ability (3.20). */
export const EEE = { '100baseTX-Full': 0x0002, '1000baseT-Full': 0x0004, '10000baseT-Full': 0x0008 } as const;
export type EeeMode = keyof typeof EEE;

export function encodeBasePage(modes: Iterable<LinkMode>, extra = 0): number {
  let value = ADVERTISE.SELECTOR_8023 | extra;
  for (const m of modes) if (m in ADVERTISE) value |= ADVERTISE[m as keyof typeof ADVERTISE];
  return value;
}

export function decodeBasePage(word: number): LinkMode[] {
  const out: LinkMode[] = [];
  for (const m of ['10baseT-Half', '10baseT-Full', '100baseTX-Half', '100baseTX-Full'] as const)
    if (word & ADVERTISE[m]) out.push(m);
  return out;
}

export function encodeBits<K extends string>(
  table: Readonly<Record<K, number>>,
  modes: Iterable<string>,
): number {
  let v = 0;
  for (const m of modes) if (m in table) v |= table[m as K];
  return v;
}

export function decodeBits<K extends string>(
  table: Readonly<Record<K, number>>,
  word: number,
  keys: readonly K[],
): K[] {
  return keys.filter((k) => (word & table[k]) !== 0);
}
