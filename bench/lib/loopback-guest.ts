/**
 * A usbredir guest on a UNIX socket that behaves as QEMU 7.2's usb-redir does for the two vendor adapters'
 * drivers: hello with capabilities 0xff, SET_INTERFACE where the driver asks for one, then strictly
 * sequential bulk transfers (each waits for the previous reply, as usb_bulk_msg() does). Setup uses the
 * codec; the timed transfers are hand-encoded so the guest's own cost stays small and the same for every
 * server it is pointed at.
 */
import * as net from 'node:net';
import { Negotiation } from '../../src/usbredir/codec/caps.js';
import { PacketType } from '../../src/usbredir/codec/constants.js';
import { Decoder } from '../../src/usbredir/codec/decoder.js';
import { encodePacket } from '../../src/usbredir/codec/encoder.js';
import type { Packet } from '../../src/usbredir/codec/packets.js';

/** One bulk transfer of a timed sequence: OUT with data, or IN for up to `length` bytes. */
export type BulkStep =
  { readonly ep: number; readonly data: Uint8Array } | { readonly ep: number; readonly length: number };

export interface LoopbackRun {
  /** Interface and alternate setting to select first (the CP2615's IOP is interface 1, alt 2). */
  readonly altSetting?: { readonly interface: number; readonly alt: number };
  /** The transfers of one timed operation (an MDIO read is OUT 6 bytes, IN 2 bytes). */
  readonly steps: readonly BulkStep[];
  readonly warmup: number;
  readonly count: number;
}

/**
 * Connects (or, with `listening`, listens as QEMU's `server=on` chardev does, calls `listening` once it
 * does, and takes the first connection), sets up, runs `count` timed operations after `warmup` untimed
 * ones; µs per operation.
 */
export async function loopbackGuest(
  path: string,
  run: LoopbackRun,
  listening?: () => void,
): Promise<number[]> {
  const socket = listening ? await acceptOne(path, listening) : net.createConnection(path);
  if (!listening) {
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
  }
  const neg = new Negotiation([0xff]);
  const received: Packet[] = [];
  let wake: (() => void) | undefined;
  const decoder = new Decoder(neg, 'guest', {
    packet: (p) => received.push(p),
    error: (e) => {
      throw e;
    },
  });
  // Set once setup is done: from then on replies are counted, not decoded.
  let timed: ((chunk: Buffer) => void) | undefined = undefined;
  socket.on('data', (chunk: Buffer) => {
    if (timed) timed(chunk);
    else {
      decoder.push(chunk);
      wake?.();
    }
  });
  const until = (pred: () => boolean): Promise<void> =>
    new Promise((resolve) => {
      const check = (): void => {
        if (pred()) {
          wake = undefined;
          resolve();
        }
      };
      wake = check;
      check();
    });
  const send = (p: Packet): void => {
    socket.write(encodePacket(p, neg, 'guest'));
  };
  await until(() => received.some((p) => p.type === 'hello'));
  send({ type: 'hello', id: 0n, version: 'bench loopback guest', capabilities: [0xff] });
  await until(() => received.some((p) => p.type === 'device_connect'));
  if (run.altSetting) {
    send({ type: 'set_alt_setting', id: 1n, ...run.altSetting });
    await until(() => received.some((p) => p.type === 'alt_setting_status'));
  }

  // The timed part: one packet out, wait for one whole reply packet, next.
  const packets = run.steps.map((s, i) => bulkPacket(BigInt(i + 16), s));
  let replyBuffer: Buffer = Buffer.alloc(0);
  let replied: (() => void) | undefined;
  timed = (chunk) => {
    replyBuffer = replyBuffer.length === 0 ? chunk : Buffer.concat([replyBuffer, chunk]);
    while (replyBuffer.length >= 16 && replyBuffer.length >= 16 + replyBuffer.readUInt32LE(4)) {
      replyBuffer = replyBuffer.subarray(16 + replyBuffer.readUInt32LE(4));
      replied?.();
    }
  };
  const transfer = (bytes: Buffer): Promise<void> =>
    new Promise((resolve) => {
      replied = resolve;
      socket.write(bytes);
    });
  const samples: number[] = [];
  for (let i = 0; i < run.warmup + run.count; i++) {
    const t0 = process.hrtime.bigint();
    for (const p of packets) await transfer(p);
    if (i >= run.warmup) samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  socket.destroy();
  return samples;
}

function acceptOne(path: string, listening: () => void): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const server = net.createServer((socket) => {
      server.close();
      resolve(socket);
    });
    server.once('error', reject);
    server.listen(path, listening);
  });
}

function bulkPacket(id: bigint, step: BulkStep): Buffer {
  const data = 'data' in step ? step.data : new Uint8Array(0);
  const length = 'data' in step ? step.data.length : step.length;
  const b = Buffer.alloc(16 + 10 + data.length);
  b.writeUInt32LE(PacketType.bulk_packet, 0);
  b.writeUInt32LE(10 + data.length, 4);
  b.writeBigUInt64LE(id, 8);
  b[16] = step.ep;
  b.writeUInt16LE(length & 0xffff, 18);
  b.writeUInt16LE(length >>> 16, 24);
  b.set(data, 26);
  return b;
}
