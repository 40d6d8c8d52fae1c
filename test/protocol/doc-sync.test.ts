import test from 'ava';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderExampleSession } from '../../src/protocol/codec/examples.js';
import { ErrorCode, FATAL_ERRORS, FrameType } from '../../src/protocol/codec/constants.js';

const doc = readFileSync(fileURLToPath(new URL('../../docs/protocol.md', import.meta.url)), 'utf8');

test('the worked example in docs/protocol.md is what the encoder produces', (t) => {
  const m =
    /<!-- BEGIN GENERATED EXAMPLE[^>]*-->\n```text\n([\s\S]*?)\n```\n<!-- END GENERATED EXAMPLE -->/.exec(
      doc,
    );
  t.truthy(m, 'generated example block present');
  t.is(m?.[1], renderExampleSession());
});

test('every frame type is documented with its number and name', (t) => {
  for (const [name, type] of Object.entries(FrameType)) {
    const hex = `0x${type.toString(16).padStart(4, '0')}`;
    t.true(doc.includes(hex), `${name} ${hex}`);
    t.true(doc.includes(name), name);
  }
});

test('every error code is documented with whether it closes the connection', (t) => {
  for (const [name, code] of Object.entries(ErrorCode)) {
    const hex = `0x${code.toString(16).padStart(4, '0')}`;
    const row = new RegExp(`^\\| ${hex} \\| ${name} \\| (\\*\\*yes\\*\\*|no) \\|`, 'm').exec(doc);
    t.truthy(row, `${name} row`);
    t.is(row?.[1] === '**yes**', FATAL_ERRORS.has(code), `${name} fatal flag`);
  }
});
