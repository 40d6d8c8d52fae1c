import { InputError } from '../diagnostics/index.js';

/**
 * A powered device (PD) on the far end of a cable, as a PSE sees it during IEEE 802.3 clause 33/145
 * detection (signature resistance) and classification (class 0-8), then as a load once powered.
 */
export type DetectionSignature =
  /** 25 kOhm: a valid PD (802.3 33.2.5). */
  | 'valid'
  | 'short'
  /** Below the valid range. */
  | 'low'
  /** Above the valid range. */
  | 'high';

export interface PoweredDevice {
  signature: DetectionSignature;
  /**
   * Requested class, 0-8 (classes 5-8 need four pairs, 802.3bt). For a dual-signature PD, the class of
   * pairset A (0-5, 802.3bt 145.3.6: each pairset of a dual-signature PD classifies on its own).
   */
  pdClass: number;
  /** 802.3bt dual-signature PD: pairset B's own detection signature and class; absent for single-signature. */
  dualSignature?: { readonly pdClassB: number };
  /** Classification draws more than the class current limit: the PSE reports an overcurrent class result. */
  classOvercurrent?: boolean;
  /** Power the PD draws once powered, in milliwatts (both pairsets together). */
  loadMw: number;
}

/** PSE output power per class (IEEE 802.3 Table 33-6 / 145-13, PSE side): class 0 is allocated like class 3. */
export const CLASS_POWER_MW: readonly number[] = [
  15_400, 4_000, 7_000, 15_400, 30_000, 45_000, 60_000, 75_000, 90_000,
];

/** A powered device described with values no PD has (PSE2001). */
export class PoweredDeviceError extends InputError {}

function checkClass(pdClass: number, max: number, what: string): void {
  if (!Number.isInteger(pdClass) || pdClass < 0 || pdClass > max)
    throw new PoweredDeviceError('PSE2001', `${what} ${pdClass} is not a class 0-${max}`);
}

/** A single-signature PD of `pdClass`, drawing 80% of its class power unless told otherwise. */
export function pd(pdClass: number, loadMw?: number, signature: DetectionSignature = 'valid'): PoweredDevice {
  checkClass(pdClass, 8, 'PD class');
  return { signature, pdClass, loadMw: loadMw ?? Math.round((CLASS_POWER_MW[pdClass] ?? 0) * 0.8) };
}

/** A dual-signature 4-pair PD: each pairset classifies as its own class 0-5. */
export function dualSignaturePd(classA: number, classB: number, loadMw?: number): PoweredDevice {
  checkClass(classA, 5, 'pairset A class');
  checkClass(classB, 5, 'pairset B class');
  const both = (CLASS_POWER_MW[classA] ?? 0) + (CLASS_POWER_MW[classB] ?? 0);
  return {
    signature: 'valid',
    pdClass: classA,
    dualSignature: { pdClassB: classB },
    loadMw: loadMw ?? Math.round(both * 0.8),
  };
}
