/**
 * `#if` expression evaluation (C17 6.10.1, libcpp `expr.cc`): intmax_t/uintmax_t arithmetic on 64
 * bits, the usual arithmetic conversions, short-circuit operators that do not report errors in their
 * unevaluated operand. Input is the already macro-expanded token list with `defined` resolved.
 */
import { TokType } from './preprocess-lexer.js';

export interface ExprToken {
  readonly type: TokType;
  readonly text: string;
}

interface Value {
  v: bigint;
  unsigned: boolean;
}

export class ExprError extends Error {
  override readonly name = 'ExprError';
}

/** Deeper nesting than this is reported instead of overflowing the JavaScript stack. */
const MAX_DEPTH = 512;

const BINARY_PRECEDENCE: Readonly<Record<string, number>> = {
  '*': 10,
  '/': 10,
  '%': 10,
  '+': 9,
  '-': 9,
  '<<': 8,
  '>>': 8,
  '<': 7,
  '>': 7,
  '<=': 7,
  '>=': 7,
  '==': 6,
  '!=': 6,
  '&': 5,
  '^': 4,
  '|': 3,
  '&&': 2,
  '||': 1,
};

function wrap(v: bigint, unsigned: boolean): Value {
  return { v: unsigned ? BigInt.asUintN(64, v) : BigInt.asIntN(64, v), unsigned };
}

/** Value of a pp-number in an `#if`, or an error for floats and bad suffixes (libcpp cpp_classify_number). */
export function parseIntegerLiteral(text: string): Value {
  const m = /^(0[xX][0-9a-fA-F]+|0[bB][01]+|[0-9]+)([uUlL]*)$/.exec(text);
  if (!m) {
    if (/^(0[xX][0-9a-fA-F.]*[pP]|[0-9.]+[eE]|[0-9]*\.)/.test(text))
      throw new ExprError('floating constant in preprocessor expression');
    throw new ExprError(`invalid integer constant "${text}" in #if`);
  }
  const digits = m[1] ?? '0';
  const suffix = (m[2] ?? '').toLowerCase();
  if (!['', 'u', 'l', 'ul', 'lu', 'll', 'ull', 'llu'].includes(suffix) || /lL|Ll/.test(m[2] ?? ''))
    throw new ExprError(`invalid suffix "${m[2] ?? ''}" on integer constant`);
  let v: bigint;
  if (/^0[bB]/.test(digits)) v = BigInt(digits);
  else if (/^0[xX]/.test(digits)) v = BigInt(digits);
  else if (digits.length > 1 && digits.startsWith('0')) {
    if (/[89]/.test(digits)) throw new ExprError(`invalid digit in octal constant "${text}"`);
    v = BigInt('0o' + digits.slice(1));
  } else v = BigInt(digits);
  if (v > 0xffffffffffffffffn) throw new ExprError(`integer constant "${text}" is too large for its type`);
  // A constant too big for intmax_t is unsigned (libcpp "integer constant is so large that it is unsigned").
  const unsigned = suffix.includes('u') || v > 0x7fffffffffffffffn;
  return wrap(v, unsigned);
}

const SIMPLE_ESCAPES: Readonly<Record<string, number>> = {
  n: 10,
  t: 9,
  r: 13,
  a: 7,
  b: 8,
  f: 12,
  v: 11,
  e: 27,
  '\\': 92,
  "'": 39,
  '"': 34,
  '?': 63,
};

/** Value of a character constant: the last character, as a signed char for one byte (GCC's rule). */
export function parseCharLiteral(text: string): Value {
  const body = text.slice(text.indexOf("'") + 1, -1);
  const chars: number[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i] ?? '';
    if (c !== '\\') {
      chars.push(body.charCodeAt(i));
      continue;
    }
    const e = body[++i] ?? '';
    const simple = SIMPLE_ESCAPES[e];
    if (simple !== undefined) chars.push(simple);
    else if (e === 'x') {
      const m = /^[0-9a-fA-F]+/.exec(body.slice(i + 1)) ?? [''];
      chars.push(parseInt(m[0] || '0', 16) & 0xff);
      i += m[0].length;
    } else if (/[0-7]/.test(e)) {
      const m = /^[0-7]{1,3}/.exec(body.slice(i)) ?? ['0'];
      chars.push(parseInt(m[0], 8) & 0xff);
      i += m[0].length - 1;
    } else chars.push(body.charCodeAt(i));
  }
  if (chars.length === 0) throw new ExprError('empty character constant');
  let v = 0n;
  for (const c of chars) v = BigInt.asIntN(32, (v << 8n) | BigInt(c & 0xff));
  if (chars.length === 1) v = BigInt.asIntN(8, v);
  return { v, unsigned: false };
}

/** Evaluates an expanded `#if` expression; throws ExprError for malformed input. */
export function evaluateExpression(tokens: readonly ExprToken[]): bigint {
  if (tokens.length === 0) throw new ExprError('#if with no expression');
  let pos = 0;
  let depth = 0;

  const peek = (): ExprToken | undefined => tokens[pos];
  const isPunct = (t: ExprToken | undefined, s: string): boolean => t?.type === TokType.Punct && t.text === s;

  function expect(s: string): void {
    if (!isPunct(peek(), s)) throw new ExprError(`expected '${s}' in #if expression`);
    pos++;
  }

  function primary(live: boolean): Value {
    const t = tokens[pos++];
    if (!t) throw new ExprError('#if expression ends early');
    switch (t.type) {
      case TokType.Number:
        return parseIntegerLiteral(t.text);
      case TokType.Char:
      case TokType.PrefixedLiteral:
        if (!t.text.endsWith("'")) throw new ExprError('string in #if expression');
        return parseCharLiteral(t.text);
      case TokType.Name:
        // C17 6.10.1p4: identifiers left after expansion are 0.
        return { v: 0n, unsigned: false };
      case TokType.Punct:
        if (t.text === '(') {
          const v = comma(live);
          expect(')');
          return v;
        }
        if (t.text === '-' || t.text === '+' || t.text === '~' || t.text === '!') {
          const operand = unary(live);
          if (t.text === '-') return wrap(-operand.v, operand.unsigned);
          if (t.text === '+') return operand;
          if (t.text === '~') return wrap(~operand.v, operand.unsigned);
          return { v: operand.v === 0n ? 1n : 0n, unsigned: false };
        }
        throw new ExprError(`token "${t.text}" is not valid in preprocessor expressions`);
      default:
        throw new ExprError(`token "${t.text}" is not valid in preprocessor expressions`);
    }
  }

  function unary(live: boolean): Value {
    if (++depth > MAX_DEPTH) throw new ExprError('#if expression nested too deeply');
    try {
      return primary(live);
    } finally {
      depth--;
    }
  }

  function binary(op: string, a: Value, b: Value, live: boolean): Value {
    const unsigned = a.unsigned || b.unsigned;
    const x = unsigned ? BigInt.asUintN(64, a.v) : a.v;
    const y = unsigned ? BigInt.asUintN(64, b.v) : b.v;
    switch (op) {
      case '*':
        return wrap(x * y, unsigned);
      case '/':
      case '%':
        if (y === 0n) {
          if (live) throw new ExprError('division by zero in #if');
          return { v: 0n, unsigned };
        }
        return wrap(op === '/' ? x / y : x % y, unsigned);
      case '+':
        return wrap(x + y, unsigned);
      case '-':
        return wrap(x - y, unsigned);
      case '<<':
      case '>>': {
        // The result has the left operand's type; a negative count shifts the other way (libcpp num_lshift).
        const left = a.unsigned ? BigInt.asUintN(64, a.v) : a.v;
        let count = b.unsigned ? BigInt.asUintN(64, b.v) : b.v;
        let toLeft = op === '<<';
        if (count < 0n) {
          count = -count;
          toLeft = !toLeft;
        }
        if (count >= 64n) return { v: toLeft || !(left < 0n) ? 0n : -1n, unsigned: a.unsigned };
        return wrap(toLeft ? left << count : left >> count, a.unsigned);
      }
      case '<':
        return { v: x < y ? 1n : 0n, unsigned: false };
      case '>':
        return { v: x > y ? 1n : 0n, unsigned: false };
      case '<=':
        return { v: x <= y ? 1n : 0n, unsigned: false };
      case '>=':
        return { v: x >= y ? 1n : 0n, unsigned: false };
      case '==':
        return { v: x === y ? 1n : 0n, unsigned: false };
      case '!=':
        return { v: x !== y ? 1n : 0n, unsigned: false };
      case '&':
        return wrap(x & y, unsigned);
      case '^':
        return wrap(x ^ y, unsigned);
      case '|':
        return wrap(x | y, unsigned);
      default:
        throw new ExprError(`unknown operator ${op}`);
    }
  }

  /** Precedence climbing over the binary operators; `live` is false in an unevaluated operand. */
  function climb(minPrec: number, live: boolean): Value {
    let left = unary(live);
    for (;;) {
      const t = peek();
      if (t?.type !== TokType.Punct) return left;
      const prec = BINARY_PRECEDENCE[t.text];
      if (prec === undefined || prec < minPrec) return left;
      pos++;
      if (t.text === '&&' || t.text === '||') {
        const decided = t.text === '&&' ? left.v === 0n : left.v !== 0n;
        const right = climb(prec + 1, live && !decided);
        const truth = t.text === '&&' ? left.v !== 0n && right.v !== 0n : left.v !== 0n || right.v !== 0n;
        left = { v: truth ? 1n : 0n, unsigned: false };
      } else {
        const right = climb(prec + 1, live);
        left = binary(t.text, left, right, live);
      }
    }
  }

  function conditional(live: boolean): Value {
    if (++depth > MAX_DEPTH) throw new ExprError('#if expression nested too deeply');
    try {
      const cond = climb(1, live);
      if (!isPunct(peek(), '?')) return cond;
      pos++;
      const yes = comma(live && cond.v !== 0n);
      expect(':');
      const no = conditional(live && cond.v === 0n);
      const unsigned = yes.unsigned || no.unsigned;
      return wrap(cond.v !== 0n ? yes.v : no.v, unsigned);
    } finally {
      depth--;
    }
  }

  function comma(live: boolean): Value {
    let v = conditional(live);
    while (isPunct(peek(), ',')) {
      pos++;
      v = conditional(live);
    }
    return v;
  }

  const result = comma(true);
  if (pos < tokens.length) throw new ExprError(`missing binary operator before token "${tokens[pos]?.text ?? ''}"`);
  return result.v;
}
