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

test('issue 12 #8: negative and 31-digit times, C22 register 0x1ff and mdio_access phy:0xff are errors naming their line', (t) => {
  const bad = [
    '-5 - - 0 r 1 0x02 0x0141 ok',
    '1234567890123456789012345678901 - - 0 r 1 0x02 0x0141 ok',
    '9007199254740992 - - 0 r 1 0x02 0x0141 ok',
    '1e3 - - 0 r 1 0x02 0x0141 ok',
    '0 - - 0 r 1 0x1ff 0x0141 ok',
    '0 - - 0 r 1 0x20 0x0141 ok',
  ];
  for (const line of bad) {
    const err = t.throws(
      () => parseTrace(`mdio-emu-trace 1\nbus 0 /m\n${line}\n0 - - 0 r 1 0x02 0x0141 ok\n`),
      {
        instanceOf: TraceError,
      },
    );
    t.is(err.code, TraceErrorCode.MALFORMED, line);
    t.is(err.line, 3, line);
  }
  // The limits themselves are fine: the last exact nanosecond, register 0x1f, and any Clause 45 register.
  const ok = parseTrace(
    'mdio-emu-trace 1\nbus 0 /m\n9007199254740991 - - 0 r 1 0x1f 0x0141 ok\n0 - - 0 r 1 3:0xffff 0x0000 ok\n',
  );
  t.deepEqual(
    ok.records.map((r) => [r.vtNs, r.reg]),
    [
      [9007199254740991, 0x1f],
      [0, 0xffff],
    ],
  );
  const kernel = [
    '  kworker/0:1-20 [000] .....  1.000000: mdio_access: mvusb-1-1:1.0 read  phy:0x00 reg:0x02 val:0x0141',
    '  kworker/0:1-20 [000] .....  1.000001: mdio_access: mvusb-1-1:1.0 read  phy:0xff reg:0x03 val:0x0dd0',
  ].join('\n');
  const err = t.throws(() => readAnyTrace(kernel, 'k.txt'), { instanceOf: TraceError });
  t.is(err.code, TraceErrorCode.MALFORMED);
  t.is(err.line, 2);
  t.regex(err.message, /k\.txt:2/);
});
