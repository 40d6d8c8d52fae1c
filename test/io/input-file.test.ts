import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EnvironmentError, InputError } from '../../src/diagnostics/index.js';
import { readInputFile } from '../../src/io/index.js';

const dir = mkdtempSync(join(tmpdir(), 'mdio-emu-io-'));

test('a regular file is read whole', (t) => {
  const f = join(dir, 'a.dts');
  writeFileSync(f, '/dts-v1/; / { };\n');
  t.is(readInputFile(f, { what: 'device tree' }).toString(), '/dts-v1/; / { };\n');
});

test('endless devices and directories are refused at once, naming the path', (t) => {
  const zero = t.throws(() => readInputFile('/dev/zero', { what: 'device tree' }), {
    instanceOf: InputError,
  });
  t.is(zero.code, 'CLI1003');
  t.regex(zero.report(), /^\/dev\/zero: error CLI1003: the device tree is not a regular file$/);
  t.is(t.throws(() => readInputFile(dir, { what: 'scenario' }), { instanceOf: InputError }).code, 'CLI1003');
});

test('a file over the limit is refused before it is read', (t) => {
  const f = join(dir, 'big');
  writeFileSync(f, Buffer.alloc(2048));
  const err = t.throws(() => readInputFile(f, { what: 'trace', maxBytes: 1024 }), { instanceOf: InputError });
  t.is(err.code, 'CLI1004');
  t.is(readInputFile(f, { what: 'trace', maxBytes: 2048 }).length, 2048);
});

test('a missing file is an environment error with the reason in words', (t) => {
  const err = t.throws(() => readInputFile(join(dir, 'nope'), { what: 'trace' }), {
    instanceOf: EnvironmentError,
  });
  t.regex(err.report(), /cannot open the trace: no such file or directory/);
});

test('a stream is read up to the limit only when streams are allowed', (t) => {
  t.throws(() => readInputFile('/dev/zero', { what: 'trace', allowStream: true, maxBytes: 4096 }), {
    instanceOf: InputError,
    message: /larger than the limit of 4096 bytes/,
  });
});
