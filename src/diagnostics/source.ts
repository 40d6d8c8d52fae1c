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

  /** False when only the file's name and line numbers are known: diagnostics then print no source line. */
  get hasText(): boolean {
    return true;
  }

  /** Offset of a 1-based line and column, clamped to the text (a line marker may name a line the file lacks). */
  offsetAt(line: number, column: number): number {
    const starts = this.getLineStarts();
    const clamped = Math.min(Math.max(line, 1), starts.length);
    const start = starts[clamped - 1] ?? 0;
    return start + Math.min(Math.max(column - 1, 0), this.lineText(clamped).length);
  }

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
 * A file named by a cpp line marker whose text cannot be read: positions still need a line and a column, so
 * an offset encodes them line-major with a fixed stride (columns beyond it are clamped).
 */
export class TextlessSourceFile extends SourceFile {
  static readonly COLUMN_STRIDE = 1 << 16;

  constructor(name: string) {
    super(name, '');
  }

  override get hasText(): boolean {
    return false;
  }

  override offsetAt(line: number, column: number): number {
    const stride = TextlessSourceFile.COLUMN_STRIDE;
    return (Math.max(line, 1) - 1) * stride + Math.min(Math.max(column, 1), stride) - 1;
  }

  override position(offset: number): { line: number; column: number } {
    const stride = TextlessSourceFile.COLUMN_STRIDE;
    return { line: Math.floor(offset / stride) + 1, column: (offset % stride) + 1 };
  }

  override lineText(): string {
    return '';
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
