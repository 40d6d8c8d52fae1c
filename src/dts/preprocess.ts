/**
 * The built-in C preprocessor for device-tree sources: what the kernel gets from
 * `cpp -nostdinc -I<dirs> -undef -D__DTS__ -x assembler-with-cpp` (scripts/Makefile.lib `cmd_dtc`),
 * including cpp's output format (line markers `# 12 "file" 1`, blank-line runs of up to 8, column
 * indentation, the avoid-paste spaces), so dtc reads the same tokens on the same lines.
 *
 * The expansion engine follows libcpp (`macro.cc`): a stack of token contexts, padding tokens for
 * spacing, macros disabled inside their own expansion, arguments pre-expanded unless next to `#`/`##`.
 * Lines with no macro name in them skip the engine and print a rendering cached with the file, and
 * lexed files are cached across runs, so a batch over thousands of DTS files lexes each header once.
 *
 * Pure: files come from the host; every failure is a Diagnostic (codes DTS5xxx), never a throw, and
 * limits bound include depth, expansion work, output size and nesting.
 */
import { isRefusal, type HostRead } from './host.js';
import type { Diagnostic } from './diagnostics.js';
import type { OriginMap, Span } from '../diagnostics/source.js';
import {
  BOL,
  END_ARG,
  NO_EXPAND,
  PASTE_LEFT,
  PREV_WHITE,
  STRINGIFY_ARG,
  TokType,
  lexFile,
  lexLine,
  lexString,
  physicalLine,
  rawOffset,
  type PpFile,
  type PpLine,
  type PpToken,
} from './preprocess-lexer.js';
import { ExprError, evaluateExpression } from './preprocess-expr.js';

export interface PreprocessHost {
  /** The text of a file, undefined if there is none at that path, or why the host will not read it. */
  readFile(path: string): HostRead<string>;
}

export interface PreprocessLimits {
  /** Nested `#include` depth; cpp's limit is 200 too. */
  readonly includeDepth: number;
  /** Tokens produced by macro expansion, across the whole run. */
  readonly expansionTokens: number;
  /** Characters of output. */
  readonly outputChars: number;
  /** Nesting of macro calls inside macro arguments. */
  readonly argumentNesting: number;
}

/**
 * Far above any real tree and low enough that a macro bomb ends within about 2 s and 256 MB (issue 12 #11):
 * all 3340 arm, arm64 and riscv .dts of Linux 7.2 preprocess within 300,000 expansion tokens, and the largest
 * output is 384 kB (qcom/monaco-arduino-monza.dts). An expanded token costs about 1 µs and 80 bytes.
 */
export const DEFAULT_PREPROCESS_LIMITS: PreprocessLimits = {
  includeDepth: 200,
  expansionTokens: 1_000_000,
  outputChars: 16 * 1024 * 1024,
  argumentNesting: 200,
};

export interface PreprocessOptions {
  /** `-I` directories, searched in order for `<...>` includes and after the includer's directory for `"..."`. */
  readonly includeDirs?: readonly string[];
  /** `-D` definitions; defaults to `{ __DTS__: '1' }` as the kernel passes. */
  readonly defines?: Readonly<Record<string, string>>;
  /** Lexed files shared across runs (see PreprocessCache). */
  readonly cache?: PreprocessCache;
  readonly limits?: Partial<PreprocessLimits>;
}

export interface PreprocessResult {
  /** cpp-style output with line markers. */
  readonly text: string;
  /** Output offset → (file, raw offset in that file). */
  readonly origins: OriginMap;
  readonly diagnostics: readonly Diagnostic[];
  /** Every file read, by the name used in markers and spans, with its text. */
  readonly files: ReadonlyMap<string, string>;
}

/** Lexed files keyed by path, reused while the host returns the same text. */
export class PreprocessCache {
  private readonly files = new Map<string, PpFile>();

  get(path: string, text: string): PpFile {
    const hit = this.files.get(path);
    if (hit?.raw === text) return hit;
    const file = lexFile(path, text);
    this.files.set(path, file);
    return file;
  }

  get size(): number {
    return this.files.size;
  }
}

/** Diagnostic codes of the preprocessor. */
export const PP = {
  includeNotFound: 'DTS5001',
  includeDepth: 'DTS5002',
  errorDirective: 'DTS5003',
  warningDirective: 'DTS5004',
  unterminatedConditional: 'DTS5005',
  unbalancedConditional: 'DTS5006',
  badExpression: 'DTS5007',
  badDefinition: 'DTS5008',
  badInvocation: 'DTS5009',
  expansionLimit: 'DTS5010',
  outputLimit: 'DTS5011',
  nestingLimit: 'DTS5012',
  badDirective: 'DTS5013',
  unterminatedComment: 'DTS5014',
} as const;

interface Macro {
  readonly name: string;
  readonly funLike: boolean;
  readonly params: readonly string[];
  readonly variadic: boolean;
  readonly body: readonly PpToken[];
  readonly builtin?: 'FILE' | 'LINE' | 'COUNTER' | 'INCLUDE_LEVEL' | 'BASE_FILE';
}

interface Context {
  readonly tokens: readonly PpToken[];
  pos: number;
  readonly macro: Macro | undefined;
}

interface Conditional {
  /** Whether the current group is being skipped. */
  skipping: boolean;
  /** Whether a group of this #if has been taken (so later #elif/#else skip). */
  taken: boolean;
  sawElse: boolean;
  /** Whether the whole #if sits in a skipped group. */
  outerSkipping: boolean;
  readonly line: PpLine;
}

interface Frame {
  readonly file: PpFile;
  lineIndex: number;
  tokens: readonly PpToken[] | undefined;
  tokenIndex: number;
  readonly conditionals: Conditional[];
  /** Index of the -I directory the file was found in (for #include_next), -1 for the includer's directory. */
  readonly foundIn: number;
  /** Added to physical line numbers after a `#line`. */
  lineDelta: number;
  /** Name printed in markers (changes with `#line N "name"`). */
  presentedName: string;
  /** The #include line in the parent that opened this frame. */
  readonly includedFrom: PpLine | undefined;
}

class LimitExceeded extends Error {}

const EOF_TOKEN: PpToken = { type: TokType.Eof, text: '', flags: 0, file: undefined, offset: 0 };
const AVOID_PASTE: PpToken = { type: TokType.Padding, text: '', flags: 0, file: undefined, offset: 0, source: null };

function padding(source: PpToken): PpToken {
  return { type: TokType.Padding, text: '', flags: 0, file: undefined, offset: 0, source };
}

function synth(type: TokType, text: string, flags = 0): PpToken {
  return { type, text, flags, file: undefined, offset: 0 };
}

function isPunct(t: PpToken | undefined, s: string): boolean {
  return t !== undefined && t.type === TokType.Punct && t.text === s;
}

/** Spelling-independent operator of a digraph (C17 6.4.6p3). */
const DIGRAPHS: Readonly<Record<string, string>> = { '<:': '[', ':>': ']', '<%': '{', '%>': '}', '%:': '#', '%:%:': '##' };

function canonical(t: PpToken): string {
  return DIGRAPHS[t.text] ?? t.text;
}

const PASTES_WITH_EQUALS = new Set(['=', '!', '>', '<', '+', '-', '*', '/', '%', '&', '|', '^', '>>', '<<']);

/** Whether printing b right after a would lex differently (libcpp cpp_avoid_paste). */
function avoidPaste(a: PpToken, b: PpToken): boolean {
  const c = b.type === TokType.Punct ? b.text[0] : undefined;
  if (a.type === TokType.Punct) {
    const op = canonical(a);
    if (c === '=' && PASTES_WITH_EQUALS.has(op)) return true;
    switch (op) {
      case '>':
        return c === '>';
      case '<':
        return c === '<' || c === '%' || c === ':';
      case '+':
        return c === '+';
      case '-':
        return c === '-' || c === '>';
      case '/':
        return c === '/' || c === '*';
      case '%':
        return c === ':' || c === '%';
      case '&':
        return c === '&';
      case '|':
        return c === '|';
      case ':':
        return c === ':' || c === '>';
      case '->':
        return c === '*';
      case '.':
        return c === '.' || c === '%' || b.type === TokType.Number;
      case '#':
        return c === '#' || c === '%';
      case '<=':
        return c === '>';
      default:
        return false;
    }
  }
  switch (a.type) {
    case TokType.Name:
      return b.type === TokType.Name || b.type === TokType.Char || b.type === TokType.String;
    case TokType.Number:
      return (
        b.type === TokType.Number || b.type === TokType.Name || b.type === TokType.Char || c === '.' || c === '+' || c === '-'
      );
    case TokType.Other:
      return a.text[0] === '\\' && b.type === TokType.Name;
    default:
      return false;
  }
}

function quoteFileName(name: string): string {
  return name.replace(/[\\"]/g, (m) => '\\' + m).replace(/\n/g, '\\n');
}

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

function joinPath(dir: string, name: string): string {
  if (name.startsWith('/') || dir === '') return name;
  return dir + '/' + name;
}

/**
 * One preprocessor run. State mirrors libcpp's cpp_reader and c-ppoutput.cc's `print` struct.
 */
class Run {
  readonly diagnostics: Diagnostic[] = [];
  readonly files = new Map<string, string>();
  private readonly macros = new Map<string, Macro>();
  private readonly frames: Frame[] = [];
  private readonly entered = new Set<string>();
  private readonly contexts: Context[] = [];
  private readonly limits: PreprocessLimits;
  private readonly includeDirs: string[];
  private readonly cache: PreprocessCache;

  // Lexer state (libcpp pfile->state).
  private preventExpansion = 0;
  /** 0, 1 (looking for the open paren) or 2 (inside the arguments), as libcpp's parsing_args. */
  private parsingArgs = 0;
  /** Tokens of a directive line being expanded (`#if`, `#include MACRO`): the lexer ends there. */
  private directiveTokens: readonly PpToken[] | undefined;
  private directivePos = 0;
  private argNesting = 0;
  private expansionBudget: number;
  private counter = 0;
  /** Where the outermost macro expansion started: the origin of every token it yields. */
  private expansionOrigin: PpToken | undefined;

  // Printer state (c-ppoutput.cc `print`).
  private readonly out: string[] = [];
  private outLength = 0;
  private printed = false;
  private srcLine = 0;
  private srcFile = '';
  private prev: PpToken | undefined;
  private source: PpToken | null = null;
  private avoidPasteFlag = false;

  // Origin map: per printed token (or per fast-path line).
  private readonly originOut: number[] = [];
  private readonly originFile: PpFile[] = [];
  private readonly originOffset: number[] = [];
  private readonly originLine: (PpLine | undefined)[] = [];

  constructor(
    private readonly host: PreprocessHost,
    options: PreprocessOptions,
  ) {
    this.limits = { ...DEFAULT_PREPROCESS_LIMITS, ...options.limits };
    this.expansionBudget = this.limits.expansionTokens;
    this.includeDirs = (options.includeDirs ?? []).map((d) => (d.length > 1 ? d.replace(/\/+$/, '') : d));
    this.cache = options.cache ?? new PreprocessCache();
    for (const b of ['FILE', 'LINE', 'COUNTER', 'INCLUDE_LEVEL', 'BASE_FILE'] as const)
      this.macros.set(`__${b}__`, { name: `__${b}__`, funLike: false, params: [], variadic: false, body: [], builtin: b });
    // `cpp -undef -x assembler-with-cpp` still predefines these three (checked with `cpp -dM`).
    const defines: Record<string, string> = { __STDC__: '1', __STDC_HOSTED__: '1', __ASSEMBLER__: '1' };
    Object.assign(defines, options.defines ?? { __DTS__: '1' });
    for (const [name, value] of Object.entries(defines)) this.defineFromText(name, value);
  }

  run(path: string): string {
    const text = this.host.readFile(path);
    if (text === undefined || isRefusal(text)) {
      this.error(PP.includeNotFound, `${path}: ${text?.refused ?? 'No such file or directory'}`, undefined);
      return '';
    }
    this.files.set(path, text);
    const file = this.cache.get(path, text);
    this.emit(`# 0 "${quoteFileName(path)}"\n# 0 "<built-in>"\n# 0 "<command-line>"\n# 1 "${quoteFileName(path)}"\n`);
    this.srcLine = 1;
    this.srcFile = path;
    this.pushFrame(file, -1, undefined);
    try {
      this.scan();
      if (this.printed) this.emit('\n');
    } catch (e) {
      if (!(e instanceof LimitExceeded)) throw e;
    }
    return this.out.join('');
  }

  origins(): OriginMap {
    const outs = this.originOut;
    const files = this.originFile;
    const offsets = this.originOffset;
    const lines = this.originLine;
    return {
      resolve: (offset) => {
        let lo = 0;
        let hi = outs.length - 1;
        if (hi < 0) return { file: '', offset: 0 };
        while (lo < hi) {
          const mid = (lo + hi + 1) >> 1;
          if ((outs[mid] ?? 0) <= offset) lo = mid;
          else hi = mid - 1;
        }
        const file = files[lo] as PpFile;
        const base = outs[lo] ?? 0;
        const line = lines[lo];
        if (!line) return { file: file.name, offset: rawOffset(file, offsets[lo] ?? 0) };
        return { file: file.name, offset: rawOffset(file, fastLineOffset(file, line, offset - base)) };
      },
    };
  }

  // ---- diagnostics -------------------------------------------------------------------------------

  private spanOf(tok: PpToken | undefined): Span | undefined {
    const t = tok?.file ? tok : this.expansionOrigin;
    if (!t?.file) return undefined;
    const start = rawOffset(t.file, t.offset);
    return { file: t.file.name, start, end: start + Math.max(1, t.text.length) };
  }

  private lineSpan(file: PpFile, line: PpLine): Span {
    const start = rawOffset(file, line.start);
    return { file: file.name, start, end: rawOffset(file, line.end) };
  }

  private report(code: string, severity: 'error' | 'warning', message: string, span: Span | undefined): void {
    this.diagnostics.push(span ? { code, severity, message, span } : { code, severity, message });
  }

  private error(code: string, message: string, tok: PpToken | undefined): void {
    this.report(code, 'error', message, this.spanOf(tok));
  }

  // ---- output ------------------------------------------------------------------------------------

  private emit(s: string): void {
    this.out.push(s);
    this.outLength += s.length;
    if (this.outLength > this.limits.outputChars) {
      this.report(PP.outputLimit, 'error', `output exceeds ${this.limits.outputChars} characters`, undefined);
      throw new LimitExceeded();
    }
  }

  private printLineMarker(line: number, name: string, flags: string): void {
    if (this.printed) this.emit('\n');
    this.printed = false;
    this.srcLine = line;
    this.srcFile = name;
    this.emit(`# ${line} "${quoteFileName(name)}"${flags}\n`);
  }

  /** c-ppoutput.cc maybe_print_line: up to 7 newlines, else a line marker. */
  private maybePrintLine(line: number, name: string): void {
    if (this.printed) {
      this.emit('\n');
      this.srcLine++;
      this.printed = false;
    }
    if (line >= this.srcLine && line < this.srcLine + 8 && name === this.srcFile) {
      if (line > this.srcLine) this.emit('\n'.repeat(line - this.srcLine));
      this.srcLine = line;
    } else this.printLineMarker(line, name, '');
  }

  /** c-ppoutput.cc cb_line_change: sync the line and indent to the token's column. */
  private lineChange(frame: Frame, line: PpLine): void {
    this.maybePrintLine(line.firstLine + frame.lineDelta, frame.presentedName);
    this.prev = undefined;
    this.source = null;
    this.printed = true;
    if (line.firstCol > 2) this.emit(' '.repeat(line.firstCol - 2));
  }

  /** Prints a whole line that contains no macro name: the common case, without tokens. */
  private printFastLine(frame: Frame, line: PpLine): void {
    this.lineChange(frame, line);
    // The indentation already covers the first token's PREV_WHITE space.
    let text = line.firstCol > 2 ? line.rendered.slice(line.firstCol - 2) : line.rendered;
    if (this.avoidPasteFlag && line.startsWithHash) text = ' ' + text;
    this.originOut.push(this.outLength);
    this.originFile.push(frame.file);
    this.originOffset.push(line.start);
    this.originLine.push(line);
    this.emit(text);
    this.avoidPasteFlag = false;
    this.source = null;
    this.prev = undefined;
  }

  private printToken(tok: PpToken): void {
    // c-ppoutput.cc scan_translation_unit: "Subtle logic to output a space if and only if necessary."
    if (this.avoidPasteFlag) {
      const src = this.source ?? tok;
      if (
        src.flags & PREV_WHITE ||
        (this.prev && avoidPaste(this.prev, tok)) ||
        (!this.prev && tok.type === TokType.Punct && canonical(tok) === '#')
      )
        this.emit(' ');
    } else if (tok.flags & PREV_WHITE) this.emit(' ');
    this.avoidPasteFlag = false;
    this.source = null;
    this.prev = tok;
    const origin = this.contexts.length > 0 || !tok.file ? this.expansionOrigin : tok;
    if (origin?.file) {
      this.originOut.push(this.outLength);
      this.originFile.push(origin.file);
      this.originOffset.push(origin.offset);
      this.originLine.push(undefined);
    }
    this.emit(tok.text);
    this.printed = true;
  }

  private scan(): void {
    for (;;) {
      const tok = this.getToken();
      if (tok.type === TokType.Padding) {
        this.avoidPasteFlag = true;
        if (this.source === null || (!(this.source.flags & PREV_WHITE) && tok.source === null))
          this.source = tok.source ?? null;
        continue;
      }
      if (tok.type === TokType.Eof) break;
      this.printToken(tok);
    }
  }

  // ---- files and lines ---------------------------------------------------------------------------

  private pushFrame(file: PpFile, foundIn: number, includedFrom: PpLine | undefined): void {
    if (file.unterminatedComment !== undefined) {
      const start = rawOffset(file, file.unterminatedComment);
      this.report(PP.unterminatedComment, 'error', 'unterminated comment', { file: file.name, start, end: start + 2 });
    }
    this.frames.push({
      file,
      lineIndex: 0,
      tokens: undefined,
      tokenIndex: 0,
      conditionals: [],
      foundIn,
      lineDelta: 0,
      presentedName: file.name,
      includedFrom,
    });
  }

  /** Ends the innermost file: reports open conditionals and prints the return marker. */
  private popFrame(): void {
    const frame = this.frames.pop();
    if (!frame) return;
    for (const c of frame.conditionals)
      this.report(PP.unterminatedConditional, 'error', 'unterminated conditional directive', this.lineSpan(frame.file, c.line));
    const parent = this.frames[this.frames.length - 1];
    if (parent && frame.includedFrom)
      this.printLineMarker(frame.includedFrom.lastLine + 1 + parent.lineDelta, parent.presentedName, ' 2');
  }

  private skipping(frame: Frame): boolean {
    const c = frame.conditionals[frame.conditionals.length - 1];
    return c !== undefined && c.skipping;
  }

  /** libcpp _cpp_lex_token: the next token from the file, handling directives and skipped groups. */
  private lexToken(): PpToken {
    if (this.directiveTokens) return this.directiveTokens[this.directivePos++] ?? EOF_TOKEN;
    for (;;) {
      const frame = this.frames[this.frames.length - 1];
      if (!frame) return EOF_TOKEN;
      const tokens = frame.tokens;
      if (tokens && frame.tokenIndex < tokens.length) {
        const tok = tokens[frame.tokenIndex++] as PpToken;
        if (tok.flags & BOL) {
          if (this.parsingArgs === 0) {
            const line = frame.file.lines[frame.lineIndex - 1] as PpLine;
            this.lineChange(frame, line);
          } else if (this.parsingArgs === 2 && !(tok.flags & PREV_WHITE)) {
            // libcpp _cpp_lex_direct: a new line inside macro arguments counts as whitespace.
            return { ...tok, flags: tok.flags | PREV_WHITE };
          }
        }
        return tok;
      }
      frame.tokens = undefined;
      const line = frame.file.lines[frame.lineIndex];
      if (!line) {
        // Macro arguments never run past the end of a file (libcpp _cpp_get_fresh_line).
        if (this.parsingArgs !== 0) return EOF_TOKEN;
        this.popFrame();
        if (this.frames.length === 0) return EOF_TOKEN;
        continue;
      }
      frame.lineIndex++;
      if (line.directive !== undefined && this.handleDirective(frame, line)) continue;
      if (this.skipping(frame)) continue;
      if (this.parsingArgs === 0 && this.contexts.length === 0 && this.noMacroIn(line)) {
        this.printFastLine(frame, line);
        continue;
      }
      frame.tokens = lexLine(frame.file, line);
      frame.tokenIndex = 0;
    }
  }

  private noMacroIn(line: PpLine): boolean {
    const names = line.names;
    for (let i = 0; i < names.length; i++) if (this.macros.has(names[i] as string)) return false;
    return true;
  }

  /** Steps the lexer back one token (libcpp _cpp_backup_tokens). */
  private backup(): void {
    const ctx = this.contexts[this.contexts.length - 1];
    if (ctx) ctx.pos--;
    else if (this.directiveTokens) this.directivePos--;
    else {
      const frame = this.frames[this.frames.length - 1];
      if (frame) frame.tokenIndex--;
    }
  }

  // ---- macro expansion ---------------------------------------------------------------------------

  private spend(n: number): void {
    this.expansionBudget -= n;
    if (this.expansionBudget < 0) {
      this.error(PP.expansionLimit, `macro expansion exceeds ${this.limits.expansionTokens} tokens`, this.expansionOrigin);
      throw new LimitExceeded();
    }
  }

  private pushContext(tokens: readonly PpToken[], macro: Macro | undefined): void {
    this.spend(tokens.length + 1);
    this.contexts.push({ tokens, pos: 0, macro });
  }

  private popContext(): void {
    const ctx = this.contexts.pop();
    if (ctx?.macro) disabled.delete(ctx.macro);
  }

  /** libcpp cpp_get_token_1. */
  private getToken(): PpToken {
    for (;;) {
      let tok: PpToken;
      const ctx = this.contexts[this.contexts.length - 1];
      if (!ctx) tok = this.lexToken();
      else if (ctx.pos < ctx.tokens.length) {
        tok = ctx.tokens[ctx.pos++] as PpToken;
        if (tok.flags & PASTE_LEFT) {
          this.pasteAll(tok);
          if (this.directiveTokens) continue;
          return padding(tok);
        }
      } else {
        this.popContext();
        if (this.directiveTokens) continue;
        return AVOID_PASTE;
      }
      if (tok.type !== TokType.Name || tok.flags & NO_EXPAND) return tok;
      const macro = this.macros.get(tok.text);
      if (!macro || this.preventExpansion > 0) return tok;
      if (disabled.has(macro)) return { ...tok, flags: tok.flags | NO_EXPAND };
      if (this.contexts.length === 0) this.expansionOrigin = tok;
      if (this.enterMacro(macro, tok)) {
        if (this.directiveTokens) continue;
        return padding(tok);
      }
      return tok;
    }
  }

  private enterMacro(macro: Macro, nameTok: PpToken): boolean {
    if (macro.builtin) {
      this.pushContext([this.builtinToken(macro, nameTok)], undefined);
      return true;
    }
    if (!macro.funLike) {
      this.pushContext(macro.body, macro);
      disabled.add(macro);
      return true;
    }
    this.preventExpansion++;
    this.parsingArgs = 1;
    let args: PpToken[][] | undefined;
    try {
      args = this.collectArgs(macro, nameTok);
    } finally {
      this.parsingArgs = 0;
      this.preventExpansion--;
    }
    if (!args) return false;
    this.pushContext(macro.params.length > 0 ? this.replaceArgs(macro, args) : macro.body, macro);
    disabled.add(macro);
    return true;
  }

  private builtinToken(macro: Macro, nameTok: PpToken): PpToken {
    const frame = this.frames[this.frames.length - 1];
    switch (macro.builtin) {
      case 'FILE':
        return synth(TokType.String, `"${quoteFileName(frame?.presentedName ?? '')}"`);
      case 'BASE_FILE':
        return synth(TokType.String, `"${quoteFileName(this.frames[0]?.file.name ?? '')}"`);
      case 'LINE': {
        const origin = this.expansionOrigin ?? nameTok;
        const line = origin.file ? physicalLine(origin.file, rawOffset(origin.file, origin.offset)) : 0;
        return synth(TokType.Number, String(line + (frame?.lineDelta ?? 0)));
      }
      case 'COUNTER':
        return synth(TokType.Number, String(this.counter++));
      default:
        return synth(TokType.Number, String(Math.max(0, this.frames.length - 1)));
    }
  }

  /** libcpp collect_args / funlike_invocation_p; undefined when the name is not followed by `(` or the call is bad. */
  private collectArgs(macro: Macro, nameTok: PpToken): PpToken[][] | undefined {
    let pad: PpToken | undefined;
    let tok: PpToken;
    for (;;) {
      tok = this.getToken();
      if (tok.type !== TokType.Padding) break;
      if (pad === undefined || pad.source === null || (!((pad.source?.flags ?? 0) & PREV_WHITE) && tok.source === null))
        pad = tok;
    }
    if (!isPunct(tok, '(')) {
      // The end of a file is not backed up over; the end of an argument is (libcpp funlike_invocation_p).
      if (tok.type !== TokType.Eof || tok.flags & END_ARG) {
        this.backup();
        if (pad) this.contexts.push({ tokens: [pad], pos: 0, macro: undefined });
      }
      return undefined;
    }
    this.parsingArgs = 2;
    const args: PpToken[][] = [];
    let current: PpToken[] = [];
    let depth = 0;
    const paramCount = macro.params.length;
    for (;;) {
      tok = this.getToken();
      if (tok.type === TokType.Padding) {
        if (current.length > 0) current.push(tok);
        continue;
      }
      if (tok.type === TokType.Eof) {
        if (tok.flags & END_ARG) this.backup();
        this.error(PP.badInvocation, `unterminated argument list invoking macro "${macro.name}"`, nameTok);
        return undefined;
      }
      this.spend(1);
      if (tok.type === TokType.Punct) {
        if (tok.text === '(') depth++;
        else if (tok.text === ')') {
          if (depth === 0) break;
          depth--;
        } else if (tok.text === ',' && depth === 0 && !(macro.variadic && args.length === paramCount - 1)) {
          while (current.length > 0 && current[current.length - 1]?.type === TokType.Padding) current.pop();
          args.push(current);
          current = [];
          continue;
        }
      }
      current.push(tok);
    }
    while (current.length > 0 && current[current.length - 1]?.type === TokType.Padding) current.pop();
    args.push(current);
    // libcpp _cpp_arguments_ok.
    if (args.length === 1 && paramCount === 0 && args[0]?.length === 0) return [];
    if (args.length < paramCount) {
      if (args.length + 1 === paramCount && macro.variadic) args.push([]);
      else {
        this.error(PP.badInvocation, `macro "${macro.name}" requires ${paramCount} arguments, but only ${args.length} given`, nameTok);
        return undefined;
      }
    } else if (args.length > paramCount) {
      this.error(PP.badInvocation, `macro "${macro.name}" passed ${args.length} arguments, but takes just ${paramCount}`, nameTok);
      return undefined;
    }
    return args;
  }

  /** libcpp expand_arg: the argument fully macro-expanded, with its paddings. */
  private expandArg(arg: readonly PpToken[]): PpToken[] {
    if (++this.argNesting > this.limits.argumentNesting) {
      this.error(PP.nestingLimit, `macro arguments nested more than ${this.limits.argumentNesting} deep`, this.expansionOrigin);
      throw new LimitExceeded();
    }
    const saved = this.parsingArgs;
    const savedPrevent = this.preventExpansion;
    this.parsingArgs = 0;
    this.preventExpansion = 0;
    const endArg = synth(TokType.Eof, '', END_ARG);
    this.pushContext([...arg, endArg], undefined);
    const depth = this.contexts.length;
    const out: PpToken[] = [];
    try {
      for (;;) {
        const tok = this.getToken();
        if (tok.type === TokType.Eof) break;
        out.push(tok);
        this.spend(1);
      }
      while (this.contexts.length >= depth) this.popContext();
    } finally {
      this.parsingArgs = saved;
      this.preventExpansion = savedPrevent;
      this.argNesting--;
    }
    return out;
  }

  /** libcpp stringify_arg (C17 6.10.3.2). */
  private stringify(arg: readonly PpToken[]): PpToken {
    let s = '';
    let source: PpToken | null | undefined;
    for (const tok of arg) {
      if (tok.type === TokType.Padding) {
        if (source === undefined || source === null || (!(source.flags & PREV_WHITE) && tok.source === null))
          source = tok.source ?? null;
        continue;
      }
      if (s.length > 0) {
        const src = source ?? tok;
        if (src.flags & PREV_WHITE) s += ' ';
      }
      source = undefined;
      const escape = tok.type === TokType.String || tok.type === TokType.Char || tok.type === TokType.PrefixedLiteral;
      s += escape ? tok.text.replace(/[\\"]/g, (m) => '\\' + m) : tok.text;
    }
    // "Ignore the final \ of invalid string literals."
    const trailing = /\\+$/.exec(s);
    if (trailing && trailing[0].length % 2 === 1) s = s.slice(0, -1);
    return synth(TokType.String, `"${s}"`);
  }

  /** libcpp replace_args: the body with arguments substituted, paddings around each argument. */
  private replaceArgs(macro: Macro, args: readonly PpToken[][]): PpToken[] {
    const body = macro.body;
    const out: PpToken[] = [];
    const expanded: (PpToken[] | undefined)[] = [];
    for (let i = 0; i < body.length; i++) {
      const src = body[i] as PpToken;
      if (src.argIndex === undefined) {
        out.push(src);
        continue;
      }
      const arg = args[src.argIndex] ?? [];
      const prevPastes = i > 0 && ((body[i - 1] as PpToken).flags & PASTE_LEFT) !== 0;
      let from: readonly PpToken[];
      if (src.flags & STRINGIFY_ARG) from = [this.stringify(arg)];
      else if (src.flags & PASTE_LEFT || prevPastes) from = arg;
      else from = expanded[src.argIndex] ??= this.expandArg(arg);

      // GNU `, ## __VA_ARGS__`: an empty variadic argument swallows the comma.
      if (prevPastes && from.length === 0 && macro.variadic && src.argIndex === macro.params.length - 1) {
        const last = out[out.length - 1];
        if (isPunct(last, ',')) {
          out.pop();
          continue;
        }
      }
      if (i > 0 && !prevPastes) out.push(padding(src));
      if (from.length > 0) {
        const start = out.length;
        for (const t of from) out.push(t);
        if (src.flags & PASTE_LEFT) {
          const lastIndex = out.length - 1;
          const last = out[lastIndex] as PpToken;
          out[lastIndex] = { ...last, flags: last.flags | PASTE_LEFT };
        } else if (prevPastes && out.length > start) {
          // A token from a raw argument keeps no stale PASTE_LEFT at the end (libcpp copy_paste_flag).
          const lastIndex = out.length - 1;
          const last = out[lastIndex] as PpToken;
          if (last.flags & PASTE_LEFT) out[lastIndex] = { ...last, flags: last.flags & ~PASTE_LEFT };
        }
      } else if (prevPastes) {
        // An empty right operand of ##: the left operand pastes with nothing, or on along a chain.
        const lastIndex = out.length - 1;
        const last = out[lastIndex];
        if (last && last.type !== TokType.Padding) {
          const flags = (last.flags & ~PASTE_LEFT) | (src.flags & PASTE_LEFT);
          if (flags !== last.flags) out[lastIndex] = { ...last, flags };
        }
      }
      if (!(src.flags & PASTE_LEFT)) out.push(AVOID_PASTE);
    }
    return out;
  }

  /** libcpp paste_all_tokens: `lhs ## rhs ## ...`, the result in a context of its own. */
  private pasteAll(lhsTok: PpToken): void {
    let lhs = lhsTok;
    const ctx = this.contexts[this.contexts.length - 1] as Context;
    do {
      let rhs: PpToken | undefined;
      while (ctx.pos < ctx.tokens.length) {
        const tok = ctx.tokens[ctx.pos++] as PpToken;
        if (tok.type !== TokType.Padding) {
          rhs = tok;
          break;
        }
      }
      if (!rhs) break;
      const joined = lhs.text + (canonical(lhs) === '/' && rhs.text !== '=' ? ' ' : '') + rhs.text;
      const lexed = lexString(joined);
      const only = lexed.tokens[0];
      if (lexed.tokens.length !== 1 || !lexed.complete || !only) {
        // Assembler mode: an invalid paste is no error; the two tokens stay apart (libcpp paste_tokens).
        ctx.pos--;
        break;
      }
      lhs = {
        type: only.type,
        text: only.text,
        flags: (lhs.flags & PREV_WHITE) | (rhs.flags & PASTE_LEFT),
        file: lhs.file,
        offset: lhs.offset,
      };
      this.spend(1);
    } while (lhs.flags & PASTE_LEFT);
    this.pushContext([{ ...lhs, flags: lhs.flags & ~PASTE_LEFT }], undefined);
  }

  // ---- directives --------------------------------------------------------------------------------

  /**
   * Runs a `#` line; returns false for one that is no directive (`#address-cells = ...`), which in
   * assembler mode is ordinary text (libcpp _cpp_handle_directive: "Don't complain about it in assembly source").
   */
  private handleDirective(frame: Frame, line: PpLine): boolean {
    const name = line.directive ?? '';
    const skipping = this.skipping(frame);
    switch (name) {
      case 'if':
      case 'ifdef':
      case 'ifndef':
        this.doIf(frame, line, name, skipping);
        return true;
      case 'elif':
      case 'elifdef':
      case 'elifndef':
      case 'else':
        this.doElse(frame, line, name);
        return true;
      case 'endif':
        if (frame.conditionals.pop() === undefined)
          this.report(PP.unbalancedConditional, 'error', '#endif without #if', this.lineSpan(frame.file, line));
        return true;
      case '':
        // A null directive (`#` alone) is consumed; `# 5 "x"` or `#-x` is text in assembler mode.
        return lexLine(frame.file, line).length <= 1 || skipping;
      case 'define':
      case 'undef':
      case 'include':
      case 'include_next':
      case 'import':
      case 'line':
      case 'error':
      case 'warning':
      case 'pragma':
      case 'ident':
      case 'sccs':
      case 'assert':
      case 'unassert':
        if (skipping) return true;
        break;
      default:
        return skipping;
    }
    const tokens = lexLine(frame.file, line).slice(2);
    switch (name) {
      case 'define':
        this.doDefine(frame.file, line, tokens);
        break;
      case 'undef': {
        const t = tokens[0];
        if (t?.type !== TokType.Name) this.error(PP.badDirective, 'no macro name given in #undef directive', t ?? lexLine(frame.file, line)[1]);
        else this.macros.delete(t.text);
        break;
      }
      case 'include':
      case 'include_next':
      case 'import':
        this.doInclude(frame, line, tokens, name === 'include_next');
        break;
      case 'line':
        this.doLine(frame, line, tokens);
        break;
      case 'error':
      case 'warning': {
        const text = frame.file.text.slice(tokens[0]?.offset ?? line.end, line.end).trim();
        const warn = name === 'warning';
        this.report(warn ? PP.warningDirective : PP.errorDirective, warn ? 'warning' : 'error', `#${name} ${text}`, this.lineSpan(frame.file, line));
        break;
      }
      default:
        // #pragma, #ident, #sccs, #assert: cpp -x assembler-with-cpp prints nothing for them.
        break;
    }
    return true;
  }

  private doIf(frame: Frame, line: PpLine, name: string, skipping: boolean): void {
    const c: Conditional = { skipping: true, taken: false, sawElse: false, outerSkipping: skipping, line };
    frame.conditionals.push(c);
    if (skipping) return;
    const value = name === 'if' ? this.evalIf(frame, line) : this.evalIfdef(frame, line, name === 'ifdef' || name === 'elifdef');
    c.skipping = !value;
    c.taken = value;
  }

  private doElse(frame: Frame, line: PpLine, name: string): void {
    const c = frame.conditionals[frame.conditionals.length - 1];
    if (!c) {
      this.report(PP.unbalancedConditional, 'error', `#${name} without #if`, this.lineSpan(frame.file, line));
      return;
    }
    if (c.sawElse) {
      this.report(PP.unbalancedConditional, 'error', `#${name} after #else`, this.lineSpan(frame.file, line));
      return;
    }
    if (name === 'else') c.sawElse = true;
    if (c.outerSkipping || c.taken) {
      // Once a group was taken, later #elif expressions are not evaluated (C17 6.10.1p6).
      c.skipping = true;
      return;
    }
    const value =
      name === 'else' ? true : name === 'elif' ? this.evalIf(frame, line) : this.evalIfdef(frame, line, name === 'elifdef');
    c.skipping = !value;
    c.taken = value;
  }

  private evalIfdef(frame: Frame, line: PpLine, wantDefined: boolean): boolean {
    const tokens = lexLine(frame.file, line);
    const t = tokens[2];
    if (t?.type !== TokType.Name) {
      this.error(PP.badDirective, `no macro name given in #${line.directive ?? ''} directive`, t ?? tokens[1]);
      return false;
    }
    return this.macros.has(t.text) === wantDefined;
  }

  /** Expands a directive's operand tokens with `defined` handled as libcpp parse_defined does. */
  private expandDirective(tokens: readonly PpToken[], handleDefined: boolean): PpToken[] {
    const savedTokens = this.directiveTokens;
    const savedPos = this.directivePos;
    const savedContexts = this.contexts.length;
    this.directiveTokens = tokens;
    this.directivePos = 0;
    const out: PpToken[] = [];
    try {
      for (;;) {
        const tok = this.getToken();
        if (tok.type === TokType.Eof) break;
        if (tok.type === TokType.Padding) continue;
        if (handleDefined && tok.type === TokType.Name && tok.text === 'defined') {
          this.preventExpansion++;
          try {
            let t = this.getToken();
            const paren = isPunct(t, '(');
            if (paren) t = this.getToken();
            if (t.type !== TokType.Name) throw new ExprError('operator "defined" requires an identifier');
            if (paren && !isPunct(this.getToken(), ')')) throw new ExprError('missing \')\' after "defined"');
            out.push(synth(TokType.Number, this.macros.has(t.text) ? '1' : '0'));
          } finally {
            this.preventExpansion--;
          }
          continue;
        }
        out.push(tok);
        this.spend(1);
      }
    } finally {
      while (this.contexts.length > savedContexts) this.popContext();
      this.directiveTokens = savedTokens;
      this.directivePos = savedPos;
    }
    return out;
  }

  private evalIf(frame: Frame, line: PpLine): boolean {
    const all = lexLine(frame.file, line);
    try {
      return evaluateExpression(this.expandDirective(all.slice(2), true)) !== 0n;
    } catch (e) {
      if (!(e instanceof ExprError)) throw e;
      this.report(PP.badExpression, 'error', e.message, this.lineSpan(frame.file, line));
      return false;
    }
  }

  private defineFromText(name: string, value: string): void {
    const file = lexFile('<command-line>', `#define ${name} ${value}\n`);
    const line = file.lines[0];
    if (line) this.doDefine(file, line, lexLine(file, line).slice(2));
  }

  private doDefine(file: PpFile, line: PpLine, tokens: readonly PpToken[]): void {
    let macro = line.cached as Macro | undefined;
    if (!macro) {
      macro = this.parseDefine(file, line, tokens);
      if (!macro) return;
      line.cached = macro;
    }
    if (macro.name === 'defined') {
      this.error(PP.badDefinition, '"defined" cannot be used as a macro name', tokens[0]);
      return;
    }
    this.macros.set(macro.name, macro);
  }

  /** C17 6.10.3 / libcpp create_iso_definition. */
  private parseDefine(file: PpFile, line: PpLine, tokens: readonly PpToken[]): Macro | undefined {
    const nameTok = tokens[0];
    if (nameTok?.type !== TokType.Name) {
      this.error(PP.badDefinition, nameTok ? 'macro names must be identifiers' : 'no macro name given in #define directive', nameTok ?? lexLine(file, line)[1]);
      return undefined;
    }
    let i = 1;
    const params: string[] = [];
    let variadic = false;
    let funLike = false;
    if (isPunct(tokens[1], '(') && !((tokens[1] as PpToken).flags & PREV_WHITE)) {
      funLike = true;
      i = 2;
      if (isPunct(tokens[i], ')')) i++;
      else
        for (;;) {
          const t = tokens[i++];
          if (isPunct(t, '...')) {
            variadic = true;
            params.push('__VA_ARGS__');
          } else if (t?.type === TokType.Name) {
            if (params.includes(t.text)) {
              this.error(PP.badDefinition, `duplicate macro parameter "${t.text}"`, t);
              return undefined;
            }
            params.push(t.text);
            if (isPunct(tokens[i], '...')) {
              variadic = true;
              i++;
            }
          } else {
            this.error(PP.badDefinition, 'expected parameter name, found ' + (t ? `"${t.text}"` : 'end of line'), t ?? nameTok);
            return undefined;
          }
          const sep = tokens[i++];
          if (isPunct(sep, ')')) break;
          if (!isPunct(sep, ',') || variadic) {
            this.error(PP.badDefinition, "expected ',' or ')' in macro parameter list", sep ?? nameTok);
            return undefined;
          }
        }
    }
    const body: PpToken[] = [];
    for (; i < tokens.length; i++) {
      const t = tokens[i] as PpToken;
      if (funLike && t.type === TokType.Name) {
        const index = params.indexOf(t.text);
        if (index >= 0) {
          const prev = body[body.length - 1];
          // `#param`: in assembler mode a `#` before a non-parameter is kept as text.
          if (prev && prev.type === TokType.Punct && canonical(prev) === '#' && !prev.argIndex && !(prev.flags & PASTE_LEFT) && prev.text !== '##') {
            body.pop();
            body.push({ ...t, argIndex: index, flags: (t.flags & ~PREV_WHITE) | (prev.flags & PREV_WHITE) | STRINGIFY_ARG });
          } else body.push({ ...t, argIndex: index });
          continue;
        }
      }
      if (t.type === TokType.Punct && canonical(t) === '##') {
        const prev = body[body.length - 1];
        if (!prev || i === tokens.length - 1) {
          this.error(PP.badDefinition, "'##' cannot appear at either end of a macro expansion", t);
          return undefined;
        }
        body[body.length - 1] = { ...prev, flags: prev.flags | PASTE_LEFT };
        continue;
      }
      body.push(t);
    }
    const first = body[0];
    // libcpp clears the first body token's PREV_WHITE; the name's spacing applies instead.
    if (first && first.flags & (PREV_WHITE | BOL)) body[0] = { ...first, flags: first.flags & ~(PREV_WHITE | BOL) };
    return { name: nameTok.text, funLike, params, variadic, body };
  }

  private doInclude(frame: Frame, line: PpLine, tokens: readonly PpToken[], next: boolean): void {
    const text = frame.file.text;
    const after = text.slice(tokens[0]?.offset ?? line.end, line.end).trimStart();
    let target: string | undefined;
    let angled = false;
    const direct = /^"([^"\n]*)"|^<([^>\n]*)>/.exec(after);
    if (direct) {
      target = direct[1] ?? direct[2];
      angled = direct[2] !== undefined;
    } else if (tokens.length > 0) {
      const expanded = this.expandDirective(tokens, false);
      const first = expanded[0];
      if (first?.type === TokType.String) target = first.text.slice(1, -1);
      else if (isPunct(first, '<')) {
        let s = '';
        let j = 1;
        for (; j < expanded.length && !isPunct(expanded[j], '>'); j++) {
          const t = expanded[j] as PpToken;
          s += (t.flags & PREV_WHITE && s ? ' ' : '') + t.text;
        }
        if (j < expanded.length) {
          target = s;
          angled = true;
        }
      }
    }
    if (target === undefined || target === '') {
      this.report(PP.badDirective, 'error', `#${line.directive ?? 'include'} expects "FILENAME" or <FILENAME>`, this.lineSpan(frame.file, line));
      return;
    }
    if (this.frames.length >= this.limits.includeDepth) {
      const cycle = this.frames.some((f) => f.file.name.endsWith(target));
      this.report(
        PP.includeDepth,
        'error',
        `#include nested depth ${this.frames.length} exceeds maximum of ${this.limits.includeDepth}${cycle ? ` (include cycle through "${target}")` : ''}`,
        this.lineSpan(frame.file, line),
      );
      return;
    }
    // Search order (gcc "Search Path"): the includer's directory for "...", then each -I directory.
    const candidates: { path: string; dirIndex: number }[] = [];
    if (target.startsWith('/')) candidates.push({ path: target, dirIndex: -1 });
    else {
      if (!angled && !next) candidates.push({ path: joinPath(dirOf(frame.file.name), target), dirIndex: -1 });
      const startDir = next ? frame.foundIn + 1 : 0;
      for (let d = startDir; d < this.includeDirs.length; d++)
        candidates.push({ path: joinPath(this.includeDirs[d] as string, target), dirIndex: d });
    }
    for (const c of candidates) {
      const content = this.host.readFile(c.path);
      if (content === undefined) continue;
      // cpp stops at the first candidate it can open and fails there; a device or an oversized file is that.
      if (isRefusal(content)) {
        this.report(PP.includeNotFound, 'error', `${target}: ${content.refused}`, this.lineSpan(frame.file, line));
        return;
      }
      this.files.set(c.path, content);
      const file = this.cache.get(c.path, content);
      // libcpp's multiple-include optimization: a file seen before whose guard macro is defined is
      // not entered at all, so it leaves no line markers either. libcpp keeps one record per name as
      // written and directory searched (files.cc _cpp_find_file, whose cache lookups at the chain
      // heads make "x.h" and <x.h> found in the same -I directory one record), so the same header
      // reached under another spelling is entered again.
      const foundDir = c.dirIndex < 0 ? dirOf(frame.file.name) : (this.includeDirs[c.dirIndex] as string);
      const key = `${foundDir}\0${target}`;
      const guard = includeGuard(file);
      if (guard !== undefined && this.entered.has(key) && this.macros.has(guard)) return;
      this.entered.add(key);
      this.maybePrintLine(line.firstLine + frame.lineDelta, frame.presentedName);
      this.printLineMarker(1, c.path, ' 1');
      this.pushFrame(file, c.dirIndex, line);
      return;
    }
    this.report(PP.includeNotFound, 'error', `${target}: No such file or directory`, this.lineSpan(frame.file, line));
  }

  private doLine(frame: Frame, line: PpLine, tokens: readonly PpToken[]): void {
    const expanded = this.expandDirective(tokens, false);
    const num = expanded[0];
    if (num?.type !== TokType.Number || !/^[0-9]+$/.test(num.text)) {
      this.report(PP.badDirective, 'error', '"#line" requires a positive integer argument', this.lineSpan(frame.file, line));
      return;
    }
    const nextPhysical = line.lastLine + 1;
    frame.lineDelta = Number(num.text) - nextPhysical;
    const name = expanded[1];
    if (name?.type === TokType.String) frame.presentedName = name.text.slice(1, -1);
    this.printLineMarker(Number(num.text), frame.presentedName, '');
  }
}

const guards = new WeakMap<PpFile, string | null>();

/**
 * The controlling macro of a file wrapped in `#ifndef X` / `#if !defined X` ... `#endif` with nothing
 * outside and no `#else`/`#elif` for that group (libcpp's mi_valid / cmacro rules).
 */
function includeGuard(file: PpFile): string | undefined {
  const known = guards.get(file);
  if (known !== undefined) return known ?? undefined;
  let guard: string | null = null;
  const lines = file.lines;
  const first = lines[0];
  const last = lines[lines.length - 1];
  if (first && last && lines.length >= 2 && last.directive === 'endif') {
    const t = lexLine(file, first);
    let name: PpToken | undefined;
    if (first.directive === 'ifndef' && t.length === 3) name = t[2];
    else if (first.directive === 'if') {
      const rest = t.slice(2).map((x) => x.text);
      if (rest.length === 3 && rest[0] === '!' && rest[1] === 'defined') name = t[4];
      else if (rest.length === 5 && rest[0] === '!' && rest[1] === 'defined' && rest[2] === '(' && rest[4] === ')') name = t[5];
    }
    if (name?.type === TokType.Name) {
      let depth = 0;
      let ok = true;
      for (let i = 0; i < lines.length && ok; i++) {
        const d = lines[i]?.directive;
        if (d === 'if' || d === 'ifdef' || d === 'ifndef') depth++;
        else if (d === 'endif') {
          depth--;
          if (depth === 0 && i !== lines.length - 1) ok = false;
        } else if ((d === 'else' || d === 'elif' || d === 'elifdef' || d === 'elifndef') && depth === 1) ok = false;
      }
      if (ok && depth === 0) guard = name.text;
    }
  }
  guards.set(file, guard);
  return guard ?? undefined;
}

/** Macros being expanded; module-level because Macro objects are shared through the cache. */
const disabled = new Set<Macro>();

/** Offset in the cleaned text for a position inside a fast-path line's rendering. */
function fastLineOffset(file: PpFile, line: PpLine, renderedOffset: number): number {
  const tokens = lexLine(file, line);
  let pos = line.firstCol >= 2 ? 1 : 0;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as PpToken;
    if (i > 0 && t.flags & PREV_WHITE) pos++;
    if (renderedOffset < pos + t.text.length) return t.offset + Math.max(0, renderedOffset - pos);
    pos += t.text.length;
  }
  const last = tokens[tokens.length - 1];
  return last ? last.offset + last.text.length : line.start;
}

/**
 * Preprocesses `path` as `cpp -nostdinc -undef -x assembler-with-cpp -D__DTS__ -I<dirs>` would. Never
 * throws for bad input: problems are diagnostics, and the text is whatever could be produced.
 */
export function preprocess(path: string, host: PreprocessHost, options: PreprocessOptions = {}): PreprocessResult {
  const run = new Run(host, options);
  disabled.clear();
  let text: string;
  try {
    text = run.run(path);
  } finally {
    disabled.clear();
  }
  return { text, origins: run.origins(), diagnostics: run.diagnostics, files: run.files };
}
