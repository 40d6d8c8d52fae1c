/**
 * Preprocessing-token lexer for the DTS C preprocessor, modelled on GCC's libcpp (`lex.cc`) in
 * `-x assembler-with-cpp` mode, which is how the kernel runs cpp on device trees
 * (scripts/Makefile.lib `cmd_dtc`). Two asm-mode rules matter here: `$` is not an identifier
 * character, and an unterminated `'` or `"` is not an error but one "other" token running to the end
 * of the line, so `it's` in DTS text lexes without complaint and nothing after the quote expands.
 *
 * Files are split once into logical lines (a block comment or backslash-newline can join physical
 * lines); each line keeps only what the fast path needs (its identifiers and its cpp-style rendering).
 * Full tokens are re-lexed on demand for lines that contain a macro name or a directive.
 */

export const enum TokType {
  Name = 1,
  Number,
  /** A plain `"..."` literal. */
  String,
  /** A plain `'...'` literal. */
  Char,
  /** A literal with an encoding prefix (`L"x"`, `u8'x'`): cpp keeps them apart from plain ones when avoiding pastes. */
  PrefixedLiteral,
  /** A stray character (`@`, `$`, `\`) or an unterminated quote running to the end of the line. */
  Other,
  Punct,
  /** Not lexed: inserted by macro expansion to carry spacing (libcpp's CPP_PADDING). */
  Padding,
  Eof,
}

/** Token flags, as in libcpp's cpplib.h. */
export const PREV_WHITE = 1;
export const BOL = 2;
export const STRINGIFY_ARG = 4;
export const PASTE_LEFT = 8;
export const NO_EXPAND = 16;
/** The end of one macro argument (libcpp's `endarg`), as opposed to the end of a file. */
export const END_ARG = 32;

export interface PpToken {
  readonly type: TokType;
  readonly text: string;
  flags: number;
  /** The file the token was lexed from (undefined for synthesized tokens). */
  readonly file: PpFile | undefined;
  /** Offset in the file's cleaned text (backslash-newlines removed). */
  readonly offset: number;
  /** For padding tokens: the token whose PREV_WHITE decides the spacing, or null (libcpp's `val.source`). */
  readonly source?: PpToken | null;
  /** For macro parameters in a definition: the 0-based parameter index. */
  readonly argIndex?: number;
}

/** One logical line of a file: tokens from one newline (outside comments) to the next. */
export interface PpLine {
  /** Range in the cleaned text. */
  readonly start: number;
  readonly end: number;
  /** Physical line (1-based) and byte column (1-based) of the first token. */
  readonly firstLine: number;
  readonly firstCol: number;
  /** Physical line on which the logical line ends. */
  readonly lastLine: number;
  /** For lines starting with `#`: the directive name (`''` for a null directive or a `#` followed by a non-name). */
  readonly directive: string | undefined;
  /** Whether the first token is `#`/`%:` without preceding whitespace (cpp's avoid-paste space rule). */
  readonly startsWithHash: boolean;
  /** Identifiers in the line, the only tokens that can start a macro expansion. */
  readonly names: readonly string[];
  /** cpp's rendering of the line when nothing in it expands: indentation, then tokens separated by one space where whitespace was. */
  readonly rendered: string;
  /** Tokens, cached once the line has been needed twice. */
  tokens?: PpToken[];
  /** How often the slow path lexed this line. */
  slowUses: number;
  /** A parsed `#define`, shared by every run that includes the file. */
  cached?: unknown;
}

/** A lexed source file, shared across preprocessor runs through the cache. */
export interface PpFile {
  /** The path as cpp names it in line markers (not normalized). */
  readonly name: string;
  /** The text as read. */
  readonly raw: string;
  /** The text with backslash-newlines removed; equal to `raw` for most files. */
  readonly text: string;
  /** Cleaned offsets at which a splice was removed, and the raw length removed there, cumulative. */
  readonly spliceAt: readonly number[];
  readonly spliceShift: readonly number[];
  readonly lines: readonly PpLine[];
  /** Start offset (raw) of every physical line. */
  readonly lineStarts: readonly number[];
  /** Whether the file ends inside a block comment. */
  readonly unterminatedComment: number | undefined;
}

/** Raw offset of a cleaned-text offset. */
export function rawOffset(file: PpFile, offset: number): number {
  const at = file.spliceAt;
  if (at.length === 0) return offset;
  let lo = 0;
  let hi = at.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((at[mid] ?? 0) <= offset) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? offset : offset + (file.spliceShift[lo - 1] ?? 0);
}

/** 1-based physical line of a raw offset. */
export function physicalLine(file: PpFile, raw: number): number {
  const starts = file.lineStarts;
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((starts[mid] ?? 0) <= raw) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

/** 1-based byte column of a raw offset, as GCC's line maps count it (a tab is one column, UTF-8 bytes count). */
function byteColumn(raw: string, lineStart: number, offset: number): number {
  let col = 1;
  for (let i = lineStart; i < offset; i++) {
    const c = raw.charCodeAt(i);
    if (c < 0x80) col += 1;
    else if (c < 0x800) col += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      col += 4;
      i++;
    } else col += 3;
  }
  return col;
}

const SPLICE = /\\[ \t\f\v]*\r?\n/g;

function isIdStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
}
function isIdChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || (c >= 48 && c <= 57);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function isHSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 12 || c === 11 || c === 0;
}

/** Result of lexing one token: its kind and end offset, or a newline/end/comment marker. */
interface Scanned {
  type: TokType;
  start: number;
  end: number;
}

/**
 * The lexer proper, over a string with backslash-newlines already removed. `pos` is where to start;
 * the caller skips whitespace and comments through `skipSpace`.
 */
export class Lexer {
  pos = 0;
  /** Set by skipSpace when it crossed whitespace or a comment. */
  sawWhite = false;
  /** Offset at which an unterminated block comment started, if any. */
  unterminatedComment: number | undefined;

  constructor(readonly text: string) {}

  /** Skips blanks and comments up to a newline or a token; returns false at a newline or the end. */
  skipSpace(): boolean {
    const t = this.text;
    const n = t.length;
    this.sawWhite = false;
    let p = this.pos;
    for (;;) {
      if (p >= n) {
        this.pos = p;
        return false;
      }
      const c = t.charCodeAt(p);
      if (isHSpace(c)) {
        p++;
        this.sawWhite = true;
        continue;
      }
      if (c === 13) {
        // CR LF and lone CR both end a line, as libcpp's _cpp_clean_line treats them.
        this.pos = p;
        return false;
      }
      if (c === 10) {
        this.pos = p;
        return false;
      }
      if (c === 47) {
        const d = t.charCodeAt(p + 1);
        if (d === 42) {
          const close = t.indexOf('*/', p + 2);
          if (close < 0) {
            this.unterminatedComment ??= p;
            p = n;
          } else p = close + 2;
          this.sawWhite = true;
          continue;
        }
        if (d === 47) {
          let q = p + 2;
          while (q < n) {
            const e = t.charCodeAt(q);
            if (e === 10 || e === 13) break;
            q++;
          }
          p = q;
          this.sawWhite = true;
          continue;
        }
      }
      this.pos = p;
      return true;
    }
  }

  /** Consumes the newline at `pos` (CR LF counts as one). */
  skipNewline(): void {
    const t = this.text;
    if (t.charCodeAt(this.pos) === 13 && t.charCodeAt(this.pos + 1) === 10) this.pos += 2;
    else this.pos += 1;
  }

  /** Lexes one token at `pos` (which is not blank, a comment or a newline). */
  scan(out: Scanned): void {
    const t = this.text;
    const n = t.length;
    const p = this.pos;
    const c = t.charCodeAt(p);
    let q = p + 1;
    let type = TokType.Punct;
    if (isIdStart(c)) {
      while (q < n && isIdChar(t.charCodeAt(q))) q++;
      const d = t.charCodeAt(q);
      if (d === 34 || d === 39) {
        const len = q - p;
        const prefix = len <= 2 ? t.slice(p, q) : '';
        if (prefix === 'L' || prefix === 'u' || prefix === 'U' || prefix === 'u8') {
          q = this.quoted(q, d);
          type = q < 0 ? TokType.Other : TokType.PrefixedLiteral;
          if (q < 0) q = this.lineEnd(p);
          this.finish(out, type, p, q);
          return;
        }
      }
      this.finish(out, TokType.Name, p, q);
      return;
    }
    if (isDigit(c) || (c === 46 && isDigit(t.charCodeAt(p + 1)))) {
      let prev = c;
      while (q < n) {
        const d = t.charCodeAt(q);
        if (isIdChar(d) || d === 46) {
          prev = d;
          q++;
        } else if ((d === 43 || d === 45) && (prev === 101 || prev === 69 || prev === 112 || prev === 80)) {
          prev = d;
          q++;
        } else break;
      }
      this.finish(out, TokType.Number, p, q);
      return;
    }
    switch (c) {
      case 34:
      case 39: {
        const end = this.quoted(p + 1, c);
        if (end < 0) this.finish(out, TokType.Other, p, this.lineEnd(p));
        else this.finish(out, c === 34 ? TokType.String : TokType.Char, p, end);
        return;
      }
      case 60: // <
        q = this.punct(p, ['<<=', '<<', '<=', '<:', '<%']);
        break;
      case 62: // >
        q = this.punct(p, ['>>=', '>>', '>=']);
        break;
      case 37: // %
        q = this.punct(p, ['%:%:', '%=', '%:', '%>']);
        break;
      case 38:
        q = this.punct(p, ['&&', '&=']);
        break;
      case 124:
        q = this.punct(p, ['||', '|=']);
        break;
      case 43:
        q = this.punct(p, ['++', '+=']);
        break;
      case 45:
        q = this.punct(p, ['--', '-=', '->']);
        break;
      case 42:
        q = this.punct(p, ['*=']);
        break;
      case 47:
        q = this.punct(p, ['/=']);
        break;
      case 61:
        q = this.punct(p, ['==']);
        break;
      case 33:
        q = this.punct(p, ['!=']);
        break;
      case 94:
        q = this.punct(p, ['^=']);
        break;
      case 58:
        q = this.punct(p, [':>']);
        break;
      case 35:
        q = this.punct(p, ['##']);
        break;
      case 46:
        q = this.punct(p, ['...']);
        break;
      case 63:
      case 126:
      case 40:
      case 41:
      case 91:
      case 93:
      case 123:
      case 125:
      case 59:
      case 44:
        break;
      default:
        type = TokType.Other;
        // Keep a surrogate pair together so a stray emoji is one token.
        if (c >= 0xd800 && c <= 0xdbff && q < n) q++;
    }
    this.finish(out, type, p, q);
  }

  private finish(out: Scanned, type: TokType, start: number, end: number): void {
    out.type = type;
    out.start = start;
    out.end = end;
    this.pos = end;
  }

  private punct(p: number, options: readonly string[]): number {
    const t = this.text;
    for (const o of options) if (t.startsWith(o, p)) return p + o.length;
    return p + 1;
  }

  /** End of a quoted literal opened before `from`, or -1 if the line ends first (libcpp lex_string). */
  private quoted(from: number, quote: number): number {
    const t = this.text;
    const n = t.length;
    let q = from;
    while (q < n) {
      const d = t.charCodeAt(q);
      if (d === 92) {
        const e = t.charCodeAt(q + 1);
        if (e === 10 || e === 13 || q + 1 >= n) q += 1;
        else q += 2;
        continue;
      }
      if (d === quote) return q + 1;
      if (d === 10 || d === 13) return -1;
      q++;
    }
    return -1;
  }

  private lineEnd(p: number): number {
    const t = this.text;
    let q = p;
    while (q < t.length) {
      const d = t.charCodeAt(q);
      if (d === 10 || d === 13) break;
      q++;
    }
    return q;
  }
}

const scratch: Scanned = { type: TokType.Eof, start: 0, end: 0 };

/** Splits a file into logical lines, recording what the fast path and directive dispatch need. */
export function lexFile(name: string, raw: string): PpFile {
  const spliceAt: number[] = [];
  const spliceShift: number[] = [];
  let text = raw;
  if (raw.includes('\\')) {
    let removed = 0;
    let any = false;
    const parts: string[] = [];
    let last = 0;
    SPLICE.lastIndex = 0;
    for (let m = SPLICE.exec(raw); m; m = SPLICE.exec(raw)) {
      any = true;
      parts.push(raw.slice(last, m.index));
      removed += m[0].length;
      last = m.index + m[0].length;
      spliceAt.push(m.index + m[0].length - removed);
      spliceShift.push(removed);
    }
    if (any) {
      parts.push(raw.slice(last));
      text = parts.join('');
    }
  }
  const lineStarts = [0];
  for (let i = raw.indexOf('\n'); i >= 0; i = raw.indexOf('\n', i + 1)) lineStarts.push(i + 1);

  const file: {
    name: string;
    raw: string;
    text: string;
    spliceAt: number[];
    spliceShift: number[];
    lines: PpLine[];
    lineStarts: number[];
    unterminatedComment: number | undefined;
  } = { name, raw, text, spliceAt, spliceShift, lines: [], lineStarts, unterminatedComment: undefined };

  const lx = new Lexer(text);
  const n = text.length;
  const names: string[] = [];
  const parts: string[] = [];
  while (lx.pos < n) {
    const lineStart = lx.pos;
    let first = true;
    let firstStart = 0;
    let startsWithHash = false;
    let directive: string | undefined;
    let tokenIndex = 0;
    let prevEnd = 0;
    // Most lines are already spelled as cpp prints them (single spaces, no comments between tokens):
    // then the rendering is one slice of the source, and only identifiers become strings.
    let verbatim = true;
    names.length = 0;
    parts.length = 0;
    while (lx.skipSpace()) {
      const white = lx.sawWhite;
      lx.scan(scratch);
      const type = scratch.type;
      if (first) {
        first = false;
        firstStart = scratch.start;
        const len = scratch.end - scratch.start;
        const hash = (len === 1 && text.charCodeAt(scratch.start) === 35) || (len === 2 && text.startsWith('%:', scratch.start));
        if (type === TokType.Punct && hash) {
          directive = '';
          startsWithHash = !white;
        }
      } else {
        if (verbatim && (white ? scratch.start - prevEnd !== 1 || text.charCodeAt(prevEnd) !== 32 : scratch.start !== prevEnd)) {
          verbatim = false;
          // Rebuild what the verbatim run covered so far, token by token.
          parts.push(...renderTokens(text, firstStart, prevEnd));
        }
        if (!verbatim) {
          if (white) parts.push(' ');
          parts.push(text.slice(scratch.start, scratch.end));
        }
      }
      if (type === TokType.Name) {
        const name = text.slice(scratch.start, scratch.end);
        if (tokenIndex === 1 && directive === '') directive = name;
        names.push(name);
      }
      prevEnd = scratch.end;
      tokenIndex++;
    }
    const end = lx.pos;
    if (lx.pos < n) lx.skipNewline();
    if (first) continue;
    const rawFirst = rawOffset(file, firstStart);
    const firstLine = physicalLine(file, rawFirst);
    const firstCol = byteColumn(raw, lineStarts[firstLine - 1] ?? 0, rawFirst);
    const indent = firstCol > 1 ? ' '.repeat(firstCol - 1) : '';
    file.lines.push({
      start: lineStart,
      end,
      firstLine,
      firstCol,
      lastLine: physicalLine(file, rawOffset(file, end > 0 ? end - 1 : 0)),
      directive,
      startsWithHash,
      names: names.slice(),
      rendered: indent + (verbatim ? text.slice(firstStart, prevEnd) : parts.join('')),
      slowUses: 0,
    });
  }
  file.unterminatedComment = lx.unterminatedComment;
  return file;
}

/** cpp's spelling of the tokens in [start, end) of a text: one space wherever there was white space. */
function renderTokens(text: string, start: number, end: number): string[] {
  const lx = new Lexer(text);
  lx.pos = start;
  const parts: string[] = [];
  const s: Scanned = { type: TokType.Eof, start: 0, end: 0 };
  while (lx.pos < end && lx.skipSpace()) {
    const white = lx.sawWhite;
    lx.scan(s);
    if (white && parts.length > 0) parts.push(' ');
    parts.push(text.slice(s.start, s.end));
  }
  return parts;
}

/** The tokens of one logical line; the first carries BOL. */
export function lexLine(file: PpFile, line: PpLine): PpToken[] {
  if (line.tokens) return line.tokens;
  const lx = new Lexer(file.text);
  lx.pos = line.start;
  const out: PpToken[] = [];
  const text = file.text;
  let first = true;
  while (lx.pos < line.end && lx.skipSpace()) {
    const white = lx.sawWhite;
    lx.scan(scratch);
    let flags = white ? PREV_WHITE : 0;
    if (first) {
      flags |= BOL;
      // libcpp gives the first token of a line PREV_WHITE only from blanks before it on that line;
      // cpp's output indentation comes from its column instead.
      first = false;
    }
    out.push({ type: scratch.type, text: text.slice(scratch.start, scratch.end), flags, file, offset: scratch.start });
  }
  if (++line.slowUses > 1) line.tokens = out;
  return out;
}

/** Lexes a whole string into tokens (for `##` results and `#include` operands). */
export function lexString(s: string): { tokens: { type: TokType; text: string; white: boolean }[]; complete: boolean } {
  const lx = new Lexer(s);
  const tokens: { type: TokType; text: string; white: boolean }[] = [];
  while (lx.skipSpace()) {
    const white = lx.sawWhite;
    lx.scan(scratch);
    tokens.push({ type: scratch.type, text: s.slice(scratch.start, scratch.end), white });
  }
  return { tokens, complete: lx.pos >= s.length && lx.unterminatedComment === undefined };
}
