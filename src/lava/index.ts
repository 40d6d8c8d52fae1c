// The scenario matrix as LAVA jobs (docs/scale-out.md): job generation, the worker-side wrapper, results.
export {
  LAVA_BEGIN,
  LAVA_CASE_PATTERN,
  LAVA_END,
  parseResultLines,
  reportCases,
  resultLines,
  type LavaCase,
} from './console-protocol.js';
export { qemuDeviceDictionary, WRAPPER_COMMAND } from './device.js';
export { lavaJob, lavaName, RUN_SPEC_OPTION, type LavaJobOptions } from './job.js';
export { writeLavaJobs, type GeneratedJob, type LavaJobsOptions, type LavaKernel } from './jobs.js';
export { parseRunSpec, type LavaRunSpec } from './run-spec.js';
export { runLavaWorker, type WorkerIo } from './worker.js';
