/** Stable codes for trace problems; the CLI maps `TraceError` (name 'ConfigError'-like user input) to exit 1. */
export const TraceErrorCode = {
  /** A line in the middle of a trace does not parse. */
  MALFORMED: 'TRC001',
  /** A record names a bus or client index no declaration line introduced. */
  UNDECLARED: 'TRC002',
  /** The header is missing or names a version this reader does not know. */
  VERSION: 'TRC003',
  /** Nothing in the input looks like MDIO transactions (neither our format nor mdio_access text). */
  EMPTY: 'TRC004',
} as const;
export type TraceErrorCodeValue = (typeof TraceErrorCode)[keyof typeof TraceErrorCode];

/**
 * Bad trace input. `name` is 'ConfigError' so cli/run.ts maps it to exit code 1 like other user-input
 * errors; `line` is 1-based.
 */
export class TraceError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly code: TraceErrorCodeValue,
    readonly line: number,
    readonly detail: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}:` : ''}${line ? `${line}: ` : file ? ' ' : ''}${code}: ${detail}`);
  }
}
