import { InputError, type MdioEmuErrorOptions } from '../diagnostics/index.js';

/**
 * Bad user input in a scenario file. `field` is the JSON path of the offending value (`timeline[2].action`);
 * a span, when the loader knows the file's text, points at the value itself.
 */
export class ConfigError extends InputError {
  constructor(
    code: ScenarioErrorCode,
    readonly field: string,
    detail: string,
    options?: MdioEmuErrorOptions & { file?: string },
  ) {
    const where = [options?.file, field].filter((x) => x !== undefined && x !== '').join(': ');
    super(code, detail, { ...options, ...(where && !options?.span ? { where } : {}) });
  }

  /** The same error, with the file it came from in front of the message. */
  inFile(file: string): ConfigError {
    return new ConfigError(this.code as ScenarioErrorCode, this.field, this.detail, { cause: this, file });
  }
}

export type ScenarioErrorCode =
  | 'SCN001' // not valid JSON
  | 'SCN002' // wrong type for a field
  | 'SCN003' // required field missing
  | 'SCN004' // value not among the allowed ones
  | 'SCN005' // unknown field (typo guard)
  | 'SCN006' // reference to a timeline id that does not exist, or a duplicate id
  | 'SCN007' // timeline not in time order
  | 'SCN008'; // the scenario cannot run on the requested target (e.g. a guest action in an emulator-only run)
