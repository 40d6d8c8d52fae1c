import test from 'ava';
import {
  formatTrace,
  parseTrace,
  readAnyTrace,
  TraceError,
  TraceErrorCode,
  type TraceRecord,
} from '../../src/replay/index.js';

const records: TraceRecord[] = [
  {
    vtNs: 0,
    wallMs: 1732456789123.5,
    client: 'qemu usb',
    bus: '/mdio@ff0d0000',
    op: 'read',
    addr: 1,
    reg: 2,
    value: 0x0141,
    result: 'ok',
  },
  { vtNs: 1500, bus: '/mdio@ff0d0000', op: 'write', addr: 1, reg: 0, value: 0x8000, result: 'ok' },
  { vtNs: 2000, bus: '/other bus', op: 'address', addr: 3, devad: 1, reg: 5, value: 5, result: 'ok' },
  {
    vtNs: 2001,
    client: 'qemu usb',
    bus: '/other bus',
    op: 'read',
    addr: 3,
    devad: 1,
    reg: 5,
    value: 0xffff,
    result: 'no-response',
  },
  { vtNs: 2002, bus: '/mdio@ff0d0000', op: 'read', addr: 2, reg: 1, value: 0x796d, result: 'bit-error' },
];
const strip = (rs: TraceRecord[]) => rs.map(({ line: _line, ...r }) => r);

test('records survive format and parse unchanged, names with spaces included', (t) => {
  const text = formatTrace(records, 'a comment\nsecond line');
  t.deepEqual(strip(parseTrace(text).records), records);
  t.false(parseTrace(text).truncated);
});

test('every record is one line; buses and clients are declared once', (t) => {
  const lines = formatTrace(records).trimEnd().split('\n');
  t.is(lines.filter((l) => /^\d/.test(l)).length, records.length);
  t.is(lines.filter((l) => l.startsWith('bus ')).length, 2);
  t.is(lines.filter((l) => l.startsWith('client ')).length, 1);
});

test('a truncated last line (writer killed mid-line) is dropped and reported', (t) => {
  const text = formatTrace(records);
  for (const cut of [3, 10, 20]) {
    const parsed = parseTrace(text.slice(0, text.length - cut));
    t.true(parsed.truncated);
    t.deepEqual(strip(parsed.records), records.slice(0, -1));
  }
});

test('a bad line in the middle is an error naming its line', (t) => {
  const lines = formatTrace(records).split('\n');
  lines[3] = lines[3]!.replace(' r ', ' x ');
  const err = t.throws(() => parseTrace(lines.join('\n')), { instanceOf: TraceError });
  t.is(err.code, TraceErrorCode.MALFORMED);
  t.is(err.line, 4);
});

test('undeclared bus, wrong header and bad values are typed errors', (t) => {
  t.is(
    t.throws(() => parseTrace('mdio-emu-trace 1\n0 - - 0 r 1 0x02 0x0141 ok\n'), { instanceOf: TraceError })
      .code,
    TraceErrorCode.UNDECLARED,
  );
  t.is(
    t.throws(() => parseTrace('mdio-emu-trace 2\n'), { instanceOf: TraceError }).code,
    TraceErrorCode.VERSION,
  );
  t.is(
    t.throws(() => parseTrace('mdio-emu-trace 1\nbus 0 /m\n0 - - 0 r 32 0x02 0x0141 ok\n'), {
      instanceOf: TraceError,
    }).code,
    TraceErrorCode.MALFORMED,
  );
  t.is(
    t.throws(() => parseTrace('mdio-emu-trace 1\nbus 0 /m\n0 - - 0 r 1 0x02 0x10000 ok\n'), {
      instanceOf: TraceError,
    }).code,
    TraceErrorCode.MALFORMED,
  );
  t.is(t.throws(() => readAnyTrace('hello\nworld\n'), { instanceOf: TraceError }).code, TraceErrorCode.EMPTY);
});
