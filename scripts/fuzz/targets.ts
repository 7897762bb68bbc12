// The decoders that take bytes from outside the orderer, each with real valid
// inputs to mutate and the typed errors its layer may answer with. A run
// either decodes or throws one of `allowed`; anything else (a TypeError, a
// RangeError, an assertion, OpenSSL's plain Error) is a defect of the decoder.
// Shared by test/fuzz/decoders.test.ts (quick, in npm test) and
// scripts/fuzz.ts (long runs).

import { X509Certificate } from 'node:crypto';
import { Readable } from 'node:stream';
import type http from 'node:http';
import {
  ChannelConfigError, buildGenesisBlock, channelConfigValuesOf, createSeekInfoEnvelope, createSignedEnvelope, decodeBlock,
  decodeChannelHeader, decodeConfigEnvelope, decodeConfigUpdate, decodeConfigUpdateEnvelope, decodeEnvelope, decodeFabricMspConfig,
  decodeHeader, decodePayload, decodeSeekInfo, decodeSerializedIdentity, decodeSignatureHeader, encodeBlock, encodeConfigUpdate,
  encodeConfigUpdateEnvelope, encodeSeekInfo, encodeSerializedIdentity, encodeSignatureHeader, extractChannelConfig, HeaderType,
  MalformedMessageError, readDeliverRequest, readEnvelopeFields, SEEK_MAX, SeekBehavior, SeekContentType, SeekErrorResponse,
  type EnvelopeCreator, type SeekInfo,
} from '../../src/block/index.js';
import { CLUSTER_PROTOCOL_VERSION, ClusterFrameError, decodeFrames, encodeFrame, FrameKind } from '../../src/cluster/index.js';
import {
  createCryptoProvider, CryptoEncodingError, decodePem, encodePem, IdentityError, IdentityValidator, parseCertificate, UnsupportedAlgorithmError,
} from '../../src/crypto/index.js';
import { EntryType, MessageType } from '../../src/raft/index.js';
import { formPart, ParticipationRequestError, readJoinBody, resolveSeekRange } from '../../src/server/index.js';
import { fuzzChannel } from './seeds.js';
import type { InputFormat } from './mutate.js';

type ErrorClass = abstract new (...args: never[]) => Error;

export interface FuzzTarget {
  readonly name: string;
  /** Layer whose typed errors `allowed` are, for the report. */
  readonly layer: string;
  readonly format: InputFormat;
  readonly seeds: readonly Uint8Array[];
  readonly allowed: readonly ErrorClass[];
  /** Decodes `bytes` (and what the orderer does with the result right after); throws on refusal. */
  run(bytes: Uint8Array): void | Promise<void>;
}

/** Whether `error` is an answer `target` may give, or a defect. */
export function isAllowed(target: FuzzTarget, error: unknown): boolean {
  return target.allowed.some((errorClass) => error instanceof errorClass);
}

/** A certificate our reader accepted but OpenSSL refuses: the two readers disagree. */
export class ReaderDisagreement extends Error {}

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

/** Builds every target with fresh keys and certificates (a few ms of key generation). */
export function buildTargets(): FuzzTarget[] {
  const channel = fuzzChannel('ch1');
  const provider = createCryptoProvider('native');
  const member = channel.appOrg.issueMember('User1');
  const creator: EnvelopeCreator = { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
  const validator = new IdentityValidator({ engine: 'native', organizations: [channel.appOrg.config, channel.ordererOrg.config], cacheEntriesMax: 64 });
  const now = new Date();

  const transaction = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'ch1', txId: 'tx1', data: enc('a transaction'), creator });
  const seekInfos: SeekInfo[] = [
    { start: { type: 'oldest' }, stop: { type: 'newest' }, behavior: SeekBehavior.FAIL_IF_NOT_READY, errorResponse: SeekErrorResponse.STRICT, contentType: SeekContentType.BLOCK },
    { start: { type: 'specified', number: 3 }, stop: { type: 'specified', number: SEEK_MAX }, behavior: SeekBehavior.BLOCK_UNTIL_READY, errorResponse: SeekErrorResponse.BEST_EFFORT, contentType: SeekContentType.HEADER_WITH_SIG },
    { start: { type: 'nextCommit' }, stop: { type: 'specified', number: 7 }, behavior: SeekBehavior.FAIL_IF_NOT_READY, errorResponse: SeekErrorResponse.STRICT, contentType: SeekContentType.BLOCK },
  ];
  const seekRequests = seekInfos.map((seekInfo) => createSeekInfoEnvelope({ channelId: 'ch1', seekInfo, creator }));
  const genesisBlock = encodeBlock(buildGenesisBlock(channel.values, provider.hasher('sha256')));
  const genesis = decodeBlock(genesisBlock);
  const configEnvelopeBytes = decodePayload(decodeEnvelope(genesis.data[0]!).payload).data;
  const channelGroup = decodeConfigEnvelope(configEnvelopeBytes).config!.channelGroup!;
  const configUpdate = encodeConfigUpdate({ channelId: 'ch1', readSet: channelGroup, writeSet: channelGroup, isolatedData: new Map([['k', enc('v')]]) });
  const configUpdateEnvelope = encodeConfigUpdateEnvelope({
    configUpdate,
    signatures: [{ signatureHeader: encodeSignatureHeader({ creator: creator.serializedIdentity, nonce: new Uint8Array(24) }), signature: member.signer.sign(configUpdate) }],
  });
  const mspConfigs = [...channelGroup.groups.get('Application')!.groups.values()].map((org) => org.values.get('MSP')!.value);
  const certificates = [member.certPem, channel.appOrg.root.certPem, channel.consenter(1).clientTlsCertPem].map((pem) => decodePem(pem, ['CERTIFICATE']).der);
  const frames = [
    encodeFrame({ kind: FrameKind.Hello, protocolVersion: CLUSTER_PROTOCOL_VERSION, from: 1, to: 2 }),
    encodeFrame({ kind: FrameKind.Welcome }),
    encodeFrame({ kind: FrameKind.Submit, channel: 'ch1', requestId: 7, envelope: transaction }),
    encodeFrame({ kind: FrameKind.SubmitResult, requestId: 7, errorCode: 'BAD_REQUEST', errorMessage: 'no' }),
    encodeFrame({
      kind: FrameKind.Consensus,
      channel: 'ch1',
      message: {
        type: MessageType.MsgApp, to: 2, from: 1, term: 3, logTerm: 3, index: 10, commit: 9, reject: false, rejectHint: 0,
        entries: [{ term: 3, index: 11, type: EntryType.Normal, data: genesisBlock.subarray(0, 64) }],
        snapshot: { data: enc('snap'), metadata: { index: 5, term: 2, confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } } },
        context: undefined,
      },
    }),
  ];
  const boundary = 'x-boundary-42';
  const form = (block: Uint8Array): Uint8Array =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="config-block"; filename="b.block"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      block,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);

  const block: ErrorClass[] = [MalformedMessageError];
  const config: ErrorClass[] = [MalformedMessageError, ChannelConfigError];
  return [
    { name: 'envelope routing fields (Broadcast)', layer: 'block', format: 'protobuf', seeds: [transaction, ...seekRequests, genesis.data[0]!], allowed: block, run: (b) => void readEnvelopeFields(b) },
    {
      name: 'envelope, payload and headers (full codec)', layer: 'block', format: 'protobuf', seeds: [transaction, seekRequests[0]!, genesis.data[0]!], allowed: block,
      run: (b) => {
        const payload = decodePayload(decodeEnvelope(b).payload);
        if (payload.header === undefined) return;
        decodeChannelHeader(payload.header.channelHeader);
        decodeSerializedIdentity(decodeSignatureHeader(payload.header.signatureHeader).creator);
      },
    },
    {
      name: 'payload header', layer: 'block', format: 'protobuf', seeds: [decodeEnvelope(transaction).payload, decodeEnvelope(seekRequests[1]!).payload], allowed: block,
      run: (b) => {
        const header = decodeHeader(decodePayload(b).header?.channelHeader ?? b);
        decodeChannelHeader(header.channelHeader);
        decodeSignatureHeader(header.signatureHeader);
      },
    },
    {
      name: 'creator SerializedIdentity, validated', layer: 'block + crypto', format: 'protobuf', seeds: [creator.serializedIdentity], allowed: [MalformedMessageError, IdentityError],
      run: (b) => {
        const identity = decodeSerializedIdentity(b);
        validator.validate({ mspId: identity.mspid, idBytes: identity.idBytes }, now);
      },
    },
    {
      name: 'X.509 certificate (DER), read and validated', layer: 'crypto', format: 'der', seeds: certificates, allowed: [CryptoEncodingError, UnsupportedAlgorithmError, IdentityError],
      run: (b) => {
        parseCertificate(b);
        // What our reader accepts, OpenSSL must read too: certificates are refused where they are parsed, not later.
        try {
          new X509Certificate(b);
        } catch (error) {
          throw new ReaderDisagreement(`OpenSSL refuses a certificate parseCertificate accepted: ${(error as Error).message}`);
        }
        validator.validate({ mspId: 'Org1MSP', idBytes: enc(encodePem('CERTIFICATE', b)) }, now);
      },
    },
    {
      name: 'SeekInfo, resolved', layer: 'block', format: 'protobuf', seeds: seekInfos.map(encodeSeekInfo), allowed: block,
      run: (b) => void resolveSeekRange(decodeSeekInfo(b), 5),
    },
    { name: 'Deliver request envelope', layer: 'block', format: 'protobuf', seeds: seekRequests, allowed: block, run: (b) => void readDeliverRequest(b) },
    { name: 'block (Deliver, catch-up)', layer: 'block', format: 'protobuf', seeds: [genesisBlock], allowed: block, run: (b) => void decodeBlock(b) },
    { name: 'config block, channel config extracted', layer: 'block/configtx', format: 'protobuf', seeds: [genesisBlock], allowed: config, run: (b) => void extractChannelConfig(decodeBlock(b)) },
    {
      name: 'config envelope, channel config extracted', layer: 'block/configtx', format: 'protobuf', seeds: [configEnvelopeBytes], allowed: config,
      run: (b) => {
        const envelope = decodeConfigEnvelope(b);
        if (envelope.config !== undefined) channelConfigValuesOf(envelope.config, 'ch1');
      },
    },
    {
      name: 'config update envelope', layer: 'block/configtx', format: 'protobuf', seeds: [configUpdateEnvelope], allowed: block,
      run: (b) => {
        const envelope = decodeConfigUpdateEnvelope(b);
        decodeConfigUpdate(envelope.configUpdate);
        for (const s of envelope.signatures) decodeSerializedIdentity(decodeSignatureHeader(s.signatureHeader).creator);
      },
    },
    { name: 'config update', layer: 'block/configtx', format: 'protobuf', seeds: [configUpdate], allowed: block, run: (b) => void decodeConfigUpdate(b) },
    {
      name: 'MSP config value', layer: 'block/configtx', format: 'protobuf', seeds: mspConfigs, allowed: block,
      run: (b) => void decodeFabricMspConfig(b, { code: 'BAD_PROTOBUF', path: 'msp' }),
    },
    { name: 'cluster frames', layer: 'cluster', format: 'text', seeds: [...frames, Buffer.concat(frames)], allowed: [ClusterFrameError], run: (b) => void decodeFrames(b) },
    {
      name: 'participation join body (multipart form)', layer: 'server', format: 'text', seeds: [form(genesisBlock), form(enc('x'))], allowed: [ParticipationRequestError, ...config],
      run: async (b) => {
        const body = Buffer.from(b);
        formPart(body, boundary, 'genesis-block');
        const request = Object.assign(Readable.from([body]), { headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) } });
        const join = await readJoinBody(request as unknown as http.IncomingMessage);
        extractChannelConfig(decodeBlock(join.configBlock));
      },
    },
  ];
}
