import type { SourceFile, Span } from './source.js';

export type Severity = 'error' | 'warning';

/** Diagnostics are data so tests assert codes, not message text. */
export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  readonly span?: Span;
  readonly related?: readonly { message: string; span: Span }[];
}

/** Raised when compilation cannot produce output; carries every diagnostic collected so far. */
export class DtsError extends Error {
  override readonly name = 'DtsError';
  constructor(
    readonly diagnostics: readonly Diagnostic[],
    options?: ErrorOptions,
  ) {
    const first = diagnostics.find((d) => d.severity === 'error') ?? diagnostics[0];
    super(first ? `${first.code}: ${first.message}` : 'device tree compilation failed', options);
  }
}

/** `file:line:col: error DTS1003: message`, then the source line and a caret, as compilers print them. */
export function formatDiagnostic(d: Diagnostic, files: ReadonlyMap<string, SourceFile>): string {
  if (!d.span) return `${d.severity} ${d.code}: ${d.message}`;
  const file = files.get(d.span.file);
  if (!file) return `${d.span.file}: ${d.severity} ${d.code}: ${d.message}`;
  const { line, column } = file.position(d.span.start);
  const head = `${d.span.file}:${line}:${column}: ${d.severity} ${d.code}: ${d.message}`;
  // A file known only through a cpp line marker and not readable: the position is all there is to print.
  if (!file.hasText) return head;
  const text = file.lineText(line);
  const width = Math.max(1, Math.min(d.span.end - d.span.start, text.length - column + 1));
  // Keep the source line's tabs under the caret so it lines up however the terminal expands them.
  const caret = text.slice(0, column - 1).replace(/[^\t]/g, ' ').padEnd(column - 1) + '^' + '~'.repeat(width - 1);
  return `${head}\n${text}\n${caret}`;
}
