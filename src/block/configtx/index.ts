// Fabric's channel configuration inside blocks: the config tree codec, the
// value messages the orderer reads, extraction to ChannelConfigValues,
// configtxgen-like building, config updates and their validation, and
// consenter id bookkeeping. See CONFIGTX.md.

export * from './model.js';
export * from './codec.js';
export * from './channelValues.js';
export { ChannelConfigError, ConfigTransitionError, ConfigUpdateError, type TransitionRule } from './errors.js';
export { extractChannelConfig, channelConfigValuesOf, readConfigEnvelope, ETCDRAFT } from './extract.js';
export { buildConfig, buildConfigEnvelope, buildGenesisBlock, type ChannelConfigInput } from './build.js';
export {
  assignConsenterIds,
  consenterKey,
  diffConsenters,
  initialConsenterIds,
  type ConsenterDiff,
  type ConsenterIds,
  type IdentifiedConsenter,
} from './consenters.js';
export { formatGoDurationMs, parseGoDurationMs } from './duration.js';
export {
  ConsensusState,
  decodeBatchSize,
  decodeBatchTimeout,
  decodeCapabilities,
  decodeConsensusType,
  decodeEtcdraftConfigMetadata,
  decodeHashingAlgorithm,
  decodeOrdererAddresses,
  encodeBatchSize,
  encodeBatchTimeout,
  encodeCapabilities,
  encodeConsensusType,
  encodeEtcdraftConfigMetadata,
  encodeHashingAlgorithm,
  encodeOrdererAddresses,
  type Consenter,
  type ConsensusType,
  type EtcdraftConfigMetadata,
  type EtcdraftOptions,
} from './values.js';
export {
  MSP_TYPE_FABRIC,
  decodeFabricMspConfig,
  decodeMspConfig,
  encodeFabricMspConfig,
  encodeMspConfig,
  type FabricMspConfig,
  type MspConfig,
} from './mspValue.js';
export { ImplicitMetaRule, MspRole, PolicyType, implicitMetaPolicy, signedByRolePolicy } from './policies.js';
export { consenterIdsOf } from './consenters.js';
export { computeGroupUpdate, type GroupUpdate } from './computeUpdate.js';
export { patchConfigTree } from './patch.js';
export {
  buildConfigUpdateEnvelope,
  computeConfigUpdate,
  configEnvelopeOf,
  configUpdateEnvelopeOf,
  currentConfigOf,
  signConfigUpdate,
  type ConfigUpdateOptions,
  type CurrentConfig,
} from './update.js';
export { proposeConfigUpdate, sameConfigGroup, type ConfigUpdatePolicies, type ProposedConfig } from './configUpdate.js';
export { mapConfig, configFromMap, type ConfigElement } from './configMap.js';
export * from './policy/index.js';
export { isOrganizationAdmin } from './admin.js';
export { RUNTIME_RAFT_OPTIONS, validateConfigTransition, type TransitionResult } from './transition.js';
export { checkConsenterTlsCertificates, type ConsenterTlsCheck } from './consenterTls.js';
