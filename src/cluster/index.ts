// Public front of the cluster transport: what chain/ and cli/ import.

export type { ClusterChannelHandler, ClusterPeer, ClusterTransport } from './types.js';
export { GrpcClusterTransport, type PeerLinkStatus } from './transport.js';
export type { ClusterTlsOptions, ClusterTransportOptions } from './options.js';
export { ClusterFrameError, ClusterOptionsError, ClusterUnavailableError, ForwardRejectedError } from './errors.js';
export { LinkState } from './peerLink.js';
export { publicKeyOfCertificate } from './pinning.js';
export { CLUSTER_PROTOCOL_VERSION, CLUSTER_PROTOCOL_VERSIONS_ACCEPTED, FrameKind, decodeFrame, decodeFrames, encodeFrame, frameCodec } from './frames.js';
export type { Frame, FrameCodec, FrameEngine } from './frames.js';
