// The public API of privsep: everything `import ... from "privsep"` gives.
export {
  PrivsepError,
  ProtocolError,
  UnpermittedRequestError,
  ChannelClosedError,
  isErrnoError,
  abortError,
  errnoError,
  refusal,
  invalidArgType,
  invalidArgValue,
  outOfRange,
  ERROR_CODES,
  type ErrnoError,
  type ErrnoDetails,
  type PrivsepErrorCode,
} from './errors.js';
export { FdHandle, type FdKind } from './fd/fd-handle.js';
export { type Sendable } from './fd/sendable.js';
export { socketPair, type UnixSocketType, type SocketPairType } from './fd/socketpair.js';
export { Channel, type Message, type ChannelOptions, type SendOptions } from './fd/channel.js';
export { UnixServer, listenUnix, connectUnix, type UnixAddressOptions } from './fd/unix.js';
export { connectUnixDatagram } from './fd/unix-datagram.js';
export { DatagramSocket, createDatagramSocket, type Datagram, type DatagramSocketOptions, type CreateDatagramSocketOptions } from './fd/datagram.js';
export { type NativePeerCred as PeerCredentials } from './native.js';
export { Acceptor, type ListenAddress, type InheritedListener, type ListenerSpec, type AcceptedConnection } from './handoff/acceptor.js';
export { HandoffMaster, type HandoffOptions, type HandoffPolicy, type WorkerInfo } from './handoff/master.js';
export type { HandoffReload } from './handoff/master.js';
export { HandoffWorker, handoffWorker, type HandedConnection, type HandoffWorkerOptions } from './handoff/worker.js';
export { type WorkerCommand } from './handoff/launch.js';
export {
  ListenerHandover,
  inheritedListeners,
  connectListenerHandover,
  receiveListeners,
  HANDOVER_FD_ENV,
  type ListenerHandoverOptions,
  type OfferedListener,
  type GenerationCommand,
  type ReceivedListeners,
} from './handoff/listener-handover.js';
export { decodePeer, type PeerAddress } from './fd/peer-address.js';
export { sendFile, type SendFileOptions } from './transfer/send-file.js';
export { receiveRaw, sendRaw, type RawMessage } from './fd/raw.js';
export { connectTcp, TcpListener, localAddress, remoteAddress, type ConnectTcpOptions, type TcpListenerOptions, type WaitOptions } from './fd/tcp.js';
export { BrokerSocket, type BrokerSocketOptions } from './broker/wire.js';
export { type BrokerResult, type ItemKind, DEFAULT_MAX_BUF_BYTES } from './broker/items.js';
export {
  defineProtocol,
  type BrokerProtocol,
  type RequestTable,
  type RequestSpec,
  type ValueKind,
  type ClientStubs,
  type ServerHandlers,
  type RequestContext,
  type RequestArgs,
  type RequestReply,
  type HandlerReply,
  type PhaseOf,
} from './broker/requests.js';
export { BrokerClient, type Broker, type BrokerClientOptions, type CallOptions } from './broker/client.js';
export { BrokerServer, type BrokerServerOptions } from './broker/server.js';
export { BrokerError, BrokerTimeoutError } from './broker/errors.js';
export {
  getUser,
  getGroup,
  getGroupList,
  getUserWithGroups,
  resolveIdentity,
  type User,
  type Group,
  type Identity,
} from './privilege/users.js';
export {
  getCredentials,
  setResUid,
  setResGid,
  setGroups,
  initGroups,
  type Credentials,
} from './privilege/credentials.js';
export {
  CAPABILITIES,
  getCapabilities,
  setCapabilities,
  dropBoundingSet,
  raiseAmbient,
  lowerAmbient,
  clearAmbient,
  setKeepCaps,
  getKeepCaps,
  type CapabilityName,
  type CapabilitySets,
} from './privilege/capabilities.js';
export { setNoNewPrivs, getNoNewPrivs, setDumpable, getDumpable } from './privilege/process-flags.js';
export { chroot } from './privilege/chroot.js';
export {
  RESOURCE_LIMITS,
  getResourceLimit,
  setResourceLimit,
  type ResourceLimitName,
  type ResourceLimit,
} from './privilege/resource-limits.js';
export { threadCredentials, type ThreadCredentials, type IdSet } from './privilege/thread-credentials.js';
export { changeCredentials, type ChangeCredentialsOptions } from './privilege/change-credentials.js';
export {
  spawnWithCredentials,
  CredentialedProcess,
  type SpawnWithCredentialsOptions,
  type ChildFd,
  type ExitStatus,
} from './privilege/spawn-with-credentials.js';
export { checkPassword, checkLogin, verifyCryptHash, type LoginVerdict, type CheckLoginOptions } from './privilege/password.js';
export { getShadowEntry, shadowAccountState, type ShadowEntry, type ShadowAccountState } from './privilege/shadow.js';
export { cryptMethod, dummyHashLike } from './privilege/crypt-method.js';
export { pamLogin, checkPamService, loadPam, PamSession, PamError, type PamLoginOptions } from './privilege/pam.js';
export { readNonBlocking, writeNonBlocking, setNonBlocking } from './fd/nonblocking.js';
export { peekNonBlocking } from './fd/nonblocking.js';
export { parseProxyHeader, PROXY_V2_SIGNATURE, type ProxyHeader, type ProxyHeaderScan, type ProxyEndpoint, type ProxyFamily, type ProxyHeaderOptions } from './net/proxy-header.js';
export { readProxyHeader, type ReadProxyHeaderOptions } from './net/read-proxy-header.js';
export { FdPoller, waitForFd, type PollEvents, type Readiness } from './fd/fd-poller.js';
export { setOobInline, setTcpNoDelay } from './fd/socket-options.js';
export { detachSocket, type DetachedSocket } from './fd/detach-socket.js';
export { receiveFile, type ReceiveFileOptions } from './transfer/receive-file.js';
export { lstatBatch, type LstatRecord } from './fs/lstat-batch.js';
export { readdirNames } from './fs/readdir-names.js';
export { readdirStat, LstatField, LSTAT_RECORD_LENGTH, type DirectoryStats } from './fs/readdir-stat.js';
export { listenFds, LISTEN_FDS_START, type SystemdListener, type ListenFdsOptions } from './service/listen-fds.js';
export { notify, notifyReady, notifyStopping, notifyReloading, notifyStatus } from './service/notify.js';
export { watchdogInterval, startWatchdog, type Watchdog } from './service/watchdog.js';
export { type ServiceEnvironmentOptions } from './service/environment.js';
export { releaseMemory } from './service/release-memory.js';
export { setIdleScheduling } from './service/idle-scheduling.js';
