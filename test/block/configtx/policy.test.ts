// Fabric's policy engine (src/block/configtx/policy): SignaturePolicy n-out-of
// rules over MSP principals (roles member/admin/client/peer/orderer with
// NodeOUs, OU and identity principals), ImplicitMeta ANY/ALL/MAJORITY over
// sub-groups, policy paths, and which signatures count. Policies are
// written with @hyperledger/fabric-protos, as Fabric's tools write them.

import { common, msp } from '@hyperledger/fabric-protos';
import { describe, expect, it } from 'vitest';
import { encodeSerializedIdentity } from '../../../src/block/codec/common.js';
import { buildConfig, type ChannelConfigInput } from '../../../src/block/configtx/build.js';
import type { ConfigGroup } from '../../../src/block/configtx/model.js';
import { ImplicitMetaRule, MspRole, implicitMetaPolicy } from '../../../src/block/configtx/policies.js';
import { channelMspsOf, PolicyManager, SignerChecker, type PolicyIdentity, type SignedData } from '../../../src/block/configtx/policy/index.js';
import { DevOrganization, type DevIdentity } from '../../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../../src/crypto/provider.js';
import { makeTestChannel } from './helpers.js';

const provider = createCryptoProvider('native');
const channel = makeTestChannel();
const orderer2 = new DevOrganization({ mspId: 'Orderer2MSP', algorithm: 'ecdsa-p256', provider });
const values: ChannelConfigInput = {
  ...channel.values,
  organizations: [
    ...channel.values.organizations,
    {
      mspId: 'Orderer2MSP',
      sections: ['orderer'],
      rootCerts: [orderer2.root.certPem],
      intermediateCerts: [],
      adminCerts: [],
      tlsRootCerts: [orderer2.root.certPem],
      tlsIntermediateCerts: [],
      adminOu: 'admin',
    },
  ],
};

const role = (mspId: string, r: MspRole): msp.MSPPrincipal => {
  const p = new msp.MSPPrincipal();
  p.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
  const mspRole = new msp.MSPRole();
  mspRole.setMspIdentifier(mspId);
  mspRole.setRole(r as number as msp.MSPRole.MSPRoleTypeMap[keyof msp.MSPRole.MSPRoleTypeMap]);
  p.setPrincipal(mspRole.serializeBinary());
  return p;
};
const signedBy = (i: number): common.SignaturePolicy => {
  const p = new common.SignaturePolicy();
  p.setSignedBy(i);
  return p;
};
const nOutOf = (n: number, rules: common.SignaturePolicy[]): common.SignaturePolicy => {
  const inner = new common.SignaturePolicy.NOutOf();
  inner.setN(n);
  inner.setRulesList(rules);
  const p = new common.SignaturePolicy();
  p.setNOutOf(inner);
  return p;
};
function signaturePolicy(rule: common.SignaturePolicy, principals: msp.MSPPrincipal[], version = 0): Uint8Array {
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setVersion(version);
  envelope.setRule(rule);
  envelope.setIdentitiesList(principals);
  const policy = new common.Policy();
  policy.setType(common.Policy.PolicyType.SIGNATURE);
  policy.setValue(envelope.serializeBinary());
  return policy.serializeBinary();
}

/** The test channel's tree with extra policies at the channel level. */
function managerWith(extra: Record<string, Uint8Array> = {}): PolicyManager {
  const tree = buildConfig(values).channelGroup!;
  const policies = new Map(tree.policies);
  for (const [name, bytes] of Object.entries(extra)) policies.set(name, { version: 0, policy: bytes, modPolicy: 'Admins' });
  const group: ConfigGroup = { ...tree, policies };
  return new PolicyManager(group, channelMspsOf(group));
}

const tree = buildConfig(values).channelGroup!;
const checker = new SignerChecker(channelMspsOf(tree), 'native');
const DATA = new TextEncoder().encode('config update bytes');
const signed = (id: DevIdentity, data = DATA): SignedData => ({
  creator: encodeSerializedIdentity({ mspid: id.mspId, idBytes: id.idBytes }),
  data,
  signature: id.signer.sign(data),
});
const identities = (...ids: DevIdentity[]): readonly PolicyIdentity[] =>
  checker.signers(
    ids.map((id) => signed(id)),
    new Date(),
  ).identities;

const ordererAdmin = channel.ordererOrg.issueMember('Admin2@orderer', { organizationalUnit: 'admin' });
const orderer2Admin = orderer2.issueMember('Admin@orderer2', { organizationalUnit: 'admin' });
const ordererClient = channel.ordererOrg.issueMember('client@orderer', { organizationalUnit: 'client' });
const ordererPeer = channel.ordererOrg.issueMember('peer0@orderer', { organizationalUnit: 'peer' });
const ordererNode = channel.ordererOrg.issueMember('orderer1@orderer', { organizationalUnit: 'orderer' });
const appMember = channel.appOrg.issueMember('user1', { organizationalUnit: 'client' });

describe('SignaturePolicy principals (MSP roles)', () => {
  const m = managerWith({
    OrdererMember: signaturePolicy(nOutOf(1, [signedBy(0)]), [role('OrdererMSP', MspRole.MEMBER)]),
    OrdererAdmin: signaturePolicy(nOutOf(1, [signedBy(0)]), [role('OrdererMSP', MspRole.ADMIN)]),
    OrdererClient: signaturePolicy(nOutOf(1, [signedBy(0)]), [role('OrdererMSP', MspRole.CLIENT)]),
    OrdererPeer: signaturePolicy(nOutOf(1, [signedBy(0)]), [role('OrdererMSP', MspRole.PEER)]),
    OrdererOrderer: signaturePolicy(nOutOf(1, [signedBy(0)]), [role('OrdererMSP', MspRole.ORDERER)]),
    AppAdmin: signaturePolicy(nOutOf(1, [signedBy(0)]), [role('Org1MSP', MspRole.ADMIN)]),
    AppClient: signaturePolicy(nOutOf(1, [signedBy(0)]), [role('Org1MSP', MspRole.CLIENT)]),
  });
  const satisfies = (policy: string, id: DevIdentity) => m.policy(`/Channel/${policy}`).evaluate(identities(id)) === undefined;

  it('member: any valid identity of that MSP, not of another', () => {
    expect(satisfies('OrdererMember', ordererClient)).toBe(true);
    expect(satisfies('OrdererMember', ordererAdmin)).toBe(true);
    expect(satisfies('OrdererMember', appMember)).toBe(false);
  });

  it('admin: the NodeOUs admin OU, or a certificate listed in the MSP admins; not a client', () => {
    expect(satisfies('OrdererAdmin', ordererAdmin)).toBe(true);
    expect(satisfies('OrdererAdmin', ordererClient)).toBe(false);
    expect(satisfies('AppAdmin', channel.appAdmin)).toBe(true);
    expect(satisfies('AppAdmin', appMember)).toBe(false);
  });

  it('client, peer, orderer: the NodeOUs OU of that role', () => {
    expect(satisfies('OrdererClient', ordererClient)).toBe(true);
    expect(satisfies('OrdererClient', ordererPeer)).toBe(false);
    expect(satisfies('OrdererPeer', ordererPeer)).toBe(true);
    expect(satisfies('OrdererOrderer', ordererNode)).toBe(true);
    expect(satisfies('OrdererOrderer', ordererAdmin)).toBe(false);
  });

  it('client without NodeOUs: nobody (Fabric cannot tell the roles apart)', () => {
    expect(satisfies('AppClient', appMember)).toBe(false);
    expect(m.policy('/Channel/AppClient').evaluate(identities(appMember))).toBe('signature set did not satisfy policy');
  });
});

describe('SignaturePolicy rules (n out of m)', () => {
  const twoAdmins = [role('OrdererMSP', MspRole.ADMIN), role('Orderer2MSP', MspRole.ADMIN)];
  const m = managerWith({
    Both: signaturePolicy(nOutOf(2, [signedBy(0), signedBy(1)]), twoAdmins),
    Either: signaturePolicy(nOutOf(1, [signedBy(0), signedBy(1)]), twoAdmins),
    TwoMembers: signaturePolicy(nOutOf(2, [signedBy(0), signedBy(0)]), [role('OrdererMSP', MspRole.MEMBER)]),
    Nested: signaturePolicy(nOutOf(1, [nOutOf(2, [signedBy(0), signedBy(1)]), signedBy(2)]), [...twoAdmins, role('Org1MSP', MspRole.ADMIN)]),
    OutOfRange: signaturePolicy(nOutOf(1, [signedBy(5)]), twoAdmins),
    Version1: signaturePolicy(nOutOf(1, [signedBy(0)]), twoAdmins, 1),
  });
  const verdict = (policy: string, ...ids: DevIdentity[]) => m.policy(`/Channel/${policy}`).evaluate(identities(...ids));

  it('AND needs a signer for each principal; OR any one', () => {
    expect(verdict('Both', ordererAdmin)).toBe('signature set did not satisfy policy');
    expect(verdict('Both', ordererAdmin, orderer2Admin)).toBeUndefined();
    expect(verdict('Either', orderer2Admin)).toBeUndefined();
    expect(verdict('Either', appMember)).toBe('signature set did not satisfy policy');
  });

  it('an identity satisfies one principal per evaluation: two members need two signers', () => {
    expect(verdict('TwoMembers', ordererAdmin)).toBe('signature set did not satisfy policy');
    expect(verdict('TwoMembers', ordererAdmin, ordererClient)).toBeUndefined();
  });

  it('nested rules: 1 of (2 of the orderer admins, the app admin)', () => {
    expect(verdict('Nested', channel.appAdmin)).toBeUndefined();
    expect(verdict('Nested', ordererAdmin)).toBe('signature set did not satisfy policy');
    expect(verdict('Nested', ordererAdmin, orderer2Admin)).toBeUndefined();
  });

  it('a policy with an identity index out of range, or a SignaturePolicy version other than 0, is unusable and says why', () => {
    expect(verdict('OutOfRange', ordererAdmin)).toMatch(
      /policy \/Channel\/OutOfRange is unusable: identity index out of range, requested 5, but identities length is 2/,
    );
    expect(verdict('Version1', ordererAdmin)).toMatch(/only understands messages of version 0, but version was 1/);
    expect(m.problems).toHaveLength(2);
  });
});

describe('ImplicitMeta policies and policy paths', () => {
  const m = managerWith({
    AllAdmins: implicitMetaPolicy(ImplicitMetaRule.ALL, 'Admins'),
    AnyAdmins: implicitMetaPolicy(ImplicitMetaRule.ANY, 'Admins'),
  });

  it("MAJORITY of the orderer organizations' Admins: 2 of 2 here, and the message says so", () => {
    const admins = m.policy('/Channel/Orderer/Admins');
    expect(admins.path).toBe('/Channel/Orderer/Admins');
    expect(admins.evaluate(identities(ordererAdmin))).toBe(
      "implicit policy evaluation failed - 1 sub-policies were satisfied, but this policy requires 2 of the 'Admins' sub-policies to be satisfied",
    );
    expect(admins.evaluate(identities(ordererAdmin, orderer2Admin))).toBeUndefined();
  });

  it("ANY and ALL over the channel's sub-groups (Orderer, Application), each itself an ImplicitMeta", () => {
    expect(m.policy('/Channel/AnyAdmins').evaluate(identities(channel.appAdmin))).toBeUndefined();
    expect(m.policy('/Channel/AllAdmins').evaluate(identities(channel.appAdmin))).toBe(
      "implicit policy evaluation failed - 1 sub-policies were satisfied, but this policy requires 2 of the 'Admins' sub-policies to be satisfied",
    );
    expect(m.policy('/Channel/AllAdmins').evaluate(identities(channel.appAdmin, ordererAdmin, orderer2Admin))).toBeUndefined();
  });

  it('a group without sub-groups satisfies its ImplicitMeta policies with no signature (threshold 0)', () => {
    const org = m.policy('Admins', ['Channel', 'Orderer', 'OrdererMSP']);
    expect(org.path).toBe('/Channel/Orderer/OrdererMSP/Admins');
    const leaf: ConfigGroup = {
      version: 0,
      modPolicy: 'Admins',
      groups: new Map(),
      values: new Map(),
      policies: new Map([['Admins', { version: 0, policy: implicitMetaPolicy(ImplicitMetaRule.MAJORITY, 'Admins'), modPolicy: 'Admins' }]]),
    };
    expect(new PolicyManager(leaf, new Map()).policy('/Channel/Admins').evaluate([])).toBeUndefined();
  });

  it('resolves relative paths from a group, absolute ones from the root; a missing policy rejects', () => {
    expect(m.policy('Admins', ['Channel', 'Orderer']).path).toBe('/Channel/Orderer/Admins');
    expect(m.policy('Orderer/Admins').path).toBe('/Channel/Orderer/Admins');
    expect(m.policy('/Channel/Application/Org1MSP/Admins').evaluate(identities(channel.appAdmin))).toBeUndefined();
    expect(m.policy('/Channel/Orderer/Nope').evaluate(identities(ordererAdmin))).toBe("no such policy: '/Channel/Orderer/Nope'");
    expect(m.policy('/Other/Admins').evaluate(identities(ordererAdmin))).toBe("no such policy: '/Other/Admins'");
    expect(m.policy('').evaluate([])).toBe("no such policy: ''");
  });
});

describe('which signatures count', () => {
  it('ignores, saying why: a signature that does not verify, an unknown MSP, an expired certificate, the same identity twice', () => {
    const stranger = new DevOrganization({ mspId: 'EvilMSP', algorithm: 'ecdsa-p256', provider }).issueMember('Admin', { organizationalUnit: 'admin' });
    const expired = channel.ordererOrg.issueMember('old-admin', {
      organizationalUnit: 'admin',
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const forged = { ...signed(orderer2Admin), signature: orderer2Admin.signer.sign(new TextEncoder().encode('other bytes')) };
    const set = checker.signers([forged, signed(stranger), signed(expired), signed(ordererAdmin), signed(ordererAdmin)], new Date());
    expect(set.identities.map((id) => id.mspId)).toEqual(['OrdererMSP']);
    expect(set.ignored).toHaveLength(4);
    expect(set.ignored[0]).toMatch(/^signature 0 .*Orderer2MSP.*does not verify/);
    expect(set.ignored[1]).toMatch(/^signature 1: .*EvilMSP/);
    expect(set.ignored[2]).toMatch(/^signature 2: .*expired/);
    expect(set.ignored[3]).toMatch(/^signature 4: identity of OrdererMSP already counted/);
  });
});
