// The policies configtxgen writes by default, as marshaled common.Policy
// (common/policies.proto). This orderer does not evaluate policies (see
// CONFIGTX.md); it writes them so that its config blocks are complete Fabric
// configs a peer or Fabric tooling accepts.

import { ProtoWriter } from '../wire/writer.js';

/** common.Policy.PolicyType */
export enum PolicyType {
  UNKNOWN = 0,
  SIGNATURE = 1,
  MSP = 2,
  IMPLICIT_META = 3,
}

/** ImplicitMetaPolicy.Rule */
export enum ImplicitMetaRule {
  ANY = 0,
  ALL = 1,
  MAJORITY = 2,
}

/** MSPRole.MSPRoleType */
export enum MspRole {
  MEMBER = 0,
  ADMIN = 1,
  CLIENT = 2,
  PEER = 3,
  ORDERER = 4,
}

/** Policy{IMPLICIT_META, ImplicitMetaPolicy{sub_policy, rule}}, e.g. "MAJORITY Admins". */
export function implicitMetaPolicy(rule: ImplicitMetaRule, subPolicy: string): Uint8Array {
  const value = new ProtoWriter().string(1, subPolicy).int32(2, rule).finish();
  return new ProtoWriter().int32(1, PolicyType.IMPLICIT_META).bytes(2, value).finish();
}

/**
 * Policy{SIGNATURE, SignaturePolicyEnvelope} for "OR('<mspId>.<role>')":
 * one out of one rule signed_by identity 0, the MSPPrincipal ROLE{mspId, role}.
 */
export function signedByRolePolicy(mspId: string, role: MspRole): Uint8Array {
  const mspRole = new ProtoWriter().string(1, mspId).int32(2, role).finish();
  // principal_classification ROLE is 0, so only `principal` is written.
  const principal = new ProtoWriter().bytes(2, mspRole);
  // signed_by is a oneof member: written even when it is 0.
  const signedBy = new ProtoWriter().varintAlways(1, 0);
  const nOutOf = new ProtoWriter().int32(1, 1).message(2, signedBy);
  const rule = new ProtoWriter().message(2, nOutOf);
  const envelope = new ProtoWriter().message(2, rule).message(3, principal).finish();
  return new ProtoWriter().int32(1, PolicyType.SIGNATURE).bytes(2, envelope).finish();
}
