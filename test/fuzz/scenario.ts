import fc from 'fast-check';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MdioEmuError } from '../../src/diagnostics/index.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { check, type FuzzTarget } from './target.js';

/**
 * The scenario reader: any text is a scenario or a typed input error with a code; numbers that reach the
 * engine are finite and bounded (a `1e300` must not become a wait that never ends).
 */
const here = dirname(fileURLToPath(import.meta.url));
const shipped = join(here, '../../dts');
const SEEDS = readdirSync(shipped)
  .filter((f) => f.endsWith('.scenario.json'))
  .map((f) => readFileSync(join(shipped, f), 'utf8'));

const DAY_MS = 86_400_000;

function read(text: string): void {
  try {
    const s = parseScenario(text, 'fuzz.scenario.json').scenario;
    for (const [name, ms] of [
      ['settleMs', s.settleMs],
      ['quietMs', s.quietMs],
      ['deadlineMs', s.deadlineMs],
      ...s.steps.map((step, i) => [`steps[${i}].delayMs`, step.delayMs] as const),
    ] as const)
      if (!(Number.isFinite(ms) && ms >= 0 && ms <= DAY_MS)) throw new Error(`${name} = ${ms}`);
  } catch (err) {
    if (!(err instanceof MdioEmuError) || err.kind !== 'input') throw err;
    if (!/^SCN\d{3}$/.test(err.code)) throw new Error(`untyped code ${err.code}`, { cause: err });
  }
}

/** A shipped scenario with one value replaced somewhere in its JSON tree. */
const edited = fc
  .tuple(fc.constantFrom(...SEEDS), fc.nat(), fc.jsonValue({ maxDepth: 2 }))
  .map(([text, at, value]) => {
    const doc: unknown = JSON.parse(text);
    const slots: [Record<string, unknown> | unknown[], string | number][] = [];
    const walk = (v: unknown): void => {
      if (typeof v !== 'object' || v === null) return;
      for (const [k, x] of Object.entries(v)) {
        slots.push([v as Record<string, unknown>, Array.isArray(v) ? Number(k) : k]);
        walk(x);
      }
    };
    walk(doc);
    const slot = slots[at % Math.max(1, slots.length)];
    if (slot) (slot[0] as Record<string | number, unknown>)[slot[1]] = value;
    return JSON.stringify(doc);
  });

export const scenarioReader: FuzzTarget = {
  name: 'scenario-reader',
  properties: () => ({
    'a shipped scenario with any one value replaced is a scenario or a typed error': check(
      fc.property(edited, (text) => {
        read(text);
      }),
    ),
    'huge, negative and fractional times are refused, not run': check(
      fc.property(
        fc.constantFrom(...SEEDS),
        fc.constantFrom('settleMs', 'quietMs', 'deadlineMs'),
        fc.constantFrom(1e300, -1, Infinity, 2 ** 53, DAY_MS + 1),
        (text, key, value) => {
          const doc = JSON.parse(text) as Record<string, unknown>;
          doc[key] = value;
          read(JSON.stringify(doc).replace('null', '1e999'));
        },
      ),
    ),
    'any text is a scenario or a typed error': check(
      fc.property(fc.string({ maxLength: 120 }), (text) => {
        read(text);
      }),
    ),
  }),
  bytes: {
    seeds: () => SEEDS.map((s) => Buffer.from(s)),
    run: (input) => {
      read(Buffer.from(input).toString('utf8'));
    },
    cover: ['/src/scenario/'],
  },
};
