import { formatDiagnostic, type Diagnostic } from './diagnostic.js';
import type { SourceFile, Span } from './source.js';

/**
 * What kind of failure an error is. The kind, not the class name or the message, decides the CLI's exit
 * status (cli/run.ts), so a new error class only has to pick its kind.
 */
export type ErrorKind =
  /** The user's input is wrong: a DTS, a scenario, a trace, a binding, an option's value. dtc exits 1 here. */
  | 'input'
  /** The command line itself is wrong: an unknown option, a missing argument. */
  | 'usage'
  /** Something the command needs outside its input is missing or unusable: a directory, a socket, a port. */
  | 'environment'
  /** A peer broke a wire protocol (the socket protocol, usbredir). */
  | 'protocol'
  /** A check ran to the end and found that an expectation did not hold. */
  | 'verdict'
  /** A bug in mdio-emu. */
  | 'internal';

/** sysexits.h's EX_USAGE would be 64; 2 is what commander, dtc and most Unix tools use for usage errors. */
export const EXIT_STATUS: Readonly<Record<ErrorKind, number>> = {
  input: 1,
  usage: 2,
  environment: 1,
  protocol: 1,
  verdict: 1,
  // EX_SOFTWARE (sysexits.h): reserved for bugs, so a user can tell "my input" from "their code".
  internal: 70,
};

export interface MdioEmuErrorOptions extends ErrorOptions {
  /** Where in a text input the problem is. */
  span?: Span;
  /** Where, for input without text: a frame and byte offset, a node path of a tree read from a DTB. */
  where?: string;
  /** More findings than the one the message states (a compiler collects every error of a file). */
  diagnostics?: readonly Diagnostic[];
  /** The source texts the spans point into, so messages can show the line and a caret. */
  files?: ReadonlyMap<string, SourceFile>;
}

/**
 * The root of every error mdio-emu raises on purpose. Each carries a stable code from the one code space
 * (src/diagnostics/codes.ts) and one or more diagnostics with their locations; `report()` is what a user
 * reads: one line per finding, `file:line:col: error CODE: message` (plus the source line where known).
 */
export abstract class MdioEmuError extends Error {
  abstract readonly kind: ErrorKind;
  readonly diagnostics: readonly Diagnostic[];
  readonly files: ReadonlyMap<string, SourceFile>;

  constructor(
    readonly code: string,
    readonly detail: string,
    options: MdioEmuErrorOptions = {},
  ) {
    const diagnostics = options.diagnostics ?? [
      {
        code,
        severity: 'error' as const,
        message: detail,
        ...(options.span ? { span: options.span } : {}),
        ...(options.where !== undefined ? { where: options.where } : {}),
      },
    ];
    super(headline(code, detail, options), options.cause === undefined ? {} : { cause: options.cause });
    this.diagnostics = diagnostics;
    this.files = options.files ?? new Map();
  }

  override get name(): string {
    return this.constructor.name;
  }

  get exitStatus(): number {
    return EXIT_STATUS[this.kind];
  }

  /** Every diagnostic, formatted; the CLI prints this and nothing else (no stack: the error is expected). */
  report(): string {
    return this.diagnostics.map((d) => formatDiagnostic(d, this.files)).join('\n');
  }
}

function headline(code: string, detail: string, o: MdioEmuErrorOptions): string {
  const at = o.span ? `${o.span.file}: ` : o.where !== undefined ? `${o.where}: ` : '';
  return `${at}${code}: ${detail}`;
}

/** Bad user input that no more specific class describes. */
export class InputError extends MdioEmuError {
  readonly kind = 'input';
}

/** A wrong command line: unknown option, bad option value, missing argument. */
export class UsageError extends MdioEmuError {
  readonly kind = 'usage';
}

/**
 * A file, directory, socket or port the command needs is missing, of the wrong type, too large or busy.
 * `where` is the path (or address) concerned.
 */
export class EnvironmentError extends MdioEmuError {
  readonly kind = 'environment';
}

/**
 * A check ran and its answer is "no" (a failed expectation, a trace that differs, warnings turned into
 * errors). What was found has usually been printed already; `exitStatus` can be set where a tool's
 * convention asks for another status than 1.
 */
export class VerdictError extends MdioEmuError {
  readonly kind = 'verdict';
  readonly #status: number;
  constructor(code: string, detail: string, options: MdioEmuErrorOptions & { exitStatus?: number } = {}) {
    super(code, detail, options);
    this.#status = options.exitStatus ?? EXIT_STATUS.verdict;
  }
  override get exitStatus(): number {
    return this.#status;
  }
}
