// Fabric's policy messages (common/policies.proto, msp/msp_principal.proto)
// as plain values: Policy{type, value}, SignaturePolicyEnvelope with its
// n-out-of rule tree and MSPPrincipals, ImplicitMetaPolicy, MSPRole. Decoding
// errors are MalformedMessageError (code BAD_PROTOBUF) naming the field path.

import type { DecodeContext } from '../../codec/common.js';
import { WIRE_LEN, WIRE_VARINT } from '../../wire/reader.js';
import { MalformedMessageError } from '../../errors.js';
import { PolicyType, type ImplicitMetaRule, type MspRole } from '../policies.js';
import { child, readFields } from '../wireHelpers.js';

export interface PolicyMessage {
  readonly type: number;
  readonly value: Uint8Array;
}

/** SignaturePolicy: either signed_by (an index into the envelope's identities) or n_out_of. */
export type SignatureRule =
  | { readonly kind: 'signedBy'; readonly index: number }
  | { readonly kind: 'nOutOf'; readonly n: number; readonly rules: readonly SignatureRule[] };

/** MSPPrincipal.Classification */
export enum PrincipalClassification {
  ROLE = 0,
  ORGANIZATION_UNIT = 1,
  IDENTITY = 2,
  ANONYMITY = 3,
  COMBINED = 4,
}

export interface MspPrincipal {
  readonly classification: number;
  readonly principal: Uint8Array;
}

export interface SignaturePolicyEnvelope {
  readonly version: number;
  readonly rule: SignatureRule | undefined;
  readonly identities: readonly MspPrincipal[];
}

export interface ImplicitMetaPolicy {
  readonly subPolicy: string;
  readonly rule: ImplicitMetaRule;
}

export interface MspRolePrincipal {
  readonly mspId: string;
  readonly role: MspRole;
}

/** Nesting bound of n_out_of rules (Fabric policies nest 2-3 levels). */
export const SIGNATURE_RULE_DEPTH_MAX = 16;
const EMPTY: Uint8Array = new Uint8Array(0);

export function decodePolicy(bytes: Uint8Array, ctx: DecodeContext): PolicyMessage {
  let type: number = PolicyType.UNKNOWN;
  let value = EMPTY;
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_VARINT, 'type');
      type = r.int32('type');
      return true;
    }
    if (field === 2) {
      r.expect(key, WIRE_LEN, 'value');
      value = r.bytes('value');
      return true;
    }
    return false;
  });
  return { type, value };
}

export function decodeSignaturePolicyEnvelope(bytes: Uint8Array, ctx: DecodeContext): SignaturePolicyEnvelope {
  let version = 0;
  let rule: SignatureRule | undefined;
  const identities: MspPrincipal[] = [];
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_VARINT, 'version');
      version = r.int32('version');
      return true;
    }
    if (field === 2) {
      r.expect(key, WIRE_LEN, 'rule');
      rule = decodeSignatureRule(r.bytes('rule'), child(ctx, 'rule'), 1);
      return true;
    }
    if (field === 3) {
      r.expect(key, WIRE_LEN, 'identities');
      identities.push(decodeMspPrincipal(r.bytes('identities'), child(ctx, `identities[${identities.length}]`)));
      return true;
    }
    return false;
  });
  return { version, rule, identities };
}

function decodeSignatureRule(bytes: Uint8Array, ctx: DecodeContext, depth: number): SignatureRule {
  if (depth > SIGNATURE_RULE_DEPTH_MAX) throw new MalformedMessageError(ctx.code, ctx.path, `rules nested deeper than ${SIGNATURE_RULE_DEPTH_MAX}`);
  let rule: SignatureRule | undefined;
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_VARINT, 'signed_by');
      rule = { kind: 'signedBy', index: r.int32('signed_by') };
      return true;
    }
    if (field === 2) {
      r.expect(key, WIRE_LEN, 'n_out_of');
      rule = decodeNOutOf(r.bytes('n_out_of'), child(ctx, 'n_out_of'), depth);
      return true;
    }
    return false;
  });
  if (rule === undefined) throw new MalformedMessageError(ctx.code, ctx.path, 'neither signed_by nor n_out_of is set');
  return rule;
}

function decodeNOutOf(bytes: Uint8Array, ctx: DecodeContext, depth: number): SignatureRule {
  let n = 0;
  const rules: SignatureRule[] = [];
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_VARINT, 'n');
      n = r.int32('n');
      return true;
    }
    if (field === 2) {
      r.expect(key, WIRE_LEN, 'rules');
      rules.push(decodeSignatureRule(r.bytes('rules'), child(ctx, `rules[${rules.length}]`), depth + 1));
      return true;
    }
    return false;
  });
  return { kind: 'nOutOf', n, rules };
}

function decodeMspPrincipal(bytes: Uint8Array, ctx: DecodeContext): MspPrincipal {
  let classification: number = PrincipalClassification.ROLE;
  let principal = EMPTY;
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_VARINT, 'principal_classification');
      classification = r.int32('principal_classification');
      return true;
    }
    if (field === 2) {
      r.expect(key, WIRE_LEN, 'principal');
      principal = r.bytes('principal');
      return true;
    }
    return false;
  });
  return { classification, principal };
}

export function decodeMspRole(bytes: Uint8Array, ctx: DecodeContext): MspRolePrincipal {
  let mspId = '';
  let role = 0;
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_LEN, 'msp_identifier');
      mspId = r.string('msp_identifier');
      return true;
    }
    if (field === 2) {
      r.expect(key, WIRE_VARINT, 'role');
      role = r.int32('role');
      return true;
    }
    return false;
  });
  return { mspId, role };
}

export function decodeImplicitMetaPolicy(bytes: Uint8Array, ctx: DecodeContext): ImplicitMetaPolicy {
  let subPolicy = '';
  let rule = 0;
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_LEN, 'sub_policy');
      subPolicy = r.string('sub_policy');
      return true;
    }
    if (field === 2) {
      r.expect(key, WIRE_VARINT, 'rule');
      rule = r.int32('rule');
      return true;
    }
    return false;
  });
  return { subPolicy, rule };
}
