/**
 * The honest reference for "the limit QEMU allows": a usbredir responder that answers the same USB
 * requests as the Marvell USB-MDIO adapter and the CP2615, with no model and no codec on the data path.
 *
 * Enumeration (hello, descriptors, SET_CONFIGURATION, SET_INTERFACE) goes through UsbredirHostSession,
 * since nobody times it. Every bulk_packet after that is answered by hand: the 16-byte header and the
 * 10-byte bulk header are read in place, the reply is one preallocated-size buffer written in one call,
 * and the answer bytes come from constants (MDIO reads return the PHY ID at registers 2 and 3, zero
 * elsewhere; an I2C read returns 0xff bytes). The bench serves it next to the real device models in the
 * same QEMU run, so "ours minus this" is what our code costs.
 */
import * as net from 'node:net';
import { PacketType, Speed, Status } from '../../src/usbredir/codec/constants.js';
import { cp2615Descriptors, CP2615_EP_IN, CP2615_EP_OUT } from '../../src/usbredir/devices/cp2615.js';
import { mvusbDescriptors, MVUSB_EP_IN, MVUSB_EP_OUT } from '../../src/usbredir/devices/mvusb.js';
import type { UsbDeviceModel } from '../../src/usbredir/device.js';
import { UsbredirHostSession } from '../../src/usbredir/session.js';
import type { EmulatorStamp } from './qemu-rig.js';

/** What a reference device does with one bulk OUT command: the bytes its next bulk IN returns, if any. */
export interface ReferenceBehaviour {
  readonly device: UsbDeviceModel;
  readonly out: number;
  readonly in: number;
  command(data: Uint8Array): Uint8Array | undefined;
}

/** Marvell USB-MDIO: read command `e800 0001 a400|phy<<5|reg` (little-endian words), answer 2 bytes. */
export function referenceMvusb(): ReferenceBehaviour {
  return {
    device: { speed: Speed.high, descriptors: mvusbDescriptors() },
    out: MVUSB_EP_OUT,
    in: MVUSB_EP_IN,
    command(data) {
      if (data.length !== 6) return undefined; // a write (8 bytes): nothing to answer
      const reg = (data[4] ?? 0) & 0x1f;
      // The 88E1510's ID (include/linux/marvell_phy.h), so phylib binds the same driver as on the model.
      const value = reg === 2 ? 0x0141 : reg === 3 ? 0x0dd0 : 0;
      return Uint8Array.of(value & 0xff, value >> 8);
    },
  };
}

/**
 * CP2615 IOP (drivers/i2c/busses/i2c-cp2615.c): GetAccessoryInfo gets part A02, DoI2cTransfer gets
 * success with `read_len` bytes of 0xff. Messages are big-endian `2a2a, length, id, payload`.
 */
export function referenceCp2615(): ReferenceBehaviour {
  const iop = (id: number, payload: readonly number[]): Uint8Array => {
    const n = 6 + payload.length;
    return Uint8Array.of(0x2a, 0x2a, n >> 8, n & 0xff, id >> 8, id & 0xff, ...payload);
  };
  const accessoryInfo = iop(0xa100, [0x15, 0x00, 0, 0, 0x01, 0x00]);
  return {
    device: { speed: Speed.full, descriptors: cp2615Descriptors('CP2615-REF-0001') },
    out: CP2615_EP_OUT,
    in: CP2615_EP_IN,
    command(data) {
      const id = ((data[4] ?? 0) << 8) | (data[5] ?? 0);
      if (id === 0xd100) return accessoryInfo;
      if (id !== 0xd400) return undefined;
      const [tag = 0, addr = 0, readLength = 0] = data.subarray(6);
      return iop(0xa400, [tag, addr, 0, readLength, ...new Array<number>(readLength).fill(0xff)]);
    },
  };
}

const HEADER = 16; // type, length, 64-bit id: both sides advertise 64bits_ids
const BULK_HEADER = 10; // endpoint, status, length, stream_id, length_high (32bits_bulk_length)

/** One connection: the session enumerates, the fast path below answers bulk transfers. */
class ReferenceConnection {
  private readonly session: UsbredirHostSession;
  private pending: Buffer = Buffer.alloc(0);
  private readonly answers: Uint8Array[] = [];
  /** A bulk IN that arrived before its answer: its 8 id bytes and wanted length. */
  private waitingIn: { id: Buffer; length: number } | undefined;
  private rxAt = NaN;

  constructor(
    private readonly socket: net.Socket,
    private readonly behaviour: ReferenceBehaviour,
    private readonly timing: ReferenceTiming,
    ownReads = false,
  ) {
    this.session = new UsbredirHostSession(behaviour.device, {
      send: (bytes) => {
        if (!socket.destroyed) socket.write(bytes);
      },
    });
    // With ownReads the socket was connected with onread and calls receive() itself.
    if (!ownReads) socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => this.session.close());
    this.session.start();
  }

  /** Bytes read; `chunk` may be reused by the next read, so what is kept is copied (Buffer.from below). */
  receive(chunk: Buffer): void {
    if (this.timing.clock) this.rxAt = this.timing.clock();
    let buf = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let at = 0;
    for (;;) {
      const header = this.session.negotiation.both('64bits_ids') ? HEADER : 12;
      if (buf.length - at < header) break;
      const length = buf.readUInt32LE(at + 4);
      if (buf.length - at < header + length) break;
      const packet = buf.subarray(at, at + header + length);
      at += header + length;
      if (
        header === HEADER &&
        packet.readUInt32LE(0) === PacketType.bulk_packet &&
        this.session.deviceLink === 'connected'
      ) {
        this.bulk(packet);
      } else {
        this.session.receive(packet);
      }
    }
    buf = buf.subarray(at);
    this.pending = buf.length === 0 ? Buffer.alloc(0) : Buffer.from(buf);
  }

  private bulk(packet: Buffer): void {
    const id = packet.subarray(8, 16);
    const endpoint = packet[HEADER] ?? 0;
    this.timing.stamps?.push({ dir: 'rx', id: id.readBigUInt64LE(0), endpoint, us: this.rxAt });
    const length = packet.readUInt16LE(HEADER + 2) | (packet.readUInt16LE(HEADER + 8) << 16);
    if (endpoint === this.behaviour.out) {
      const answer = this.behaviour.command(packet.subarray(HEADER + BULK_HEADER));
      this.reply(id, endpoint, Status.success, length, undefined);
      if (answer) this.answers.push(answer);
      if (this.waitingIn && this.answers.length > 0) {
        const w = this.waitingIn;
        this.waitingIn = undefined;
        this.answerIn(w.id, w.length);
      }
    } else if (endpoint === this.behaviour.in) {
      if (this.answers.length === 0) this.waitingIn = { id: Buffer.from(id), length };
      else this.answerIn(id, length);
    } else {
      this.reply(id, endpoint, Status.stall, 0, undefined);
    }
  }

  private answerIn(id: Buffer, length: number): void {
    const data = this.answers.shift() ?? new Uint8Array(0);
    const n = Math.min(data.length, length);
    this.reply(id, this.behaviour.in, Status.success, n, data.subarray(0, n));
  }

  private reply(
    id: Buffer,
    endpoint: number,
    status: number,
    length: number,
    data: Uint8Array | undefined,
  ): void {
    const n = data?.length ?? 0;
    const out = Buffer.allocUnsafe(HEADER + BULK_HEADER + n);
    out.writeUInt32LE(PacketType.bulk_packet, 0);
    out.writeUInt32LE(BULK_HEADER + n, 4);
    id.copy(out, 8);
    out[16] = endpoint;
    out[17] = status;
    out.writeUInt16LE(length & 0xffff, 18);
    out.writeUInt32LE(0, 20);
    out.writeUInt16LE(length >>> 16, 24);
    if (data) out.set(data, HEADER + BULK_HEADER);
    if (this.timing.clock) {
      this.timing.stamps?.push({ dir: 'tx', id: id.readBigUInt64LE(0), endpoint, us: this.timing.clock() });
    }
    if (!this.socket.destroyed) this.socket.write(out);
  }
}

/** Receive and send timestamps for the breakdown, as the device models' session gives them. */
export interface ReferenceTiming {
  readonly clock?: () => number;
  readonly stamps?: EmulatorStamp[];
}

export interface ReferenceServer {
  close(): Promise<void>;
}

/** Listens on a UNIX socket for QEMU's usb-redir chardev, one connection at a time. */
export function listenReference(
  path: string,
  behaviour: () => ReferenceBehaviour,
  timing: ReferenceTiming = {},
): Promise<ReferenceServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    new ReferenceConnection(socket, behaviour(), timing);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolve({
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}

/**
 * Connects to QEMU's listening chardev (`server=on`), as the device models do in a run
 * (src/qemu/usbredir-links.ts), reading into one buffer for the socket's life like they do.
 */
export function connectReference(
  path: string,
  behaviour: () => ReferenceBehaviour,
  timing: ReferenceTiming = {},
): Promise<ReferenceServer> {
  return new Promise((resolve, reject) => {
    let connection: ReferenceConnection | undefined;
    const readBuffer = Buffer.allocUnsafe(64 * 1024);
    const socket = net.createConnection({
      path,
      onread: {
        buffer: readBuffer,
        callback: (n) => {
          connection?.receive(readBuffer.subarray(0, n));
          return true;
        },
      },
    });
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      connection = new ReferenceConnection(socket, behaviour(), timing, true);
      resolve({
        close: () =>
          new Promise<void>((done) => {
            if (socket.destroyed) return done();
            socket.once('close', () => done());
            socket.destroy();
          }),
      });
    });
  });
}
