import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { preprocess, PreprocessCache, PP, type PreprocessHost } from '../../src/dts/preprocess.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, 'preprocess-fixtures');

/** Reads fixture files by paths relative to this test's directory, as cpp sees them with that cwd. */
const diskHost: PreprocessHost = {
  readFile(path) {
    try {
      return readFileSync(join(here, path), 'latin1');
    } catch {
      return undefined;
    }
  },
};

/** In-memory files for cases that need no reference run. */
function memoryHost(files: Record<string, string>): PreprocessHost & { reads: string[] } {
  const reads: string[] = [];
  return {
    reads,
    readFile(path) {
      reads.push(path);
      return files[path];
    },
  };
}

const cppAvailable = spawnSync('cpp', ['--version'], { stdio: 'ignore' }).status === 0;

/** The kernel's invocation (scripts/Makefile.lib dtc_cpp_flags). */
function systemCpp(file: string, includeDirs: readonly string[], extra: readonly string[] = []): { text: string; status: number | null } {
  const args = ['-nostdinc', ...includeDirs.flatMap((d) => ['-I', d]), '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', ...extra, file];
  const r = spawnSync('cpp', args, { cwd: here, encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'] });
  return { text: r.stdout, status: r.status };
}

const differential = cppAvailable ? test : test.skip;
if (!cppAvailable) console.log('preprocess.test: system cpp not installed; differential tests skipped');

differential('fixture output is byte-identical to cpp -x assembler-with-cpp', (t) => {
  const include = relative(here, join(fixtures, 'include'));
  const file = relative(here, join(fixtures, 'main.dts'));
  const ref = systemCpp(file, [include]);
  t.is(ref.status, 0);
  const ours = preprocess(file, diskHost, { includeDirs: [include] });
  t.deepEqual(ours.diagnostics, []);
  t.is(ours.text, ref.text);
});

/** Small inputs that exercise one cpp rule each; the expected text is whatever cpp prints. */
const snippets: Record<string, string> = {
  'avoid-paste': '#define E(x) x\nE(-)E(-) E(1)E(2) .E(1) a/E(/)b E(+)+ E(<)<\n#define P(a,b) a##b\nP(-,>) P(<,<) P(1,e)+ P(/,/) P(a,1)\n',
  'hash-after-empty-expansion': '#define X\nX#a\nX\n#address-cells\n  # 5 "x"\n#\n',
  'unterminated-quote': "#define B 7\ns = B's B;\nq = \"open B\nt = B;\n",
  'stringify-and-va': '#define S(x) #x\n#define V(a, ...) a __VA_ARGS__ S(__VA_ARGS__)\nS( "a\\\\b"  \'c\' ) V(1) V(1, 2,3)\n',
  'multiline-invocation': '#define F(a, b) <a b>\nx = F(1,\n\n  2);\ny = F\n(3, 4);\nz = F;\n',
  'blank-runs-and-markers': 'a\n\n\n\n\n\n\n\nb\n\n\n\n\n\n\n\n\nc\n',
  'conditionals': '#if 0\n#error no\n#elif 1 ? 2 : (1/0)\nyes1\n#else\nno\n#endif\n#ifdef __DTS__\nyes2\n#endif\n#if __STDC__ && __ASSEMBLER__ && !defined(__GNUC__)\nyes3\n#endif\n#if -1 < 0u\nno\n#else\nyes4\n#endif\n',
  'recursion-painted-blue': '#define foo foo + 1\n#define f(x) x f\nfoo f(1)(2)\n#define g g\ng\n',
  'comments-and-columns': '\t\t/* c */ a /* multi\nline */ b\n  /* x\n */  c\n\td // e\n',
  'splices': '#define LONG 1 + \\\n 2\nv = LONG; w = LO\\\nNG;\nafter\n',
};

for (const [name, source] of Object.entries(snippets)) {
  differential(`snippet ${name} matches cpp`, (t) => {
    const path = `snippet-${name}.dts`;
    const r = spawnSync('cpp', ['-nostdinc', '-undef', '-D__DTS__', '-x', 'assembler-with-cpp', '-o', '-', '-'], {
      input: source,
      encoding: 'latin1',
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    // cpp names stdin "<stdin>"; compare with our output for the same name.
    const ours = preprocess('<stdin>', memoryHost({ '<stdin>': source }));
    t.is(ours.text, r.stdout, path);
  });
}

test('an include cycle ends in DTS5002 at the depth cpp allows, not a hang', (t) => {
  const ours = preprocess('preprocess-fixtures/cycle.dts', diskHost);
  const codes = ours.diagnostics.map((d) => d.code);
  t.true(codes.includes(PP.includeDepth));
  t.regex(ours.diagnostics.find((d) => d.code === PP.includeDepth)?.message ?? '', /200/);
});

test('a missing include is DTS5001 with the span of the #include line', (t) => {
  const src = '/dts-v1/;\n#include "nope.dtsi"\n';
  const ours = preprocess('a.dts', memoryHost({ 'a.dts': src }), { includeDirs: ['inc'] });
  const d = ours.diagnostics[0];
  t.is(d?.code, PP.includeNotFound);
  t.is(d?.span?.file, 'a.dts');
  t.is(src.slice(d?.span?.start ?? 0, d?.span?.end ?? 0), '#include "nope.dtsi"');
});

test('include search: the includer directory for "..." then -I dirs; <...> only -I dirs', (t) => {
  const host = memoryHost({ 'dts/a.dts': '#include "x.h"\n#include <y.h>\n', 'dts/x.h': 'quote\n', 'inc/y.h': 'angle\n', 'dts/y.h': 'wrong\n' });
  const ours = preprocess('dts/a.dts', host, { includeDirs: ['inc/'] });
  t.deepEqual(ours.diagnostics, []);
  t.regex(ours.text, /# 1 "dts\/x.h" 1\nquote\n/);
  t.regex(ours.text, /# 1 "inc\/y.h" 1\nangle\n/);
  t.false(host.reads.includes('dts/y.h'));
});

test('runaway macro expansion ends in DTS5010 within the budget', (t) => {
  // Each level doubles: 2^40 tokens if nothing stopped it.
  let src = '#define m0 x x\n';
  for (let i = 1; i <= 40; i++) src += `#define m${i} m${i - 1} m${i - 1}\n`;
  src += 'm40\n';
  const start = performance.now();
  const ours = preprocess('a.dts', memoryHost({ 'a.dts': src }), { limits: { expansionTokens: 100_000 } });
  t.true(performance.now() - start < 2000);
  t.true(ours.diagnostics.some((d) => d.code === PP.expansionLimit));
});

test('deeply nested macro arguments end in DTS5012, not a stack overflow', (t) => {
  const nested = (depth: number): string => '#define F(x) x\n' + 'F('.repeat(depth) + '1' + ')'.repeat(depth) + '\n';
  const codes = (depth: number): string[] => preprocess('a.dts', memoryHost({ 'a.dts': nested(depth) })).diagnostics.map((d) => d.code);
  t.deepEqual(codes(300), [PP.nestingLimit]);
  // Deeper, the pre-expanded arguments reach the token limit first (each level copies the rest): still a limit.
  t.deepEqual(codes(5000), [PP.expansionLimit]);
});

test('deeply nested #if parentheses are a DTS5007 diagnostic', (t) => {
  const src = '#if ' + '('.repeat(100_000) + '1' + ')'.repeat(100_000) + '\nx\n#endif\n';
  const ours = preprocess('a.dts', memoryHost({ 'a.dts': src }));
  t.true(ours.diagnostics.some((d) => d.code === PP.badExpression));
});

test('output size is bounded by DTS5011', (t) => {
  const src = 'a'.repeat(1000) + '\n#include "a.dts"\n';
  const ours = preprocess('a.dts', memoryHost({ 'a.dts': src }), { limits: { outputChars: 50_000 } });
  t.true(ours.diagnostics.some((d) => d.code === PP.outputLimit));
  t.true(ours.text.length <= 51_000);
});

test('conditional errors: unterminated #if, stray #endif, #else after #else, #error', (t) => {
  const codes = (src: string): string[] => preprocess('a.dts', memoryHost({ 'a.dts': src })).diagnostics.map((d) => d.code);
  t.deepEqual(codes('#if 1\n'), [PP.unterminatedConditional]);
  t.deepEqual(codes('#endif\n'), [PP.unbalancedConditional]);
  t.deepEqual(codes('#if 0\n#else\n#else\n#endif\n'), [PP.unbalancedConditional]);
  t.deepEqual(codes('#error stop here\n'), [PP.errorDirective]);
  t.deepEqual(codes('#warning careful\n'), [PP.warningDirective]);
  t.deepEqual(codes('#if 1/0\n#endif\n'), [PP.badExpression]);
  t.deepEqual(codes('#if 0 && 1/0\n#endif\n'), []);
  t.deepEqual(codes('#define F(a) a\nF(1, 2)\n'), [PP.badInvocation]);
  t.deepEqual(codes('#define F(a) a\nF(1\n'), [PP.badInvocation]);
  t.deepEqual(codes('#define 1x\n'), [PP.badDefinition]);
});

test('origins map output offsets back to the file and offset of each token', (t) => {
  const files = { 'a.dts': '/dts-v1/;\n#include "b.dtsi"\n#define V 42\n\t/ { p = <V>; };\n', 'b.dtsi': '\n  / { q = <1>; };\n' };
  const ours = preprocess('a.dts', memoryHost(files));
  const at = (needle: string): { file: string; offset: number } => ours.origins.resolve(ours.text.indexOf(needle));
  t.deepEqual(at('q ='), { file: 'b.dtsi', offset: files['b.dtsi'].indexOf('q =') });
  t.deepEqual(at('p ='), { file: 'a.dts', offset: files['a.dts'].indexOf('p =') });
  // Tokens from a macro expansion point at the invocation, like the line markers dtc reads.
  t.deepEqual(at('42'), { file: 'a.dts', offset: files['a.dts'].indexOf('V>') });
});

test('a shared cache lexes each file once and gives the same output', (t) => {
  const files = { 'a.dts': '#include "h.h"\nA\n', 'b.dts': '#define EXTRA 1\n#include "h.h"\nA EXTRA\n', 'h.h': '#define A 1\n' };
  const cache = new PreprocessCache();
  const first = preprocess('a.dts', memoryHost(files), { cache });
  const second = preprocess('b.dts', memoryHost(files), { cache });
  t.is(cache.size, 3);
  t.is(preprocess('a.dts', memoryHost(files)).text, first.text);
  t.is(preprocess('b.dts', memoryHost(files)).text, second.text);
  t.regex(second.text, /\n1 1\n/);
});
