// verifyBatch through the real pool (two worker threads running the
// TypeScript worker entry), for both engines and both signature algorithms:
// per-envelope verdicts for valid, bad-signature, unknown-creator, malformed,
// wrong-channel, unsigned and expired envelopes, and the real Fabric ledger.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSignedEnvelope, decodeBlock, HeaderType, Status } from '../../src/block/index.js';
import type { Engine, SignatureAlgorithm } from '../../src/crypto/types.js';
import { REJECTION_CODES, VerificationContext, WorkerPool, WorkerTaskError, type ContextHandle, type EnvelopeVerdict } from '../../src/workers/index.js';
import { ledgerSampleDir, readLedgerBlocks, readManifest } from '../block/fixtures.js';
import { CHANNEL, SAMPLE_EXPIRED_AT_MS, SAMPLE_VALID_AT_MS, flipLastByte, sampleOrgConfig, signedEnvelope, testChannel, withSignatureOf } from './fixtures.js';

const ENGINES: readonly Engine[] = ['native', 'native-free'];
const ALGORITHMS: readonly SignatureAlgorithm[] = ['ecdsa-p256', 'sm2'];

let pool: WorkerPool;
beforeAll(() => {
  pool = new WorkerPool({ maxThreads: 2 });
});
afterAll(async () => {
  await pool.close();
});

function rejection(verdict: EnvelopeVerdict | undefined): { status: number; code: string; reason: string } {
  if (verdict === undefined || verdict.ok) throw new Error(`expected a rejection, got ${JSON.stringify(verdict)}`);
  return { status: verdict.status, code: verdict.code, reason: verdict.reason };
}

describe.each(ENGINES)('verifyBatch, %s engine', (engine) => {
  describe.each(ALGORITHMS)('%s channel', (algorithm) => {
    const channel = testChannel(algorithm);
    const alice = channel.org1.issueMember('Alice');
    const bob = channel.org2.issueMember('Bob');
    let handle: ContextHandle<'verification'>;
    beforeAll(async () => {
      handle = await pool.registerVerificationContext({ channelId: CHANNEL, engine, signatureAlgorithm: algorithm, organizations: channel.organizations });
    });

    it('accepts valid envelopes of both organizations with their channel, tx id, type and size', async () => {
      const a = signedEnvelope(alice, 'tx-a');
      const b = signedEnvelope(bob, 'tx-b', CHANNEL, HeaderType.CONFIG_UPDATE);
      const verdicts = await pool.verifyBatch(handle, [a, b]);
      expect(verdicts).toHaveLength(2);
      expect(verdicts[0]).toMatchObject({ ok: true, channelId: CHANNEL, txId: 'tx-a', type: HeaderType.ENDORSER_TRANSACTION });
      expect(verdicts[1]).toMatchObject({ ok: true, channelId: CHANNEL, txId: 'tx-b', type: HeaderType.CONFIG_UPDATE });
      // Fabric's message size: payload + signature, both shorter than the envelope's bytes.
      const size = verdicts[0]!.ok ? verdicts[0].sizeBytes : -1;
      expect(size).toBeGreaterThan(0);
      expect(size).toBeLessThan(a.length);
    });

    it("refuses a bad signature (another payload's signature, a flipped signature byte) as FORBIDDEN", async () => {
      const good = signedEnvelope(alice, 'tx-1');
      const swapped = withSignatureOf(good, signedEnvelope(alice, 'tx-2'));
      const flipped = flipLastByte(good);
      const verdicts = await pool.verifyBatch(handle, [swapped, flipped, good]);
      for (const verdict of verdicts.slice(0, 2)) {
        const r = rejection(verdict);
        expect(r.status).toBe(Status.FORBIDDEN);
        expect(r.code).toBe(REJECTION_CODES.badSignature);
        expect(r.reason).toBe('signature of tx "tx-1" does not verify against creator "CN=Alice,O=org1msp" of "Org1MSP"');
      }
      // One bad envelope does not taint the others of its batch.
      expect(verdicts[2]).toMatchObject({ ok: true, txId: 'tx-1' });
    });

    it("refuses unknown creators: an unknown MSP, a look-alike CA, another organization's MSP id", async () => {
      const outsider = testChannel(algorithm).org2.issueMember('Mallory'); // same MSP name "Org2MSP", other CA key
      const stranger = { ...channel.org1.issueMember('Eve'), mspId: 'Org9MSP' };
      const spy = { ...channel.org2.issueMember('Spy'), mspId: 'Org1MSP' };
      const verdicts = await pool.verifyBatch(handle, [signedEnvelope(stranger, 'tx-s'), signedEnvelope(outsider, 'tx-o'), signedEnvelope(spy, 'tx-p')]);
      const [unknownMsp, lookAlike, spyVerdict] = verdicts.map(rejection);
      expect(unknownMsp).toEqual({ status: Status.FORBIDDEN, code: 'IDENTITY_UNKNOWN_MSP', reason: 'creator of tx "tx-s": unknown MSP id "Org9MSP"' });
      expect(lookAlike!.status).toBe(Status.FORBIDDEN);
      expect(lookAlike!.code).toBe('IDENTITY_UNTRUSTED');
      expect(spyVerdict!.code).toBe('IDENTITY_UNTRUSTED');
      expect(spyVerdict!.reason).toBe('creator of tx "tx-p": certificate "CN=Spy,O=org2msp" is not signed by any CA of "Org1MSP"');
    });

    it('refuses malformed bytes, another channel and unsigned envelopes as BAD_REQUEST / FORBIDDEN', async () => {
      const good = signedEnvelope(alice, 'tx-m');
      const truncated = good.subarray(0, good.length - 10);
      const garbage = new Uint8Array([0xff, 0xff, 0xff]);
      const otherChannel = signedEnvelope(alice, 'tx-c', 'other-channel');
      const unsigned = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, txId: 'tx-u', data: new Uint8Array(4) });
      const [t, g, c, u] = (await pool.verifyBatch(handle, [truncated, garbage, otherChannel, unsigned])).map(rejection);
      for (const malformed of [t, g]) {
        expect(malformed!.status).toBe(Status.BAD_REQUEST);
        expect(malformed!.code).toBe('BAD_ENVELOPE');
        expect(malformed!.reason).toMatch(/^malformed envelope: envelope/);
      }
      expect(c).toEqual({ status: Status.BAD_REQUEST, code: REJECTION_CODES.wrongChannel, reason: 'envelope is for channel "other-channel", not "ch1"' });
      expect(u).toEqual({ status: Status.FORBIDDEN, code: REJECTION_CODES.unsigned, reason: 'tx "tx-u" has no creator' });
    });

    it('checks certificate validity at the instant the main thread gives', async () => {
      const expiring = channel.org2.issueMember('Shortlived', { notAfter: new Date(Date.now() + 60 * 60 * 1000) });
      const envelope = signedEnvelope(expiring, 'tx-e');
      expect((await pool.verifyBatch(handle, [envelope]))[0]).toMatchObject({ ok: true });
      const later = Date.now() + 2 * 60 * 60 * 1000;
      const r = rejection((await pool.verifyBatch(handle, [envelope], later))[0]);
      expect(r.status).toBe(Status.FORBIDDEN);
      expect(r.code).toBe('IDENTITY_CERT_EXPIRED');
    });

    it('gives the same verdicts as the in-thread VerificationContext, over many batches on both workers', async () => {
      const members = [alice, bob, channel.org1.issueMember('Carol')];
      const envelopes = Array.from({ length: 24 }, (_, i) => {
        const e = signedEnvelope(members[i % members.length]!, `tx-${i}`);
        return i % 5 === 4 ? flipLastByte(e) : e;
      });
      const inThread = new VerificationContext({
        kind: 'verification',
        channelId: CHANNEL,
        engine,
        signatureAlgorithm: algorithm,
        organizations: channel.organizations,
        identityCacheEntriesMax: 16,
      });
      const now = Date.now();
      const batches = await Promise.all(Array.from({ length: 6 }, (_, b) => pool.verifyBatch(handle, envelopes.slice(b * 4, b * 4 + 4), now)));
      expect(batches.flat()).toEqual(inThread.verifyAll(envelopes, new Date(now)));
      expect(batches.flat().filter((v) => !v.ok)).toHaveLength(4);
    });
  });

  it("refuses a creator whose key algorithm is not the channel's", async () => {
    const p256 = testChannel('ecdsa-p256');
    const sm2 = testChannel('sm2');
    const handle = await pool.registerVerificationContext({
      channelId: CHANNEL,
      engine,
      signatureAlgorithm: 'sm2',
      organizations: [sm2.org1.config, p256.org2.config],
    });
    const r = rejection((await pool.verifyBatch(handle, [signedEnvelope(p256.org2.issueMember('Dave'), 'tx-d')]))[0]);
    expect(r).toEqual({
      status: Status.FORBIDDEN,
      code: REJECTION_CODES.algorithmMismatch,
      reason: 'creator "CN=Dave,O=org2msp" of tx "tx-d" has a ecdsa-p256 key; channel "ch1" requires sm2',
    });
  });

  it("verifies the real Fabric ledger's transactions as its manifest says, within the certificates' validity only", async () => {
    const handle = await pool.registerVerificationContext({
      channelId: 'mychannel',
      engine,
      signatureAlgorithm: 'ecdsa-p256',
      organizations: [sampleOrgConfig()],
    });
    const envelopes = readLedgerBlocks(ledgerSampleDir).flatMap((b) => decodeBlock(b).data);
    const expected = readManifest(ledgerSampleDir).flatMap((b) => b.txs);
    expect(envelopes).toHaveLength(expected.length);
    const verdicts = await pool.verifyBatch(handle, envelopes, SAMPLE_VALID_AT_MS);
    verdicts.forEach((verdict, i) => {
      expect(expected[i]!.signatureValid).toBe(true);
      expect(verdict).toMatchObject({ ok: true, channelId: expected[i]!.channelId, txId: expected[i]!.txId, type: expected[i]!.type });
    });
    const tampered = await pool.verifyBatch(handle, envelopes.map(flipLastByte), SAMPLE_VALID_AT_MS);
    for (const verdict of tampered) expect(rejection(verdict).code).toBe(REJECTION_CODES.badSignature);
    const expired = await pool.verifyBatch(handle, envelopes, SAMPLE_EXPIRED_AT_MS);
    for (const verdict of expired) expect(rejection(verdict).code).toBe('IDENTITY_CERT_EXPIRED');
  });
});

describe('verification contexts', () => {
  it('a channel whose CA certificate is unusable is refused at registration, with the code from the worker', async () => {
    const channel = testChannel('ecdsa-p256');
    const member = channel.org1.issueMember('NotACa');
    const registration = pool.registerVerificationContext({
      channelId: CHANNEL,
      engine: 'native',
      signatureAlgorithm: 'ecdsa-p256',
      organizations: [{ mspId: 'Org1MSP', rootCerts: [member.certPem], intermediateCerts: [] }],
    });
    await expect(registration).rejects.toBeInstanceOf(WorkerTaskError);
    await expect(registration).rejects.toMatchObject({ code: 'IDENTITY_BAD_MSP_CONFIG', originalName: 'MspConfigError' });
    await expect(registration).rejects.toThrow(/root certificate "CN=NotACa,O=org1msp" of "Org1MSP" is not a CA certificate/);
  });

  it('contexts of two channels are kept apart in the same workers', async () => {
    const a = testChannel('ecdsa-p256');
    const b = testChannel('ecdsa-p256');
    const ha = await pool.registerVerificationContext({
      channelId: 'chan-a',
      engine: 'native',
      signatureAlgorithm: 'ecdsa-p256',
      organizations: a.organizations,
    });
    const hb = await pool.registerVerificationContext({
      channelId: 'chan-b',
      engine: 'native',
      signatureAlgorithm: 'ecdsa-p256',
      organizations: b.organizations,
    });
    const fromA = signedEnvelope(a.org1.issueMember('A'), 'tx-a', 'chan-a');
    const fromBOnA = signedEnvelope(b.org1.issueMember('B'), 'tx-b', 'chan-a');
    const [va, vb] = await Promise.all([pool.verifyBatch(ha, [fromA, fromBOnA]), pool.verifyBatch(hb, [fromA])]);
    expect(va[0]).toMatchObject({ ok: true });
    expect(rejection(va[1]).code).toBe('IDENTITY_UNTRUSTED');
    expect(rejection(vb[0]).code).toBe(REJECTION_CODES.wrongChannel);
  });
});
