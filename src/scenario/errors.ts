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
    // With a span the position says where; the field path still tells which value, in words.
    const where = options?.span
      ? undefined
      : [options?.file, field].filter((x) => x !== undefined && x !== '').join(': ');
    super(code, options?.span && field ? `${field}: ${detail}` : detail, {
      ...options,
      ...(where ? { where } : {}),
    });
    this.bare = detail;
  }

  /** The detail without the field path. */
  readonly bare: string;

  /** The same error, with the file it came from in front of the message. */
  inFile(file: string): ConfigError {
    return new ConfigError(this.code as ScenarioErrorCode, this.field, this.bare, { cause: this, file });
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
  | 'SCN008' // the scenario cannot run on the requested target (e.g. a guest action in an emulator-only run)
  | 'SCN009' // a format-1 scenario (`timeline`): `mdio-emu scenario migrate` rewrites it
  | 'SCN010'; // a reference to a device-tree node that the board does not have, or not of the right kind
