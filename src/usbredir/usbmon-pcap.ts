/**
 * Reader for the USB captures QEMU writes with `-device usb-redir,...,pcap=FILE` (hw/usb/pcap.c): a classic
 * pcap file (magic a1b2c3d4, microsecond timestamps from gettimeofday) of LINKTYPE_USB_LINUX_MMAPPED (220)
 * records, each the 64-byte usbmon header of drivers/usb/mon/mon_bin.c followed by up to 256 data bytes.
 * QEMU writes an 'S' record when a packet reaches the device (usb_process_one, before usb-redir forwards it)
 * and a 'C' record when it completes (usb_packet_complete_one, after usb-redir got the answer), with the
 * packet id usb-redir also uses as the usbredir packet id; control transfers are recorded with id 0.
 * Pure: bytes in, records out.
 */
import { MdioEmuError } from '../diagnostics/index.js';

export interface UsbmonRecord {
  /** Host wall clock when QEMU wrote the record, µs since the epoch. */
  readonly tsUs: number;
  readonly type: 'S' | 'C' | 'E';
  /** usbmon URB id: for QEMU, the USBPacket id, which usb-redir sends as the usbredir packet id. */
  readonly id: bigint;
  /** 0 iso, 1 interrupt, 2 control, 3 bulk. */
  readonly xferType: number;
  /** Endpoint number with bit 7 set for IN. */
  readonly endpoint: number;
  readonly devnum: number;
  readonly status: number;
  /** Submitted length ('S') or actual length ('C'). */
  readonly length: number;
  readonly data: Uint8Array;
}

/** Codes for unreadable captures (USB2xxx: capture files; USB1xxx are wire protocol violations). */
export const UsbmonPcapErrorCode = {
  BAD_MAGIC: 'USB2001',
  BAD_LINKTYPE: 'USB2002',
  TRUNCATED: 'USB2003',
} as const;
export type UsbmonPcapErrorCode = (typeof UsbmonPcapErrorCode)[keyof typeof UsbmonPcapErrorCode];

/** A capture file that is not what QEMU's usb pcap writes. */
export class UsbmonPcapError extends MdioEmuError {
  readonly kind = 'input';
  constructor(
    code: UsbmonPcapErrorCode,
    message: string,
    readonly offset: number,
  ) {
    super(code, message, { where: `usbmon pcap at byte ${offset}` });
  }
}

const PCAP_MAGIC = 0xa1b2c3d4;
const LINKTYPE_USB_LINUX_MMAPPED = 220;
const GLOBAL_HEADER = 24;
const RECORD_HEADER = 16;
const USBMON_HEADER = 64;

/**
 * Every record of a capture. A record cut short at the end (QEMU killed mid-write) ends the list quietly;
 * anything else malformed throws a UsbmonPcapError with its byte offset.
 */
export function readUsbmonPcap(bytes: Uint8Array): UsbmonRecord[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < GLOBAL_HEADER)
    throw new UsbmonPcapError(UsbmonPcapErrorCode.TRUNCATED, 'no pcap header', 0);
  if (view.getUint32(0, true) !== PCAP_MAGIC) {
    throw new UsbmonPcapError(UsbmonPcapErrorCode.BAD_MAGIC, 'not a little-endian microsecond pcap file', 0);
  }
  const linktype = view.getUint32(20, true);
  if (linktype !== LINKTYPE_USB_LINUX_MMAPPED) {
    throw new UsbmonPcapError(
      UsbmonPcapErrorCode.BAD_LINKTYPE,
      `link type ${linktype}, expected 220 (usbmon mmapped)`,
      20,
    );
  }
  const out: UsbmonRecord[] = [];
  let at = GLOBAL_HEADER;
  while (at + RECORD_HEADER <= bytes.length) {
    const sec = view.getUint32(at, true);
    const usec = view.getUint32(at + 4, true);
    const included = view.getUint32(at + 8, true);
    const body = at + RECORD_HEADER;
    if (body + included > bytes.length) break;
    if (included < USBMON_HEADER) {
      throw new UsbmonPcapError(
        UsbmonPcapErrorCode.TRUNCATED,
        `record of ${included} bytes has no usbmon header`,
        at,
      );
    }
    const type = String.fromCharCode(view.getUint8(body + 8));
    out.push({
      tsUs: sec * 1e6 + usec,
      type: type === 'S' || type === 'C' ? type : 'E',
      id: view.getBigUint64(body, true),
      xferType: view.getUint8(body + 9),
      endpoint: view.getUint8(body + 10),
      devnum: view.getUint8(body + 11),
      status: view.getInt32(body + 28, true),
      length: view.getUint32(body + 32, true),
      data: bytes.slice(body + USBMON_HEADER, body + included),
    });
    at = body + included;
  }
  return out;
}
