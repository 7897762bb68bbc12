// PEM armour (RFC 7468): base64 DER between BEGIN/END lines.

import { CryptoEncodingError } from './errors.js';

/** Upper bound of one PEM input; certificates and keys are a few KiB. */
const PEM_CHARS_MAX = 1 << 20;

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** All PEM blocks in `text`, in order. Throws when there is none. */
export function decodePemBlocks(text: string, what = 'PEM input'): PemBlock[] {
  if (text.length > PEM_CHARS_MAX) throw new CryptoEncodingError(`${what} is longer than ${PEM_CHARS_MAX} characters`);
  const blocks: PemBlock[] = [];
  for (const match of text.matchAll(BLOCK)) {
    const body = match[2]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body) || body.length % 4 !== 0) {
      throw new CryptoEncodingError(`${what}: bad base64 in the ${match[1]} block`);
    }
    blocks.push({ label: match[1]!, der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  if (blocks.length === 0) throw new CryptoEncodingError(`${what} holds no PEM block`);
  return blocks;
}

/** The single block of `text`, which must carry one of `labels`. */
export function decodePem(text: string, labels: readonly string[], what = 'PEM input'): PemBlock {
  const blocks = decodePemBlocks(text, what);
  if (blocks.length !== 1) throw new CryptoEncodingError(`${what} holds ${blocks.length} PEM blocks, expected 1`);
  const block = blocks[0]!;
  if (!labels.includes(block.label)) {
    throw new CryptoEncodingError(`${what} is a "${block.label}" block, expected ${labels.map((l) => `"${l}"`).join(' or ')}`);
  }
  return block;
}

export function encodePem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
