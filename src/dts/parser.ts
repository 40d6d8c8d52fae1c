import {
  addLabel,
  addMarker,
  addOrphanNode,
  appendBytes,
  appendInteger,
  buildNode,
  buildNodeDelete,
  buildProperty,
  buildPropertyDelete,
  deleteNode,
  emptyData,
  getNodeByRef,
  mergeData,
  mergeNodes,
  type Data,
  type LiveNode,
  type LiveProperty,
  type LiveReserve,
} from './build.js';
import { evalBinary, evalUnary, fitsInBits, type BinaryOp } from './expr.js';
import { latin1, Scanner, type Token, type TokenKind } from './scanner.js';
import type { Span } from '../diagnostics/source.js';
import type { DtcFeatures } from './compat.js';
import type { MarkerKind } from './tree.js';

/**
 * Recursive descent over dtc 1.6.1's dtc-parser.y, running the same semantic actions in the same order.
 * Semantic errors (dtc's ERROR macro) are reported and parsing goes on; a syntax error stops it, as bison
 * without error rules does.
 */

export interface ParseProblem {
  code: string;
  message: string;
  span: Span | undefined;
  /** Errors unless said otherwise (dtc 1.7's truncated-value warning). */
  severity?: 'error' | 'warning';
}

export interface ParseResult {
  root: LiveNode | undefined;
  reserves: LiveReserve[];
  plugin: boolean;
}

/** Nesting beyond this (nodes or parentheses) is refused instead of exhausting the stack; bison stops at 10000. */
export const MAX_NESTING = 1000;
const EXPR_WEIGHT = 12;

/**
 * bison's YYMAXDEPTH in dtc's parser. `subnodes` and the labels before a node or property are right-recursive
 * in dtc-parser.y, so every finished sibling and every label waiting for its item holds a stack entry until
 * the enclosing node closes: dtc fails with "memory exhausted" near 10000 of them in one node, at once. The
 * parser counts the same entries and stops there too (before, 10^5 same-name siblings ran for minutes).
 */
const BISON_STACK = 10_000;
/** The stack entries a node's context takes besides its siblings and labels (dtc fails about this early). */
const BISON_CONTEXT = 12;

class ParseAbort extends Error {}

/** dtc-parser.y is_ref_relative: a label reference with a path after it (`label/sub/node`). */
const isRefRelative = (ref: string): boolean => !ref.startsWith('/') && ref.indexOf('/', 1) >= 0;

const join = (a: Span, b: Span): Span => (a.file === b.file ? { file: a.file, start: a.start, end: Math.max(a.end, b.end) } : a);

export class Parser {
  private tok: Token;
  private prevEnd: Span;
  private plugin = false;
  private depth = 0;
  /** Right-recursion entries bison would hold now: finished siblings of every open node (BISON_STACK). */
  private held = 0;
  private fragments = 0;

  constructor(
    private readonly scanner: Scanner,
    private readonly report: (p: ParseProblem) => void,
  ) {
    this.tok = scanner.next();
    this.prevEnd = this.tok.span;
  }

  parse(): ParseResult {
    const reserves: LiveReserve[] = [];
    try {
      this.parseHeaders();
      this.parseMemreserves(reserves);
      const root = this.parseDevicetree();
      if (this.tok.kind !== 'EOF') this.syntaxError();
      return { root, reserves, plugin: this.plugin };
    } catch (e) {
      if (e instanceof ParseAbort) return { root: undefined, reserves, plugin: this.plugin };
      throw e;
    }
  }

  private advance(): Token {
    const t = this.tok;
    this.prevEnd = t.span;
    this.tok = this.scanner.next();
    if (this.scanner.fatal) throw new ParseAbort();
    return t;
  }

  private is(kind: TokenKind, ch?: string): boolean {
    return this.tok.kind === kind && (ch === undefined || this.tok.text === ch);
  }

  private expect(kind: TokenKind, ch?: string): Token {
    if (!this.is(kind, ch)) this.syntaxError();
    return this.advance();
  }

  private syntaxError(): never {
    this.report({ code: 'DTS1001', message: 'syntax error', span: this.tok.span });
    throw new ParseAbort();
  }

  private error(code: string, message: string, span: Span | undefined): void {
    this.report({ code, message, span });
  }

  /** `weight` is roughly the stack frames one level costs: a parenthesis runs through every precedence level. */
  private enter(span: Span, weight = 1): void {
    this.depth += weight;
    if (this.depth > MAX_NESTING) {
      this.error('DTS1015', 'nesting too deep', span);
      throw new ParseAbort();
    }
  }

  /** bison's "memory exhausted": `entries` right-recursion entries on top of the open nodes' context. */
  private hold(entries: number, span: Span): void {
    if (entries + BISON_CONTEXT + this.depth > BISON_STACK) {
      this.error('DTS1022', 'memory exhausted', span);
      throw new ParseAbort();
    }
  }

  private parseHeaders(): void {
    let first: boolean | undefined;
    do {
      const start = this.expect('V1');
      this.expect('CHAR', ';');
      let plugin = false;
      if (this.is('PLUGIN')) {
        this.advance();
        this.expect('CHAR', ';');
        plugin = true;
      }
      if (first === undefined) first = plugin;
      else if (first !== plugin) this.error('DTS1013', "Header flags don't match earlier ones", start.span);
    } while (this.is('V1'));
    this.plugin = first;
  }

  private parseMemreserves(out: LiveReserve[]): void {
    while (this.is('LABEL') || this.is('MEMRESERVE')) {
      const labels: string[] = [];
      while (this.is('LABEL')) labels.push(this.advance().text);
      this.expect('MEMRESERVE');
      const address = this.parseIntegerPrim();
      const size = this.parseIntegerPrim();
      this.expect('CHAR', ';');
      const entry: LiveReserve = { address, size, labels: [] };
      for (const l of labels.reverse()) addLabel(entry.labels, l);
      out.push(entry);
    }
  }

  private parseDevicetree(): LiveNode {
    let root: LiveNode;
    if (this.is('CHAR', '/')) {
      this.advance();
      root = this.parseNodedef();
      root.name = '';
    } else if (this.is('REF')) {
      const ref = this.advance();
      const body = this.parseNodedef();
      if (!this.plugin) this.error('DTS1010', `Label or path ${ref.text} not found`, body.span);
      else this.relativeInPlugin(ref.text, body.span);
      root = buildNode([], []);
      addOrphanNode(root, body, ref.text, this.fragments++);
    } else this.syntaxError();

    for (;;) {
      if (this.is('CHAR', '/')) {
        this.advance();
        mergeNodes(root, this.parseNodedef());
      } else if (this.is('LABEL')) {
        const label = this.advance();
        const ref = this.expect('REF');
        const body = this.parseNodedef();
        const target = getNodeByRef(root, ref.text, this.features);
        if (this.plugin) this.relativeInPlugin(ref.text, label.span);
        if (target) {
          addLabel(target.labels, label.text);
          mergeNodes(target, body);
        } else this.error('DTS1010', `Label or path ${ref.text} not found`, ref.span);
      } else if (this.is('REF')) {
        const ref = this.advance();
        const body = this.parseNodedef();
        // In a plugin a path reference always makes a fragment; a label reference merges when the label is
        // local and makes a fragment otherwise (dtc-parser.y DT_PATH_REF / DT_LABEL_REF rules).
        const pathRef = ref.pathRef === true;
        if (this.plugin && pathRef) this.relativeInPlugin(ref.text, ref.span);
        const target = this.plugin && pathRef ? undefined : getNodeByRef(root, ref.text, this.features);
        if (target) mergeNodes(target, body);
        else if (this.plugin) addOrphanNode(root, body, ref.text, this.fragments++);
        else this.error('DTS1010', `Label or path ${ref.text} not found`, ref.span);
      } else if (this.is('DEL_NODE') || this.is('OMIT_NO_REF')) {
        const keyword = this.advance();
        const ref = this.expect('REF');
        this.expect('CHAR', ';');
        const target = getNodeByRef(root, ref.text, this.features);
        if (!target) this.error('DTS1010', `Label or path ${ref.text} not found`, ref.span);
        else if (keyword.kind === 'DEL_NODE') deleteNode(target, join(keyword.span, this.prevEnd));
        else target.omitIfUnused = true;
      } else return root;
    }
  }

  /** dtc 1.7: an overlay cannot carry a label-relative target (the label is resolved only when applied). */
  private relativeInPlugin(ref: string, span: Span | undefined): void {
    if (this.features.labelRelativeRefs && isRefRelative(ref)) this.error('DTS1017', `Label-relative reference ${ref} not supported in plugin`, span);
  }

  private get features(): DtcFeatures {
    return this.scanner.features;
  }

  private parseNodedef(): LiveNode {
    const open = this.expect('CHAR', '{');
    this.enter(open.span);
    const props: LiveProperty[] = [];
    const children: LiveNode[] = [];
    for (;;) {
      if (this.is('CHAR', '}')) break;
      const labels: Token[] = [];
      let omit = false;
      // Labels and /omit-if-no-ref/ prefix a subnode in any order; only labels can prefix a property.
      while (this.is('LABEL') || this.is('OMIT_NO_REF')) {
        const t = this.advance();
        this.hold(this.held + labels.length + 1, t.span);
        if (t.kind === 'LABEL') labels.push(t);
        else omit = true;
      }
      let prop: LiveProperty | undefined;
      let child: LiveNode | undefined;
      if (this.is('DEL_PROP') && !omit) {
        const kw = this.advance();
        const name = this.expect('PROPNODENAME');
        this.expect('CHAR', ';');
        prop = buildPropertyDelete(name.text, join(kw.span, this.prevEnd));
      } else if (this.is('DEL_NODE')) {
        const kw = this.advance();
        const name = this.expect('PROPNODENAME');
        this.expect('CHAR', ';');
        child = buildNodeDelete(join(kw.span, this.prevEnd));
        child.name = name.text;
      } else if (this.is('PROPNODENAME')) {
        const name = this.advance();
        if (this.is('CHAR', '{')) {
          child = this.parseNodedef();
          child.name = name.text;
        } else if (!omit && this.is('CHAR', '=')) {
          this.advance();
          const data = this.parsePropdata();
          this.expect('CHAR', ';');
          // dtc's propdef location starts at the name (its labels are a rule around it).
          prop = buildProperty(name.text, data, join(name.span, this.prevEnd));
        } else if (!omit && this.is('CHAR', ';')) {
          this.advance();
          prop = buildProperty(name.text, emptyData(), join(name.span, this.prevEnd));
        } else this.syntaxError();
      } else this.syntaxError();

      if (prop) {
        if (children.length > 0) {
          this.error('DTS1014', 'Properties must precede subnodes', prop.span);
          throw new ParseAbort();
        }
        for (const l of labels.reverse()) addLabel(prop.labels, l.text);
        props.push(prop);
      } else if (child) {
        if (omit) child.omitIfUnused = true;
        for (const l of labels.reverse()) addLabel(child.labels, l.text);
        children.push(child);
        this.hold(this.held + 1, this.prevEnd);
        this.held++;
      }
    }
    this.advance();
    this.expect('CHAR', ';');
    this.held -= children.length;
    this.depth--;
    return buildNode(props, children, join(open.span, this.prevEnd));
  }

  private parsePropdata(): Data {
    const d = emptyData();
    for (;;) {
      while (this.is('LABEL')) addMarker(d, 'label', this.advance().text);
      const t = this.tok;
      if (t.kind === 'STRING') {
        this.advance();
        const s = emptyData();
        addMarker(s, 'type-string');
        appendBytes(s, t.bytes);
        mergeData(d, s);
      } else if (t.kind === 'BITS' || (t.kind === 'CHAR' && t.text === '<')) {
        mergeData(d, this.parseArray());
      } else if (t.kind === 'CHAR' && t.text === '[') {
        this.advance();
        const b = emptyData();
        addMarker(b, 'type-u8');
        while (!this.is('CHAR', ']')) {
          if (this.is('BYTE')) b.bytes.push(Number(this.advance().value));
          else if (this.is('LABEL')) addMarker(b, 'label', this.advance().text);
          else this.syntaxError();
        }
        this.advance();
        mergeData(d, b);
      } else if (t.kind === 'REF') {
        this.advance();
        addMarker(d, 'type-string', t.text, t.span);
        addMarker(d, 'ref-path', t.text, t.span);
      } else if (t.kind === 'INCBIN') {
        mergeData(d, this.parseIncbin());
      } else this.syntaxError();
      while (this.is('LABEL')) addMarker(d, 'label', this.advance().text);
      if (!this.is('CHAR', ',')) return d;
      this.advance();
    }
  }

  private parseIncbin(): Data {
    const kw = this.advance();
    this.expect('CHAR', '(');
    const nameTok = this.expect('STRING');
    let offset = 0n;
    let length: bigint | undefined;
    if (this.is('CHAR', ',')) {
      this.advance();
      offset = this.parseIntegerPrim();
      this.expect('CHAR', ',');
      length = this.parseIntegerPrim();
    }
    this.expect('CHAR', ')');
    const nul = nameTok.bytes.indexOf(0);
    const name = latin1(nameTok.bytes.subarray(0, nul < 0 ? nameTok.bytes.length : nul));
    const found = this.scanner.resolve(name);
    if (!found || 'refused' in found) {
      // dtc's srcfile_relative_open dies with strerror(errno); a file the host cannot give is ENOENT here.
      const why = found ? found.refused : 'No such file or directory';
      this.error('DTS1011', `Couldn't open "${name}": ${why}`, join(kw.span, this.prevEnd));
      throw new ParseAbort();
    }
    // dtc-parser.y: fseek() takes the offset as a signed long, so from 2^63 on it is EINVAL and dtc dies.
    if (offset >= 1n << 63n) {
      this.error('DTS1020', `Couldn't seek to offset ${offset} in "${name}": Invalid argument`, join(kw.span, this.prevEnd));
      throw new ParseAbort();
    }
    // data.c data_copy_file() sizes its buffer with an unsigned int and reads `length` bytes into it with one
    // fread(): a length of 2^32 or more (all ones aside, "to the end") dies with EFAULT on Linux, or overruns
    // dtc's heap where the truncated size is small. No property can hold that much: refuse it, as dtc fails.
    if (length !== undefined && length >= 1n << 32n && length !== (1n << 64n) - 1n) {
      this.error('DTS1020', `Error reading file into data: Bad address (length ${length} of "${name}")`, join(kw.span, this.prevEnd));
      throw new ParseAbort();
    }
    const start = offset > BigInt(found.bytes.length) ? found.bytes.length : Number(offset);
    const size = BigInt(found.bytes.length);
    const end = length === undefined || BigInt(start) + length > size ? found.bytes.length : start + Number(length);
    return appendBytes(emptyData(), found.bytes.subarray(start, end));
  }

  private parseArray(): Data {
    let bits = 32;
    let type: MarkerKind = 'type-u32';
    if (this.is('BITS')) {
      this.advance();
      const lit = this.expect('LITERAL');
      const types: Record<string, MarkerKind> = { '8': 'type-u8', '16': 'type-u16', '32': 'type-u32', '64': 'type-u64' };
      const t = types[lit.value.toString()];
      if (t) {
        type = t;
        bits = Number(lit.value);
      } else this.error('DTS1008', 'Array elements must be 8, 16, 32 or 64-bits', lit.span);
    }
    this.expect('CHAR', '<');
    const d = emptyData();
    addMarker(d, type);
    for (;;) {
      if (this.is('CHAR', '>')) {
        this.advance();
        return d;
      }
      if (this.is('REF')) {
        const ref = this.advance();
        if (bits === 32) addMarker(d, 'ref-phandle', ref.text, ref.span);
        else this.error('DTS1009', 'References are only allowed in arrays with 32-bit elements.', ref.span);
        appendInteger(d, (1n << BigInt(bits)) - 1n, bits);
      } else if (this.is('LABEL')) {
        addMarker(d, 'label', this.advance().text);
      } else {
        const start = this.tok.span;
        const v = this.parseIntegerPrim();
        const mask = (1n << BigInt(bits)) - 1n;
        if (!fitsInBits(v, bits)) {
          const span = join(start, this.prevEnd);
          if (!this.features.truncationWarns) this.error('DTS1006', `Value out of range for ${bits}-bit array element`, span);
          else {
            const hex = (x: bigint, width: number): string => x.toString(16).padStart(width, '0');
            this.report({ code: 'DTS1018', severity: 'warning', message: `Value 0x${hex(v, 16)} truncated to 0x${hex(v & mask, bits / 4)}`, span });
          }
        }
        appendInteger(d, v & mask, bits);
      }
    }
  }

  private parseIntegerPrim(): bigint {
    if (this.is('LITERAL') || this.is('CHAR_LITERAL')) return this.advance().value;
    const open = this.expect('CHAR', '(');
    this.enter(open.span, EXPR_WEIGHT);
    const v = this.parseTernary();
    this.expect('CHAR', ')');
    this.depth -= EXPR_WEIGHT;
    return v;
  }

  private parseTernary(): bigint {
    const cond = this.parseBinary(0);
    if (!this.is('CHAR', '?')) return cond;
    this.advance();
    this.enter(this.prevEnd, EXPR_WEIGHT);
    const a = this.parseTernary();
    this.expect('CHAR', ':');
    const b = this.parseTernary();
    this.depth -= EXPR_WEIGHT;
    return cond !== 0n ? a : b;
  }

  /** Precedence climbing over dtc's levels, lowest first; every level is left-associative. */
  private static readonly LEVELS: readonly (readonly BinaryOp[])[] = [
    ['||'],
    ['&&'],
    ['|'],
    ['^'],
    ['&'],
    ['==', '!='],
    ['<', '>', '<=', '>='],
    ['<<', '>>'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private currentOp(): BinaryOp | undefined {
    const t = this.tok;
    switch (t.kind) {
      case 'LSHIFT': return '<<';
      case 'RSHIFT': return '>>';
      case 'LE': return '<=';
      case 'GE': return '>=';
      case 'EQ': return '==';
      case 'NE': return '!=';
      case 'AND': return '&&';
      case 'OR': return '||';
      case 'CHAR': return ['*', '/', '%', '+', '-', '<', '>', '&', '^', '|'].includes(t.text) ? (t.text as BinaryOp) : undefined;
      default: return undefined;
    }
  }

  private parseBinary(level: number): bigint {
    const ops = Parser.LEVELS[level];
    if (!ops) return this.parseUnary();
    const startSpan = this.tok.span;
    let left = this.parseBinary(level + 1);
    for (;;) {
      const op = this.currentOp();
      if (!op || !ops.includes(op)) return left;
      this.advance();
      const right = this.parseBinary(level + 1);
      const v = evalBinary(op, left, right);
      if (v === undefined) {
        this.error('DTS1007', 'Division by zero', join(startSpan, this.prevEnd));
        left = 0n;
      } else left = v;
    }
  }

  private parseUnary(): bigint {
    if (this.is('CHAR', '-') || this.is('CHAR', '~') || this.is('CHAR', '!')) {
      const op = this.advance().text as '-' | '~' | '!';
      this.enter(this.prevEnd);
      const v = evalUnary(op, this.parseUnary());
      this.depth--;
      return v;
    }
    return this.parseIntegerPrim();
  }
}
