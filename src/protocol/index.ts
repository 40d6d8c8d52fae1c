export * from './codec/index.js';
export * from './session/backend.js';
export { ServerSession, type ServerSessionOptions } from './session/server-session.js';
export { ClientSession, ConnectionClosedError } from './session/client-session.js';
export type { FrameSink } from './session/sink.js';
export { ProtocolServer, type ProtocolServerOptions, type ListenAddress } from './transport/server.js';
export { MdioClient, type ConnectTarget, type ConnectOptions } from './client.js';
