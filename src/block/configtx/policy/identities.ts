// The signers of a signature set, as Fabric's SignatureSetToValidIdentities
// and MSP Validate decide them: each (creator, data, signature) whose creator
// is a SerializedIdentity of a channel MSP, whose certificate chains to that
// MSP's CAs and is valid now, and whose signature verifies. An identity
// counts once (later duplicates are ignored before their signature is
// checked); anything else is ignored and said why — a policy is then judged
// on the identities that remain, as in Fabric.

import { Buffer } from 'node:buffer';
import { decodeSerializedIdentity } from '../../codec/common.js';
import { createCryptoProvider, decodePem, IdentityValidator, parseCertificate, type Engine } from '../../../crypto/index.js';
import { OrdererError } from '../../../errors.js';
import { organizationalUnits } from '../admin.js';
import type { ChannelMsp } from './msps.js';

/** One signature to check: `signature` by `creator` (marshaled SerializedIdentity) over `data`. */
export interface SignedData {
  readonly creator: Uint8Array;
  readonly data: Uint8Array;
  readonly signature: Uint8Array;
}

/** A signer whose certificate and signature were checked against its MSP. */
export interface PolicyIdentity {
  readonly mspId: string;
  /** DER of its certificate. */
  readonly der: Uint8Array;
  readonly organizationalUnits: readonly string[];
}

export interface SignerSet {
  readonly identities: readonly PolicyIdentity[];
  /** Why each ignored signature was ignored ("signature 1: ..."). */
  readonly ignored: readonly string[];
}

/** Checks signers against the channel's MSPs; one validator per MSP set (it caches). */
export class SignerChecker {
  readonly #validator: IdentityValidator;
  readonly #engine: Engine;

  constructor(
    readonly msps: ReadonlyMap<string, ChannelMsp>,
    engine: Engine,
  ) {
    this.#engine = engine;
    this.#validator = new IdentityValidator({ engine, organizations: [...msps.values()].map((m) => m.ca), cacheEntriesMax: 1024 });
  }

  signers(signed: readonly SignedData[], now: Date): SignerSet {
    const provider = createCryptoProvider(this.#engine);
    const seen = new Set<string>();
    const identities: PolicyIdentity[] = [];
    const ignored: string[] = [];
    signed.forEach((sd, i) => {
      try {
        const id = decodeSerializedIdentity(sd.creator, { code: 'BAD_PROTOBUF', path: `signature ${i}.creator` });
        const key = `${id.mspid}\u0000${Buffer.from(id.idBytes).toString('base64')}`;
        if (seen.has(key)) {
          ignored.push(`signature ${i}: identity of ${id.mspid} already counted`);
          return;
        }
        const validated = this.#validator.validate({ mspId: id.mspid, idBytes: id.idBytes }, now);
        if (!provider.verifier(validated.algorithm).verify(validated.publicKey, sd.data, sd.signature)) {
          ignored.push(`signature ${i} (${validated.subject}, ${id.mspid}): signature does not verify`);
          return;
        }
        seen.add(key);
        const der = decodePem(new TextDecoder().decode(id.idBytes), ['CERTIFICATE'], 'signer certificate').der;
        identities.push({ mspId: id.mspid, der, organizationalUnits: organizationalUnits(parseCertificate(der).subject) });
      } catch (err) {
        if (!(err instanceof OrdererError)) throw err;
        ignored.push(`signature ${i}: ${err.message}`);
      }
    });
    return { identities, ignored };
  }
}
