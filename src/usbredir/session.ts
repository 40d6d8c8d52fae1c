import { Negotiation, capsFrom } from './codec/caps.js';
import { EndpointType, Status, type CapName, type StatusCode } from './codec/constants.js';
import { BULK_PACKET_HEAD, dataPathNegotiated, writeBulkPacket } from './codec/data-path.js';
import { Decoder } from './codec/decoder.js';
import { encodePacket } from './codec/encoder.js';
import type { ControlPacket, Packet } from './codec/packets.js';
import {
  STALL,
  UsbFunctionState,
  type SetupPacket,
  type TransferResult,
  type UsbDeviceModel,
} from './device.js';
import type { ProtocolError } from './errors.js';
import {
  Request,
  handleStandardRequest,
  isInterfaceDescriptorRequest,
  isStandardRequest,
} from './standard-requests.js';

/**
 * Capabilities we advertise. QEMU refuses a device on an xHCI port unless the host side has
 * ep_info_max_packet_size, 64bits_ids and 32bits_bulk_length (hw/usb/redirect.c usbredir_do_attach).
 * No bulk_streams or bulk_receiving: our devices have neither.
 */
export const DEFAULT_HOST_CAPS: readonly CapName[] = [
  'connect_device_version',
  'filter',
  'device_disconnect_ack',
  'ep_info_max_packet_size',
  '64bits_ids',
  '32bits_bulk_length',
];

/** Zero-length data, shared: allocating even an empty typed array costs ~0.25 µs on Node 20. */
const EMPTY = new Uint8Array(0);

export type DeviceLinkState = 'detached' | 'connected' | 'disconnecting';

/**
 * `at` (only with `HostSessionOptions.clock`): for rx, when the bytes holding the packet reached
 * `receive()`; for tx, when the bytes carrying it were handed to `send`.
 */
export type UsbredirTraceEvent =
  | { readonly event: 'usbredir.rx'; readonly packet: Packet; readonly at?: number }
  | { readonly event: 'usbredir.tx'; readonly packet: Packet; readonly at?: number }
  | { readonly event: 'usbredir.error'; readonly error: ProtocolError }
  | { readonly event: 'usbredir.device'; readonly state: DeviceLinkState }
  | { readonly event: 'usbredir.filter_reject' }
  /**
   * Only with `HostSessionOptions.clock`: the device model's handler for the data transfer `id` ran from
   * `start` to `end`, so the emulator's share of a transfer splits into decoding, the model and the reply.
   */
  | {
      readonly event: 'usbredir.device_call';
      readonly id: bigint;
      readonly endpoint: number;
      readonly start: number;
      readonly end: number;
    };

export interface HostSessionOptions {
  /** Writes bytes to the transport. */
  readonly send: (bytes: Uint8Array) => void;
  readonly version?: string;
  readonly capabilities?: readonly CapName[];
  readonly trace?: (event: UsbredirTraceEvent) => void;
  /** Announce the device as soon as the peer's hello arrives (default true). */
  readonly attached?: boolean;
  /**
   * Timestamps for the latency breakdown (docs/latency.md), e.g. `() => performance.now()`: rx and tx
   * trace events then carry `at`, and each data transfer gets a `usbredir.device_call` event. Off by default;
   * costs one call per chunk, per write and two per data transfer when on.
   */
  readonly clock?: () => number;
  /**
   * Makes the array each write hands to `send` (default `new Uint8Array`). A transport passes its runtime's
   * cheapest buffer that it may keep (Node: `Buffer.allocUnsafe`, a slice of a shared pool). The session
   * never touches an array again once it has been sent.
   */
  readonly allocate?: (size: number) => Uint8Array;
}

interface PendingIn {
  readonly id: bigint;
  readonly kind: 'bulk_packet' | 'interrupt_packet';
  readonly endpoint: number;
  readonly length: number;
  readonly streamId: number;
}

/**
 * The usbredir "host" side of one connection: hello exchange, announcing and withdrawing one
 * emulated device, and serving the guest's requests from it. Pure: bytes come in through
 * `receive`, go out through `options.send`; the transport lives elsewhere.
 */
export class UsbredirHostSession {
  readonly negotiation: Negotiation;
  private readonly decoder: Decoder;
  private wantAttached: boolean;
  private link: DeviceLinkState = 'detached';
  private state: UsbFunctionState;
  private readonly pendingIn: PendingIn[] = [];
  private readonly interruptReceiving = new Set<number>();
  private filterRules: string | undefined;
  private closed = false;
  private deferNotify = false;
  private readonly deferred: number[] = [];
  /**
   * While a received chunk is handled, replies are encoded here and leave in one write at its end: one
   * array allocated per write, none per packet. Grown when a packet does not fit, never shrunk.
   */
  private receiving = false;
  private staging = new Uint8Array(4096);
  private stagingView = new DataView(this.staging.buffer);
  private staged = 0;
  private readonly outgoingPackets: Packet[] = [];
  private rxAt: number | undefined;
  /** Whether bulk replies take the data path (data-path.ts), for the peer words `dataPathPeer`. */
  private dataPath = false;
  private dataPathPeer: Negotiation['peer'];

  constructor(
    readonly device: UsbDeviceModel,
    private readonly options: HostSessionOptions,
  ) {
    this.negotiation = new Negotiation(capsFrom(options.capabilities ?? DEFAULT_HOST_CAPS));
    this.decoder = new Decoder(this.negotiation, 'host', {
      packet: (p) => this.onPacket(p),
      error: (e) => this.trace({ event: 'usbredir.error', error: e }),
    });
    this.wantAttached = options.attached ?? true;
    this.state = new UsbFunctionState(device.descriptors);
    device.setInNotifier?.((ep) => this.onInReady(ep));
  }

  /** Sends our hello; both sides send one first thing (usbredir protocol, "hello"). */
  start(): void {
    this.send({
      type: 'hello',
      id: 0n,
      version: this.options.version ?? 'mdio-emu usbredir host',
      capabilities: [...this.negotiation.ours],
    });
  }

  /**
   * Handles whatever the transport read. Every reply the chunk produces is written once, together, when
   * it has been handled: one write per chunk rather than one per packet.
   */
  receive(chunk: Uint8Array): void {
    if (this.closed) return;
    this.rxAt = this.options.clock?.();
    this.receiving = true;
    try {
      this.decoder.push(chunk);
    } finally {
      this.receiving = false;
      this.flush();
    }
  }

  /** The transport is gone: forget everything tied to the connection. */
  close(): void {
    this.closed = true;
    this.staged = 0;
    this.outgoingPackets.length = 0;
    this.pendingIn.length = 0;
    this.interruptReceiving.clear();
    this.setLink('detached');
  }

  get deviceLink(): DeviceLinkState {
    return this.link;
  }
  get peerVersionSeen(): boolean {
    return this.negotiation.peerHelloSeen;
  }
  /** The guest's device filter, if it sent one (filter_filter). */
  get guestFilter(): string | undefined {
    return this.filterRules;
  }
  /** Chapter-9 state of the device as the guest configured it. */
  get functionState(): UsbFunctionState {
    return this.state;
  }

  /** Plug the device in (now, or once the peer's hello and any pending disconnect ack arrived). */
  attach(): void {
    this.wantAttached = true;
    this.sync();
  }

  /** Unplug the device; the socket stays up and `attach()` plugs it back. */
  detach(): void {
    this.wantAttached = false;
    this.sync();
  }

  private sync(): void {
    if (this.closed || !this.negotiation.peerHelloSeen) return;
    if (this.wantAttached && this.link === 'detached') this.announce();
    else if (!this.wantAttached && this.link === 'connected') this.withdraw();
  }

  private announce(): void {
    // A replug starts from a fresh chapter-9 state, as a real unplug/plug would.
    this.state = new UsbFunctionState(this.device.descriptors);
    this.pendingIn.length = 0;
    this.interruptReceiving.clear();
    this.device.reset?.();
    // QEMU wants interface_info and ep_info before device_connect (it checks its filter then).
    this.sendInterfaceAndEndpointInfo();
    const d = this.device.descriptors;
    this.send({
      type: 'device_connect',
      id: 0n,
      speed: this.device.speed,
      deviceClass: d.deviceClass,
      deviceSubclass: d.deviceSubclass,
      deviceProtocol: d.deviceProtocol,
      vendorId: d.vendorId,
      productId: d.productId,
      deviceVersionBcd: d.bcdDevice,
    });
    this.setLink('connected');
  }

  private withdraw(): void {
    this.pendingIn.length = 0;
    this.interruptReceiving.clear();
    this.send({ type: 'device_disconnect', id: 0n });
    // With device_disconnect_ack on both sides a new device_connect must wait for the ack.
    this.setLink(this.negotiation.both('device_disconnect_ack') ? 'disconnecting' : 'detached');
  }

  private setLink(state: DeviceLinkState): void {
    if (this.link === state) return;
    this.link = state;
    this.trace({ event: 'usbredir.device', state });
  }

  private sendInterfaceAndEndpointInfo(): void {
    this.send({ type: 'interface_info', id: 0n, ...this.state.interfaceInfo() });
    this.send({ type: 'ep_info', id: 0n, ...this.state.epInfo() });
  }

  private send(packet: Packet): void {
    if (this.closed) return;
    const bytes = encodePacket(packet, this.negotiation, 'host');
    this.reserve(bytes.length).set(bytes, this.staged);
    this.staged += bytes.length;
    if (this.options.trace) this.outgoingPackets.push(packet);
    if (!this.receiving) this.flush();
  }

  /** A bulk reply: through the data path when negotiated, else through the layout table like any packet. */
  private sendBulk(
    id: bigint,
    endpoint: number,
    status: StatusCode,
    length: number,
    streamId: number,
    data: Uint8Array,
  ): void {
    if (this.closed) return;
    if (this.dataPathPeer !== this.negotiation.peer) {
      this.dataPathPeer = this.negotiation.peer;
      this.dataPath = dataPathNegotiated(this.negotiation);
    }
    if (!this.dataPath) {
      this.send({ type: 'bulk_packet', id, endpoint, status, length, streamId, data });
      return;
    }
    const staging = this.reserve(BULK_PACKET_HEAD + data.length);
    const at = this.staged;
    this.staged = writeBulkPacket(
      staging,
      this.stagingView,
      at,
      id,
      endpoint,
      status,
      length,
      streamId,
      data,
    );
    if (this.options.trace) {
      this.outgoingPackets.push({ type: 'bulk_packet', id, endpoint, status, length, streamId, data });
    }
    if (!this.receiving) this.flush();
  }

  /** The staging buffer, grown if `size` more bytes would not fit. */
  private reserve(size: number): Uint8Array {
    const need = this.staged + size;
    if (need > this.staging.length) {
      const grown = new Uint8Array(Math.max(need, 2 * this.staging.length));
      grown.set(this.staging.subarray(0, this.staged));
      this.staging = grown;
      this.stagingView = new DataView(grown.buffer);
    }
    return this.staging;
  }

  private flush(): void {
    const n = this.staged;
    if (n === 0 || this.closed) return;
    const bytes = this.options.allocate ? this.options.allocate(n) : new Uint8Array(n);
    bytes.set(this.staging.subarray(0, n));
    this.staged = 0;
    // Stamped before the write: once the bytes are in the socket the peer may run (and, on a busy machine,
    // preempt us) before the write returns, so "after" would charge the peer's reaction to us.
    const at = this.options.trace ? this.options.clock?.() : undefined;
    this.options.send(bytes);
    const trace = this.options.trace;
    if (!trace) return;
    for (const packet of this.outgoingPackets.splice(0)) {
      trace(at === undefined ? { event: 'usbredir.tx', packet } : { event: 'usbredir.tx', packet, at });
    }
  }

  private traceCall(id: bigint, endpoint: number, start: number): void {
    const end = this.options.clock?.() ?? start;
    this.options.trace?.({ event: 'usbredir.device_call', id, endpoint, start, end });
  }

  private trace(event: UsbredirTraceEvent): void {
    this.options.trace?.(event);
  }

  private get connected(): boolean {
    return this.link === 'connected';
  }

  /** One handler per packet type a guest may send (the codec already refused the others). */
  private onPacket(p: Packet): void {
    const trace = this.options.trace;
    if (trace) {
      const at = this.rxAt;
      trace(at === undefined ? { event: 'usbredir.rx', packet: p } : { event: 'usbredir.rx', packet: p, at });
    }
    switch (p.type) {
      // First: every transfer of a guest access is one.
      case 'bulk_packet':
        this.onData(p.id, 'bulk_packet', p.endpoint, p.length, p.streamId, p.data);
        return;
      case 'hello':
        this.sync();
        return;
      case 'device_disconnect_ack':
        if (this.link === 'disconnecting') this.setLink('detached');
        this.sync();
        return;
      case 'reset':
        // No reply (usbredir protocol). Configuration survives, as libusb_reset_device restores it.
        if (this.connected) this.device.reset?.();
        return;
      case 'set_configuration':
        this.onSetConfiguration(p.id, p.configuration);
        return;
      case 'get_configuration':
        this.send({
          type: 'configuration_status',
          id: p.id,
          status: this.connected ? Status.success : Status.ioerror,
          configuration: this.state.configuration,
        });
        return;
      case 'set_alt_setting':
        this.onSetAltSetting(p.id, p.interface, p.alt);
        return;
      case 'get_alt_setting': {
        const alt = this.connected ? this.state.alternate(p.interface) : undefined;
        this.send({
          type: 'alt_setting_status',
          id: p.id,
          status: alt === undefined ? Status.inval : Status.success,
          interface: p.interface,
          alt: alt ?? 255,
        });
        return;
      }
      case 'start_iso_stream':
      case 'stop_iso_stream':
        // No emulated device has isochronous endpoints.
        this.send({ type: 'iso_stream_status', id: p.id, status: Status.stall, endpoint: p.endpoint });
        return;
      case 'iso_packet':
        return;
      case 'start_interrupt_receiving':
        this.onStartInterruptReceiving(p.id, p.endpoint);
        return;
      case 'stop_interrupt_receiving':
        this.interruptReceiving.delete(p.endpoint);
        this.send({
          type: 'interrupt_receiving_status',
          id: p.id,
          status: Status.success,
          endpoint: p.endpoint,
        });
        return;
      case 'alloc_bulk_streams':
        this.send({
          type: 'bulk_streams_status',
          id: p.id,
          endpoints: p.endpoints,
          noStreams: p.noStreams,
          status: Status.inval,
        });
        return;
      case 'free_bulk_streams':
        this.send({
          type: 'bulk_streams_status',
          id: p.id,
          endpoints: p.endpoints,
          noStreams: 0,
          status: Status.success,
        });
        return;
      case 'cancel_data_packet':
        this.onCancel(p.id);
        return;
      case 'filter_reject':
        // The guest refused the device (its filter, or missing capabilities): it considers it gone.
        this.wantAttached = false;
        this.setLink('detached');
        this.trace({ event: 'usbredir.filter_reject' });
        return;
      case 'filter_filter':
        this.filterRules = p.rules;
        return;
      case 'control_packet':
        this.onControl(p);
        return;
      case 'interrupt_packet':
        this.onData(p.id, 'interrupt_packet', p.endpoint, p.length, 0, p.data);
        return;
      case 'start_bulk_receiving':
      case 'stop_bulk_receiving':
        // Unreachable: we never advertise bulk_receiving, so the decoder rejects these.
        return;
      case 'device_connect':
      case 'device_disconnect':
      case 'interface_info':
      case 'ep_info':
      case 'configuration_status':
      case 'alt_setting_status':
      case 'iso_stream_status':
      case 'interrupt_receiving_status':
      case 'bulk_streams_status':
      case 'bulk_receiving_status':
      case 'buffered_bulk_packet':
        // Host-to-guest only; the decoder refuses them in this direction.
        return;
    }
  }

  private onSetConfiguration(id: bigint, value: number): void {
    if (!this.connected || !this.state.setConfiguration(value)) {
      this.send({
        type: 'configuration_status',
        id,
        status: this.connected ? Status.stall : Status.ioerror,
        configuration: this.state.configuration,
      });
      return;
    }
    this.afterConfigurationChange();
    this.send({ type: 'configuration_status', id, status: Status.success, configuration: value });
  }

  private onSetAltSetting(id: bigint, itf: number, alt: number): void {
    if (!this.connected || !this.state.setAlternate(itf, alt)) {
      this.send({
        type: 'alt_setting_status',
        id,
        status: Status.inval,
        interface: itf,
        alt: this.state.alternate(itf) ?? 255,
      });
      return;
    }
    this.afterAlternateChange(itf, alt);
    this.send({ type: 'alt_setting_status', id, status: Status.success, interface: itf, alt });
  }

  // usbredirhost sends the new interface and endpoint info before the status packet, so the guest
  // knows the endpoints by the time the request completes.
  private afterConfigurationChange(): void {
    this.interruptReceiving.clear();
    this.device.configurationChanged?.(this.state.configuration);
    this.sendInterfaceAndEndpointInfo();
  }
  private afterAlternateChange(itf: number, alt: number): void {
    this.device.alternateChanged?.(itf, alt);
    this.sendInterfaceAndEndpointInfo();
  }

  private onStartInterruptReceiving(id: bigint, endpoint: number): void {
    const ep = this.state.activeEndpoints().get(endpoint);
    const ok = this.connected && ep?.descriptor.transfer === EndpointType.interrupt;
    this.send({
      type: 'interrupt_receiving_status',
      id,
      status: ok ? Status.success : Status.inval,
      endpoint,
    });
    if (!ok) return;
    this.interruptReceiving.add(endpoint);
    this.pumpInterrupt(endpoint);
  }

  /** While interrupt receiving runs, the host forwards every report the device produces. */
  private pumpInterrupt(endpoint: number): void {
    const ep = this.state.activeEndpoints().get(endpoint);
    if (!ep) return;
    while (this.interruptReceiving.has(endpoint)) {
      const result = this.device.dataIn?.(endpoint, ep.descriptor.maxPacketSize);
      if (!result) return;
      const data = result.data ?? EMPTY;
      this.send({
        type: 'interrupt_packet',
        id: 0n,
        endpoint,
        status: result.status,
        length: data.length,
        data,
      });
    }
  }

  private onCancel(id: bigint): void {
    const i = this.pendingIn.findIndex((p) => p.id === id);
    if (i < 0) return; // Already completed: the guest ignores the late answer it gets instead.
    const [p] = this.pendingIn.splice(i, 1);
    if (p) this.sendInResult(p, { status: Status.cancelled });
  }

  private onControl(p: ControlPacket): void {
    const setup: SetupPacket = {
      requestType: p.requestType,
      request: p.request,
      value: p.value,
      index: p.index,
      length: p.length,
    };
    const isIn = (p.requestType & 0x80) !== 0;
    let result: TransferResult;
    if (!this.connected) result = { status: Status.ioerror };
    else if (isStandardRequest(setup) && !isInterfaceDescriptorRequest(setup)) {
      result = handleStandardRequest(this.state, setup);
      if (result.status === Status.success) {
        if (p.request === Request.SET_CONFIGURATION) this.afterConfigurationChange();
        if (p.request === Request.SET_INTERFACE) this.afterAlternateChange(p.index & 0xff, p.value & 0xff);
      }
    } else result = this.device.controlRequest?.(setup, p.data) ?? STALL;
    const data =
      isIn && result.status === Status.success ? (result.data ?? EMPTY).subarray(0, p.length) : EMPTY;
    this.send({
      type: 'control_packet',
      id: p.id,
      endpoint: p.endpoint,
      request: p.request,
      requestType: p.requestType,
      status: result.status,
      value: p.value,
      index: p.index,
      length: isIn ? data.length : result.status === Status.success ? p.data.length : 0,
      data,
    });
  }

  private onData(
    id: bigint,
    kind: 'bulk_packet' | 'interrupt_packet',
    endpoint: number,
    length: number,
    streamId: number,
    data: Uint8Array,
  ): void {
    const isIn = (endpoint & 0x80) !== 0;
    const ep = this.connected ? this.state.activeEndpoints().get(endpoint) : undefined;
    const wanted = kind === 'bulk_packet' ? EndpointType.bulk : EndpointType.interrupt;
    const refused = !this.connected
      ? Status.ioerror
      : ep?.descriptor.transfer !== wanted
        ? Status.inval
        : this.state.isHalted(endpoint)
          ? Status.stall
          : undefined;
    if (refused !== undefined) {
      const pending: PendingIn = { id, kind, endpoint, length, streamId };
      if (isIn) this.sendInResult(pending, { status: refused });
      else this.sendOutResult(pending, refused, 0);
      return;
    }
    if (!isIn) {
      // Answer the OUT first; IN data it produced (a read command's value) completes afterwards.
      this.deferNotify = true;
      const start = this.options.clock?.();
      const status = this.device.dataOut?.(endpoint, data) ?? Status.stall;
      if (start !== undefined) this.traceCall(id, endpoint, start);
      this.deferNotify = false;
      this.sendOutResult(
        { id, kind, endpoint, length, streamId },
        status,
        status === Status.success ? data.length : 0,
      );
      for (let ep = this.deferred.shift(); ep !== undefined; ep = this.deferred.shift()) this.onInReady(ep);
      return;
    }
    // Keep IN transfers in order per endpoint: a later one waits behind an earlier NAKed one.
    if (this.pendingIn.length > 0 && this.pendingIn.some((q) => q.endpoint === endpoint)) {
      this.pendingIn.push({ id, kind, endpoint, length, streamId });
      return;
    }
    const start = this.options.clock?.();
    const result = this.device.dataIn ? this.device.dataIn(endpoint, length) : STALL;
    if (start !== undefined) this.traceCall(id, endpoint, start);
    const pending: PendingIn = { id, kind, endpoint, length, streamId };
    if (result === undefined) this.pendingIn.push(pending);
    else this.sendInResult(pending, result);
  }

  /** The device has IN data: complete waiting transfers on that endpoint, oldest first. */
  private onInReady(endpoint: number): void {
    if (this.deferNotify) {
      if (!this.deferred.includes(endpoint)) this.deferred.push(endpoint);
      return;
    }
    if (!this.connected) return;
    if (this.interruptReceiving.has(endpoint)) this.pumpInterrupt(endpoint);
    for (;;) {
      const i = this.pendingIn.findIndex((q) => q.endpoint === endpoint);
      const p = this.pendingIn[i];
      if (p === undefined) return;
      const result = this.device.dataIn?.(endpoint, p.length);
      if (!result) return;
      this.pendingIn.splice(i, 1);
      this.sendInResult(p, result);
    }
  }

  private sendInResult(p: PendingIn, result: TransferResult): void {
    let data = result.status === Status.success ? (result.data ?? EMPTY) : EMPTY;
    let status = result.status;
    if (data.length > p.length) {
      // More than the guest asked for: the device babbled (USB 2.0 8.4.1).
      data = data.subarray(0, p.length);
      status = Status.babble;
    }
    if (p.kind === 'bulk_packet') {
      this.sendBulk(p.id, p.endpoint, status, data.length, p.streamId, data);
    } else {
      this.send({
        type: 'interrupt_packet',
        id: p.id,
        endpoint: p.endpoint,
        status,
        length: data.length,
        data,
      });
    }
  }

  private sendOutResult(p: PendingIn, status: StatusCode, length: number): void {
    const data = EMPTY;
    if (p.kind === 'bulk_packet') {
      this.sendBulk(p.id, p.endpoint, status, length, p.streamId, data);
    } else {
      this.send({ type: 'interrupt_packet', id: p.id, endpoint: p.endpoint, status, length, data });
    }
  }
}
