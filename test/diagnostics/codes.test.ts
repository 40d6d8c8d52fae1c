import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  codePrefix,
  EnvironmentError,
  formatDiagnostic,
  InputError,
  SourceFile,
  UsageError,
  VerdictError,
} from '../../src/diagnostics/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * Code literals where the sources define or raise codes: an entry of a code table (`BAD_ADDRESS: 'MDIO1001'`),
 * a `code: '...'` field, or the first argument of an error constructor or a report call.
 */
const CODE_LITERAL =
  /(?:^\s*[A-Z_]+:\s*|\bcode\s*[:=]\s*|Error\(\s*|\.(?:error|warning|fail)\(\s*)'([A-Z]{2,6}\d{3,4})'/gm;

test('every error code in the sources has a registered prefix of the one code space', (t) => {
  const seen = new Map<string, string>();
  for (const file of ['src', 'cli', 'emulator'].flatMap((d) => sources(join(root, d)))) {
    for (const m of readFileSync(file, 'utf8').matchAll(CODE_LITERAL)) {
      const code = m[1] ?? '';
      if (!seen.has(code)) seen.set(code, file.slice(root.length));
    }
  }
  t.true(seen.size > 50, `found only ${seen.size} codes: is the pattern still right?`);
  const unregistered = [...seen].filter(([code]) => codePrefix(code) === undefined);
  t.deepEqual(unregistered, []);
});

test('codePrefix refuses codes outside the code space', (t) => {
  t.is(codePrefix('DTS1003'), 'DTS');
  t.is(codePrefix('WIRE0109'), 'WIRE');
  t.is(codePrefix('XYZ1001'), undefined, 'an unregistered prefix');
  t.is(codePrefix('DTS13'), undefined, 'too few digits');
  t.is(codePrefix('USBREDIR_BAD_LENGTH'), undefined, 'not prefix-and-digits');
});

test('the kind of an error decides its exit status', (t) => {
  t.is(new InputError('SCN002', 'x').exitStatus, 1);
  t.is(new UsageError('CLI0002', 'x').exitStatus, 2);
  t.is(new EnvironmentError('CLI1001', 'x', { where: '/tmp/s' }).exitStatus, 1);
  t.is(new VerdictError('QEMU0001', 'x', { exitStatus: 3 }).exitStatus, 3);
});

test('a diagnostic prints file:line:col with its source line and caret, or its non-text location', (t) => {
  const file = new SourceFile('a.json', '{\n  "end": "soon"\n}\n');
  const files = new Map([[file.name, file]]);
  const span = { file: 'a.json', start: 11, end: 17 };
  const err = new InputError('SCN002', 'expected a number', { span, files });
  t.is(err.report(), 'a.json:2:10: error SCN002: expected a number\n  "end": "soon"\n         ^~~~~~');
  t.is(
    formatDiagnostic(
      { code: 'WIRE0001', severity: 'error', message: 'bad', where: 'frame HELLO, byte 7' },
      files,
    ),
    'frame HELLO, byte 7: error WIRE0001: bad',
  );
  t.is(err.name, 'InputError');
});
