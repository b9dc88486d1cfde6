// The public API of privsep: everything `import ... from "privsep"` gives.
export {
  PrivsepError,
  ProtocolError,
  UnpermittedRequestError,
  ChannelClosedError,
  isErrnoError,
  type ErrnoError,
} from './errors.js';
export { FdHandle, type FdKind } from './fd/fd-handle.js';
export { type Sendable } from './fd/sendable.js';
export { socketPair, type UnixSocketType } from './fd/socketpair.js';
export { Channel, type Message, type ChannelOptions, type SendOptions } from './fd/channel.js';
export { UnixServer, listenUnix, connectUnix, type UnixAddressOptions } from './fd/unix.js';
export { type NativePeerCred as PeerCredentials } from './native.js';
