/**
 * Bad user input in a scenario file. `name` is 'ConfigError' so the CLI maps it to exit code 1
 * (cli/run.ts); `field` is the JSON path of the offending value (`timeline[2].action`).
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: ScenarioErrorCode,
    readonly field: string,
    readonly detail: string,
    options?: ErrorOptions & { file?: string },
  ) {
    super(`${options?.file ? `${options.file}: ` : ''}${field ? `${field}: ` : ''}${detail}`, options);
  }

  /** The same error, with the file it came from in front of the message. */
  inFile(file: string): ConfigError {
    return new ConfigError(this.code, this.field, this.detail, { cause: this, file });
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
