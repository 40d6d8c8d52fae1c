import { Session } from 'node:inspector';
import fc from 'fast-check';

/**
 * A fuzz target, in the two forms a run uses. Targets are plain data so a runner can pick them up by name
 * (`npm run fuzz` once it exists; today test/fuzz/fuzz.test.ts runs each with a fixed seed and a small
 * budget): `properties` for fast-check, `bytes` for the coverage-guided mutation loop below.
 */
export interface FuzzTarget {
  name: string;
  /** Properties over generated inputs (fast-check, wrapped by `check`); each throws when it fails. */
  properties: () => Record<string, Check>;
  /** Byte-level target for the coverage-guided pass: start corpus and one execution (throws on a bug). */
  bytes: {
    seeds: () => Uint8Array[];
    run: (input: Uint8Array) => void;
    /** Source files (URL substrings) whose block coverage guides the pass. */
    cover: string[];
  };
}

export interface CheckOptions {
  seed: number;
  numRuns?: number;
  /** Stop generating after this long (a longer run sets numRuns high and this to its minutes). */
  interruptAfterTimeLimit?: number;
}
/** Runs a property with the runner's seed and budget; returns how many inputs it tried, throws on a failure. */
export type Check = (options: CheckOptions) => number;

/** A fast-check property as a Check (fc.check, reported as fc.assert would report a failure). */
export function check<Ts extends [unknown, ...unknown[]]>(property: fc.IPropertyWithHooks<Ts>): Check {
  return (options) => {
    const details = fc.check(property, options);
    if (details.failed) throw new Error(fc.defaultReportMessage(details) ?? 'property failed');
    return details.numRuns;
  };
}

/** mulberry32: small, seeded, so a failure names a reproducible seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INTERESTING = [
  0, 1, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0xffffffff, 12, 11, 4096,
];

function mutate(input: Uint8Array, corpus: readonly Uint8Array[], rand: () => number): Uint8Array {
  let b = Uint8Array.from(input);
  const pick = (n: number) => Math.floor(rand() * n);
  const edits = 1 + pick(4);
  for (let e = 0; e < edits; e++) {
    const at = pick(b.length + 1);
    switch (pick(6)) {
      case 0: // flip a bit
        if (b.length > 0) b[at % b.length] = (b[at % b.length] ?? 0) ^ (1 << pick(8));
        break;
      case 1: {
        // an interesting little-endian value, 1, 2 or 4 bytes wide
        const v = INTERESTING[pick(INTERESTING.length)] ?? 0;
        const w = [1, 2, 4][pick(3)] ?? 1;
        for (let i = 0; i < w && at + i < b.length; i++) b[at + i] = (v >>> (8 * i)) & 0xff;
        break;
      }
      case 2: // delete a run
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at + 1 + pick(16))]);
        break;
      case 3: // insert random bytes
        b = Uint8Array.from([
          ...b.subarray(0, at),
          ...Array.from({ length: 1 + pick(8) }, () => pick(256)),
          ...b.subarray(at),
        ]);
        break;
      case 4: {
        // splice in a piece of another input
        const other = corpus[pick(corpus.length)] ?? new Uint8Array(0);
        const from = pick(other.length + 1);
        b = Uint8Array.from([
          ...b.subarray(0, at),
          ...other.subarray(from, from + pick(64)),
          ...b.subarray(at),
        ]);
        break;
      }
      default: // duplicate a run (repeated frames, repeated fields)
        b = Uint8Array.from([...b.subarray(0, at), ...b.subarray(at, at + pick(32)), ...b.subarray(at)]);
    }
  }
  return b.length > 1 << 16 ? b.subarray(0, 1 << 16) : b;
}

export interface CoverageRun {
  executions: number;
  /** Distinct covered blocks (V8 precise block coverage of the target's sources). */
  blocks: number;
  corpus: number;
}

/**
 * Coverage-guided mutation fuzzing in the style of libFuzzer, on V8's own block coverage (the inspector's
 * precise coverage, in this process): an input that reaches a block no earlier input reached joins the
 * corpus and is mutated further. Deterministic for a seed and an execution budget; `timeLimitMs` stops
 * early (a longer run gives it minutes).
 */
export function coverageFuzz(
  target: FuzzTarget['bytes'],
  options: { seed: number; executions: number; timeLimitMs?: number },
): CoverageRun {
  const session = new Session();
  session.connect();
  // The inspector answers in-thread sessions synchronously, so coverage can be read between executions.
  const post = (method: string, params?: object): unknown => {
    const box: { out?: unknown; error?: Error | null } = {};
    session.post(method, params ?? {}, (err: Error | null, result: unknown) => {
      box.error = err;
      box.out = result;
    });
    if (box.error) throw box.error;
    return box.out;
  };
  post('Profiler.enable');
  post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  const seen = new Set<string>();
  const newBlocks = (): number => {
    const taken = post('Profiler.takePreciseCoverage') as {
      result: {
        url: string;
        functions: { ranges: { startOffset: number; endOffset: number; count: number }[] }[];
      }[];
    };
    let fresh = 0;
    for (const script of taken.result) {
      if (!target.cover.some((c) => script.url.includes(c))) continue;
      for (const fn of script.functions)
        for (const r of fn.ranges) {
          if (r.count === 0) continue;
          const key = `${script.url}:${r.startOffset}:${r.endOffset}`;
          if (!seen.has(key)) {
            seen.add(key);
            fresh++;
          }
        }
    }
    return fresh;
  };
  const rand = prng(options.seed);
  const corpus = target.seeds();
  const deadline = options.timeLimitMs === undefined ? Infinity : Date.now() + options.timeLimitMs;
  let executions = 0;
  try {
    newBlocks();
    for (const s of corpus) {
      target.run(s);
      executions++;
      newBlocks();
    }
    while (executions < options.executions && Date.now() < deadline) {
      const input = mutate(corpus[Math.floor(rand() * corpus.length)] ?? new Uint8Array(0), corpus, rand);
      try {
        target.run(input);
      } catch (err) {
        const hex = Buffer.from(input).toString('hex');
        throw new Error(`seed ${options.seed}, execution ${executions}: ${String(err)}\ninput: ${hex}`, {
          cause: err,
        });
      }
      executions++;
      if (newBlocks() > 0) corpus.push(input);
    }
  } finally {
    post('Profiler.stopPreciseCoverage');
    session.disconnect();
  }
  return { executions, blocks: seen.size, corpus: corpus.length };
}
