import { dtsFrontEnd } from './dts.js';
import { scenarioReader } from './scenario.js';
import type { FuzzTarget } from './target.js';
import { traceReader } from './trace.js';
import { usbredirCodec } from './usbredir.js';
import { wireCodec } from './wire.js';

/** Every fuzz target, for the CI pass (fuzz.test.ts) and the longer runner (run.ts, `npm run fuzz`). */
export const TARGETS: readonly FuzzTarget[] = [
  wireCodec,
  usbredirCodec,
  traceReader,
  dtsFrontEnd,
  scenarioReader,
];
