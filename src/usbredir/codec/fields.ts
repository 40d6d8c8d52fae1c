import { type Field, fieldSize } from './layout.js';

/** Reads packed little-endian fields into a record; arrays become number[]. */
export function readFields(
  view: DataView,
  offset: number,
  fields: readonly Field[],
  into: Record<string, unknown>,
): void {
  let at = offset;
  for (const [name, kind, shift] of fields) {
    if (shift !== undefined) {
      // The upper part of a value an earlier field began (only integer kinds are split).
      const low = typeof into[name] === 'number' ? into[name] : 0;
      const part =
        kind === 'u8'
          ? view.getUint8(at)
          : kind === 'u16'
            ? view.getUint16(at, true)
            : view.getUint32(at, true);
      into[name] = low + part * 2 ** shift;
      at += fieldSize[kind];
      continue;
    }
    switch (kind) {
      case 'u8':
        into[name] = view.getUint8(at);
        break;
      case 'u16':
        into[name] = view.getUint16(at, true);
        break;
      case 'u32':
        into[name] = view.getUint32(at, true);
        break;
      case 'u8x32':
        into[name] = Array.from({ length: 32 }, (_, i) => view.getUint8(at + i));
        break;
      case 'u16x32':
        into[name] = Array.from({ length: 32 }, (_, i) => view.getUint16(at + 2 * i, true));
        break;
      case 'u32x32':
        into[name] = Array.from({ length: 32 }, (_, i) => view.getUint32(at + 4 * i, true));
        break;
      case 'str64': {
        const bytes = new Uint8Array(view.buffer, view.byteOffset + at, 64);
        const end = bytes.indexOf(0);
        // usbredirparser copies at most 63 characters when the peer forgot the NUL.
        into[name] = new TextDecoder('latin1').decode(bytes.subarray(0, end === -1 ? 63 : end));
        break;
      }
    }
    at += fieldSize[kind];
  }
}

function numberAt(values: unknown, i: number): number {
  return Array.isArray(values) && typeof values[i] === 'number' ? values[i] : 0;
}

/*
 * The writer fills a fresh byte array by index rather than through a DataView: asking a small typed array
 * for its .buffer makes V8 move it off the heap, which costs more than the whole encoding (Node 20).
 */
function put16(out: Uint8Array, at: number, n: number): void {
  out[at] = n & 0xff;
  out[at + 1] = (n >>> 8) & 0xff;
}

export function put32(out: Uint8Array, at: number, n: number): void {
  out[at] = n & 0xff;
  out[at + 1] = (n >>> 8) & 0xff;
  out[at + 2] = (n >>> 16) & 0xff;
  out[at + 3] = (n >>> 24) & 0xff;
}

/** Writes a record's fields packed little-endian into `out` (zero-filled); missing numbers and entries stay 0. */
export function writeFields(
  out: Uint8Array,
  offset: number,
  fields: readonly Field[],
  from: Record<string, unknown>,
): void {
  let at = offset;
  for (const [name, kind, shift] of fields) {
    const value = from[name];
    let n = typeof value === 'number' ? value : 0;
    if (shift !== undefined) n = Math.floor(n / 2 ** shift);
    switch (kind) {
      case 'u8':
        out[at] = n & 0xff;
        break;
      case 'u16':
        put16(out, at, n);
        break;
      case 'u32':
        put32(out, at, n >>> 0);
        break;
      case 'u8x32':
        for (let i = 0; i < 32; i++) out[at + i] = numberAt(value, i) & 0xff;
        break;
      case 'u16x32':
        for (let i = 0; i < 32; i++) put16(out, at + 2 * i, numberAt(value, i));
        break;
      case 'u32x32':
        for (let i = 0; i < 32; i++) put32(out, at + 4 * i, numberAt(value, i) >>> 0);
        break;
      case 'str64': {
        const text = typeof value === 'string' ? value : '';
        for (let i = 0; i < 63 && i < text.length; i++) out[at + i] = text.charCodeAt(i) & 0xff;
        break;
      }
    }
    at += fieldSize[kind];
  }
}
