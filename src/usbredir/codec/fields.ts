/**
 * Packed little-endian fields of the usbredir type headers (usbredirproto.h), and the readers and writers
 * compiled from a layout's field list.
 *
 * Why compiled: a packet travels guest -> QEMU -> us -> QEMU -> guest while the guest waits, and on the host
 * our code runs once per transfer between QEMU's TCG threads, with cold caches. A generic loop that switches
 * on each field's kind and stores through computed property names costs several microseconds there (its
 * stores are megamorphic); a function with one fixed store per field costs about a third of that. The field
 * list stays the single description of each packet: the functions are generated from it, once per layout.
 */

/** Little-endian field kinds of the packed type-specific headers in usbredirproto.h. */
export type FieldKind = 'u8' | 'u16' | 'u32' | 'u8x32' | 'u16x32' | 'u32x32' | 'str64';
/**
 * A field of a type header. With `shift`, the field carries bits `shift` and up of the record's value
 * `name`, whose lower bits an earlier field of the same name carries (bulk_packet's length_high).
 */
export type Field = readonly [name: string, kind: FieldKind, shift?: number];

export const fieldSize: Record<FieldKind, number> = {
  u8: 1,
  u16: 2,
  u32: 4,
  u8x32: 32,
  u16x32: 64,
  u32x32: 128,
  str64: 64,
};

/** Reads a type header at `at` into `into`; arrays become number[], str64 a string. */
export type FieldReader = (view: DataView, at: number, into: Record<string, unknown>) => void;
/** Writes a record's fields at `at` of a zero-filled array; missing numbers and entries stay 0. */
export type FieldWriter = (out: Uint8Array, at: number, from: Record<string, unknown>) => void;

function readArray(view: DataView, at: number, kind: FieldKind): number[] {
  const out = new Array<number>(32);
  for (let i = 0; i < 32; i++) {
    out[i] =
      kind === 'u8x32'
        ? view.getUint8(at + i)
        : kind === 'u16x32'
          ? view.getUint16(at + 2 * i, true)
          : view.getUint32(at + 4 * i, true);
  }
  return out;
}

function readString64(view: DataView, at: number): string {
  const bytes = new Uint8Array(view.buffer, view.byteOffset + at, 64);
  const end = bytes.indexOf(0);
  // usbredirparser copies at most 63 characters when the peer forgot the NUL.
  return new TextDecoder('latin1').decode(bytes.subarray(0, end === -1 ? 63 : end));
}

function numberAt(values: unknown, i: number): number {
  return Array.isArray(values) && typeof values[i] === 'number' ? values[i] : 0;
}

/*
 * The writer fills a fresh byte array by index rather than through a DataView: asking a small typed array
 * for its .buffer makes V8 move it off the heap, which costs more than the whole encoding (Node 20).
 */
export function put16(out: Uint8Array, at: number, n: number): void {
  out[at] = n & 0xff;
  out[at + 1] = (n >>> 8) & 0xff;
}

export function put32(out: Uint8Array, at: number, n: number): void {
  out[at] = n & 0xff;
  out[at + 1] = (n >>> 8) & 0xff;
  out[at + 2] = (n >>> 16) & 0xff;
  out[at + 3] = (n >>> 24) & 0xff;
}

function writeArray(out: Uint8Array, at: number, kind: FieldKind, values: unknown): void {
  for (let i = 0; i < 32; i++) {
    const n = numberAt(values, i);
    if (kind === 'u8x32') out[at + i] = n & 0xff;
    else if (kind === 'u16x32') put16(out, at + 2 * i, n);
    else put32(out, at + 4 * i, n >>> 0);
  }
}

function writeString64(out: Uint8Array, at: number, value: unknown): void {
  const text = typeof value === 'string' ? value : '';
  for (let i = 0; i < 63 && i < text.length; i++) out[at + i] = text.charCodeAt(i) & 0xff;
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkNames(fields: readonly Field[]): void {
  // The names come from the static layout table; anything else would be a bug worth stopping at.
  for (const [name] of fields) if (!IDENTIFIER.test(name)) throw new Error(`bad field name ${name}`);
}

const getter: Record<'u8' | 'u16' | 'u32', (at: string) => string> = {
  u8: (at) => `v.getUint8(${at})`,
  u16: (at) => `v.getUint16(${at}, true)`,
  u32: (at) => `v.getUint32(${at}, true)`,
};

/** A reader with one statement per field of `fields`. */
export function compileReader(fields: readonly Field[]): FieldReader {
  checkNames(fields);
  const lines: string[] = [];
  let offset = 0;
  for (const [name, kind, shift] of fields) {
    const at = `at + ${offset}`;
    if (kind === 'u8' || kind === 'u16' || kind === 'u32') {
      lines.push(
        shift === undefined
          ? `o.${name} = ${getter[kind](at)};`
          : `o.${name} = (typeof o.${name} === 'number' ? o.${name} : 0) + ${getter[kind](at)} * ${2 ** shift};`,
      );
    } else if (kind === 'str64') lines.push(`o.${name} = readString64(v, ${at});`);
    else lines.push(`o.${name} = readArray(v, ${at}, '${kind}');`);
    offset += fieldSize[kind];
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the static layout table (see above)
  const make = new Function(
    'readArray',
    'readString64',
    `return function read(v, at, o) {\n${lines.join('\n')}\n};`,
  ) as (a: typeof readArray, s: typeof readString64) => FieldReader;
  return make(readArray, readString64);
}

/** A writer with one statement per field of `fields`. */
export function compileWriter(fields: readonly Field[]): FieldWriter {
  checkNames(fields);
  const lines: string[] = ['let n;'];
  let offset = 0;
  for (const [name, kind, shift] of fields) {
    const at = `at + ${offset}`;
    if (kind === 'u8' || kind === 'u16' || kind === 'u32') {
      lines.push(`n = typeof f.${name} === 'number' ? f.${name} : 0;`);
      if (shift !== undefined) lines.push(`n = Math.floor(n / ${2 ** shift});`);
      if (kind === 'u8') lines.push(`out[${at}] = n & 0xff;`);
      else if (kind === 'u16') lines.push(`put16(out, ${at}, n);`);
      else lines.push(`put32(out, ${at}, n >>> 0);`);
    } else if (kind === 'str64') lines.push(`writeString64(out, ${at}, f.${name});`);
    else lines.push(`writeArray(out, ${at}, '${kind}', f.${name});`);
    offset += fieldSize[kind];
  }
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- generated from the static layout table (see above)
  const make = new Function(
    'put16',
    'put32',
    'writeArray',
    'writeString64',
    `return function write(out, at, f) {\n${lines.join('\n')}\n};`,
  ) as (p16: typeof put16, p32: typeof put32, a: typeof writeArray, s: typeof writeString64) => FieldWriter;
  return make(put16, put32, writeArray, writeString64);
}
