// Codec of an organization's MSP value (msp/msp_config.proto): MSPConfig{type,
// config} around FabricMSPConfig. Read: name, CA and TLS CA certificates,
// admins, crypto config and NodeOUs (what identity and admin checks need).
// Signing identity, OU identifiers and revocation lists are not read (the
// orderer's MSPs verify, never sign, and CRLs are not supported yet); they
// survive a config update untouched because ConfigValue bytes are opaque.

import type { DecodeContext } from '../codec/common.js';
import { EMPTY_BYTES } from '../model.js';
import { WIRE_LEN, WIRE_VARINT } from '../wire/reader.js';
import { ProtoWriter } from '../wire/writer.js';
import { child, readFields } from './wireHelpers.js';

/** MSPConfig.type of an X.509 Fabric MSP (msp.FABRIC); IDEMIX is 1. */
export const MSP_TYPE_FABRIC = 0;

export interface MspConfig {
  readonly type: number;
  /** Marshaled FabricMSPConfig when type is FABRIC. */
  readonly config: Uint8Array;
}

export interface OuIdentifier {
  /** PEM certificate the OU must chain to; empty for any. */
  readonly certificate: Uint8Array;
  readonly organizationalUnitIdentifier: string;
}

export interface FabricNodeOus {
  readonly enable: boolean;
  readonly clientOuIdentifier?: OuIdentifier;
  readonly peerOuIdentifier?: OuIdentifier;
  readonly adminOuIdentifier?: OuIdentifier;
  readonly ordererOuIdentifier?: OuIdentifier;
}

export interface FabricMspConfig {
  readonly name: string;
  /** PEM certificates, one per element. */
  readonly rootCerts: readonly Uint8Array[];
  readonly intermediateCerts: readonly Uint8Array[];
  readonly admins: readonly Uint8Array[];
  readonly tlsRootCerts: readonly Uint8Array[];
  readonly tlsIntermediateCerts: readonly Uint8Array[];
  readonly cryptoConfig?: { readonly signatureHashFamily: string; readonly identityIdentifierHashFunction: string };
  readonly fabricNodeOus?: FabricNodeOus;
}

export function decodeMspConfig(bytes: Uint8Array, ctx: DecodeContext): MspConfig {
  let type = 0;
  let config = EMPTY_BYTES;
  readFields(bytes, ctx, (r, field, key) => {
    switch (field) {
      case 1:
        r.expect(key, WIRE_VARINT, 'type');
        type = r.int32('type');
        return true;
      case 2:
        r.expect(key, WIRE_LEN, 'config');
        config = r.bytes('config');
        return true;
      default:
        return false;
    }
  });
  return { type, config };
}

export function encodeMspConfig(value: MspConfig): Uint8Array {
  return new ProtoWriter().int32(1, value.type).bytes(2, value.config).finish();
}

export function decodeFabricMspConfig(bytes: Uint8Array, ctx: DecodeContext): FabricMspConfig {
  let name = '';
  const rootCerts: Uint8Array[] = [];
  const intermediateCerts: Uint8Array[] = [];
  const admins: Uint8Array[] = [];
  const tlsRootCerts: Uint8Array[] = [];
  const tlsIntermediateCerts: Uint8Array[] = [];
  let cryptoConfig: FabricMspConfig['cryptoConfig'];
  let fabricNodeOus: FabricNodeOus | undefined;
  const repeated: Record<number, [string, Uint8Array[]]> = {
    2: ['root_certs', rootCerts],
    3: ['intermediate_certs', intermediateCerts],
    4: ['admins', admins],
    9: ['tls_root_certs', tlsRootCerts],
    10: ['tls_intermediate_certs', tlsIntermediateCerts],
  };
  readFields(bytes, ctx, (r, field, key) => {
    const list = repeated[field];
    if (list !== undefined) {
      r.expect(key, WIRE_LEN, list[0]);
      list[1].push(r.bytes(list[0]));
      return true;
    }
    switch (field) {
      case 1:
        r.expect(key, WIRE_LEN, 'name');
        name = r.string('name');
        return true;
      case 8:
        r.expect(key, WIRE_LEN, 'crypto_config');
        cryptoConfig = decodeCryptoConfig(r.bytes('crypto_config'), child(ctx, 'crypto_config'));
        return true;
      case 11:
        r.expect(key, WIRE_LEN, 'fabric_node_ous');
        fabricNodeOus = decodeNodeOus(r.bytes('fabric_node_ous'), child(ctx, 'fabric_node_ous'));
        return true;
      default:
        return false;
    }
  });
  return {
    name,
    rootCerts,
    intermediateCerts,
    admins,
    tlsRootCerts,
    tlsIntermediateCerts,
    ...(cryptoConfig && { cryptoConfig }),
    ...(fabricNodeOus && { fabricNodeOus }),
  };
}

export function encodeFabricMspConfig(value: FabricMspConfig): Uint8Array {
  const w = new ProtoWriter().string(1, value.name);
  for (const cert of value.rootCerts) w.bytesAlways(2, cert);
  for (const cert of value.intermediateCerts) w.bytesAlways(3, cert);
  for (const cert of value.admins) w.bytesAlways(4, cert);
  if (value.cryptoConfig !== undefined) {
    w.message(8, new ProtoWriter().string(1, value.cryptoConfig.signatureHashFamily).string(2, value.cryptoConfig.identityIdentifierHashFunction));
  }
  for (const cert of value.tlsRootCerts) w.bytesAlways(9, cert);
  for (const cert of value.tlsIntermediateCerts) w.bytesAlways(10, cert);
  if (value.fabricNodeOus !== undefined) w.message(11, writeNodeOus(value.fabricNodeOus));
  return w.finish();
}

function decodeCryptoConfig(bytes: Uint8Array, ctx: DecodeContext): NonNullable<FabricMspConfig['cryptoConfig']> {
  let signatureHashFamily = '';
  let identityIdentifierHashFunction = '';
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_LEN, 'signature_hash_family');
      signatureHashFamily = r.string('signature_hash_family');
      return true;
    }
    if (field === 2) {
      r.expect(key, WIRE_LEN, 'identity_identifier_hash_function');
      identityIdentifierHashFunction = r.string('identity_identifier_hash_function');
      return true;
    }
    return false;
  });
  return { signatureHashFamily, identityIdentifierHashFunction };
}

const OU_FIELDS = ['clientOuIdentifier', 'peerOuIdentifier', 'adminOuIdentifier', 'ordererOuIdentifier'] as const;
const OU_WIRE_NAMES = ['client_ou_identifier', 'peer_ou_identifier', 'admin_ou_identifier', 'orderer_ou_identifier'] as const;

function decodeNodeOus(bytes: Uint8Array, ctx: DecodeContext): FabricNodeOus {
  let enable = false;
  const ous: { -readonly [K in (typeof OU_FIELDS)[number]]?: OuIdentifier } = {};
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_VARINT, 'enable');
      enable = r.bool('enable');
      return true;
    }
    if (field >= 2 && field <= 5) {
      const wireName = OU_WIRE_NAMES[field - 2]!;
      r.expect(key, WIRE_LEN, wireName);
      ous[OU_FIELDS[field - 2]!] = decodeOuIdentifier(r.bytes(wireName), child(ctx, wireName));
      return true;
    }
    return false;
  });
  return { enable, ...ous };
}

function writeNodeOus(value: FabricNodeOus): ProtoWriter {
  const w = new ProtoWriter().uint64(1, value.enable ? 1 : 0);
  OU_FIELDS.forEach((name, i) => {
    const ou = value[name];
    if (ou !== undefined) w.message(i + 2, new ProtoWriter().bytes(1, ou.certificate).string(2, ou.organizationalUnitIdentifier));
  });
  return w;
}

function decodeOuIdentifier(bytes: Uint8Array, ctx: DecodeContext): OuIdentifier {
  let certificate = EMPTY_BYTES;
  let organizationalUnitIdentifier = '';
  readFields(bytes, ctx, (r, field, key) => {
    if (field === 1) {
      r.expect(key, WIRE_LEN, 'certificate');
      certificate = r.bytes('certificate');
      return true;
    }
    if (field === 2) {
      r.expect(key, WIRE_LEN, 'organizational_unit_identifier');
      organizationalUnitIdentifier = r.string('organizational_unit_identifier');
      return true;
    }
    return false;
  });
  return { certificate, organizationalUnitIdentifier };
}
