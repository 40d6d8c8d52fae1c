import { type Field, fieldSize } from './layout.js';

/** Reads packed little-endian fields into a record; arrays become number[]. */
export function readFields(
  view: DataView,
  offset: number,
  fields: readonly Field[],
  into: Record<string, unknown>,
): void {
  let at = offset;
  for (const [name, kind] of fields) {
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

/** Writes a record's fields packed little-endian; missing numbers write 0, missing array entries 0. */
export function writeFields(
  view: DataView,
  offset: number,
  fields: readonly Field[],
  from: Record<string, unknown>,
): void {
  let at = offset;
  for (const [name, kind] of fields) {
    const value = from[name];
    const n = typeof value === 'number' ? value : 0;
    switch (kind) {
      case 'u8':
        view.setUint8(at, n & 0xff);
        break;
      case 'u16':
        view.setUint16(at, n & 0xffff, true);
        break;
      case 'u32':
        view.setUint32(at, n >>> 0, true);
        break;
      case 'u8x32':
        for (let i = 0; i < 32; i++) view.setUint8(at + i, numberAt(value, i) & 0xff);
        break;
      case 'u16x32':
        for (let i = 0; i < 32; i++) view.setUint16(at + 2 * i, numberAt(value, i) & 0xffff, true);
        break;
      case 'u32x32':
        for (let i = 0; i < 32; i++) view.setUint32(at + 4 * i, numberAt(value, i) >>> 0, true);
        break;
      case 'str64': {
        const text = typeof value === 'string' ? value : '';
        for (let i = 0; i < 63 && i < text.length; i++) view.setUint8(at + i, text.charCodeAt(i) & 0xff);
        break;
      }
    }
    at += fieldSize[kind];
  }
}
