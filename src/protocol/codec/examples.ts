import { encodeFrame } from './encode.js';
import type { Message } from './messages.js';

/** A short session used as the worked example in docs/protocol.md; test/protocol/doc-sync.test.ts checks the doc. */
export const EXAMPLE_SESSION: { from: 'client' | 'server'; tag: number; message: Message; note: string }[] = [
  {
    from: 'client',
    tag: 1,
    message: { kind: 'hello', version: 1, capabilities: 0x1ff, maxFrame: 65536, name: 'qemu' },
    note: 'HELLO, version 1, all capabilities, max frame 65536, name "qemu"',
  },
  {
    from: 'server',
    tag: 1,
    message: { kind: 'hello-reply', version: 1, capabilities: 0x1ff, maxFrame: 65536, name: 'mdio-emu' },
    note: 'HELLO_REPLY',
  },
  {
    from: 'client',
    tag: 2,
    message: { kind: 'c22-read', bus: 0, phy: 1, reg: 2 },
    note: 'C22_READ bus 0, PHY 1, register 2 (PHYSID1)',
  },
  {
    from: 'client',
    tag: 3,
    message: { kind: 'c22-read', bus: 0, phy: 1, reg: 3 },
    note: 'C22_READ PHYSID2, pipelined: sent before the first reply',
  },
  {
    from: 'server',
    tag: 2,
    message: { kind: 'c22-read-reply', value: 0x0141 },
    note: 'C22_READ_REPLY 0x0141',
  },
  {
    from: 'server',
    tag: 3,
    message: { kind: 'c22-read-reply', value: 0x0dd0 },
    note: 'C22_READ_REPLY 0x0dd0',
  },
  {
    from: 'client',
    tag: 4,
    message: { kind: 'c22-write', bus: 0, phy: 1, reg: 0, value: 0x9140 },
    note: 'C22_WRITE BMCR = 0x9140 (reset + autoneg)',
  },
  { from: 'server', tag: 4, message: { kind: 'c22-write-reply' }, note: 'C22_WRITE_REPLY' },
  {
    from: 'client',
    tag: 5,
    message: { kind: 'c22-read', bus: 7, phy: 1, reg: 2 },
    note: 'C22_READ on a bus that does not exist',
  },
  {
    from: 'server',
    tag: 5,
    message: { kind: 'error', code: 0x0100, requestType: 0x0010, message: 'no MDIO bus 7' },
    note: 'ERROR NO_SUCH_BUS for request type 0x0010',
  },
  {
    from: 'client',
    tag: 6,
    message: { kind: 'subscribe', mask: 0x1 },
    note: 'SUBSCRIBE to PSE lifecycle events',
  },
  { from: 'server', tag: 6, message: { kind: 'subscribe-reply', mask: 0x1 }, note: 'SUBSCRIBE_REPLY' },
  {
    from: 'server',
    tag: 0,
    message: { kind: 'ev-pse-lifecycle', controller: 0, state: 1, timeNs: 2_000_000_000n, path: '/pse@20' },
    note: 'EV_PSE_LIFECYCLE: controller 0 registered at 2 s',
  },
];

export function hexLines(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 16)
    out.push([...bytes.subarray(i, i + 16)].map((b) => b.toString(16).padStart(2, '0')).join(' '));
  return out;
}

/** The example as it appears in the doc: one block per frame, the note, then the bytes 16 to a line. */
export function renderExampleSession(): string {
  return EXAMPLE_SESSION.map(({ from, tag, message, note }) => {
    const arrow = from === 'client' ? 'C->S' : 'S->C';
    return [`${arrow} ${note}`, ...hexLines(encodeFrame(tag, message))].join('\n');
  }).join('\n\n');
}
