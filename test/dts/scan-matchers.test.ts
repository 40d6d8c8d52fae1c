import test from 'ava';
import fc from 'fast-check';
import {
  matchBlockComments,
  matchCharLiteral,
  matchLineComments,
  matchString,
} from '../../src/dts/scan-matchers.js';

// The scanner's hand-written matchers against the regexes they replace (the ones the scanner used before, as
// dtc-lexer.l writes them), on short texts over the characters that matter, with a fixed seed.
const sticky = (s: string): RegExp => new RegExp(s, 'y');
const PAIRS: [string, RegExp, (text: string, pos: number) => number][] = [
  ['string', sticky('"(?:[^\\\\"]|\\\\[^\\n])*"'), matchString],
  ['char literal', sticky("'(?:\\\\'|[^'])*'"), matchCharLiteral],
  ['block comments', sticky('(?:/\\*(?:[^*]|\\*+[^*/])*\\*+/)+'), matchBlockComments],
  ['line comments', sticky('(?://[^\\n]*\\n)+'), matchLineComments],
];
const CHARS = fc.constantFrom('"', "'", '\\', '/', '*', '\n', 'a', ' ');

for (const [name, re, match] of PAIRS) {
  test(`${name}: the matcher finds the regex's match on any text`, (t) => {
    fc.assert(
      fc.property(fc.constantFrom('"', "'", '/'), fc.array(CHARS, { maxLength: 24 }), fc.nat(3), (first, rest, pos) => {
        const text = 'x'.repeat(pos) + first + rest.join('');
        re.lastIndex = pos;
        const expected = re.exec(text)?.[0].length ?? -1;
        return match(text, pos) === expected;
      }),
      { seed: 0x5ca7, numRuns: 20_000 },
    );
    t.pass();
  });
}

test('a 50 MB string, char literal and comment are matched in constant stack', (t) => {
  const body = 'a\\n'.repeat(17_000_000);
  t.is(matchString(`"${body}"`, 0), body.length + 2);
  t.is(matchCharLiteral(`'${body}'`, 0), body.length + 2);
  t.is(matchBlockComments(`/*${body}*/`, 0), body.length + 4);
  // The regex the string rule used before overflows V8's backtracking stack on the same input.
  t.throws(() => sticky('"(?:[^\\\\"]|\\\\[^\\n])*"').exec(`"${body}"`), { instanceOf: RangeError });
});
