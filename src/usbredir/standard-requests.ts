import { Status } from './codec/constants.js';
import {
  DescriptorType,
  encodeConfigurationDescriptor,
  encodeDeviceDescriptor,
  encodeStringDescriptor,
} from './descriptors.js';
import { STALL, type SetupPacket, type TransferResult, type UsbFunctionState } from './device.js';

/** bRequest codes of USB 2.0 table 9-4. */
export const Request = {
  GET_STATUS: 0,
  CLEAR_FEATURE: 1,
  SET_FEATURE: 3,
  SET_ADDRESS: 5,
  GET_DESCRIPTOR: 6,
  SET_DESCRIPTOR: 7,
  GET_CONFIGURATION: 8,
  SET_CONFIGURATION: 9,
  GET_INTERFACE: 10,
  SET_INTERFACE: 11,
} as const;

/** Feature selectors (USB 2.0 table 9-6). */
const ENDPOINT_HALT = 0;
const DEVICE_REMOTE_WAKEUP = 1;

const TYPE_MASK = 0x60;
const TYPE_STANDARD = 0x00;
const RECIPIENT_MASK = 0x1f;
const RECIPIENT_DEVICE = 0;
const RECIPIENT_INTERFACE = 1;
const RECIPIENT_ENDPOINT = 2;

export function isStandardRequest(setup: SetupPacket): boolean {
  return (setup.requestType & TYPE_MASK) === TYPE_STANDARD;
}

/**
 * GET_DESCRIPTOR addressed to an interface asks for a class descriptor the function defines (HID 1.11 7.1.1:
 * the HID report descriptor, type 0x22), which only the device model knows.
 */
export function isInterfaceDescriptorRequest(setup: SetupPacket): boolean {
  return (
    isStandardRequest(setup) &&
    setup.request === Request.GET_DESCRIPTOR &&
    (setup.requestType & RECIPIENT_MASK) === RECIPIENT_INTERFACE
  );
}

function reply(data: Uint8Array, setup: SetupPacket): TransferResult {
  return { status: Status.success, data: data.subarray(0, setup.length) };
}
const OK: TransferResult = { status: Status.success };

/**
 * Answers a standard request from the device's descriptors and chapter-9 state, as a device's
 * firmware would. QEMU itself turns SET_CONFIGURATION / SET_INTERFACE into dedicated usbredir
 * packets, but another guest might not, so they are handled here too. Unsupported → STALL
 * (the request error response of USB 2.0 9.4).
 */
export function handleStandardRequest(state: UsbFunctionState, setup: SetupPacket): TransferResult {
  const recipient = setup.requestType & RECIPIENT_MASK;
  switch (setup.request) {
    case Request.GET_DESCRIPTOR: {
      if (recipient !== RECIPIENT_DEVICE) return STALL;
      const kind = setup.value >> 8;
      const index = setup.value & 0xff;
      const d = state.descriptors;
      if (kind === DescriptorType.device) return reply(encodeDeviceDescriptor(d), setup);
      if (kind === DescriptorType.configuration) {
        const cfg = d.configurations[index];
        return cfg ? reply(encodeConfigurationDescriptor(d, cfg), setup) : STALL;
      }
      if (kind === DescriptorType.string) {
        const s = encodeStringDescriptor(d, index);
        return s ? reply(s, setup) : STALL;
      }
      // Device qualifier, BOS, OTG...: a full-speed-only USB 2.0 device stalls them (USB 2.0 9.6.2).
      return STALL;
    }
    case Request.GET_STATUS: {
      if (recipient === RECIPIENT_DEVICE) {
        const selfPowered = ((state.activeConfiguration?.attributes ?? 0x80) & 0x40) !== 0;
        return reply(Uint8Array.of(selfPowered ? 1 : 0, 0), setup);
      }
      if (recipient === RECIPIENT_INTERFACE) {
        return state.alternate(setup.index & 0xff) === undefined ? STALL : reply(Uint8Array.of(0, 0), setup);
      }
      if (recipient === RECIPIENT_ENDPOINT) {
        const ep = setup.index & 0xff;
        if ((ep & 0x7f) === 0) return reply(Uint8Array.of(0, 0), setup);
        if (!state.activeEndpoints().has(ep)) return STALL;
        return reply(Uint8Array.of(state.isHalted(ep) ? 1 : 0, 0), setup);
      }
      return STALL;
    }
    case Request.CLEAR_FEATURE:
    case Request.SET_FEATURE: {
      const set = setup.request === Request.SET_FEATURE;
      if (recipient === RECIPIENT_ENDPOINT && setup.value === ENDPOINT_HALT) {
        const ep = setup.index & 0xff;
        if ((ep & 0x7f) === 0) return OK;
        return state.setHalt(ep, set) ? OK : STALL;
      }
      if (recipient === RECIPIENT_DEVICE && setup.value === DEVICE_REMOTE_WAKEUP) return OK;
      return STALL;
    }
    case Request.GET_CONFIGURATION:
      return reply(Uint8Array.of(state.configuration), setup);
    case Request.SET_CONFIGURATION:
      return state.setConfiguration(setup.value & 0xff) ? OK : STALL;
    case Request.GET_INTERFACE: {
      const alt = state.alternate(setup.index & 0xff);
      return alt === undefined ? STALL : reply(Uint8Array.of(alt), setup);
    }
    case Request.SET_INTERFACE:
      return state.setAlternate(setup.index & 0xff, setup.value & 0xff) ? OK : STALL;
    case Request.SET_ADDRESS:
      // The guest's host controller (QEMU) owns addressing; acknowledging is all a device does.
      return OK;
    default:
      return STALL;
  }
}
