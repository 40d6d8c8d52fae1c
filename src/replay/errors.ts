import { InputError } from '../diagnostics/index.js';

/** Stable codes for trace problems (the TRC prefix of the one code space). */
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

/** Bad trace input; `line` is 1-based (0 when the problem is about the whole file). */
export class TraceError extends InputError {
  constructor(
    code: TraceErrorCodeValue,
    readonly line: number,
    detail: string,
    readonly file?: string,
  ) {
    const where = `${file ?? '<trace>'}${line ? `:${line}` : ''}`;
    super(code, detail, { where });
  }
}
