// Config updates on channels whose orderer TLS CAs are RSA 2048 or ECDSA P-384
// (common Fabric CAs), from a genesis block through a signed CONFIG envelope to
// validateConfigTransition's consenter TLS check. Fixtures: test/crypto/tls/make.sh.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeBlock, encodeBlock } from '../../../src/block/codec/block.js';
import { encodeSerializedIdentity } from '../../../src/block/codec/common.js';
import { buildGenesisBlock, type ChannelConfigInput } from '../../../src/block/configtx/build.js';
import type { ConsenterValues } from '../../../src/block/configtx/channelValues.js';
import { ConfigTransitionError } from '../../../src/block/configtx/errors.js';
import { validateConfigTransition } from '../../../src/block/configtx/transition.js';
import { buildConfigUpdateEnvelope, currentConfigOf, type CurrentConfig } from '../../../src/block/configtx/update.js';
import { createCryptoProvider } from '../../../src/crypto/provider.js';
import type { Engine } from '../../../src/crypto/types.js';
import { applyConfigUpdate, makeTestChannel } from './helpers.js';

const tlsFixture = (name: string): string => readFileSync(new URL(`../../crypto/tls/${name}.crt`, import.meta.url), 'utf8');
const provider = createCryptoProvider('native');
const channel = makeTestChannel();
const adminIdentity = channel.ordererOrg.issueMember('Admin2@orderer', { organizationalUnit: 'admin' });
const admin = { signer: adminIdentity.signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'OrdererMSP', idBytes: adminIdentity.idBytes }) };

let port = 7100;
const consenterOf = (client: string, server = client): ConsenterValues => ({
  host: '127.0.0.1',
  port: port++,
  clientTlsCertPem: tlsFixture(client),
  serverTlsCertPem: tlsFixture(server),
});

/**
 * The test channel with its orderer org's TLS CAs replaced: RSA root + RSA
 * intermediate, and a P-384 root; consenters with RSA and P-384 certificates.
 */
function rsaAndP384Channel(): ChannelConfigInput {
  const [ordererOrg, ...others] = channel.values.organizations;
  return {
    ...channel.values,
    organizations: [
      { ...ordererOrg!, tlsRootCerts: [tlsFixture('rsa-root'), tlsFixture('p384-root')], tlsIntermediateCerts: [tlsFixture('rsa-ica')] },
      ...others,
    ],
    consenters: [consenterOf('rsa-leaf'), consenterOf('p384-leaf'), consenterOf('p384-via-ica', 'rsa-leaf2')],
  };
}

/** The config the chain would check: genesis block written and read back, update signed by the orderer admin, processed as the orderer does. */
function proposed(current: CurrentConfig, change: Partial<ChannelConfigInput>) {
  return applyConfigUpdate(current, buildConfigUpdateEnvelope(current, { ...current.values, ...change }, admin)).values;
}

function refusalOf(run: () => unknown): ConfigTransitionError {
  try {
    run();
  } catch (err) {
    if (err instanceof ConfigTransitionError) return err;
    throw err;
  }
  throw new Error('expected the config update to be refused');
}

describe('config updates on a channel with RSA and P-384 TLS CAs', () => {
  const genesis = decodeBlock(encodeBlock(buildGenesisBlock(rsaAndP384Channel(), provider.hasher('sha256'))));
  const current = currentConfigOf(genesis);

  it.each<Engine>(['native', 'native-free'])('accepts a batch change (the existing RSA/P-384 consenters chain to the pooled CAs, %s engine)', (engine) => {
    const result = validateConfigTransition(current.values, proposed(current, { batchTimeoutMs: 100 }), undefined, { engine, now: new Date() });
    expect(result.ordererSectionChanged).toBe(true);
    expect(result.consenters).toEqual({ endpointsChanged: [] });
  });

  it('accepts adding a P-384 consenter and an RSA one under the intermediate', () => {
    const tls = { engine: 'native' as const, now: new Date() };
    const p384 = consenterOf('p384-leaf2');
    expect(
      validateConfigTransition(current.values, proposed(current, { consenters: [...current.values.consenters, p384] }), undefined, tls).consenters.added,
    ).toEqual({ id: 4, consenter: p384 });
    const rsa = consenterOf('rsa-leaf2');
    expect(
      validateConfigTransition(current.values, proposed(current, { consenters: [...current.values.consenters, rsa] }), undefined, tls).consenters.added?.id,
    ).toBe(4);
  });

  it('refuses a consenter whose certificate comes from another CA with the same name, naming the consenter', () => {
    const impostor = consenterOf('impostor-leaf');
    const err = refusalOf(() =>
      validateConfigTransition(current.values, proposed(current, { consenters: [...current.values.consenters, impostor] }), undefined, {
        engine: 'native',
        now: new Date(),
      }),
    );
    expect(err.rule).toBe('consenter-certificate');
    expect(err.message).toBe(
      `config update refused (consenter-certificate): consenter 127.0.0.1:${impostor.port} client TLS certificate: ` +
        'certificate "CN=orderer9.rsa.example.com,O=TlsOrg" is not issued by a TLS CA of an orderer organization',
    );
  });

  it('refuses the update that drops the intermediate a consenter chains through, naming the consenter', () => {
    const [ordererOrg, ...others] = current.values.organizations;
    const withoutIntermediate = proposed(current, { organizations: [{ ...ordererOrg!, tlsIntermediateCerts: [] }, ...others] });
    const err = refusalOf(() => validateConfigTransition(current.values, withoutIntermediate, undefined, { engine: 'native', now: new Date() }));
    expect(err.message).toMatch(/consenter 127\.0\.0\.1:\d+ client TLS certificate: certificate "CN=orderer1\.rsa\.example\.com,O=TlsOrg" is not issued/);
  });

  it('refuses an arriving consenter that is not valid yet, but keeps existing consenters whatever the date', () => {
    const longAgo = { engine: 'native' as const, now: new Date('2000-01-01T00:00:00Z') };
    expect(validateConfigTransition(current.values, proposed(current, { batchTimeoutMs: 100 }), undefined, longAgo).ordererSectionChanged).toBe(true);
    const arriving = consenterOf('p384-leaf2');
    const err = refusalOf(() =>
      validateConfigTransition(current.values, proposed(current, { consenters: [...current.values.consenters, arriving] }), undefined, longAgo),
    );
    expect(err.message).toMatch(
      new RegExp(
        `consenter 127\\.0\\.0\\.1:${arriving.port} client TLS certificate: certificate "CN=orderer2\\.p384\\.example\\.com,O=TlsOrg" is not valid before`,
      ),
    );
  });
});

describe('config updates on a P-256 channel meeting RSA and P-384 certificates', () => {
  const genesis = decodeBlock(encodeBlock(buildGenesisBlock(channel.values, provider.hasher('sha256'))));
  const current = currentConfigOf(genesis);

  it('refuses an RSA consenter the P-256 TLS CA did not issue, naming it (it parses now, the chain is what fails)', () => {
    const rsa = consenterOf('rsa-leaf');
    const err = refusalOf(() =>
      validateConfigTransition(current.values, proposed(current, { consenters: [...current.values.consenters, rsa] }), undefined, {
        engine: 'native',
        now: new Date(),
      }),
    );
    expect(err.message).toMatch(
      new RegExp(
        `consenter 127\\.0\\.0\\.1:${rsa.port} client TLS certificate: certificate "CN=orderer2\\.rsa\\.example\\.com,O=TlsOrg" is not issued by a TLS CA`,
      ),
    );
  });

  it('accepts adding an RSA TLS root to the orderer org together with a consenter it issued', () => {
    const [ordererOrg, ...others] = current.values.organizations;
    const rsa = consenterOf('rsa-leaf');
    const next = proposed(current, {
      organizations: [{ ...ordererOrg!, tlsRootCerts: [...ordererOrg!.tlsRootCerts, tlsFixture('rsa-root')] }, ...others],
      consenters: [...current.values.consenters, rsa],
    });
    expect(validateConfigTransition(current.values, next, undefined, { engine: 'native', now: new Date() }).consenters.added?.consenter).toEqual(rsa);
  });
});

describe("config updates on an SM2 channel (TLS CA certificates checked by the engine's SM2 verifier)", () => {
  const gm = makeTestChannel('sm2', 'gm1');
  const gmAdmin = gm.ordererOrg.issueMember('Admin2@orderer', { organizationalUnit: 'admin' });
  const gmCreator = { signer: gmAdmin.signer, serializedIdentity: encodeSerializedIdentity({ mspid: 'OrdererMSP', idBytes: gmAdmin.idBytes }) };
  const genesis = decodeBlock(encodeBlock(buildGenesisBlock(gm.values, provider.hasher('sm3'))));
  const current = currentConfigOf(genesis);
  const next = (change: Partial<ChannelConfigInput>) =>
    applyConfigUpdate(current, buildConfigUpdateEnvelope(current, { ...current.values, ...change }, gmCreator)).values;

  it.each<Engine>(['native', 'native-free'])(
    'accepts an SM2 consenter of the orderer TLS CA and refuses one of the application org, naming it (%s engine)',
    (engine) => {
      const tls = { engine, now: new Date() };
      const c4 = gm.consenter(4);
      expect(validateConfigTransition(current.values, next({ consenters: [...current.values.consenters, c4] }), undefined, tls).consenters.added?.id).toBe(4);
      const stranger = gm.appOrg.issueMember('orderer9').certPem;
      const c9 = { host: 'o9', port: 7059, clientTlsCertPem: stranger, serverTlsCertPem: stranger };
      const err = refusalOf(() => validateConfigTransition(current.values, next({ consenters: [...current.values.consenters, c9] }), undefined, tls));
      expect(err.message).toBe(
        'config update refused (consenter-certificate): consenter o9:7059 client TLS certificate: certificate "CN=orderer9,O=org1msp" is not issued by a TLS CA of an orderer organization',
      );
    },
  );
});
