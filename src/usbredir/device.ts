import { EndpointType, Status, endpointIndex, type SpeedCode, type StatusCode } from './codec/constants.js';
import type { ConfigurationDescriptors, DeviceDescriptors, EndpointDescriptor } from './descriptors.js';

/** The 8-byte SETUP stage of a control transfer (USB 2.0 9.3). */
export interface SetupPacket {
  readonly requestType: number;
  readonly request: number;
  readonly value: number;
  readonly index: number;
  readonly length: number;
}

export interface TransferResult {
  readonly status: StatusCode;
  /** IN data; absent for OUT transfers and errors. */
  readonly data?: Uint8Array;
}

/**
 * An emulated USB device as the usbredir host session drives it. Standard requests are answered by
 * the session from `descriptors`; everything else comes here. All calls are synchronous.
 */
export interface UsbDeviceModel {
  readonly speed: SpeedCode;
  readonly descriptors: DeviceDescriptors;
  /** USB bus reset: drop pending responses. */
  reset?(): void;
  /** Class and vendor control requests. */
  controlRequest?(setup: SetupPacket, data: Uint8Array): TransferResult;
  /** Bulk or interrupt OUT data on `endpoint`. */
  dataOut?(endpoint: number, data: Uint8Array): StatusCode;
  /** Bulk or interrupt IN: a result now, or undefined to NAK until the device calls its notifier. */
  dataIn?(endpoint: number, maxLength: number): TransferResult | undefined;
  configurationChanged?(value: number): void;
  alternateChanged?(interfaceNumber: number, alternate: number): void;
  /** Called by each session that drives the device; the device calls `notify(ep)` when IN data appears. */
  setInNotifier?(notify: (endpoint: number) => void): void;
}

export interface ActiveEndpoint {
  readonly descriptor: EndpointDescriptor;
  readonly interfaceNumber: number;
}

/**
 * The chapter-9 state of a device: configuration, alternate settings, halted endpoints. A device is
 * announced configured with its first configuration, as a host OS leaves a device before
 * redirection (usbredirhost reads the active configuration).
 */
export class UsbFunctionState {
  private config: number;
  private readonly alternates = new Map<number, number>();
  private readonly halted = new Set<number>();
  /** activeEndpoints(), kept until the configuration or an alternate setting changes. */
  private active: ReadonlyMap<number, ActiveEndpoint> | undefined;

  constructor(readonly descriptors: DeviceDescriptors) {
    this.config = descriptors.configurations[0]?.value ?? 0;
  }

  /** bConfigurationValue set by the guest (0: unconfigured); change it with setConfiguration(). */
  get configuration(): number {
    return this.config;
  }

  get activeConfiguration(): ConfigurationDescriptors | undefined {
    return this.descriptors.configurations.find((c) => c.value === this.configuration);
  }

  alternate(interfaceNumber: number): number | undefined {
    const itf = this.activeConfiguration?.interfaces.find((i) => i.number === interfaceNumber);
    return itf === undefined ? undefined : (this.alternates.get(interfaceNumber) ?? 0);
  }

  setConfiguration(value: number): boolean {
    if (value !== 0 && !this.descriptors.configurations.some((c) => c.value === value)) return false;
    this.config = value;
    this.active = undefined;
    this.alternates.clear();
    this.halted.clear();
    return true;
  }

  setAlternate(interfaceNumber: number, alternate: number): boolean {
    const itf = this.activeConfiguration?.interfaces.find((i) => i.number === interfaceNumber);
    if (!itf?.alternates.some((a) => a.alternate === alternate)) return false;
    this.alternates.set(interfaceNumber, alternate);
    this.active = undefined;
    for (const ep of this.endpointsOf(interfaceNumber)) this.halted.delete(ep.descriptor.address);
    return true;
  }

  /** Endpoints of the active configuration's current alternate settings, by address. */
  activeEndpoints(): ReadonlyMap<number, ActiveEndpoint> {
    if (this.active) return this.active;
    const eps = new Map<number, ActiveEndpoint>();
    for (const itf of this.activeConfiguration?.interfaces ?? []) {
      for (const ep of this.endpointsOf(itf.number)) eps.set(ep.descriptor.address, ep);
    }
    this.active = eps;
    return eps;
  }

  private endpointsOf(interfaceNumber: number): ActiveEndpoint[] {
    const itf = this.activeConfiguration?.interfaces.find((i) => i.number === interfaceNumber);
    const altNo = this.alternates.get(interfaceNumber) ?? 0;
    const alt = itf?.alternates.find((a) => a.alternate === altNo);
    return (alt?.endpoints ?? []).map((descriptor) => ({ descriptor, interfaceNumber }));
  }

  isHalted(address: number): boolean {
    return this.halted.has(address);
  }
  setHalt(address: number, halted: boolean): boolean {
    if (!this.activeEndpoints().has(address)) return false;
    if (halted) this.halted.add(address);
    else this.halted.delete(address);
    return true;
  }

  /** interface_info payload for the current configuration and alternates. */
  interfaceInfo(): {
    interfaceCount: number;
    interface: number[];
    interfaceClass: number[];
    interfaceSubclass: number[];
    interfaceProtocol: number[];
  } {
    const info = {
      interfaceCount: 0,
      interface: new Array<number>(32).fill(0),
      interfaceClass: new Array<number>(32).fill(0),
      interfaceSubclass: new Array<number>(32).fill(0),
      interfaceProtocol: new Array<number>(32).fill(0),
    };
    for (const itf of this.activeConfiguration?.interfaces ?? []) {
      const altNo = this.alternates.get(itf.number) ?? 0;
      const alt = itf.alternates.find((a) => a.alternate === altNo);
      if (!alt || info.interfaceCount >= 32) continue;
      const i = info.interfaceCount++;
      info.interface[i] = itf.number;
      info.interfaceClass[i] = alt.interfaceClass;
      info.interfaceSubclass[i] = alt.interfaceSubclass;
      info.interfaceProtocol[i] = alt.interfaceProtocol;
    }
    return info;
  }

  /** ep_info payload: endpoint 0 is control both ways, unused entries type 255 (usbredirhost). */
  epInfo(): {
    epType: number[];
    interval: number[];
    interface: number[];
    maxPacketSize: number[];
    maxStreams: number[];
  } {
    const info = {
      epType: new Array<number>(32).fill(EndpointType.invalid),
      interval: new Array<number>(32).fill(0),
      interface: new Array<number>(32).fill(0),
      maxPacketSize: new Array<number>(32).fill(0),
      maxStreams: new Array<number>(32).fill(0),
    };
    for (const address of [0x00, 0x80]) {
      const i = endpointIndex(address);
      info.epType[i] = EndpointType.control;
      info.maxPacketSize[i] = this.descriptors.maxPacketSize0;
    }
    for (const [address, ep] of this.activeEndpoints()) {
      const i = endpointIndex(address);
      info.epType[i] = ep.descriptor.transfer;
      info.interval[i] = ep.descriptor.interval;
      info.interface[i] = ep.interfaceNumber;
      // wMaxPacketSize bits 12:11 are extra transactions per microframe (USB 2.0 9.6.6).
      const size = ep.descriptor.maxPacketSize;
      info.maxPacketSize[i] = (size & 0x7ff) * (((size >> 11) & 3) + 1);
    }
    return info;
  }
}

export const STALL: TransferResult = { status: Status.stall };
