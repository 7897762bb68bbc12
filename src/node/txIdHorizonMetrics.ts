// What each channel's duplicate horizon covers, on /metrics: the tx ids the
// leader still recognizes as duplicates are those of blocks from
// orderer_txid_horizon_oldest_block on (older ones would be ordered again).
// Read from storage at each scrape; a channel appears once its horizon is built
// (its first duplicate check, on a leader; a follower never builds one).

import { Gauge, type Registry } from 'prom-client';
import type { WalEnvironment } from '../storage/index.js';

export function registerTxIdHorizonMetrics(registry: Registry, storage: WalEnvironment): void {
  new Gauge<'channel'>({
    name: 'orderer_txid_horizon_oldest_block',
    help: 'The oldest block whose tx ids are still recognized as duplicates (the duplicate horizon); absent until the channel checks its first tx id.',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      fill(this, storage, (c) => c.oldestBlock);
    },
  });
  new Gauge<'channel'>({
    name: 'orderer_txid_horizon_txids',
    help: 'Tx ids of the blocks the duplicate horizon covers.',
    labelNames: ['channel'],
    registers: [registry],
    collect() {
      fill(this, storage, (c) => c.txIds);
    },
  });
}

function fill(gauge: Gauge<'channel'>, storage: WalEnvironment, value: (coverage: { oldestBlock: number; txIds: number }) => number): void {
  gauge.reset();
  for (const [channel, coverage] of storage.txIdCoverage()) gauge.set({ channel }, value(coverage));
}
