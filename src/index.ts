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
export { Acceptor, type ListenAddress, type AcceptedConnection } from './handoff/acceptor.js';
export { HandoffMaster, type HandoffOptions, type HandoffPolicy, type WorkerInfo } from './handoff/master.js';
export { HandoffWorker, handoffWorker, type HandedConnection, type HandoffWorkerOptions } from './handoff/worker.js';
export { type WorkerCommand } from './handoff/launch.js';
export { decodePeer, type PeerAddress } from './fd/peer-address.js';
export { sendFile, type SendFileOptions } from './fd/send-file.js';
export { receiveRaw, sendRaw, type RawMessage } from './fd/raw.js';
export { connectTcp, TcpListener, type ConnectTcpOptions, type TcpListenerOptions, type WaitOptions } from './fd/tcp.js';
export { setOobInline, setTcpNoDelay } from './fd/socket-options.js';
export { detachSocket, type DetachedSocket } from './fd/detach-socket.js';
export { lstatBatch, type LstatRecord } from './fs/lstat-batch.js';
