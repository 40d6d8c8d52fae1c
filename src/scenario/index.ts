/**
 * Scenarios: the file format (types.ts, parse.ts, migrate.ts), binding a scenario to a board (bind.ts,
 * load.ts), the one engine that runs it (engine.ts, expectations.ts, run-log.ts), the kernel model guest
 * (model-guest.ts, run.ts) and the report every run writes (report.ts).
 */
export { ConfigError, type ScenarioErrorCode } from './errors.js';
export { parseScenario, type ParsedScenario } from './parse.js';
export { migrateScenario, formatScenario } from './migrate.js';
export { readScenarioFile, loadScenarioBoard, type ScenarioFile, type ScenarioBoard } from './load.js';
export { bindScenario, type GuestKind } from './bind.js';
export {
  ScenarioEngine,
  type GuestDriver,
  type EngineResult,
  type StepOutcome,
  type ExpectationOutcome,
} from './engine.js';
export { judge, settlingOf, type Verdict, type FinalObservations } from './expectations.js';
export { RunLog } from './run-log.js';
export { runInModel, type ModelRunOptions } from './run.js';
export {
  buildReport,
  isLoggedBoardEvent,
  type RunReport,
  type GuestInfo,
  type TimelineMark,
} from './report.js';
export type { GuestEvent, EngineEvent, RunEvent, TimedEvent, RunEndReason } from './events.js';
export * from './types.js';
export { renderReportHtml } from './report-html.js';
