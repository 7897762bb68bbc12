import { describe, expect, it } from 'vitest';
import { decodeBlock } from '../../src/block/codec/block.js';
import { blockHeaderBytes, dataHash, headerHash } from '../../src/block/headerHash.js';
import { hex, ledgerBadDir, ledgerSampleDir, nodeSha256, readLedgerBlocks, readManifest } from './fixtures.js';

const hash32 = (fill: number) => new Uint8Array(32).fill(fill);

describe('blockHeaderBytes (ASN.1 DER as Go encoding/asn1 with a *big.Int number)', () => {
  it('encodes number 0 as a single zero content byte and empty hashes as empty OCTET STRINGs', () => {
    const der = blockHeaderBytes({ number: 0, previousHash: new Uint8Array(0), dataHash: new Uint8Array(0) });
    expect(hex(der)).toBe('3007' + '020100' + '0400' + '0400');
  });

  it('uses minimal big-endian integers, with a 0x00 pad when the top bit is set', () => {
    const cases: Array<[number, string]> = [
      [1, '01'],
      [127, '7f'],
      [128, '0080'],
      [255, '00ff'],
      [256, '0100'],
      [32768, '008000'],
      [2 ** 32, '0100000000'],
      [Number.MAX_SAFE_INTEGER, '1fffffffffffff'],
    ];
    for (const [number, content] of cases) {
      const der = blockHeaderBytes({ number, previousHash: new Uint8Array(0), dataHash: new Uint8Array(0) });
      const intLen = content.length / 2;
      expect(hex(der), `number ${number}`).toBe(`30${(intLen + 6).toString(16).padStart(2, '0')}02${intLen.toString(16).padStart(2, '0')}${content}04000400`);
    }
  });

  it('lays out SEQUENCE{INTEGER, OCTET STRING previous, OCTET STRING data} with 32-byte hashes', () => {
    const der = blockHeaderBytes({ number: 5, previousHash: hash32(0xaa), dataHash: hash32(0xbb) });
    expect(hex(der)).toBe(`30470201050420${'aa'.repeat(32)}0420${'bb'.repeat(32)}`);
  });

  it('switches to the DER long length form above 127 content bytes', () => {
    const der = blockHeaderBytes({ number: 1, previousHash: new Uint8Array(200).fill(1), dataHash: new Uint8Array(0) });
    // content = 3 (integer) + 3 + 200 (octet string, 0x81 0xc8 length) + 2 = 208 = 0xd0
    expect(hex(der.subarray(0, 3))).toBe('3081d0');
    expect(hex(der.subarray(6, 9))).toBe('0481c8');
    expect(der.length).toBe(3 + 208);
  });

  it('rejects numbers that are not safe non-negative integers (programmer error)', () => {
    const empty = new Uint8Array(0);
    expect(() => blockHeaderBytes({ number: -1, previousHash: empty, dataHash: empty })).toThrow(/safe non-negative/);
    expect(() => blockHeaderBytes({ number: 2 ** 53, previousHash: empty, dataHash: empty })).toThrow(/safe non-negative/);
  });
});

describe('headerHash and dataHash on the real Fabric ledgers', () => {
  for (const dir of [ledgerSampleDir, ledgerBadDir]) {
    it(`match the manifest of ${dir.split('/').pop()}`, () => {
      const manifest = readManifest(dir);
      const blocks = readLedgerBlocks(dir).map((bytes) => decodeBlock(bytes));
      expect(blocks.length).toBe(manifest.length);
      blocks.forEach((block, i) => {
        const expected = manifest[i]!;
        expect(block.header.number).toBe(expected.number);
        expect(hex(headerHash(nodeSha256, block.header))).toBe(expected.headerHash);
        expect(hex(block.header.previousHash)).toBe(expected.previousHash);
        expect(hex(block.header.dataHash)).toBe(expected.dataHash);
        expect(hex(dataHash(nodeSha256, block.data))).toBe(expected.computedDataHash);
      });
    });
  }

  it('hash the concatenation of data entries, not the entries one by one', () => {
    const a = Uint8Array.of(1, 2);
    const b = Uint8Array.of(3);
    expect(hex(dataHash(nodeSha256, [a, b]))).toBe(hex(nodeSha256.digest(Uint8Array.of(1, 2, 3))));
    expect(hex(dataHash(nodeSha256, [a, b]))).not.toBe(hex(dataHash(nodeSha256, [b, a])));
  });

  it('handles more data entries than fit in one argument spread', () => {
    const entries = Array.from({ length: 5000 }, (_, i) => Uint8Array.of(i & 0xff, i >> 8));
    const joined = Buffer.concat(entries);
    expect(hex(dataHash(nodeSha256, entries))).toBe(hex(nodeSha256.digest(joined)));
  });
});
