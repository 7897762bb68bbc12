// Fabric's policy engine over a channel config: policy messages, the MSPs
// and signers they judge, and the manager that resolves and evaluates
// policies by path. See ../CONFIGTX.md, "Policies".

export { decodePolicy, decodeSignaturePolicyEnvelope, decodeImplicitMetaPolicy, decodeMspRole, PrincipalClassification } from './decode.js';
export type { ImplicitMetaPolicy, MspPrincipal, MspRolePrincipal, PolicyMessage, SignaturePolicyEnvelope, SignatureRule } from './decode.js';
export { channelMspsOf, type ChannelMsp } from './msps.js';
export { SignerChecker, type PolicyIdentity, type SignedData, type SignerSet } from './identities.js';
export { PolicyManager, ROOT_GROUP, type Policy, type Verdict } from './manager.js';
