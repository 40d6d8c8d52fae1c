/**
 * `bytes[index]` where the caller has already established the index is in range (a register pointer
 * below the array size, a message of known length). Out of range means a model bug, so it throws
 * instead of letting `undefined` flow into register arithmetic.
 */
export function byteAt(bytes: Uint8Array, index: number): number {
  const value = bytes[index];
  if (value === undefined) throw new RangeError(`byte ${index} is outside a ${bytes.length}-byte array`);
  return value;
}
