// The compatibility proof on the real Fabric ledger, for both crypto engines:
// hashes chain as in the manifest, every transaction signature verifies as
// the manifest says, flipped bytes fail, and ledger-bad is caught at exactly
// blocks 0 and 1.

import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { OrdererError } from '../../src/errors.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { decodeBlock, encodeBlock } from '../../src/block/codec/block.js';
import { decodeSerializedIdentity } from '../../src/block/codec/common.js';
import { readBlockSignatures } from '../../src/block/blockMetadata.js';
import { createCreatorKeyResolver } from '../../src/block/creatorKey.js';
import { readEnvelopeFields } from '../../src/block/envelopeFields.js';
import { LedgerVerifier, formatSummary, ledgerFileNames, verifyLedgerFiles, type CreatorKey, type LedgerVerifyOptions } from '../../src/block/ledgerVerify.js';
import type { Block } from '../../src/block/model.js';
import { ledgerBadDir, ledgerSampleDir, readLedgerBlocks, readManifest } from './fixtures.js';

/** Test-only certificate key reader on node:crypto (independent of src/crypto's X.509 parser). */
function nodeCreatorKey(idBytes: Uint8Array): CreatorKey {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(Buffer.from(idBytes));
  } catch (err) {
    throw new OrdererError('BAD_CERTIFICATE', `creator certificate: ${(err as Error).message}`);
  }
  const jwk = cert.publicKey.export({ format: 'jwk' });
  expect(jwk.crv).toBe('P-256');
  const point = Buffer.concat([Buffer.of(4), Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
  return { algorithm: 'ecdsa-p256', publicKey: new Uint8Array(point) };
}

function optionsFor(engine: 'native' | 'native-free'): LedgerVerifyOptions {
  const crypto = createCryptoProvider(engine);
  return { hasher: crypto.hasher('sha256'), verifier: (a) => crypto.verifier(a), creatorKey: createCreatorKeyResolver() };
}

describe('creator key resolver (src/crypto X.509 parser)', () => {
  it('reads the same P-256 key as node:crypto from every creator and orderer certificate of the ledgers', () => {
    const resolve = createCreatorKeyResolver();
    let creators = 0;
    for (const dir of [ledgerSampleDir, ledgerBadDir]) {
      for (const bytes of readLedgerBlocks(dir)) {
        const block = decodeBlock(bytes);
        const ids = [...block.data.map((env) => readEnvelopeFields(env).creator), ...readBlockSignatures(block).signedData.map((s) => s.creator)];
        for (const creator of ids.filter((c) => c.length > 0)) {
          const idBytes = decodeSerializedIdentity(creator).idBytes;
          expect(resolve(idBytes)).toEqual(nodeCreatorKey(idBytes));
          creators++;
        }
      }
    }
    expect(creators).toBe(17 + 16);
  });
});

function verifyAll(blocks: readonly Uint8Array[], options: LedgerVerifyOptions) {
  const verifier = new LedgerVerifier(options);
  return blocks.map((b) => verifier.verifyBlock(b));
}

/** Re-encodes `block` with data entry `tx` replaced. */
function withEnvelope(block: Block, tx: number, envelope: Uint8Array): Uint8Array {
  const data = block.data.map((d, i) => (i === tx ? envelope : d));
  return encodeBlock({ ...block, data });
}

function flipInside(envelope: Uint8Array, view: Uint8Array, at: number): Uint8Array {
  const copy = Uint8Array.from(envelope);
  copy[view.byteOffset - envelope.byteOffset + at]! ^= 0x01;
  return copy;
}

for (const engine of ['native', 'native-free'] as const) {
  describe(`ledger verification, ${engine} engine`, () => {
    const options = optionsFor(engine);

    it('ledger-sample: every block OK, header hashes and tx counts as in the manifest', () => {
      const manifest = readManifest(ledgerSampleDir);
      const reports = verifyAll(readLedgerBlocks(ledgerSampleDir), options);
      expect(reports.length).toBe(manifest.length);
      reports.forEach((r, i) => {
        expect(r.failures).toEqual([]);
        expect(r.number).toBe(manifest[i]!.number);
        expect(r.headerHash).toBe(manifest[i]!.headerHash);
        expect(r.txCount).toBe(manifest[i]!.txs.length);
      });
    });

    it('ledger-bad: caught at exactly blocks 0 (data hash) and 1 (previous hash)', () => {
      const manifest = readManifest(ledgerBadDir);
      const reports = verifyAll(readLedgerBlocks(ledgerBadDir), options);
      const failing = reports.flatMap((r, i) => (r.failures.length > 0 ? [i] : []));
      expect(failing).toEqual([0, 1]);
      expect(reports[0]!.failures).toEqual([{ kind: 'data-hash', stored: manifest[0]!.dataHash, computed: manifest[0]!.computedDataHash }]);
      expect(reports[1]!.failures).toEqual([{ kind: 'previous-hash', stored: manifest[1]!.previousHash, expected: manifest[0]!.headerHash }]);
      expect(reports[0]!.notes).toContain('tx 0 unsigned (genesis config)');
      reports.forEach((r, i) => expect(r.headerHash).toBe(manifest[i]!.headerHash));
    });

    it('every transaction signature verifies exactly as the manifest says', () => {
      const crypto = createCryptoProvider(engine);
      let checked = 0;
      for (const dir of [ledgerSampleDir, ledgerBadDir]) {
        const manifest = readManifest(dir);
        readLedgerBlocks(dir).forEach((bytes, b) => {
          decodeBlock(bytes).data.forEach((env, t) => {
            const expected = manifest[b]!.txs[t]!.signatureValid;
            const f = readEnvelopeFields(env);
            if (expected === null) {
              expect(f.signature.length).toBe(0);
              return;
            }
            const key = options.creatorKey(decodeSerializedIdentity(f.creator).idBytes);
            expect(crypto.verifier(key.algorithm).verify(key.publicKey, f.payload, f.signature)).toBe(expected);
            checked++;
          });
        });
      }
      expect(checked).toBe(17);
    });

    it("a flipped byte in any transaction's payload or signature is reported as a bad signature in that tx", () => {
      for (const dir of [ledgerSampleDir, ledgerBadDir]) {
        const blocks = readLedgerBlocks(dir);
        for (let b = 1; b < blocks.length; b++) {
          const block = decodeBlock(blocks[b]!);
          const env = block.data[0]!;
          const f = readEnvelopeFields(env);
          for (const tampered of [flipInside(env, f.payload, f.payload.length - 1), flipInside(env, f.signature, 10)]) {
            const [report] = verifyAll([withEnvelope(block, 0, tampered)], options);
            expect(report!.failures).toContainEqual({ kind: 'tx-signature', tx: 0, creatorMspId: f.creatorMspId });
          }
        }
      }
    });
  });
}

describe('ledger verification details', () => {
  const options = optionsFor('native');

  it('reports a wrong block number, a malformed block and an unreadable creator, and keeps going', () => {
    const blocks = readLedgerBlocks(ledgerSampleDir);
    const skipped = verifyAll([blocks[0]!, blocks[2]!], options);
    expect(skipped[1]!.failures.map((f) => f.kind)).toEqual(['number', 'previous-hash']);

    const [malformed] = verifyAll([blocks[1]!.subarray(0, 100)], options);
    expect(malformed!.failures[0]!.kind).toBe('malformed-block');
    expect(malformed!.number).toBeUndefined();

    const block = decodeBlock(blocks[1]!);
    const f = readEnvelopeFields(block.data[0]!);
    // Corrupt the certificate's PEM header inside id_bytes: the key cannot be read.
    const badCert = flipInside(block.data[0]!, f.creatorIdBytes, 3);
    const [report] = verifyAll([withEnvelope(block, 0, badCert)], options);
    expect(report!.failures).toContainEqual({ kind: 'tx-invalid', tx: 0, detail: expect.stringMatching(/creator id_bytes/) });
  });

  it('verifyLedgerFiles prints one line per block and a failing summary for ledger-bad', () => {
    const names = ledgerFileNames(['manifest.json', '010.block', '002.block', '1.block', 'x.block']);
    expect(names).toEqual(['1.block', '002.block', '010.block']);
    const lines: string[] = [];
    const bad = readLedgerBlocks(ledgerBadDir).map((bytes, i) => ({ name: `${String(i).padStart(3, '0')}.block`, bytes }));
    const summary = verifyLedgerFiles(bad, options, (l) => lines.push(l));
    expect(lines.length).toBe(10);
    expect(lines[0]).toMatch(/^block +0 +txs +1 +header [0-9a-f]{64} +FAIL data hash mismatch/);
    expect(lines[1]).toMatch(/FAIL previous hash mismatch/);
    expect(lines.slice(2).every((l) => / OK/.test(l))).toBe(true);
    expect(summary).toEqual({ blocks: 10, failed: ['000.block', '001.block'], ok: false });
    expect(formatSummary(summary)).toBe('10 blocks verified: 2 FAILED (000.block, 001.block)');
    expect(verifyLedgerFiles([], options, () => {}).ok).toBe(false);
  });
});
