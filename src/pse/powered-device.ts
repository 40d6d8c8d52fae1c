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
  /** Requested class, 0-8 (classes 5-8 need four pairs, 802.3bt). */
  pdClass: number;
  /** Power the PD draws once powered, in milliwatts. */
  loadMw: number;
}

/** PSE output power per class (IEEE 802.3 Table 33-6 / 145-13, PSE side): class 0 is allocated like class 3. */
export const CLASS_POWER_MW: readonly number[] = [
  15_400, 4_000, 7_000, 15_400, 30_000, 45_000, 60_000, 75_000, 90_000,
];

export function pd(pdClass: number, loadMw?: number, signature: DetectionSignature = 'valid'): PoweredDevice {
  return { signature, pdClass, loadMw: loadMw ?? Math.round((CLASS_POWER_MW[pdClass] ?? 0) * 0.8) };
}
