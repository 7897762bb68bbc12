// The config layer's public front: node and channel configuration files,
// Fabric's defaults, validation naming the field. Only src/cli maps these
// filled types onto the other layers' options.

export { loadChannelConfig, loadNodeConfig, readConfigFile, CONFIG_FILE_BYTES_MAX } from './load.js';
export {
  CHANNEL_DEFAULTS,
  CONSENTERS_MAX,
  HASH_FOR_SIGNATURE,
  ORGANIZATIONS_MAX,
  fillChannelConfig,
  type ChannelConfig,
  type ChannelConfigInput,
  type ConsenterConfig,
  type ConsenterInput,
  type HashAlgorithmName,
  type OrganizationConfigFilled,
  type OrganizationInput,
  type RaftOptionsConfig,
  type SignatureAlgorithmName,
} from './channelConfig.js';
export {
  CHANNELS_PER_NODE_MAX,
  NODE_DEFAULTS,
  POOL_SIZE_MAX,
  TX_ID_HORIZON_RANGE,
  defaultPoolSize,
  fillNodeConfig,
  type EngineName,
  type LogLevelName,
  type NodeConfig,
  type NodeConfigInput,
  type NodeTlsConfig,
} from './nodeConfig.js';
export { ConfigError, ConfigFileError } from './errors.js';
export { formatDuration, parseDuration } from './duration.js';
export { parseByteSize } from './byteSize.js';
