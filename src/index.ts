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
export {
  getUser,
  getGroup,
  getGroupList,
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
export { checkPassword, verifyCryptHash } from './privilege/password.js';
