/**
 * Wire constants of the mdio-emu socket protocol, version 1. docs/protocol.md is the normative text;
 * every number here appears there, and test/protocol/doc-sync.test.ts keeps the two in step.
 */

export const PROTOCOL_VERSION = 1;

/** size u32, type u16, flags u16, tag u32. */
export const HEADER_SIZE = 12;

/** Default and smallest allowed maximum frame size (bytes, header included). */
export const DEFAULT_MAX_FRAME = 65536;
export const MIN_MAX_FRAME = 4096;

/** Replies carry the request's type with this bit set. */
export const REPLY_BIT = 0x8000;

export const FrameType = {
  HELLO: 0x0001,
  PING: 0x0002,
  C22_READ: 0x0010,
  C22_WRITE: 0x0011,
  C45_READ: 0x0012,
  C45_WRITE: 0x0013,
  BATCH: 0x0014,
  I2C_XFER: 0x0020,
  PSE_LIST: 0x0030,
  PSE_STATUS: 0x0031,
  PSE_ADMIN: 0x0032,
  TOPOLOGY: 0x0040,
  SUBSCRIBE: 0x0041,
  SCENARIO_LOAD: 0x0042,
  SCENARIO_TRIGGER: 0x0043,
  CLOCK: 0x0044,
  RESET: 0x0045,
  TRACE_FETCH: 0x0046,
  RECORDING_FETCH: 0x0047,
  REPLAY_STATUS: 0x0048,

  HELLO_REPLY: 0x8001,
  PONG: 0x8002,
  C22_READ_REPLY: 0x8010,
  C22_WRITE_REPLY: 0x8011,
  C45_READ_REPLY: 0x8012,
  C45_WRITE_REPLY: 0x8013,
  BATCH_REPLY: 0x8014,
  I2C_XFER_REPLY: 0x8020,
  PSE_LIST_REPLY: 0x8030,
  PSE_STATUS_REPLY: 0x8031,
  PSE_ADMIN_REPLY: 0x8032,
  TOPOLOGY_REPLY: 0x8040,
  SUBSCRIBE_REPLY: 0x8041,
  SCENARIO_LOAD_REPLY: 0x8042,
  SCENARIO_TRIGGER_REPLY: 0x8043,
  CLOCK_REPLY: 0x8044,
  RESET_REPLY: 0x8045,
  TRACE_FETCH_REPLY: 0x8046,
  RECORDING_FETCH_REPLY: 0x8047,
  REPLAY_STATUS_REPLY: 0x8048,

  ERROR: 0x7fff,

  EV_PSE_LIFECYCLE: 0x4001,
  EV_PHY_IRQ: 0x4002,
  EV_LINK: 0x4003,
  EV_SCENARIO_STEP: 0x4004,
  EV_TRACE: 0x4005,
  EV_LOST: 0x4006,
} as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

/** Capability bits in HELLO / HELLO_REPLY. */
export const Capability = {
  C22: 1 << 0,
  C45: 1 << 1,
  I2C: 1 << 2,
  PSE: 1 << 3,
  BATCH: 1 << 4,
  EVENTS: 1 << 5,
  SCENARIO: 1 << 6,
  CLOCK: 1 << 7,
  TRACE: 1 << 8,
} as const;
export const ALL_CAPABILITIES = Object.values(Capability).reduce((a, b) => a | b, 0);

/** SUBSCRIBE mask bits; each selects one family of server-pushed events. */
export const EventMask = {
  PSE_LIFECYCLE: 1 << 0,
  PHY_IRQ: 1 << 1,
  LINK: 1 << 2,
  SCENARIO_STEP: 1 << 3,
  TRACE: 1 << 4,
} as const;
export const ALL_EVENTS = Object.values(EventMask).reduce((a, b) => a | b, 0);

/** BATCH operation codes. */
export const BatchOp = { C22_READ: 0, C22_WRITE: 1, C45_READ: 2, C45_WRITE: 3 } as const;
export const BATCH_OP_SIZE = 12;
export const BATCH_RESULT_SIZE = 4;

/**
 * TRACE_FETCH_REPLY flags. MORE: the reply stopped before `max` records to fit the client's max_frame (or
 * the server's limit per request) and records from `next` on are waiting. TRUNCATED: a record too large
 * for any reply (its JSON alone exceeds the frame or 65535 bytes) was replaced by a stub of type
 * `trace.oversize` giving its size.
 */
export const TraceFetchFlag = { MORE: 1 << 0, TRUNCATED: 1 << 1 } as const;

/** CLOCK operations. */
export const ClockOp = { GET: 0, RUN: 1, STEP: 2, REALTIME_ON: 3, REALTIME_OFF: 4 } as const;

/** I2C_XFER result codes. */
export const I2cResult = { ACK: 0, NACK_ADDRESS: 1, NACK_DATA: 2 } as const;

/** SCENARIO_LOAD source kinds. */
export const ScenarioKind = { SCENARIO: 0, DTS: 1 } as const;

/** PSE controller lifecycle states on the wire. */
export const PseState = { UNREGISTERED: 0, REGISTERED: 1 } as const;

/**
 * Error codes. The first group is about the byte stream itself; the second about a well-formed request the
 * emulation cannot satisfy. `FATAL_ERRORS` lists the codes after which the server closes the connection.
 */
export const ErrorCode = {
  MALFORMED: 0x0001,
  UNKNOWN_TYPE: 0x0002,
  FRAME_TOO_LARGE: 0x0003,
  BAD_SIZE: 0x0004,
  VERSION_MISMATCH: 0x0005,
  HANDSHAKE_REQUIRED: 0x0006,
  UNEXPECTED: 0x0007,

  NO_SUCH_BUS: 0x0100,
  BAD_ADDRESS: 0x0101,
  NO_SUCH_CONTROLLER: 0x0102,
  NO_SUCH_PI: 0x0103,
  NOT_REGISTERED: 0x0104,
  NOT_SUPPORTED: 0x0105,
  SCENARIO_ERROR: 0x0106,
  NO_SUCH_EVENT: 0x0107,
  BUS_FAULT: 0x0108,
  /** Replay: the recording has no answer for this request (docs/protocol.md section 7.1). */
  UNFORESEEN: 0x0109,
  /** The reply would exceed the client's max_frame; nothing was done (docs/protocol.md section 6). */
  REPLY_TOO_LARGE: 0x010a,
  /** A value beyond what the emulation can represent (CLOCK past 2^53 - 1 ns). */
  OUT_OF_RANGE: 0x010b,
  INTERNAL: 0x01ff,
} as const;
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export const FATAL_ERRORS: ReadonlySet<number> = new Set([
  ErrorCode.FRAME_TOO_LARGE,
  ErrorCode.BAD_SIZE,
  ErrorCode.VERSION_MISMATCH,
  ErrorCode.HANDSHAKE_REQUIRED,
]);

export function errorCodeName(code: number): string {
  for (const [name, value] of Object.entries(ErrorCode)) if (value === code) return name;
  return `0x${code.toString(16).padStart(4, '0')}`;
}

export function frameTypeName(type: number): string {
  for (const [name, value] of Object.entries(FrameType)) if (value === type) return name;
  return `0x${type.toString(16).padStart(4, '0')}`;
}
