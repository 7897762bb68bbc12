// X.501 distinguished names: the few attributes Fabric MSPs use, encoded in
// the order given (C, ST, L, O, OU, CN as cryptogen writes them).

import { oid, sequence, set, tlv, Tag, utf8String } from '../der.js';

export interface DistinguishedName {
  readonly country?: string;
  readonly province?: string;
  readonly locality?: string;
  readonly organization?: string;
  readonly organizationalUnit?: string;
  readonly commonName: string;
}

const ATTRIBUTES: ReadonlyArray<readonly [keyof DistinguishedName, string, string]> = [
  ['country', '2.5.4.6', 'C'],
  ['province', '2.5.4.8', 'ST'],
  ['locality', '2.5.4.7', 'L'],
  ['organization', '2.5.4.10', 'O'],
  ['organizationalUnit', '2.5.4.11', 'OU'],
  ['commonName', '2.5.4.3', 'CN'],
];

/** Short names (CN, O...) of attribute OIDs, for readable subjects in error messages. */
export const ATTRIBUTE_SHORT_NAMES: ReadonlyMap<string, string> = new Map(ATTRIBUTES.map(([, o, s]) => [o, s]));

const printable = (text: string): Uint8Array => tlv(Tag.PRINTABLE_STRING, new TextEncoder().encode(text));

export function encodeName(name: DistinguishedName): Uint8Array {
  const rdns: Uint8Array[] = [];
  for (const [field, attributeOid] of ATTRIBUTES) {
    const value = name[field];
    if (value === undefined) continue;
    // Country is a PrintableString by definition (RFC 5280 appendix A).
    const encoded = field === 'country' ? printable(value) : utf8String(value);
    rdns.push(set(sequence(oid(attributeOid), encoded)));
  }
  return sequence(...rdns);
}
