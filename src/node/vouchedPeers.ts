// A channel without a leader whose latest config block, read from the other
// orderers by eviction suspicion, lists this node under its own Raft id but
// also consenters this node's own config does not know (a node wiped and
// restarted from block 0 after another consenter was removed and added back
// under a new Raft id): their streams must be accepted for this node to hear
// the leader at all. The block is one the block puller verified (data hash,
// a signature of an orderer of the channel's orderer organizations), the
// same trust eviction suspicion's evicted and re-added verdicts act on; a
// block that does not verify never gets here (the verdict is "unknown").

import type { Logger } from 'pino';
import type { MemberVerdict } from '../chain/index.js';
import { OrdererError } from '../errors.js';
import type { ChannelPeerSets } from './channelTransport.js';
import { consenterPeersOf } from './joinPlan.js';

/**
 * Takes the consenters of the verified config block of `verdict` as the
 * channel's cluster peers until the channel's ledger height passes that block
 * (`height()`), logging the ones this adds; Raft's voters are not touched.
 */
export function vouchVerifiedConsenters(peerSets: ChannelPeerSets, channelId: string, verdict: MemberVerdict, height: () => number, log: Logger): void {
  const configBlock = verdict.configBlock;
  let peers;
  try {
    peers = consenterPeersOf(verdict.config);
  } catch (err) {
    // The suspector read the same block's consenters: unreachable in practice, but never a reason to stop the node.
    if (!(err instanceof OrdererError)) throw err;
    log.warn({ channel: channelId, configBlock, err }, `channel "${channelId}": config block ${configBlock} lists no readable consenters`);
    return;
  }
  const added = peerSets.vouch(channelId, configBlock, peers, () => height() > configBlock);
  if (added.length === 0) return;
  const named = added.map((p) => `${p.id} (${p.address})`).join(', ');
  log.warn(
    { channel: channelId, configBlock, consenters: added.map((p) => p.id) },
    `channel "${channelId}": consenter(s) ${named} of config block ${configBlock} (signed by an orderer of the channel) accepted for stream authentication until this node's ledger holds that block; Raft membership is unchanged`,
  );
}
