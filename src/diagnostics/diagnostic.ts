import type { SourceFile, Span } from './source.js';

export type Severity = 'error' | 'warning';

/**
 * One finding about one input, for every input language mdio-emu reads: DTS and scenario JSON point at a
 * span of their text, trace files at a line, device-tree bindings at the node's or property's source span (or,
 * for a tree read from a DTB, only at its path), wire frames at a byte offset. Diagnostics are data so tests
 * assert codes, not text; the one formatter below prints them all the same way.
 */
export interface Diagnostic {
  /** Stable code from the one code space (src/diagnostics/codes.ts): `DTS1003`, `SCN002`, `TRC001`, ... */
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** Offsets in a text input; line and column are computed from them only for messages. */
  readonly span?: Span;
  /**
   * Where, for inputs that are not text or whose text is not known: `frame C22_READ, byte 7`, a DT node path
   * of a tree read from a DTB. Printed in place of `file:line:col` when there is no span.
   */
  readonly where?: string;
  readonly related?: readonly { message: string; span: Span }[];
}

/** `file:line:col: error DTS1003: message`, then the source line and a caret, as compilers print them. */
export function formatDiagnostic(d: Diagnostic, files: ReadonlyMap<string, SourceFile>): string {
  if (!d.span) return `${d.where !== undefined ? `${d.where}: ` : ''}${d.severity} ${d.code}: ${d.message}`;
  const file = files.get(d.span.file);
  if (!file) return `${d.span.file}: ${d.severity} ${d.code}: ${d.message}`;
  const { line, column } = file.position(d.span.start);
  const head = `${d.span.file}:${line}:${column}: ${d.severity} ${d.code}: ${d.message}`;
  // A file known only through a cpp line marker and not readable: the position is all there is to print.
  if (!file.hasText) return head;
  const text = file.lineText(line);
  const width = Math.max(1, Math.min(d.span.end - d.span.start, text.length - column + 1));
  // Keep the source line's tabs under the caret so it lines up however the terminal expands them.
  const caret =
    text
      .slice(0, column - 1)
      .replace(/[^\t]/g, ' ')
      .padEnd(column - 1) +
    '^' +
    '~'.repeat(width - 1);
  return `${head}\n${text}\n${caret}`;
}
