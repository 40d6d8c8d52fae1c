import { ethernetFcs, crc32BigEndian } from '../../net/crc32.js';
import {
  ETH_FCS_LEN,
  ETH_ZLEN,
  ETHERTYPE_VLAN,
  isBroadcast,
  isMulticast,
  type FrameReceiver,
} from '../../net/frame.js';
import { insertChecksums, segmentTcp } from '../../net/offload.js';
import { Speed, Status, type StatusCode } from '../codec/constants.js';
import { TransferType, type DeviceDescriptors } from '../descriptors.js';
import type { SetupPacket, TransferResult, UsbDeviceModel } from '../device.js';
import type { Clause22Bus } from './buses.js';
import {
  parseTxTransfer,
  rxEncodedLength,
  writeRxFrame,
  RX_CMD_A,
  TX_CMD_A,
  TX_CMD_B,
  type RxFrame,
  type TxParseError,
} from './lan7801-frames.js';
import {
  B,
  CHIP_ID_7801,
  DP_VHF_VLAN_LEN,
  NUM_OF_MAF,
  R,
  REGISTERS,
  VENDOR_REQUEST_GET_STATS,
  VENDOR_REQUEST_READ_REGISTER,
  VENDOR_REQUEST_WRITE_REGISTER,
  defineLan7801Registers,
  mafHi,
  mafLo,
} from './lan7801-regs.js';
import { VirtualClock } from '../../clock.js';
import type { RegisterMap } from '../../regs/index.js';

export const LAN78XX_VENDOR_ID = 0x0424;
export const LAN7801_PRODUCT_ID = 0x7801;
/** lan78xx.c BULK_IN_PIPE 1 / BULK_OUT_PIPE 2; the interrupt endpoint must be the interface's third. */
export const LAN7801_EP_BULK_IN = 0x81;
export const LAN7801_EP_BULK_OUT = 0x02;
export const LAN7801_EP_INTERRUPT = 0x83;
/** lan78xx_status() insists on a 4-byte report (INT_STS bits, INT_ENP_PHY_INT = bit 17). */
const INTERRUPT_REPORT_LEN = 4;
/** HS_USB_PKT_SIZE: BURST_CAP counts high-speed packets of 512 bytes (lan78xx_urb_config_init). */
const HS_PACKET = 512;
/** Frames waiting for bulk IN beyond this many bytes are dropped, as a full RX FIFO would. */
const RX_QUEUE_LIMIT_BYTES = 1 << 20;

/** The external PHY's interrupt output (src/phy `Phy` fits) and its link state. */
export interface Lan7801PhyWiring {
  onIrq(listener: (asserted: boolean) => void): () => void;
  readonly irq: boolean;
  readonly status: { readonly up: boolean };
  /** PMT_CTL.PHY_RST drives the PHY's reset pin. */
  hardReset?(): void;
}

export type Lan7801TraceEvent =
  | {
      readonly event: 'lan7801.mdio';
      readonly op: 'read' | 'write';
      readonly phy: number;
      readonly reg: number;
      readonly value: number;
    }
  /** First access to a register the model does not know (logged once per address; reads 0, writes dropped). */
  | { readonly event: 'lan7801.unimplemented'; readonly address: number; readonly op: 'read' | 'write' }
  /** The guest did something the chip rejects (a malformed TX transfer, an unknown vendor request). */
  | {
      readonly event: 'lan7801.guest_error';
      readonly code: TxParseError['code'] | 'LAN7801_BAD_REQUEST';
      readonly detail: string;
    }
  | { readonly event: 'lan7801.tx'; readonly length: number }
  | { readonly event: 'lan7801.rx'; readonly length: number }
  | { readonly event: 'lan7801.drop'; readonly direction: 'tx' | 'rx'; readonly reason: Lan7801DropReason }
  | { readonly event: 'lan7801.interrupt'; readonly status: number }
  | { readonly event: 'lan7801.reset'; readonly kind: 'lite' | 'soft' | 'mac' | 'phy' };

export type Lan7801DropReason = 'disabled' | 'no_link' | 'filtered' | 'too_long' | 'overflow';

export interface Lan7801Options {
  /** The MDIO bus behind MII_ACC/MII_DATA (src/mdio `MdioBus` fits). */
  readonly mdio: Clause22Bus;
  readonly phy?: Lan7801PhyWiring;
  /** Where transmitted frames go (a cable, a pcap tap); `connect()` can set it later. */
  readonly wire?: FrameReceiver;
  /** RX_ADDRL/H after reset, as an EEPROM autoload would set them; absent: all ones, the driver picks one. */
  readonly macAddress?: Uint8Array;
  /** EEPROM contents (signature 0xA5 at 0); absent: no EEPROM, commands time out (E2P_CMD.EPC_TIMEOUT). */
  readonly eeprom?: Uint8Array;
  /** OTP contents; absent: blank (reads 0, so lan78xx_read_otp finds no signature). */
  readonly otp?: Uint8Array;
  /** ID_REV bits 15:0. lan78xx.c stores it (dev->chiprev) but never tests it. */
  readonly chipRevision?: number;
  readonly serialNumber?: string;
  readonly trace?: (event: Lan7801TraceEvent) => void;
}

export interface Lan7801Counters {
  txFrames: number;
  rxFrames: number;
  txDropped: number;
  rxDropped: number;
  interruptReports: number;
}

/**
 * USB descriptors of a LAN7801 at high speed: vendor-specific device and interface, bulk IN 1, bulk OUT 2,
 * interrupt IN 3 (lan78xx_probe() takes the interface's third endpoint as the interrupt endpoint).
 */
export function lan7801Descriptors(serialNumber?: string): DeviceDescriptors {
  return {
    bcdUSB: 0x0210,
    deviceClass: 0xff,
    deviceSubclass: 0x00,
    deviceProtocol: 0xff,
    maxPacketSize0: 64,
    vendorId: LAN78XX_VENDOR_ID,
    productId: LAN7801_PRODUCT_ID,
    bcdDevice: 0x0100,
    manufacturer: 'Microchip',
    product: 'LAN7801',
    ...(serialNumber !== undefined ? { serialNumber } : {}),
    configurations: [
      {
        value: 1,
        attributes: 0xa0, // bus powered, remote wakeup (lan78xx sets needs_remote_wakeup)
        maxPowerMilliamps: 200,
        interfaces: [
          {
            number: 0,
            alternates: [
              {
                alternate: 0,
                interfaceClass: 0xff,
                interfaceSubclass: 0x00,
                interfaceProtocol: 0xff,
                endpoints: [
                  {
                    address: LAN7801_EP_BULK_IN,
                    transfer: TransferType.bulk,
                    maxPacketSize: HS_PACKET,
                    interval: 0,
                  },
                  {
                    address: LAN7801_EP_BULK_OUT,
                    transfer: TransferType.bulk,
                    maxPacketSize: HS_PACKET,
                    interval: 0,
                  },
                  {
                    address: LAN7801_EP_INTERRUPT,
                    transfer: TransferType.interrupt,
                    maxPacketSize: 16,
                    interval: 4,
                  },
                ],
              },
            ],
          },
        ],
      },
    ],
  };
}

/**
 * Microchip LAN7801 USB 2.0/3.0 to RGMII Ethernet MAC as drivers/net/usb/lan78xx.c (Linux 6.1) drives it:
 * the register file behind vendor requests 0xA0/0xA1, the MII management engine onto an external MDIO bus,
 * absent EEPROM and blank OTP, the data port (VLAN and multicast hash RAM), the receive filter, TX offloads
 * (checksums, LSO, VLAN insertion), and the PHY interrupt reported on the interrupt endpoint.
 */
export class Lan7801 implements UsbDeviceModel, FrameReceiver {
  readonly speed = Speed.high;
  readonly descriptors: DeviceDescriptors;
  readonly counters: Lan7801Counters = {
    txFrames: 0,
    rxFrames: 0,
    txDropped: 0,
    rxDropped: 0,
    interruptReports: 0,
  };
  /** The register file (lan7801-regs.ts); side effects are hooks on its registers. */
  readonly registers: RegisterMap;
  readonly #unimplementedSeen = new Set<number>();
  /** VLAN/DA data-port RAM: 128 VLAN words then 16 multicast hash words (DP_SEL_RSEL_VLAN_DA_). */
  readonly #vlanDaRam = new Uint32Array(DP_VHF_VLAN_LEN + 16);
  #rxQueue: RxFrame[] = [];
  #rxQueuedBytes = 0;
  #interruptPending = false;
  /** INT_STS bits already sent on the interrupt endpoint; a bit is reported again after the host clears it. */
  #reported = 0;
  #notify: ((endpoint: number) => void) | undefined;
  #wire: FrameReceiver | undefined;
  readonly #unsubscribeIrq: (() => void) | undefined;

  constructor(private readonly options: Lan7801Options) {
    this.descriptors = lan7801Descriptors(options.serialNumber);
    this.#wire = options.wire;
    this.registers = defineLan7801Registers(
      new VirtualClock(),
      (e) => {
        if (e.type === 'reg.unmodelled') this.#unimplemented(e.address, e.op);
      },
      {
        idRev: () => ((CHIP_ID_7801 << 16) | ((options.chipRevision ?? 0) & 0xffff)) >>> 0,
        rxFifoEmpty: () => this.#rxQueue.length === 0,
      },
    );
    this.#attachHooks();
    this.#powerOnReset();
    this.#unsubscribeIrq = options.phy?.onIrq((asserted) => {
      if (asserted) this.#latch(B.INT_STS_PHY_INT);
    });
    if (options.phy?.irq) this.#latch(B.INT_STS_PHY_INT);
  }

  /** Sets where transmitted frames go. */
  connect(wire: FrameReceiver | undefined): void {
    this.#wire = wire;
  }

  /** Stops listening to the PHY's interrupt line. */
  dispose(): void {
    this.#unsubscribeIrq?.();
  }

  // ---- USB side ---------------------------------------------------------------------------------

  setInNotifier(notify: (endpoint: number) => void): void {
    this.#notify = notify;
  }

  reset(): void {
    // A USB bus reset leaves the chip's registers; reports already in flight are lost with the transfer.
    this.#interruptPending = false;
    this.#reported = 0;
  }

  controlRequest(setup: SetupPacket, data: Uint8Array): TransferResult {
    const vendorDevice = (setup.requestType & 0x7f) === 0x40;
    if (
      vendorDevice &&
      setup.requestType & 0x80 &&
      setup.request === VENDOR_REQUEST_READ_REGISTER &&
      setup.length >= 4
    ) {
      const out = new Uint8Array(4);
      new DataView(out.buffer).setUint32(0, this.readRegister(setup.index), true);
      return { status: Status.success, data: out };
    }
    if (
      vendorDevice &&
      !(setup.requestType & 0x80) &&
      setup.request === VENDOR_REQUEST_WRITE_REGISTER &&
      data.length >= 4
    ) {
      this.writeRegister(setup.index, new DataView(data.buffer, data.byteOffset, 4).getUint32(0, true));
      return { status: Status.success };
    }
    if (vendorDevice && setup.requestType & 0x80 && setup.request === VENDOR_REQUEST_GET_STATS) {
      // struct lan78xx_statstage: hardware counters; the model keeps none, so all read zero.
      return { status: Status.success, data: new Uint8Array(setup.length) };
    }
    this.#emit({
      event: 'lan7801.guest_error',
      code: 'LAN7801_BAD_REQUEST',
      detail: `bmRequestType 0x${hex(setup.requestType, 2)} bRequest 0x${hex(setup.request, 2)}`,
    });
    return { status: Status.stall };
  }

  dataOut(endpoint: number, data: Uint8Array): StatusCode {
    if (endpoint !== LAN7801_EP_BULK_OUT) return Status.stall;
    const { frames, error } = parseTxTransfer(data);
    for (const f of frames) this.#transmit(f.cmdA, f.cmdB, f.data);
    if (error)
      this.#emit({
        event: 'lan7801.guest_error',
        code: error.code,
        detail: `at byte ${error.offset} of a ${data.length}-byte transfer`,
      });
    return Status.success;
  }

  dataIn(endpoint: number, maxLength: number): TransferResult | undefined {
    if (endpoint === LAN7801_EP_INTERRUPT) return this.#interruptIn();
    if (endpoint === LAN7801_EP_BULK_IN) return this.#bulkIn(maxLength);
    return { status: Status.stall };
  }

  // ---- registers --------------------------------------------------------------------------------

  readRegister(address: number): number {
    return this.registers.read(address);
  }

  writeRegister(address: number, value: number): void {
    this.registers.write(address, value >>> 0);
  }

  /** Current value of a declared register as the host would read it (tests, dumps). */
  get macAddress(): Uint8Array {
    const lo = this.#reg(R.RX_ADDRL);
    const hi = this.#reg(R.RX_ADDRH);
    return Uint8Array.of(
      lo & 0xff,
      (lo >>> 8) & 0xff,
      (lo >>> 16) & 0xff,
      lo >>> 24,
      hi & 0xff,
      (hi >>> 8) & 0xff,
    );
  }

  /** Side effects of writes, one hook per register (the command bits themselves are `sc` and read 0). */
  #attachHooks(): void {
    const on = (address: number, hook: (value: number) => void) => this.registers.get(address).onWrite(hook);
    on(R.HW_CFG, (v) => {
      if (v & B.HW_CFG_SRST) this.#resetRegisters(true, 'soft');
      else if (v & B.HW_CFG_LRST) this.#resetRegisters(false, 'lite');
    });
    on(R.PMT_CTL, (v) => {
      if (!(v & B.PMT_CTL_PHY_RST)) return;
      this.#emit({ event: 'lan7801.reset', kind: 'phy' });
      this.options.phy?.hardReset?.();
    });
    on(R.MAC_CR, (v) => {
      if (v & B.MAC_CR_RST) this.#emit({ event: 'lan7801.reset', kind: 'mac' });
    });
    on(R.FCT_RX_CTL, (v) => {
      if (!(v & B.FCT_CTL_RST)) return;
      this.#rxQueue = [];
      this.#rxQueuedBytes = 0;
    });
    on(R.MII_ACC, (v) => {
      if (v & B.MII_ACC_MII_BUSY) this.#miiAccess(v);
    });
    on(R.E2P_CMD, (v) => {
      if (v & B.E2P_CMD_EPC_BUSY) this.#eepromCommand(v);
    });
    on(R.OTP_CMD_GO, (v) => {
      if (v & B.OTP_CMD_GO_GO) this.#otpCommand();
    });
    on(R.DP_CMD, (v) => {
      if (v & B.DP_CMD_WRITE) this.#dataPortWrite();
    });
    on(R.INT_STS, () => {
      // The PHY interrupt input is level-sensitive: clearing the bit while INTn is still low sets it again.
      this.#reported &= this.#reg(R.INT_STS);
      if (this.options.phy?.irq) this.#latch(B.INT_STS_PHY_INT);
      this.#updateInterrupt();
    });
    on(R.INT_EP_CTL, () => this.#updateInterrupt());
  }

  /** A register's value without read side effects. */
  #reg(address: number): number {
    return this.registers.get(address).peek();
  }

  /** Model-side update of a register's stored bits (an engine's result). */
  #set(address: number, value: number, mask = 0xffff_ffff): void {
    this.registers.get(address).restore(value >>> 0, mask);
  }

  /**
   * MII management (lan78xx_mdiobus_read/write): writing MII_ACC with MII_BUSY runs one Clause 22 frame;
   * the frame completes before the next register access, so the host's first busy poll sees BUSY clear.
   */
  #miiAccess(acc: number): void {
    const phy = (acc >>> B.MII_ACC_PHY_ADDR_SHIFT) & 0x1f;
    const reg = (acc >>> B.MII_ACC_MIIRINDA_SHIFT) & 0x1f;
    if (acc & B.MII_ACC_MII_WRITE) {
      const value = this.#reg(R.MII_DATA) & 0xffff;
      this.options.mdio.write(phy, reg, value);
      this.#emit({ event: 'lan7801.mdio', op: 'write', phy, reg, value });
    } else {
      const value = this.options.mdio.read(phy, reg) & 0xffff;
      this.#set(R.MII_DATA, value);
      this.#emit({ event: 'lan7801.mdio', op: 'read', phy, reg, value });
    }
  }

  /** EEPROM controller: with no EEPROM on the bus a command ends with EPC_TIMEOUT (lan78xx_wait_eeprom). */
  #eepromCommand(cmd: number): void {
    const eeprom = this.options.eeprom;
    let next = cmd & ~B.E2P_CMD_EPC_BUSY & ~B.E2P_CMD_EPC_TIMEOUT;
    if (!eeprom) next |= B.E2P_CMD_EPC_TIMEOUT;
    else {
      const addr = cmd & B.E2P_CMD_EPC_ADDR_MASK;
      const op = cmd & B.E2P_CMD_EPC_CMD_MASK;
      if (op === B.E2P_CMD_EPC_CMD_READ) this.#set(R.E2P_DATA, eeprom[addr] ?? 0xff);
      else if (op === B.E2P_CMD_EPC_CMD_WRITE && addr < eeprom.length)
        eeprom[addr] = this.#reg(R.E2P_DATA) & 0xff;
    }
    this.#set(R.E2P_CMD, next);
  }

  /** OTP read (lan78xx_read_raw_otp): address from OTP_ADDR1/2, data in OTP_RD_DATA, never busy. */
  #otpCommand(): void {
    if ((this.#reg(R.OTP_FUNC_CMD) & B.OTP_FUNC_CMD_READ) === 0) return;
    const addr = ((this.#reg(R.OTP_ADDR1) & 0x1f) << 8) | (this.#reg(R.OTP_ADDR2) & 0xff);
    this.#set(R.OTP_RD_DATA, this.options.otp?.[addr] ?? 0);
  }

  /** lan78xx_dataport_write: DP_ADDR/DP_DATA then DP_CMD_WRITE; DPRDY never drops. */
  #dataPortWrite(): void {
    const sel = this.#reg(R.DP_SEL) & B.DP_SEL_RSEL_MASK;
    const addr = this.#reg(R.DP_ADDR);
    if (sel === B.DP_SEL_RSEL_VLAN_DA && addr < this.#vlanDaRam.length)
      this.#vlanDaRam[addr] = this.#reg(R.DP_DATA);
    else this.#unimplemented(0x10000 | (sel << 12) | (addr & 0xfff), 'write');
  }

  #powerOnReset(): void {
    this.#resetRegisters(true, undefined);
  }

  /** Lite reset keeps the USB block's registers (the device stays enumerated); soft reset restores all. */
  #resetRegisters(includingUsb: boolean, kind: 'lite' | 'soft' | undefined): void {
    for (const decl of REGISTERS)
      if (includingUsb || !decl.usbBlock) this.registers.get(decl.address).reset();
    const mac = this.options.macAddress ?? this.#eepromMac();
    if (mac) {
      this.#set(
        R.RX_ADDRL,
        (mac[0] ?? 0) | ((mac[1] ?? 0) << 8) | ((mac[2] ?? 0) << 16) | ((mac[3] ?? 0) << 24),
      );
      this.#set(R.RX_ADDRH, (mac[4] ?? 0) | ((mac[5] ?? 0) << 8));
    }
    this.#vlanDaRam.fill(0);
    this.#rxQueue = [];
    this.#rxQueuedBytes = 0;
    this.#interruptPending = false;
    this.#reported = 0;
    if (kind) this.#emit({ event: 'lan7801.reset', kind });
    if (this.options.phy?.irq) this.#latch(B.INT_STS_PHY_INT);
  }

  /** EEPROM autoload: a valid signature (LAN78XX_EEPROM_MAGIC layout, 0xA5 at 0) puts bytes 1-6 in RX_ADDR. */
  #eepromMac(): Uint8Array | undefined {
    const e = this.options.eeprom;
    return e && e[0] === 0xa5 && e.length >= 7 ? e.slice(1, 7) : undefined;
  }

  #unimplemented(address: number, op: 'read' | 'write'): void {
    if (this.#unimplementedSeen.has(address)) return;
    this.#unimplementedSeen.add(address);
    this.#emit({ event: 'lan7801.unimplemented', address, op });
  }

  // ---- interrupt endpoint -----------------------------------------------------------------------

  #latch(bits: number): void {
    this.registers.get(R.INT_STS).raise(bits);
    this.#updateInterrupt();
  }

  #pendingInterrupts(): number {
    return (this.#reg(R.INT_STS) & this.#reg(R.INT_EP_CTL) & 0x0fff_ffff) >>> 0;
  }

  /** A report goes out when an enabled status bit is set that the host has not been told about. */
  #updateInterrupt(): void {
    const fresh = this.#pendingInterrupts() & ~this.#reported;
    if (fresh === 0 || this.#interruptPending) return;
    this.#interruptPending = true;
    this.#notify?.(LAN7801_EP_INTERRUPT);
  }

  #interruptIn(): TransferResult | undefined {
    if (!this.#interruptPending) return undefined;
    this.#interruptPending = false;
    const status = this.#pendingInterrupts();
    if (status === 0) return undefined;
    this.#reported |= status;
    this.counters.interruptReports++;
    this.#emit({ event: 'lan7801.interrupt', status });
    const data = new Uint8Array(INTERRUPT_REPORT_LEN);
    new DataView(data.buffer).setUint32(0, status, true);
    return { status: Status.success, data };
  }

  // ---- frames -----------------------------------------------------------------------------------

  #linkUp(): boolean {
    return this.options.phy?.status.up ?? true;
  }

  #transmit(cmdA: number, cmdB: number, data: Uint8Array): void {
    const enabled = this.#reg(R.MAC_TX) & B.MAC_TX_TXEN && this.#reg(R.FCT_TX_CTL) & B.FCT_CTL_EN;
    if (!enabled) return this.#drop('tx', 'disabled');
    if (!this.#linkUp()) return this.#drop('tx', 'no_link');
    let frame = data;
    if (cmdA & TX_CMD_A.IVTG) frame = insertVlanTag(frame, cmdB & TX_CMD_B.VTAG_MASK);
    let frames: Uint8Array[];
    if (cmdA & TX_CMD_A.LSO) frames = segmentTcp(frame, (cmdB & TX_CMD_B.MSS_MASK) >>> TX_CMD_B.MSS_SHIFT);
    else if (cmdA & (TX_CMD_A.IPE | TX_CMD_A.TPE))
      frames = [insertChecksums(frame, { ip: (cmdA & TX_CMD_A.IPE) !== 0, l4: (cmdA & TX_CMD_A.TPE) !== 0 })];
    else frames = [frame];
    for (const f of frames) {
      const padded = f.length >= ETH_ZLEN ? f : padTo(f, ETH_ZLEN);
      this.counters.txFrames++;
      this.#emit({ event: 'lan7801.tx', length: padded.length });
      this.#wire?.receive(padded);
    }
  }

  /** A frame from the wire (no FCS): filtered, tagged and queued for bulk IN. */
  receive(frame: Uint8Array): void {
    const enabled = this.#reg(R.MAC_RX) & B.MAC_RX_RXEN && this.#reg(R.FCT_RX_CTL) & B.FCT_CTL_EN;
    if (!enabled) return this.#drop('rx', 'disabled');
    if (!this.#linkUp()) return this.#drop('rx', 'no_link');
    const maxSize = (this.#reg(R.MAC_RX) & B.MAC_RX_MAX_SIZE_MASK) >>> B.MAC_RX_MAX_SIZE_SHIFT;
    const rfe = this.#reg(R.RFE_CTL);
    let cmdA = RX_CMD_A.ICSM; // no receive checksum computed: the stack verifies in software
    let cmdB = 0;
    let body = frame;
    if (isBroadcast(frame)) cmdA |= RX_CMD_A.BAM;
    else if (isMulticast(frame)) cmdA |= RX_CMD_A.MAM;
    if (!this.#accepts(frame, rfe)) return this.#drop('rx', 'filtered');
    if (
      rfe & B.RFE_CTL_VLAN_STRIP &&
      frame.length >= 18 &&
      (((frame[12] ?? 0) << 8) | (frame[13] ?? 0)) === ETHERTYPE_VLAN
    ) {
      cmdA |= RX_CMD_A.FVTG;
      cmdB = ((frame[14] ?? 0) << 8) | (frame[15] ?? 0);
      body = new Uint8Array(frame.length - 4);
      body.set(frame.subarray(0, 12));
      body.set(frame.subarray(16), 12);
    }
    if (body.length + ETH_FCS_LEN > maxSize) return this.#drop('rx', 'too_long');
    const withFcs = new Uint8Array(body.length + ETH_FCS_LEN);
    withFcs.set(body);
    new DataView(withFcs.buffer).setUint32(body.length, ethernetFcs(body), true);
    const encoded = rxEncodedLength(withFcs.length);
    if (this.#rxQueuedBytes + encoded > RX_QUEUE_LIMIT_BYTES) return this.#drop('rx', 'overflow');
    this.#rxQueue.push({ cmdA, cmdB, cmdC: 0, data: withFcs });
    this.#rxQueuedBytes += encoded;
    this.counters.rxFrames++;
    this.#emit({ event: 'lan7801.rx', length: body.length });
    this.#notify?.(LAN7801_EP_BULK_IN);
  }

  /** Receive filtering engine (RFE_CTL): own address always; the rest as the driver configured it. */
  #accepts(frame: Uint8Array, rfe: number): boolean {
    if (isBroadcast(frame)) return (rfe & B.RFE_CTL_BCAST_EN) !== 0;
    if (sameMac(frame, this.macAddress)) return true;
    const multicast = isMulticast(frame);
    if (!multicast && rfe & B.RFE_CTL_UCAST_EN) return true;
    if (multicast && rfe & B.RFE_CTL_MCAST_EN) return true;
    if (rfe & B.RFE_CTL_DA_PERFECT && this.#perfectMatch(frame)) return true;
    if (multicast && rfe & B.RFE_CTL_MCAST_HASH) {
      const bit = (crc32BigEndian(frame.subarray(0, 6)) >>> 23) & 0x1ff; // lan78xx_hash()
      return (((this.#vlanDaRam[DP_VHF_VLAN_LEN + (bit >>> 5)] ?? 0) >>> (bit & 31)) & 1) === 1;
    }
    return false;
  }

  #perfectMatch(frame: Uint8Array): boolean {
    const lo =
      ((frame[0] ?? 0) | ((frame[1] ?? 0) << 8) | ((frame[2] ?? 0) << 16) | ((frame[3] ?? 0) << 24)) >>> 0;
    const hi = (frame[4] ?? 0) | ((frame[5] ?? 0) << 8);
    for (let i = 0; i < NUM_OF_MAF; i++) {
      const h = this.#reg(mafHi(i));
      if (!(h & B.MAF_HI_VALID) || h & B.MAF_HI_TYPE_SRC) continue;
      if ((h & 0xffff) === hi && this.#reg(mafLo(i)) === lo) return true;
    }
    return false;
  }

  #bulkIn(maxLength: number): TransferResult | undefined {
    if (this.#rxQueue.length === 0) {
      // USB_CFG0.BIR: NAK the IN token when there is nothing to send; otherwise a zero-length packet.
      return this.#reg(R.USB_CFG0) & B.USB_CFG_BIR
        ? undefined
        : { status: Status.success, data: new Uint8Array(0) };
    }
    let limit = maxLength;
    const usbCfg0 = this.#reg(R.USB_CFG0);
    const burst = this.#reg(R.BURST_CAP) & B.BURST_CAP_SIZE_MASK;
    if (usbCfg0 & B.USB_CFG_BCE && burst > 0) limit = Math.min(limit, burst * HS_PACKET);
    let size = 0;
    let count = 0;
    for (const f of this.#rxQueue) {
      const n = rxEncodedLength(f.data.length);
      if (size + n > limit && count > 0) break;
      size += n;
      count++;
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const f of this.#rxQueue.splice(0, count)) at = writeRxFrame(out, at, f);
    this.#rxQueuedBytes -= size;
    return { status: Status.success, data: out };
  }

  #drop(direction: 'tx' | 'rx', reason: Lan7801DropReason): void {
    if (direction === 'tx') this.counters.txDropped++;
    else this.counters.rxDropped++;
    this.#emit({ event: 'lan7801.drop', direction, reason });
  }

  #emit(event: Lan7801TraceEvent): void {
    this.options.trace?.(event);
  }
}

function insertVlanTag(frame: Uint8Array, tci: number): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12));
  out[12] = ETHERTYPE_VLAN >> 8;
  out[13] = ETHERTYPE_VLAN & 0xff;
  out[14] = tci >> 8;
  out[15] = tci & 0xff;
  out.set(frame.subarray(12), 16);
  return out;
}

function padTo(frame: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(frame);
  return out;
}

function sameMac(frame: Uint8Array, mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (frame[i] !== mac[i]) return false;
  return true;
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, '0');
}
