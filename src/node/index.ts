// The node layer's public front.
export { channelValuesOfConfig } from './channelValues.js';
export { genesisBlockOfChannel } from './genesis.js';
export { nodeOptionsFromConfig } from './configMapping.js';
export { OrdererNode } from './ordererNode.js';
export { RemovedChannelsFileError } from './errors.js';
export { UnservableChannelError } from './joinPlan.js';
export type { ChannelPlan } from './channelPlan.js';
export type { OrdererNodeOptions } from './ordererNode.js';
