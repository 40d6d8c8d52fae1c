/** A byte range in one source file. Offsets, not lines: line and column are computed only for messages. */
export interface Span {
  readonly file: string;
  readonly start: number;
  readonly end: number;
}

/** One loaded source text with a lazily built line index, for turning offsets into line:col. */
export class SourceFile {
  private lineStarts: number[] | undefined;

  constructor(
    readonly name: string,
    readonly text: string,
  ) {}

  /** 1-based line and column of an offset. */
  position(offset: number): { line: number; column: number } {
    const starts = this.getLineStarts();
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (starts[lo] ?? 0) + 1 };
  }

  /** The text of a 1-based line, without its newline. */
  lineText(line: number): string {
    const starts = this.getLineStarts();
    const start = starts[line - 1];
    if (start === undefined) return '';
    const next = starts[line];
    const end = next === undefined ? this.text.length : next - 1;
    return this.text.slice(start, end).replace(/\r$/, '');
  }

  private getLineStarts(): number[] {
    if (this.lineStarts) return this.lineStarts;
    const starts = [0];
    for (let i = 0; i < this.text.length; i++) if (this.text.charCodeAt(i) === 10) starts.push(i + 1);
    this.lineStarts = starts;
    return starts;
  }
}

/**
 * Where each offset of a generated text (preprocessor output) came from. The compiler maps every span it
 * creates through this so diagnostics point at the real file and line, not at the expanded text.
 */
export interface OriginMap {
  resolve(offset: number): { file: string; offset: number };
}

/** The identity mapping for text that was not preprocessed. */
export function identityOrigins(file: string): OriginMap {
  return { resolve: (offset) => ({ file, offset }) };
}
