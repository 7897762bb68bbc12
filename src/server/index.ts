// The server layer's public front: the client gRPC AtomicBroadcast server and
// the operations HTTP server, with their options and health checks.

export { AtomicBroadcastServer, type AtomicBroadcastServerDeps } from './atomicBroadcastServer.js';
export { OperationsServer, type OperationsServerDeps } from './operationsServer.js';
export { nodeStatus, STATUS_PATH, type ChannelStatusView, type NodeStatus } from './nodeStatus.js';
export { HealthChecks, HEALTH_COMPONENTS_MAX, type FailedCheck, type HealthCheck } from './health.js';
export {
  BROADCAST_OUTSTANDING_MAX_LIMIT,
  fillOperationsOptions,
  fillServerOptions,
  type AtomicBroadcastServerOptions,
  type AtomicBroadcastServerOptionsInput,
  type OperationsServerOptions,
  type OperationsServerOptionsInput,
  type ServerTls,
  type ServerTlsInput,
} from './options.js';
export { InvalidServerOptionsError, ListenError } from './errors.js';
export { resolveSeekRange, type SeekRange, type SeekResolution } from './seekRange.js';
export {
  ChannelExistsError,
  ChannelNotFoundError,
  PARTICIPATION_PREFIX,
  type ChannelInfo,
  type ChannelParticipation,
  type ChannelParticipationStatus,
  type ConsensusRelation,
} from './participation.js';
export { JOIN_BODY_BYTES_MAX, formPart, readJoinBody, type JoinBody } from './participationBody.js';
export { ParticipationRequestError } from './errors.js';
