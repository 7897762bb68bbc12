// Reading X.501 names strictly, as Go's crypto/x509 does (parseName,
// parseASN1String): every attribute value must be one of the directory string
// types with valid contents, so a name one X.509 reader takes and another
// refuses (a UTF8String holding 0xFF, a PrintableString with '@') is refused
// here, where the certificate is parsed, instead of deeper in the path.

import { children, decodeOid, Tag, type DerElement } from '../der.js';
import { CryptoEncodingError } from '../errors.js';
import { ATTRIBUTE_SHORT_NAMES } from './names.js';

const T61_STRING = 0x14;
const NUMERIC_STRING = 0x12;
const BMP_STRING = 0x1e;

const utf8Strict = new TextDecoder('utf-8', { fatal: true });
const latin1 = new TextDecoder('latin1');

/** PrintableString (X.680 41.4), plus '*' and '&' which Go accepts because real certificates carry them. */
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?*&]*$/;
const NUMERIC = /^[0-9 ]*$/;

/** The text of one attribute value; throws CryptoEncodingError naming `what` for any other type or bad contents. */
export function readDirectoryString(element: DerElement, what: string): string {
  const { tag, value } = element;
  switch (tag) {
    case Tag.UTF8_STRING:
      try {
        return utf8Strict.decode(value);
      } catch {
        throw new CryptoEncodingError(`${what}: UTF8String is not valid UTF-8`);
      }
    case Tag.PRINTABLE_STRING:
    case NUMERIC_STRING:
    case Tag.IA5_STRING: {
      const text = latin1.decode(value);
      const valid = tag === Tag.PRINTABLE_STRING ? PRINTABLE.test(text) : tag === NUMERIC_STRING ? NUMERIC.test(text) : isAscii(value);
      if (!valid) throw new CryptoEncodingError(`${what}: a character is not allowed in its string type (tag 0x${tag.toString(16)})`);
      return text;
    }
    case T61_STRING:
      return latin1.decode(value);
    case BMP_STRING:
      return readBmpString(value, what);
    default:
      throw new CryptoEncodingError(`${what}: tag 0x${tag.toString(16)} is not a directory string type`);
  }
}

function isAscii(value: Uint8Array): boolean {
  for (const byte of value) if (byte > 0x7f) return false;
  return true;
}

/** UCS-2 big-endian; surrogates are refused (Go refuses them too: BMPString has no pairs). */
function readBmpString(value: Uint8Array, what: string): string {
  if (value.length % 2 !== 0) throw new CryptoEncodingError(`${what}: BMPString has an odd length`);
  let text = '';
  for (let i = 0; i < value.length; i += 2) {
    const unit = (value[i]! << 8) | value[i + 1]!;
    if (unit >= 0xd800 && unit <= 0xdfff) throw new CryptoEncodingError(`${what}: BMPString holds a surrogate`);
    text += String.fromCharCode(unit);
  }
  return text;
}

/**
 * Checks every attribute of a Name and returns it as "CN=a,OU=b,O=c" (most
 * specific first, as Fabric prints identities). `what` names the Name (issuer, subject).
 */
export function readName(name: DerElement, what: string): string {
  const parts: string[] = [];
  const rdns = children(name);
  while (!rdns.done) {
    const set = rdns.read(Tag.SET, `${what} RDN`);
    const attributes = children(set);
    if (attributes.done) throw new CryptoEncodingError(`${what}: an RDN is empty`);
    while (!attributes.done) {
      const attribute = children(attributes.read(Tag.SEQUENCE, `${what} attribute`));
      const type = decodeOid(attribute.read(Tag.OID, `${what} attribute type`).value);
      const value = readDirectoryString(attribute.read(undefined, `${what} attribute value`), `${what} attribute ${type}`);
      attribute.end(`${what} attribute`);
      parts.push(`${ATTRIBUTE_SHORT_NAMES.get(type) ?? type}=${value}`);
    }
  }
  return parts.reverse().join(',');
}
