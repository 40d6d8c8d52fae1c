export * from './constants.js';
export * from './errors.js';
export * from './messages.js';
export { TYPE_OF_KIND, KIND_OF_TYPE } from './kinds.js';
export { FrameEncoder, encodeFrame } from './encode.js';
export { decodeMessage } from './decode.js';
export { FrameParser, type FrameCallback } from './parser.js';
