export { ConfigError, type ScenarioErrorCode } from './errors.js';
export { parseScenario } from './parse.js';
export { loadScenario, type LoadedScenario } from './load.js';
export * from './types.js';
