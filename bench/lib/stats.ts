/** Order statistics of a sample of latencies (µs). */
export interface Summary {
  readonly n: number;
  readonly min: number;
  readonly p10: number;
  readonly median: number;
  readonly p90: number;
  readonly max: number;
}

export function summary(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b);
  const at = (p: number): number => s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? NaN;
  return { n: s.length, min: s[0] ?? NaN, p10: at(0.1), median: at(0.5), p90: at(0.9), max: s.at(-1) ?? NaN };
}
