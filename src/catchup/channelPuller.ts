// Builds the block puller of one channel on a running node: the other
// orderers' client (AtomicBroadcast) endpoints come from the channel's config
// block (the orderer organizations' Endpoints, else the channel's
// OrdererAddresses, as Fabric's BlockPuller finds them), their TLS roots from
// the organizations' TLS root certificates.

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { CatchUpMetrics } from './catchUpMetrics.js';
import { decodeBlock, extractChannelConfig, type EnvelopeCreator } from '../block/index.js';
import type { OrganizationConfig } from '../crypto/index.js';
import { createCryptoProvider } from '../crypto/index.js';
import type { Engine, HashAlgorithm } from '../crypto/index.js';
import { OrdererError } from '../errors.js';
import type { BlockLedger } from '../storage/index.js';
import { BlockPuller } from './blockPuller.js';
import { DeliverBlockSource } from './deliverSource.js';
import { PulledBlockVerifier } from './pulledBlockVerifier.js';

export interface DeliverEndpoints {
  /** host:port of the orderers' AtomicBroadcast listeners. */
  readonly addresses: readonly string[];
  /** The orderer organizations (with endpoints); empty when only OrdererAddresses named them. */
  readonly ordererMspIds: readonly string[];
  /** PEM TLS root and intermediate certificates of every organization. */
  readonly tlsRootCertsPem: readonly string[];
}

/** The Deliver endpoints a config block names; undefined when the block holds no readable channel config. */
export function deliverEndpointsOf(configBlock: Uint8Array): DeliverEndpoints | undefined {
  let values;
  try {
    values = extractChannelConfig(decodeBlock(configBlock));
  } catch (err) {
    if (!(err instanceof OrdererError)) throw err;
    return undefined;
  }
  const ordererOrgs = values.organizations.filter((o) => (o.ordererEndpoints?.length ?? 0) > 0);
  const fromOrgs = ordererOrgs.flatMap((o) => o.ordererEndpoints ?? []);
  const addresses = [...new Set(fromOrgs.length > 0 ? fromOrgs : values.ordererAddresses)];
  const tlsRootCertsPem = values.organizations.flatMap((o) => [...o.tlsRootCerts, ...o.tlsIntermediateCerts]);
  return { addresses, ordererMspIds: ordererOrgs.map((o) => o.mspId), tlsRootCertsPem };
}

export interface ChannelPullerOptions {
  readonly channelId: string;
  readonly engine: Engine;
  readonly hashAlgorithm: HashAlgorithm;
  readonly organizations: readonly OrganizationConfig[];
  /** The channel's config block (the last one, or block 0); undefined: none known, no puller. */
  readonly configBlock: Uint8Array | undefined;
  /** This node's own client address: never pulled from. */
  readonly selfAddress: string;
  /** Signs Deliver requests: this orderer's identity. */
  readonly creator: EnvelopeCreator;
  /** TLS client certificate and key (the cluster one, as Fabric); plaintext when absent. */
  readonly tls: { readonly certPem: string; readonly keyPem: string } | undefined;
  readonly ledger: BlockLedger;
  readonly logger: Logger;
  /** The node's registry: catch-up counters are registered there. */
  readonly metrics?: Registry;
}

/** The channel's BlockPuller, or undefined (logged) when its config names no other orderer endpoint. */
export function createChannelPuller(options: ChannelPullerOptions): BlockPuller | undefined {
  const endpoints = options.configBlock === undefined ? undefined : deliverEndpointsOf(options.configBlock);
  const sources = endpoints === undefined ? [] : deliverSourcesOf(endpoints, options);
  if (endpoints === undefined || sources.length === 0) {
    options.logger.warn(`channel "${options.channelId}": its config block names no other orderer endpoint; blocks missing after a snapshot cannot be pulled`);
    return undefined;
  }
  const hasher = createCryptoProvider(options.engine).hasher(options.hashAlgorithm);
  return new BlockPuller({
    channelId: options.channelId,
    sources,
    // A config update may move, add or remove orderers: a later config block's endpoints replace these.
    sourcesOf: (configBlock) => {
      const named = deliverEndpointsOf(configBlock);
      return named === undefined ? undefined : deliverSourcesOf(named, options);
    },
    verifier: new PulledBlockVerifier({ engine: options.engine, hasher, organizations: options.organizations, ordererMspIds: endpoints.ordererMspIds }),
    ledger: options.ledger,
    hasher,
    logger: options.logger.child({ channel: options.channelId, component: 'block-puller' }),
    ...(options.metrics && { metrics: new CatchUpMetrics(options.metrics, options.channelId) }),
  });
}

/** A Deliver source for each endpoint but this node's own, trusting the TLS roots the same config names. */
export function deliverSourcesOf(endpoints: DeliverEndpoints, options: Pick<ChannelPullerOptions, 'selfAddress' | 'creator' | 'tls'>): DeliverBlockSource[] {
  const tls =
    options.tls === undefined || endpoints.tlsRootCertsPem.length === 0
      ? undefined
      : { rootCasPem: endpoints.tlsRootCertsPem.join('\n'), clientCertPem: options.tls.certPem, clientKeyPem: options.tls.keyPem };
  return endpoints.addresses
    .filter((address) => address !== options.selfAddress)
    .map((address) => new DeliverBlockSource({ name: 'orderer', address, creator: options.creator, ...(tls && { tls }) }));
}
