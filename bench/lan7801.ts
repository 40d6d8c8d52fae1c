/**
 * Frames per second through two emulated LAN7801s joined by a cable, in process: the guest side of A
 * (bulk OUT transfers packed as lan78xx_tx_buf_fill packs them) → A's MAC → cable (and a pcap tap) → B's
 * MAC → B's bulk IN transfers (16 KiB, as the driver's RX URBs). Reference: 1 Gb/s line rate of 1518-byte
 * frames (1518 + 8 preamble + 12 inter-frame gap = 1538 byte times) is 81,274 frames/s.
 */
import { VirtualClock } from '../src/clock.js';
import { EthernetCable, PcapRecorder, tee, type FrameReceiver } from '../src/net/index.js';
import { Lan7801 } from '../src/usbredir/devices/lan7801.js';
import { encodeTxTransfer, parseRxTransfer, type TxFrame } from '../src/usbredir/devices/lan7801-frames.js';
import { R } from '../src/usbredir/devices/lan7801-regs.js';

const LINE_RATE_FPS = 1e9 / 8 / 1538;
const FRAME_LEN = 1514; // 1518 on the wire with the FCS the MAC adds
const URB_SIZE = 16 * 1024; // TX_HS_URB_SIZE / RX_HS_URB_SIZE
const SECONDS = 1.5;

const noMdio = { read: () => 0xffff, write: () => undefined };

function upAdapter(mac: number[]): Lan7801 {
  const dev = new Lan7801({ mdio: noMdio, macAddress: Uint8Array.from(mac) });
  // What lan78xx_reset + lan78xx_open leave set (see test/usbredir/lan78xx-driver.ts).
  dev.writeRegister(R.USB_CFG0, 0x40 | 0x20); // BIR, BCE
  dev.writeRegister(R.BURST_CAP, URB_SIZE / 512);
  dev.writeRegister(R.RFE_CTL, 0x400);
  dev.writeRegister(R.MAC_RX, ((1518 + 4) << 16) | 1);
  dev.writeRegister(R.FCT_RX_CTL, 0x8000_0000);
  dev.writeRegister(R.MAC_TX, 1);
  dev.writeRegister(R.FCT_TX_CTL, 0x8000_0000);
  return dev;
}

function measure(withPcap: boolean): { fps: number; frames: number; pcapBytes: number } {
  const macA = [0x02, 0, 0, 0, 0, 0xa];
  const macB = [0x02, 0, 0, 0, 0, 0xb];
  const a = upAdapter(macA);
  const b = upAdapter(macB);
  const cable = new EthernetCable(a, b);
  let pcapBytes = 0;
  const clock = new VirtualClock();
  const tx: FrameReceiver = withPcap
    ? tee(cable.endA, new PcapRecorder({ clock, write: (c) => void (pcapBytes += c.length) }))
    : cable.endA;
  a.connect(tx);
  const frame = new Uint8Array(FRAME_LEN);
  frame.set(macB, 0);
  frame.set(macA, 6);
  frame[12] = 0x88;
  frame[13] = 0xb5;
  const perUrb = Math.floor(URB_SIZE / (8 + FRAME_LEN + 2));
  const txFrames: TxFrame[] = Array.from({ length: perUrb }, () => ({
    cmdA: FRAME_LEN | 0x0040_0000,
    cmdB: 0,
    data: frame,
  }));
  const transfer = encodeTxTransfer(txFrames);
  let received = 0;
  const started = performance.now();
  const deadline = started + SECONDS * 1000;
  while (performance.now() < deadline) {
    for (let i = 0; i < 50; i++) {
      a.dataOut(0x02, transfer);
      for (let got = b.dataIn(0x81, URB_SIZE); got?.data; got = b.dataIn(0x81, URB_SIZE))
        received += parseRxTransfer(got.data).length;
    }
  }
  const elapsed = (performance.now() - started) / 1000;
  return { fps: received / elapsed, frames: received, pcapBytes };
}

export async function run(): Promise<void> {
  measure(false); // warm-up: JIT, allocation pools
  for (const withPcap of [false, true]) {
    const { fps, frames, pcapBytes } = measure(withPcap);
    const label = withPcap
      ? 'bulk OUT → MAC → cable + pcap tap → MAC → bulk IN'
      : 'bulk OUT → MAC → cable → MAC → bulk IN';
    console.log(
      `${label}: ${Math.round(fps).toLocaleString('en')} frames/s of ${FRAME_LEN + 4} bytes (${frames} frames${withPcap ? `, ${(pcapBytes / 1e6).toFixed(0)} MB pcap` : ''})`,
    );
    console.log(
      `  ratio to 1 Gb/s line rate (${Math.round(LINE_RATE_FPS).toLocaleString('en')} frames/s): ${(fps / LINE_RATE_FPS).toFixed(2)}`,
    );
  }
  await Promise.resolve();
}
