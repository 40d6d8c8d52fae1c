import { matchBlockComments, matchCharLiteral, matchLineComments, matchString } from './scan-matchers.js';
import { isRefusal, type HostRead } from './host.js';
import { features as featuresOf, type DtcFeatures } from './compat.js';
import type { LineMarker } from './line-markers.js';
import type { Span } from '../diagnostics/source.js';

/**
 * The DTS lexer, rule for rule after dtc 1.6.1's dtc-lexer.l. flex picks the longest match among the rules
 * active in the current start condition (ties go to the earlier rule), and the start condition changes only
 * inside token actions, so the scanner needs no help from the parser.
 *
 * Start conditions: INITIAL and V1 are inclusive (rules without a condition apply), PROPNODENAME and
 * BYTESTRING are exclusive. `{` and `;` enter PROPNODENAME, a property/node name leaves it, `[` enters
 * BYTESTRING, `]` leaves it.
 */

export type TokenKind =
  | 'V1'
  | 'PLUGIN'
  | 'MEMRESERVE'
  | 'BITS'
  | 'DEL_PROP'
  | 'DEL_NODE'
  | 'OMIT_NO_REF'
  | 'INCBIN'
  | 'PROPNODENAME'
  | 'LITERAL'
  | 'CHAR_LITERAL'
  | 'BYTE'
  | 'STRING'
  | 'LABEL'
  | 'REF'
  | 'LSHIFT'
  | 'RSHIFT'
  | 'LE'
  | 'GE'
  | 'EQ'
  | 'NE'
  | 'AND'
  | 'OR'
  | 'CHAR'
  | 'EOF';

export interface Token {
  kind: TokenKind;
  /** Name, label, reference text or the single character of a CHAR token. */
  text: string;
  /** LITERAL and CHAR_LITERAL value (uint64), BYTE value. */
  value: bigint;
  /** STRING bytes, with the terminating NUL dtc appends. */
  bytes: Uint8Array;
  span: Span;
  /** A REF written `&{...}` (dtc's DT_PATH_REF), not `&label` (DT_LABEL_REF). */
  pathRef?: boolean;
}

export type ScanState = 'INITIAL' | 'V1' | 'PROPNODENAME' | 'BYTESTRING';

/** A problem found while scanning; the scanner reports it and carries on, as dtc's lexical_error does. */
export interface ScanProblem {
  code: string;
  message: string;
  span: Span;
  /** dtc `die()`s on these (missing include file, include depth): compilation stops. */
  fatal?: boolean;
}

export interface IncludeHost {
  /** The file's contents, undefined when there is none, or why the host will not read it. */
  readFile(path: string): HostRead<Uint8Array>;
  /** `-i` search directories, tried in order after the including file's directory. */
  includeDirs: readonly string[];
}

/** dtc's srcpos.c MAX_SRCFILE_DEPTH: deeper /include/ nesting (an include cycle) is fatal. */
export const MAX_INCLUDE_DEPTH = 200;

const PROPNODECHAR = 'a-zA-Z0-9,._+*#?@\\-';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
// Unrolled ("a*(ba*)*"): V8 runs `(?:x|y)*` with one backtrack entry per character, which overflows its stack on
// a 50 MB string; here only escapes cost an entry. The string rule itself is matched by hand (matchString).
const STRING = '"[^\\\\"]*(?:\\\\[^\\n][^\\\\"]*)*"';
const WS = '[ \\t\\n\\r\\v\\f]';

interface Rule {
  re: RegExp;
  /**
   * Hand-written matcher for a token whose length is unbounded (strings, char literals, comments): the length
   * of the match at `pos`, or -1. Such rules keep `re` as the definition the matcher follows.
   */
  match?: (text: string, pos: number) => number;
  /** Start conditions the rule is active in; undefined means INITIAL and V1 (flex's inclusive default). */
  states: readonly ScanState[] | 'all' | undefined;
  /**
   * Regex character-class body of every character a match can start with: the scanner only tries the rules
   * whose class holds the character at the current position (the same longest match, found faster).
   */
  first: string;
  action: string;
  /** Only at the start of a line (flex `^`). */
  bol?: boolean;
}

const all = 'all' as const;
const sticky = (src: string): RegExp => new RegExp(src, 'y');

// Same order as dtc-lexer.l: the order breaks ties between equally long matches.
const rulesFor = (f: DtcFeatures): readonly Rule[] => [
  { re: sticky(`/include/${WS}*${STRING}`), states: all, first: '/', action: 'include' },
  { re: sticky(`#(?:line)?[ \\t]+[0-9]+[ \\t]+${STRING}(?:[ \\t]+[0-9]+)*`), states: all, first: '#', action: 'linemarker', bol: true },
  { re: sticky(STRING), match: matchString, states: all, first: '"', action: 'string' },
  { re: sticky('/dts-v1/'), states: all, first: '/', action: 'V1' },
  { re: sticky('/plugin/'), states: all, first: '/', action: 'PLUGIN' },
  { re: sticky('/memreserve/'), states: all, first: '/', action: 'MEMRESERVE' },
  { re: sticky('/bits/'), states: all, first: '/', action: 'BITS' },
  { re: sticky('/delete-property/'), states: all, first: '/', action: 'DEL_PROP' },
  { re: sticky('/delete-node/'), states: all, first: '/', action: 'DEL_NODE' },
  { re: sticky('/omit-if-no-ref/'), states: all, first: '/', action: 'OMIT_NO_REF' },
  { re: sticky(`${LABEL}:`), states: all, first: 'a-zA-Z_', action: 'label' },
  // dtc 1.8: an identifier where a value belongs (an undefined macro, a missed include) is named in an error.
  ...(f.strayIdentifierError ? [{ re: sticky(LABEL), states: ['V1'] as const, first: 'a-zA-Z_', action: 'stray' }] : []),
  { re: sticky('(?:0[xX][0-9a-fA-F]+|[0-9]+)(?:ULL|UL|LL|U|L)?'), states: ['V1'], first: '0-9', action: 'literal' },
  { re: sticky("'(?:\\\\'|[^'])*'"), match: matchCharLiteral, states: all, first: "'", action: 'charlit' },
  { re: sticky(`&${LABEL}`), states: all, first: '&', action: 'labelref' },
  // dtc 1.7 drops the leading slash from the path reference rule, for label-relative `&{label/path}`.
  { re: sticky(`&\\{${f.labelRelativeRefs ? '' : '/'}[${PROPNODECHAR}/]*\\}`), states: all, first: '&', action: 'pathref' },
  { re: sticky('[0-9a-fA-F]{2}'), states: ['BYTESTRING'], first: '0-9a-fA-F', action: 'byte' },
  { re: sticky('\\]'), states: ['BYTESTRING'], first: '\\]', action: 'endbytes' },
  { re: sticky(`\\\\?[${PROPNODECHAR}]+`), states: ['PROPNODENAME'], first: `\\\\${PROPNODECHAR}`, action: 'propnodename' },
  { re: sticky('/incbin/'), states: undefined, first: '/', action: 'INCBIN' },
  { re: sticky(`${WS}+`), states: all, first: ' \\t\\n\\r\\v\\f', action: 'skip' },
  { re: sticky('(?:/\\*(?:[^*]|\\*+[^*/])*\\*+/)+'), match: matchBlockComments, states: all, first: '/', action: 'skip' },
  { re: sticky('(?://[^\\n]*\\n)+'), match: matchLineComments, states: all, first: '/', action: 'skip' },
  { re: sticky('<<'), states: all, first: '<', action: 'LSHIFT' },
  { re: sticky('>>'), states: all, first: '>', action: 'RSHIFT' },
  { re: sticky('<='), states: all, first: '<', action: 'LE' },
  { re: sticky('>='), states: all, first: '>', action: 'GE' },
  { re: sticky('=='), states: all, first: '=', action: 'EQ' },
  { re: sticky('!='), states: all, first: '!', action: 'NE' },
  { re: sticky('&&'), states: all, first: '&', action: 'AND' },
  { re: sticky('\\|\\|'), states: all, first: '|', action: 'OR' },
  { re: sticky('[^\\n]'), states: all, first: '^\\n', action: 'char' },
];

function ruleActive(rule: Rule, state: ScanState): boolean {
  if (rule.states === 'all') return true;
  if (rule.states === undefined) return state === 'INITIAL' || state === 'V1';
  return rule.states.includes(state);
}

const STATES: readonly ScanState[] = ['INITIAL', 'V1', 'PROPNODENAME', 'BYTESTRING'];

type Candidates = Map<ScanState, { byCode: (readonly Rule[])[]; every: readonly Rule[] }>;

/**
 * For each start condition, the active rules (in rule order) by the code of the character they can start
 * with. Texts are latin1, so codes above 255 do not occur; such a code falls back to every active rule.
 */
function candidates(rules: readonly Rule[]): Candidates {
  return new Map(
    STATES.map((state) => {
      const every = rules.filter((rule) => ruleActive(rule, state));
      const firsts = every.map((rule) => new RegExp(`^[${rule.first}]$`));
      const byCode: Rule[][] = [];
      for (let code = 0; code < 256; code++) {
        const c = String.fromCharCode(code);
        byCode.push(every.filter((_, i) => firsts[i]?.test(c)));
      }
      return [state, { byCode, every }];
    }),
  );
}

// Sticky regexes keep lastIndex, so each table is used by one scan at a time (scans are synchronous).
const TABLES = new Map<DtcFeatures, { rules: readonly Rule[]; candidates: Candidates }>();
function tableFor(f: DtcFeatures): { rules: readonly Rule[]; candidates: Candidates } {
  let table = TABLES.get(f);
  if (!table) {
    const rules = rulesFor(f);
    table = { rules, candidates: candidates(rules) };
    TABLES.set(f, table);
  }
  return table;
}

interface Buffer {
  name: string;
  text: string;
  pos: number;
  /** Directory of this file, for includes relative to it (dtc's srcfile->dir). */
  dir: string | undefined;
}

const EMPTY = new Uint8Array(0);

function dirname(path: string): string {
  const slash = path.lastIndexOf('/');
  if (slash < 0) return '.';
  if (slash === 0) return '/';
  return path.slice(0, slash);
}

function joinPath(dir: string, name: string): string {
  if (dir === '.') return name;
  return dir.endsWith('/') ? dir + name : `${dir}/${name}`;
}

/** Bytes of a latin1-decoded text: every DTS file is read as bytes and decoded 1:1 so offsets are byte offsets. */
export function latin1(bytes: Uint8Array): string {
  // Buffer's latin1 is ISO 8859-1 byte for byte (TextDecoder's "latin1" is windows-1252, which is not), and
  // decodes natively: a per-character String.fromCharCode was a fifth of a warm compile.
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/** A source file pushed by /include/, reported so the caller can format diagnostics against it. */
export interface LoadedFile {
  name: string;
  text: string;
}

export class Scanner {
  private state: ScanState = 'INITIAL';
  private readonly stack: Buffer[] = [];
  private fatalSeen = false;
  private readonly table: { rules: readonly Rule[]; candidates: Candidates };

  constructor(
    name: string,
    text: string,
    private readonly host: IncludeHost | undefined,
    private readonly report: (p: ScanProblem) => void,
    private readonly onFile: (f: LoadedFile) => void = () => undefined,
    /** cpp line markers in the top file, in text order (included files keep their own positions). */
    private readonly onLineMarker: (m: LineMarker) => void = () => undefined,
    readonly features: DtcFeatures = featuresOf(),
  ) {
    this.stack.push({ name, text, pos: 0, dir: undefined });
    this.table = tableFor(features);
  }

  /** Set after a fatal problem: the scanner then returns EOF. */
  get fatal(): boolean {
    return this.fatalSeen;
  }

  /**
   * dtc's srcfile_relative_open: the including file's directory first (the working directory for the top
   * file), then each -i directory; absolute names as they are.
   */
  resolve(name: string): { path: string; bytes: Uint8Array } | { path: string; refused: string } | undefined {
    if (!this.host) return undefined;
    const top = this.stack[this.stack.length - 1];
    const candidates: string[] = [];
    if (name.startsWith('/')) candidates.push(name);
    else {
      candidates.push(top?.dir === undefined ? name : joinPath(top.dir, name));
      for (const d of this.host.includeDirs) candidates.push(joinPath(d, name));
    }
    for (const path of candidates) {
      const bytes = this.host.readFile(path);
      if (isRefusal(bytes)) return { path, refused: bytes.refused };
      if (bytes) return { path, bytes };
    }
    return undefined;
  }

  /** Current file name, for /incbin/ resolution errors. */
  get currentFile(): string {
    return this.stack[this.stack.length - 1]?.name ?? '';
  }

  next(): Token {
    for (;;) {
      const buf = this.stack[this.stack.length - 1];
      if (!buf || this.fatalSeen) return this.token('EOF', '', { file: this.currentFile, start: 0, end: 0 });
      if (buf.pos >= buf.text.length) {
        if (this.stack.length === 1) return this.token('EOF', '', { file: buf.name, start: buf.pos, end: buf.pos });
        this.stack.pop();
        continue;
      }
      const tok = this.scanOne(buf);
      if (tok) return tok;
    }
  }

  private token(kind: TokenKind, text: string, span: Span, extra?: { value?: bigint; bytes?: Uint8Array }): Token {
    return { kind, text, value: extra?.value ?? 0n, bytes: extra?.bytes ?? EMPTY, span };
  }

  /** A rule's match length at `pos`, or -1; a lexeme too long for the regex engine is a fatal diagnostic. */
  private exec(re: RegExp, text: string, pos: number, buf: Buffer): number {
    re.lastIndex = pos;
    try {
      return re.exec(text)?.[0].length ?? -1;
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      this.report({ code: 'DTS1021', message: 'token too long', span: { file: buf.name, start: pos, end: pos + 1 }, fatal: true });
      this.fatalSeen = true;
      return -1;
    }
  }

  private scanOne(buf: Buffer): Token | undefined {
    const { text, pos } = buf;
    const bol = pos === 0 || text.charCodeAt(pos - 1) === 10;
    let best: Rule | undefined;
    let bestLen = 0;
    const candidates = this.table.candidates.get(this.state);
    const rules = candidates?.byCode[text.charCodeAt(pos)] ?? candidates?.every ?? this.table.rules;
    for (const rule of rules) {
      if (rule.bol && !bol) continue;
      const length = rule.match ? rule.match(text, pos) : this.exec(rule.re, text, pos, buf);
      if (length > bestLen) {
        best = rule;
        bestLen = length;
      }
    }
    const span: Span = { file: buf.name, start: pos, end: pos + Math.max(bestLen, 1) };
    if (!best) {
      // Only a newline can fail every rule, and whitespace takes it; keep going regardless.
      buf.pos += 1;
      return undefined;
    }
    const lexeme = text.slice(pos, pos + bestLen);
    buf.pos += bestLen;
    switch (best.action) {
      case 'skip':
        return undefined;
      case 'linemarker':
        if (this.stack.length === 1) this.lineMarker(lexeme, span);
        return undefined;
      case 'include':
        this.pushInclude(lexeme.slice(lexeme.indexOf('"') + 1, -1), span);
        return undefined;
      case 'string':
        return this.token('STRING', lexeme, span, { bytes: this.escapeString(lexeme.slice(1, -1), span) });
      case 'V1':
      case 'MEMRESERVE':
      case 'BITS':
        this.state = 'V1';
        return this.token(best.action, lexeme, span);
      case 'DEL_PROP':
      case 'DEL_NODE':
      case 'OMIT_NO_REF':
        this.state = 'PROPNODENAME';
        return this.token(best.action, lexeme, span);
      case 'PLUGIN':
      case 'INCBIN':
      case 'LSHIFT':
      case 'RSHIFT':
      case 'LE':
      case 'GE':
      case 'EQ':
      case 'NE':
      case 'AND':
      case 'OR':
        return this.token(best.action, lexeme, span);
      case 'label':
        return this.token('LABEL', lexeme.slice(0, -1), span);
      case 'literal':
        return this.token('LITERAL', lexeme, span, { value: this.integerLiteral(lexeme, span) });
      case 'charlit':
        return this.token('CHAR_LITERAL', lexeme, span, { value: this.charLiteral(lexeme, span) });
      case 'stray':
        this.report({ code: 'DTS1016', message: `Unexpected '${lexeme}'`, span });
        return this.token('LITERAL', lexeme, span, { value: 0n });
      case 'labelref':
        return this.token('REF', lexeme.slice(1), span);
      case 'pathref':
        return { ...this.token('REF', lexeme.slice(2, -1), span), pathRef: true };
      case 'byte':
        return this.token('BYTE', lexeme, span, { value: BigInt(parseInt(lexeme, 16)) });
      case 'endbytes':
        this.state = 'V1';
        return this.token('CHAR', ']', span);
      case 'propnodename':
        this.state = 'V1';
        return this.token('PROPNODENAME', lexeme.startsWith('\\') ? lexeme.slice(1) : lexeme, span);
      default: {
        if (lexeme === '[') this.state = 'BYTESTRING';
        if (lexeme === '{' || lexeme === ';') this.state = 'PROPNODENAME';
        return this.token('CHAR', lexeme, span);
      }
    }
  }

  private pushInclude(name: string, span: Span): void {
    if (this.stack.length > MAX_INCLUDE_DEPTH) {
      this.report({ code: 'DTS1012', message: 'Includes nested too deeply', span, fatal: true });
      this.fatalSeen = true;
      return;
    }
    const found = this.resolve(name);
    if (!found || 'refused' in found) {
      // dtc's srcfile_relative_open dies with strerror(errno); a file the host cannot give is ENOENT here.
      const why = found ? found.refused : 'No such file or directory';
      this.report({ code: 'DTS1011', message: `Couldn't open "${name}": ${why}`, span, fatal: true });
      this.fatalSeen = true;
      return;
    }
    const text = latin1(found.bytes);
    this.onFile({ name: found.path, text });
    this.stack.push({ name: found.path, text, pos: 0, dir: dirname(found.path) });
  }

  /** dtc-lexer.l: the number is atoi() of the first digits, the name is the escape-processed quoted string. */
  private lineMarker(lexeme: string, span: Span): void {
    const line = parseInt(/[0-9]+/.exec(lexeme)?.[0] ?? '0', 10);
    const quoted = lexeme.slice(lexeme.indexOf('"') + 1, lexeme.lastIndexOf('"'));
    const name = this.escapeString(quoted, span).subarray(0, -1);
    // dtc-lexer.l: a NUL inside the name is a lexical error, and the name ends there.
    const nul = name.indexOf(0);
    if (nul >= 0) this.report({ code: 'DTS1019', message: 'nul in line number directive', span });
    const file = latin1(nul >= 0 ? name.subarray(0, nul) : name);
    this.onLineMarker({ offset: span.start, file, line });
  }

  /** dtc lexer: strtoull(yytext, &e, 0), then only U/L suffix characters may follow; ERANGE is an error. */
  private integerLiteral(lexeme: string, span: Span): bigint {
    const m = /^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)(.*)$/.exec(lexeme);
    const digits = m?.[1] ?? '0';
    const rest = m?.[2] ?? '';
    if (rest !== '' && !/^[UL]*$/.test(rest)) {
      this.report({ code: 'DTS1002', message: `Bad integer literal '${lexeme}'`, span });
    }
    // Anything longer than 64 bits of any base is out of range; check length first so a huge literal stays cheap.
    if (digits.length > 70) {
      this.report({ code: 'DTS1003', message: `Integer literal '${lexeme}' out of range`, span });
      return 0xffffffffffffffffn;
    }
    const value = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
    if (value > 0xffffffffffffffffn) {
      this.report({ code: 'DTS1003', message: `Integer literal '${lexeme}' out of range`, span });
      return 0xffffffffffffffffn;
    }
    return value;
  }

  private charLiteral(lexeme: string, span: Span): bigint {
    const d = this.escapeString(lexeme.slice(1, -1), span);
    if (d.length === 1) {
      this.report({ code: 'DTS1004', message: 'Empty character literal', span });
      return 0n;
    }
    if (d.length > 2) {
      this.report({ code: 'DTS1004', message: `Character literal has ${d.length - 1} characters instead of 1`, span });
    }
    return BigInt(d[0] ?? 0);
  }

  /** dtc data.c data_copy_escape_string + util.c get_escape_char: bytes plus a terminating NUL. */
  escapeString(s: string, span: Span): Uint8Array {
    const out: number[] = [];
    let i = 0;
    while (i < s.length) {
      let c = s.charCodeAt(i++);
      if (c === 0x5c) {
        const e = s[i] ?? '';
        i++;
        switch (e) {
          case 'a': c = 7; break;
          case 'b': c = 8; break;
          case 't': c = 9; break;
          case 'n': c = 10; break;
          case 'v': c = 11; break;
          case 'f': c = 12; break;
          case 'r': c = 13; break;
          case 'x': {
            const m = /^[0-9a-fA-F]{1,2}/.exec(s.slice(i, i + 2));
            if (!m) {
              this.report({ code: 'DTS1005', message: '\\x used with no following hex digits', span, fatal: true });
              this.fatalSeen = true;
              c = 0;
            } else {
              c = parseInt(m[0], 16);
              i += m[0].length;
            }
            break;
          }
          default:
            if (e >= '0' && e <= '7') {
              const m = /^[0-7]{1,3}/.exec(s.slice(i - 1, i + 2));
              c = parseInt(m?.[0] ?? '0', 8) & 0xff;
              i += (m?.[0].length ?? 1) - 1;
            } else c = e.charCodeAt(0) & 0xff;
        }
      }
      out.push(c & 0xff);
    }
    out.push(0);
    return Uint8Array.from(out);
  }
}
