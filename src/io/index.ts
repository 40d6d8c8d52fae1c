/**
 * The file-system edge shared by the loaders, emulator/ and cli/: every file a user names is opened through
 * here, so the checks (regular file, bounded size) and the messages (what, where, why) are the same everywhere.
 */
export { makeOutputDir, writeOutputFile } from './output-file.js';
export {
  DEFAULT_MAX_INPUT_BYTES,
  readInputFile,
  readSourceFile,
  reason,
  type ReadInputOptions,
} from './input-file.js';
