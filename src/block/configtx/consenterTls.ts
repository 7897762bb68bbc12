// Fabric's validateConsenterTLSCerts: every consenter's client and server TLS
// certificates must chain to a TLS CA of an orderer organization of the NEW
// config (Fabric pools all orderer orgs' TLS roots and intermediates). Expiry
// is enforced only for consenters being added (or rotated in): an existing
// consenter with an expired certificate must still be removable or rotatable.

import { CertificateExpiredError, CertificateNotYetValidError, IdentityError } from '../../crypto/errors.js';
import { IdentityValidator } from '../../crypto/identity.js';
import type { Engine } from '../../crypto/types.js';
import { OrdererError } from '../../errors.js';
import type { ChannelConfigValues, ConsenterValues } from './channelValues.js';
import { consenterKey } from './consenters.js';
import { ConfigTransitionError } from './errors.js';

export interface ConsenterTlsCheck {
  readonly engine: Engine;
  readonly now: Date;
}

/** Throws ConfigTransitionError('consenter-certificate') naming the consenter and the reason. `arriving`: consenters new to the channel. */
export function checkConsenterTlsCertificates(next: ChannelConfigValues, arriving: readonly ConsenterValues[], check: ConsenterTlsCheck): void {
  const tlsCas = next.organizations
    .filter((org) => org.sections.includes('orderer') && org.tlsRootCerts.length > 0)
    .map((org) => ({ mspId: org.mspId, rootCerts: org.tlsRootCerts, intermediateCerts: org.tlsIntermediateCerts }));
  if (tlsCas.length === 0) throw new ConfigTransitionError('consenter-certificate', 'no orderer organization lists TLS root certificates to verify consenters against');
  let validator: IdentityValidator;
  try {
    validator = new IdentityValidator({ engine: check.engine, organizations: tlsCas, cacheEntriesMax: 2 * next.consenters.length + 1 });
  } catch (err) {
    if (!(err instanceof OrdererError)) throw err;
    throw new ConfigTransitionError('consenter-certificate', `orderer TLS CAs are unusable: ${err.message}`);
  }
  const arrivingKeys = new Set(arriving.map(consenterKey));
  for (const consenter of next.consenters) {
    const enforceExpiry = arrivingKeys.has(consenterKey(consenter));
    for (const [which, pem] of [['client', consenter.clientTlsCertPem], ['server', consenter.serverTlsCertPem]] as const) {
      const reason = chainFailure(validator, tlsCas.map((ca) => ca.mspId), pem, check.now, enforceExpiry);
      if (reason !== undefined) {
        throw new ConfigTransitionError('consenter-certificate', `consenter ${consenter.host}:${consenter.port} ${which} TLS certificate: ${reason}`);
      }
    }
  }
}

/** Undefined when `pem` chains to one of the orgs' TLS CAs (and, if enforced, is valid at `now`); else why not. */
function chainFailure(validator: IdentityValidator, mspIds: readonly string[], pem: string, now: Date, enforceExpiry: boolean): string | undefined {
  const idBytes = new TextEncoder().encode(pem);
  let lastReason = 'not issued by a TLS CA of an orderer organization';
  for (const mspId of mspIds) {
    try {
      validator.validate({ mspId, idBytes }, now);
      return undefined;
    } catch (err) {
      if (!(err instanceof IdentityError)) throw err;
      const timing = err instanceof CertificateExpiredError || err instanceof CertificateNotYetValidError;
      // The chain was found: only its validity window failed.
      if (timing && !enforceExpiry) return undefined;
      if (timing) return err.message;
      lastReason = err.message;
    }
  }
  return lastReason;
}
