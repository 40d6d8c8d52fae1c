/**
 * dtc's integer expressions (dtc-parser.y integer_* rules): every value is a C uint64_t, so arithmetic wraps
 * modulo 2^64, comparisons and division are unsigned, and shifts by 64 or more give 0.
 */

export const U64_MASK = 0xffffffffffffffffn;

export const u64 = (v: bigint): bigint => v & U64_MASK;

export type BinaryOp = '*' | '/' | '%' | '+' | '-' | '<<' | '>>' | '<' | '>' | '<=' | '>=' | '==' | '!=' | '&' | '^' | '|' | '&&' | '||';

/** Returns undefined for division by zero, which dtc reports as an error and replaces with 0. */
export function evalBinary(op: BinaryOp, a: bigint, b: bigint): bigint | undefined {
  const bool = (x: boolean): bigint => (x ? 1n : 0n);
  switch (op) {
    case '*':
      return u64(a * b);
    case '/':
      return b === 0n ? undefined : a / b;
    case '%':
      return b === 0n ? undefined : a % b;
    case '+':
      return u64(a + b);
    case '-':
      return u64(a - b);
    case '<<':
      return b < 64n ? u64(a << b) : 0n;
    case '>>':
      return b < 64n ? a >> b : 0n;
    case '<':
      return bool(a < b);
    case '>':
      return bool(a > b);
    case '<=':
      return bool(a <= b);
    case '>=':
      return bool(a >= b);
    case '==':
      return bool(a === b);
    case '!=':
      return bool(a !== b);
    case '&':
      return a & b;
    case '^':
      return a ^ b;
    case '|':
      return a | b;
    case '&&':
      return bool(a !== 0n && b !== 0n);
    case '||':
      return bool(a !== 0n || b !== 0n);
  }
}

export function evalUnary(op: '-' | '~' | '!', a: bigint): bigint {
  switch (op) {
    case '-':
      return u64(-a);
    case '~':
      return u64(~a);
    case '!':
      return a === 0n ? 1n : 0n;
  }
}

/**
 * The /bits/ range rule of dtc 1.6.1's arrayprefix: bits above the element width must be all zero, or all
 * one (a negative value sign-extended).
 */
export function fitsInBits(value: bigint, bits: number): boolean {
  if (bits >= 64) return true;
  const mask = (1n << BigInt(bits)) - 1n;
  return value <= mask || (value | mask) === U64_MASK;
}
