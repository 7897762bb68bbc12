import { describe, expect, test } from 'vitest';
import { validateClusterOptions, type ClusterTransportOptions } from '../../src/cluster/options.js';
import { ClusterOptionsError } from '../../src/cluster/errors.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { TestPki, testLogger } from './fixtures.js';

const pki = new TestPki();
const self = pki.issueTls(1);
const other = pki.issueTls(2);

function base(): ClusterTransportOptions {
  return {
    selfId: 1,
    listenAddress: '127.0.0.1:7050',
    tls: { certPem: self.certPem, keyPem: self.keyPem, caPems: [pki.caPem] },
    peers: [
      { id: 1, address: '127.0.0.1:7050', tlsCertPem: self.certPem },
      { id: 2, address: 'orderer2.example.com:7051', tlsCertPem: other.certPem },
    ],
    logger: testLogger(),
  };
}

describe('validateClusterOptions', () => {
  test('fills defaults, skips self among the peers and pins each peer key', () => {
    const s = validateClusterOptions(base());
    expect([s.selfId, s.listenHost, s.listenPort]).toEqual([1, '127.0.0.1', 7050]);
    expect([...s.peers.keys()]).toEqual([2]);
    expect(s.peers.get(2)!.pinnedKey.length).toBeGreaterThan(60);
    expect([s.sendQueueFramesMax, s.submitTimeoutMs, s.reconnectBackoffMinMs, s.reconnectBackoffMaxMs]).toEqual([1000, 7000, 100, 5000]);
  });

  const bad: Array<[string, (o: ClusterTransportOptions) => ClusterTransportOptions, RegExp]> = [
    ['selfId zero', (o) => ({ ...o, selfId: 0 }), /options\.selfId must be a positive integer/],
    ['listen address without port', (o) => ({ ...o, listenAddress: 'localhost' }), /options\.listenAddress "localhost"/],
    ['port out of range', (o) => ({ ...o, listenAddress: 'localhost:70000' }), /options\.listenAddress/],
    ['no tls', (o) => ({ ...o, tls: undefined as never }), /options\.tls is required/],
    ['key of another cert', (o) => ({ ...o, tls: { ...o.tls, keyPem: other.keyPem } }), /options\.tls\.keyPem is not the private key of options\.tls\.certPem/],
    ['no CA', (o) => ({ ...o, tls: { ...o.tls, caPems: [] } }), /options\.tls\.caPems must list at least one/],
    ['garbage CA', (o) => ({ ...o, tls: { ...o.tls, caPems: ['nope'] } }), /options\.tls\.caPems\[0\] is not a PEM X\.509 certificate/],
    ['duplicate peer', (o) => ({ ...o, peers: [...o.peers, o.peers[1]!] }), /options\.peers\[2\]\.id 2 appears twice/],
    ['peer port 0', (o) => ({ ...o, peers: [{ ...o.peers[1]!, address: 'x:0' }] }), /options\.peers\[0\]\.address "x:0"/],
    ['peer cert garbage', (o) => ({ ...o, peers: [{ ...o.peers[1]!, tlsCertPem: 'x' }] }), /options\.peers\[0\]\.tlsCertPem \(consenter 2\)/],
    [
      'queue bytes below frame size',
      (o) => ({ ...o, frameBytesMax: 4096, sendQueueBytesMax: 2048 }),
      /options\.sendQueueBytesMax \(2048\) must be at least options\.frameBytesMax/,
    ],
    ['backoff max below min', (o) => ({ ...o, reconnectBackoffMinMs: 500, reconnectBackoffMaxMs: 100 }), /options\.reconnectBackoffMaxMs \(100\)/],
    ['fractional timeout', (o) => ({ ...o, submitTimeoutMs: 1.5 }), /options\.submitTimeoutMs must be an integer/],
    ['zero queue', (o) => ({ ...o, sendQueueFramesMax: 0 }), /options\.sendQueueFramesMax must be an integer in 1\.\./],
  ];

  test.each(bad)('%s is refused naming the option', (_name, edit, message) => {
    const options = edit(base());
    expect(() => validateClusterOptions(options)).toThrow(ClusterOptionsError);
    expect(() => validateClusterOptions(options)).toThrow(message);
  });

  test('an SM2 TLS certificate is refused up front, naming the option, not at bind time', () => {
    const gm = new DevOrganization({ mspId: 'GmMSP', algorithm: 'sm2', provider: createCryptoProvider('native') });
    const member = gm.issueMember('orderer1', { subjectAltNames: ['127.0.0.1'], extendedKeyUsage: ['serverAuth', 'clientAuth'] });
    const options = { ...base(), tls: { certPem: member.certPem, keyPem: member.signer.exportPrivateKeyPem(), caPems: [gm.root.certPem] } };
    expect(() => validateClusterOptions(options)).toThrow(/options\.tls\.certPem\/keyPem cannot be used for TLS by Node .*SM2 is not supported/);
  });
});
