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
  ChannelConfigError,
  channelConfigValuesOf,
  decodeBlock,
  decodeChannelHeader,
  decodeConfigEnvelope,
  decodeConfigUpdate,
  decodeConfigUpdateEnvelope,
  decodeEnvelope,
  decodeFabricMspConfig,
  decodeHeader,
  decodePayload,
  decodeSeekInfo,
  decodeSerializedIdentity,
  decodeSignatureHeader,
  extractChannelConfig,
  MalformedMessageError,
  readDeliverRequest,
  readEnvelopeFields,
  type Header,
} from '../../src/block/index.js';
import { ClusterFrameError, decodeFrames } from '../../src/cluster/index.js';
import { CryptoEncodingError, encodePem, IdentityError, parseCertificate, UnsupportedAlgorithmError } from '../../src/crypto/index.js';
import { formPart, ParticipationRequestError, readJoinBody, resolveSeekRange } from '../../src/server/index.js';
import type { InputFormat } from './mutate.js';
import { fuzzInputs, type FuzzInputs } from './seeds.js';

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

/** Builds every target over fresh inputs (a few ms of key generation). */
export function buildTargets(): FuzzTarget[] {
  const inputs = fuzzInputs();
  return [...blockTargets(inputs), ...identityTargets(inputs), ...configTargets(inputs), ...transportTargets(inputs)];
}

const BLOCK: readonly ErrorClass[] = [MalformedMessageError];
const CONFIG: readonly ErrorClass[] = [MalformedMessageError, ChannelConfigError];

function blockTargets(i: FuzzInputs): FuzzTarget[] {
  return [
    {
      name: 'envelope routing fields (Broadcast)',
      layer: 'block',
      format: 'protobuf',
      seeds: [i.transaction, ...i.seekRequests, i.configTransaction],
      allowed: BLOCK,
      run: (b) => void readEnvelopeFields(b),
    },
    {
      name: 'envelope, payload and headers (full codec)',
      layer: 'block',
      format: 'protobuf',
      seeds: [i.transaction, i.seekRequests[0]!, i.configTransaction],
      allowed: BLOCK,
      run: (b) => {
        const header = decodePayload(decodeEnvelope(b).payload).header;
        if (header !== undefined) readHeader(header);
      },
    },
    { name: 'payload header', layer: 'block', format: 'protobuf', seeds: i.headers, allowed: BLOCK, run: (b) => readHeader(decodeHeader(b)) },
    {
      name: 'SeekInfo, resolved',
      layer: 'block',
      format: 'protobuf',
      seeds: i.seekInfos,
      allowed: BLOCK,
      run: (b) => void resolveSeekRange(decodeSeekInfo(b), 5),
    },
    { name: 'Deliver request envelope', layer: 'block', format: 'protobuf', seeds: i.seekRequests, allowed: BLOCK, run: (b) => void readDeliverRequest(b) },
    { name: 'block (Deliver, catch-up)', layer: 'block', format: 'protobuf', seeds: [i.genesisBlock], allowed: BLOCK, run: (b) => void decodeBlock(b) },
  ];
}

function readHeader(header: Header): void {
  decodeChannelHeader(header.channelHeader);
  decodeSerializedIdentity(decodeSignatureHeader(header.signatureHeader).creator);
}

function identityTargets(i: FuzzInputs): FuzzTarget[] {
  const now = new Date();
  return [
    {
      name: 'creator SerializedIdentity, validated',
      layer: 'block + crypto',
      format: 'protobuf',
      seeds: [i.creator],
      allowed: [MalformedMessageError, IdentityError],
      run: (b) => {
        const identity = decodeSerializedIdentity(b);
        i.validator.validate({ mspId: identity.mspid, idBytes: identity.idBytes }, now);
      },
    },
    {
      name: 'X.509 certificate (DER), read and validated',
      layer: 'crypto',
      format: 'der',
      seeds: i.certificates,
      allowed: [CryptoEncodingError, UnsupportedAlgorithmError, IdentityError],
      run: (b) => {
        parseCertificate(b);
        // What our reader accepts, OpenSSL must read too: certificates are refused where they are parsed, not later.
        try {
          new X509Certificate(b);
        } catch (error) {
          throw new ReaderDisagreement(`OpenSSL refuses a certificate parseCertificate accepted: ${(error as Error).message}`);
        }
        i.validator.validate({ mspId: 'Org1MSP', idBytes: new TextEncoder().encode(encodePem('CERTIFICATE', b)) }, now);
      },
    },
  ];
}

function configTargets(i: FuzzInputs): FuzzTarget[] {
  return [
    {
      name: 'config block, channel config extracted',
      layer: 'block/configtx',
      format: 'protobuf',
      seeds: [i.genesisBlock],
      allowed: CONFIG,
      run: (b) => void extractChannelConfig(decodeBlock(b)),
    },
    {
      name: 'config envelope, channel config extracted',
      layer: 'block/configtx',
      format: 'protobuf',
      seeds: [i.configEnvelope],
      allowed: CONFIG,
      run: (b) => {
        const envelope = decodeConfigEnvelope(b);
        if (envelope.config !== undefined) channelConfigValuesOf(envelope.config, 'ch1');
      },
    },
    {
      name: 'config update envelope',
      layer: 'block/configtx',
      format: 'protobuf',
      seeds: [i.configUpdateEnvelope],
      allowed: BLOCK,
      run: (b) => {
        const envelope = decodeConfigUpdateEnvelope(b);
        decodeConfigUpdate(envelope.configUpdate);
        for (const s of envelope.signatures) decodeSerializedIdentity(decodeSignatureHeader(s.signatureHeader).creator);
      },
    },
    { name: 'config update', layer: 'block/configtx', format: 'protobuf', seeds: [i.configUpdate], allowed: BLOCK, run: (b) => void decodeConfigUpdate(b) },
    {
      name: 'MSP config value',
      layer: 'block/configtx',
      format: 'protobuf',
      seeds: i.mspConfigs,
      allowed: BLOCK,
      run: (b) => void decodeFabricMspConfig(b, { code: 'BAD_PROTOBUF', path: 'msp' }),
    },
  ];
}

function transportTargets(i: FuzzInputs): FuzzTarget[] {
  return [
    {
      name: 'cluster frames',
      layer: 'cluster',
      format: 'text',
      seeds: [...i.frames, Buffer.concat(i.frames)],
      allowed: [ClusterFrameError],
      run: (b) => void decodeFrames(b),
    },
    {
      name: 'participation join body (multipart form)',
      layer: 'server',
      format: 'text',
      seeds: i.joinForms,
      allowed: [ParticipationRequestError, ...CONFIG],
      run: async (b) => {
        const body = Buffer.from(b);
        formPart(body, i.formBoundary, 'genesis-block');
        const headers = { 'content-type': `multipart/form-data; boundary=${i.formBoundary}`, 'content-length': String(body.length) };
        const request = Object.assign(Readable.from([body]), { headers });
        const join = await readJoinBody(request as unknown as http.IncomingMessage);
        extractChannelConfig(decodeBlock(join.configBlock));
      },
    },
  ];
}
