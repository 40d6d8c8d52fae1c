import { InvalidArgumentError } from 'commander';

/**
 * Argument parsers for commander's `.option(flags, description, parser)` and `.argument(...)`: a value that is
 * not a number in range is a usage error (exit 2, commander's message naming the option), never a NaN
 * that turns a limit off or a RangeError with a stack.
 */

const INTEGER = /^(0x[0-9a-f]+|[0-9]+)$/i;

/** A whole number from `min` to `max`, decimal or 0x-hex. */
export function integerArg(min: number, max: number): (value: string) => number {
  return (value) => {
    const text = value.trim();
    const n = INTEGER.test(text) ? Number(text) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}.`);
    return n;
  };
}

/** A decimal number (fractions allowed) from `min` to `max`. */
export function numberArg(min: number, max: number): (value: string) => number {
  return (value) => {
    const text = value.trim();
    const n = /^[0-9]+(\.[0-9]+)?$/.test(text) ? Number(text) : Number.NaN;
    if (!Number.isFinite(n) || n < min || n > max)
      throw new InvalidArgumentError(`expected a number from ${min} to ${max}.`);
    return n;
  };
}

/** `[HOST:]PORT` → host and port; the host defaults to loopback so nothing is exposed by accident. */
export function tcpArg(spec: string): { host: string; port: number } {
  const i = spec.lastIndexOf(':');
  const host = i >= 0 ? spec.slice(0, i).replace(/^\[|\]$/g, '') : '127.0.0.1';
  const portText = i >= 0 ? spec.slice(i + 1) : spec;
  const port = /^[0-9]+$/.test(portText) ? Number(portText) : Number.NaN;
  if (!Number.isInteger(port) || port < 0 || port > 65535 || host === '')
    throw new InvalidArgumentError('expected [HOST:]PORT with a port from 0 to 65535.');
  return { host, port };
}
