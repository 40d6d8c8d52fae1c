/**
 * Hand-written matchers for the DTS tokens whose length is unbounded. Each follows the dtc-lexer.l rule quoted
 * above it, which the scanner's table keeps as a regex: V8 runs `(x|y)*` with one backtracking entry per
 * character, so the regex overflows the stack on a 50 MB string, while these loops run in constant space.
 * Each returns the length of the match at `pos`, or -1.
 */

/** `"([^\\"]|\\.)*"` (dtc-lexer.l; flex's `.` is anything but a newline). */
export function matchString(text: string, pos: number): number {
  if (text.charCodeAt(pos) !== 0x22) return -1;
  for (let i = pos + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) return i + 1 - pos;
    if (c === 0x5c) {
      if (i + 1 >= text.length || text.charCodeAt(i + 1) === 0x0a) return -1;
      i++;
    }
  }
  return -1;
}

/**
 * `'((\\')|[^'])*'`, longest match as flex takes it: every quote closes a candidate, and the literal goes on
 * past a quote only when a backslash inside the literal stands before it (`\'` is then one character).
 */
export function matchCharLiteral(text: string, pos: number): number {
  if (text.charCodeAt(pos) !== 0x27) return -1;
  let best = -1;
  for (let i = pos + 1; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x27) continue;
    best = i + 1 - pos;
    if (i - 1 <= pos || text.charCodeAt(i - 1) !== 0x5c) break;
  }
  return best;
}

/** `(/\*([^*]|\*+[^*\/])*\*+\/)+`: one or more C comments back to back. */
export function matchBlockComments(text: string, pos: number): number {
  let end = pos;
  while (text.startsWith('/*', end)) {
    const close = text.indexOf('*/', end + 2);
    if (close < 0) break;
    end = close + 2;
  }
  return end === pos ? -1 : end - pos;
}

/** `(\/\/[^\n]*\n)+`: consecutive line comments, each ended by its newline. */
export function matchLineComments(text: string, pos: number): number {
  let end = pos;
  while (text.startsWith('//', end)) {
    const nl = text.indexOf('\n', end + 2);
    if (nl < 0) break;
    end = nl + 1;
  }
  return end === pos ? -1 : end - pos;
}

