// Fabric's validateConsenterTLSCerts: every consenter's client and server TLS
// certificates must chain to a TLS CA of an orderer organization of the NEW
// config (Fabric pools all orderer orgs' TLS roots and intermediates). Expiry
// is enforced only for consenters being added (or rotated in): an existing
// consenter with an expired certificate must still be removable or rotatable.
// The chains are TLS chains (src/crypto/tls/tlsChain.ts), not MSP identities:
// RSA and P-384 TLS CAs work as they do in the cluster transport.

import { TlsCaConfigError, TlsCaPool } from '../../crypto/index.js';
import type { Engine } from '../../crypto/index.js';
import type { ChannelConfigValues, ConsenterValues } from './channelValues.js';
import { consenterKey } from './consenters.js';
import { ConfigTransitionError } from './errors.js';

export interface ConsenterTlsCheck {
  /** Verifies SM2-signed certificates; every other algorithm goes through OpenSSL. */
  readonly engine: Engine;
  readonly now: Date;
}

/** Throws ConfigTransitionError('consenter-certificate') naming the consenter and the reason. `arriving`: consenters new to the channel. */
export function checkConsenterTlsCertificates(next: ChannelConfigValues, arriving: readonly ConsenterValues[], check: ConsenterTlsCheck): void {
  const ordererOrgs = next.organizations.filter((org) => org.sections.includes('orderer'));
  const rootCerts = ordererOrgs.flatMap((org) => org.tlsRootCerts);
  if (rootCerts.length === 0)
    throw new ConfigTransitionError('consenter-certificate', 'no orderer organization lists TLS root certificates to verify consenters against');
  let pool: TlsCaPool;
  try {
    pool = new TlsCaPool({ engine: check.engine, rootCerts, intermediateCerts: ordererOrgs.flatMap((org) => org.tlsIntermediateCerts) });
  } catch (err) {
    if (!(err instanceof TlsCaConfigError)) throw err;
    throw new ConfigTransitionError(
      'consenter-certificate',
      `orderer TLS CAs of ${ordererOrgs.map((o) => `"${o.mspId}"`).join(', ')} are unusable: ${err.message}`,
    );
  }
  const arrivingKeys = new Set(arriving.map(consenterKey));
  for (const consenter of next.consenters) {
    const enforceValidity = arrivingKeys.has(consenterKey(consenter));
    for (const [which, pem] of [
      ['client', consenter.clientTlsCertPem],
      ['server', consenter.serverTlsCertPem],
    ] as const) {
      const verdict = pool.verify(pem, check.now, enforceValidity);
      if (!verdict.ok) {
        throw new ConfigTransitionError('consenter-certificate', `consenter ${consenter.host}:${consenter.port} ${which} TLS certificate: ${verdict.message}`);
      }
    }
  }
}
