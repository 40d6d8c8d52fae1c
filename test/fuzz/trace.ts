import fc from 'fast-check';
import { MAX_VIRTUAL_NS } from '../../src/clock.js';
import {
  formatTrace,
  parseTrace,
  readAnyTrace,
  TraceError,
  type TraceRecord,
} from '../../src/replay/index.js';
import { check, type FuzzTarget } from './target.js';

const SEED = `mdio-emu-trace 1
# fuzz
bus 0 /mdio@ff0d0000
client 0 qemu
0 1795635135156 0 0 r 1 0x02 0x0141 ok
5 - - 0 a 3 1:0x0005 0x0005 ok
6 - - 0 r 3 1:0x0005 0xffff nr
7 1.5 0 0 w 1 0x00 0x1140 be
`;
const KERNEL =
  '  kworker/0:1-20 [000] .....  1.281838: mdio_access: mvusb-1-1:1.0 read  phy:0x00 reg:0x02 val:0x0141\n';

/** Reading is total: records, or a TraceError naming a line that exists; never another throw. */
function read(text: string): void {
  try {
    const t = readAnyTrace(text, 'fuzz.trace');
    for (const r of t.records) {
      if (!(Number.isSafeInteger(r.vtNs) && r.vtNs >= 0 && r.vtNs <= MAX_VIRTUAL_NS))
        throw new Error(`time ${r.vtNs}`);
      if (r.addr < 0 || r.addr > 31) throw new Error(`address ${r.addr}`);
      if (t.format === 'mdio-emu' && r.devad === undefined && r.reg > 0x1f)
        throw new Error(`C22 register ${r.reg}`);
    }
  } catch (err) {
    if (!(err instanceof TraceError)) throw err;
    const lines = text.split('\n').length;
    if (err.line < 0 || err.line > lines) throw new Error(`error on line ${err.line} of ${lines}`);
  }
}

const record = fc
  .record(
    {
      vtNs: fc.integer({ min: 0, max: MAX_VIRTUAL_NS }),
      wallMs: fc.integer({ min: 0, max: 2 ** 45 }).map((n) => n / 1000),
      client: fc.constantFrom('qemu', 'a b%c', 'é'),
      bus: fc.constantFrom('/mdio@0', '/mdio bus', 'mvusb-1-1:1.0'),
      op: fc.constantFrom('read' as const, 'write' as const, 'address' as const),
      addr: fc.integer({ min: 0, max: 31 }),
      devad: fc.integer({ min: 0, max: 31 }),
      reg: fc.integer({ min: 0, max: 0xffff }),
      value: fc.integer({ min: 0, max: 0xffff }),
      result: fc.constantFrom('ok' as const, 'no-response' as const, 'bit-error' as const, 'error' as const),
    },
    { requiredKeys: ['vtNs', 'bus', 'op', 'addr', 'reg', 'value', 'result'] },
  )
  .map((r): TraceRecord => {
    // Clause 22 registers are 5 bits; an address frame is Clause 45 and carries its register as the value.
    const c45 = r.devad !== undefined || r.op === 'address';
    const out: TraceRecord = { ...r, reg: c45 ? r.reg : r.reg & 0x1f };
    if (c45) out.devad = r.devad ?? 0;
    else delete out.devad;
    if (r.op === 'address') out.value = out.reg;
    return out;
  });

/** Records as JSON with sorted keys: field order is not part of a record. */
const canonical = (rs: object[]) =>
  JSON.stringify(rs.map((r) => Object.fromEntries(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)))));

export const traceReader: FuzzTarget = {
  name: 'trace-reader',
  properties: () => ({
    'records survive format and parse unchanged': check(
      fc.property(fc.array(record, { maxLength: 20 }), (records) => {
        const back = parseTrace(formatTrace(records)).records.map(({ line: _line, ...r }) => r);
        if (canonical(back) !== canonical(records))
          throw new Error(`${canonical(records)} came back as ${canonical(back)}`);
      }),
    ),
    'any text reads as records or a TraceError naming a line': check(
      fc.property(
        fc.array(
          fc.oneof(
            fc.constantFrom(
              ...SEED.split('\n'),
              ...KERNEL.split('\n'),
              '-1 - - 0 r 1 0x02 0x0141 ok',
              '0 - - 0 r 1 0x1ff 0 ok',
            ),
            fc.string({ maxLength: 40 }),
          ),
          { maxLength: 12 },
        ),
        fc.boolean(),
        (lines, header) => {
          read((header ? 'mdio-emu-trace 1\n' : '') + lines.join('\n'));
        },
      ),
    ),
  }),
  bytes: {
    seeds: () => [Buffer.from(SEED), Buffer.from(KERNEL)],
    run: (input) => {
      read(Buffer.from(input).toString('latin1'));
    },
    cover: ['/src/replay/'],
  },
};
