// The cli layer's public front.
export { CliRunError, CliUsageError } from './errors.js';
export { address, clientMsp, clientTls } from './dev/layout.js';
export type { ClusterManifest } from './dev/layout.js';
export { choiceFlag, intFlag, parseFlags } from './args.js';
export { freeNodePorts, freePorts } from './dev/freePorts.js';
export { keygen } from './dev/keygen.js';
export { CommitCounter } from './dev/liveView.js';
export { LocalCluster } from './dev/localCluster.js';
export { currentRuntime, ORDERER_RUNTIMES, type OrdererRuntime } from './dev/ordererRuntime.js';
export { clusterTarget } from './dev/benchLocalTarget.js';
export { DEMO_USAGE, demo } from './dev/demo.js';
export { updateChannel } from './channelUpdate.js';
export type { ChannelUpdateRequest } from './channelUpdate.js';
export { runVerifyLedger, VERIFY_LEDGER_USAGE } from './verifyLedgerCommand.js';
export { asCreator, startChainServer, type ChainServer, type ChainServerOptions } from './dev/chainServer.js';
