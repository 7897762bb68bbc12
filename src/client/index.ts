// The client layer's public front.
export { PARTICIPATION_PATH, callParticipation, expectStatus, multipartForm, participationTarget } from './participationClient.js';
export type { ParticipationTarget } from './participationClient.js';
export { BroadcastStream, connectAtomicBroadcast, deliver } from './abClient.js';
export { ENVELOPE_POOL_MAX, createEnvelopePool, loadClientCreator } from './envelopePool.js';
export type { ClientMsp, SignedEnvelope } from './envelopePool.js';
export { runLoad } from './load.js';
export type { LoadReport } from './load.js';
export { channelView, isHealthy, isListening, metricValue } from './nodeMetrics.js';
export { NodeStatusFormatError, nodeStatus, parseNodeStatus, type ChannelStatusView, type NodeStatusView } from './nodeStatus.js';
export { ClientCallError, ClientUsageError } from './errors.js';
export * from './bench/index.js';
