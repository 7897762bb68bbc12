// The fuzzer's valid inputs: a small etcdraft channel made with the dev PKI
// (three consenters, an orderer organization with an admin, an application
// organization), and what a client, a peer orderer or an operator sends to it,
// each encoded as on the wire.

import {
  buildGenesisBlock,
  createSeekInfoEnvelope,
  createSignedEnvelope,
  decodeBlock,
  decodeConfigEnvelope,
  decodeEnvelope,
  decodePayload,
  DEFAULT_RAFT_OPTIONS,
  encodeBlock,
  encodeConfigUpdate,
  encodeConfigUpdateEnvelope,
  encodeHeader,
  encodeSeekInfo,
  encodeSerializedIdentity,
  encodeSignatureHeader,
  HeaderType,
  SEEK_MAX,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  type ChannelConfigInput,
  type ConsenterValues,
  type EnvelopeCreator,
  type SeekInfo,
} from '../../src/block/index.js';
import { CLUSTER_PROTOCOL_VERSION, encodeFrame, FrameKind } from '../../src/cluster/index.js';
import { createCryptoProvider, decodePem, DevOrganization, IdentityValidator } from '../../src/crypto/index.js';
import { EntryType, MessageType } from '../../src/raft/index.js';

export interface FuzzChannel {
  readonly values: ChannelConfigInput;
  readonly ordererOrg: DevOrganization;
  readonly appOrg: DevOrganization;
  consenter(n: number): ConsenterValues;
}

export function fuzzChannel(channelId: string): FuzzChannel {
  const provider = createCryptoProvider('native');
  const ordererOrg = new DevOrganization({ mspId: 'OrdererMSP', algorithm: 'ecdsa-p256', provider });
  const appOrg = new DevOrganization({ mspId: 'Org1MSP', algorithm: 'ecdsa-p256', provider });
  const admin = ordererOrg.issueMember('Admin@orderer', { organizationalUnit: 'admin' });
  const consenter = (n: number): ConsenterValues => {
    const tls = ordererOrg.issueMember(`orderer${n}`, { subjectAltNames: ['127.0.0.1'] });
    return { host: '127.0.0.1', port: 7050 + n, clientTlsCertPem: tls.certPem, serverTlsCertPem: tls.certPem };
  };
  const values: ChannelConfigInput = {
    channelId,
    sequence: 0,
    consensusType: 'etcdraft',
    organizations: [
      {
        mspId: 'OrdererMSP',
        sections: ['orderer'],
        rootCerts: [ordererOrg.root.certPem],
        intermediateCerts: [],
        adminCerts: [admin.certPem],
        tlsRootCerts: [ordererOrg.root.certPem],
        tlsIntermediateCerts: [],
        adminOu: 'admin',
        ordererEndpoints: ['127.0.0.1:7051'],
      },
      {
        mspId: 'Org1MSP',
        sections: ['application'],
        rootCerts: [appOrg.root.certPem],
        intermediateCerts: [],
        adminCerts: [],
        tlsRootCerts: [],
        tlsIntermediateCerts: [],
      },
    ],
    batchSize: { maxMessageCount: 100, absoluteMaxBytes: 1024 * 1024, preferredMaxBytes: 512 * 1024 },
    batchTimeoutMs: 250,
    consenters: [consenter(1), consenter(2), consenter(3)],
    raftOptions: DEFAULT_RAFT_OPTIONS,
    hashAlgorithm: 'sha256',
    ordererAddresses: [],
    capabilities: { channel: ['V2_0'], orderer: ['V2_0'], application: ['V2_0'] },
    hasApplicationGroup: true,
  };
  return { values, ordererOrg, appOrg, consenter };
}

export interface FuzzInputs {
  readonly transaction: Uint8Array;
  /** The genesis block's CONFIG envelope. */
  readonly configTransaction: Uint8Array;
  /** Marshaled Header messages of a transaction and of a Deliver request. */
  readonly headers: readonly Uint8Array[];
  readonly seekInfos: readonly Uint8Array[];
  readonly seekRequests: readonly Uint8Array[];
  /** A member's SerializedIdentity. */
  readonly creator: Uint8Array;
  /** DER: a member's, a root CA's and a TLS certificate. */
  readonly certificates: readonly Uint8Array[];
  /** Validates creators against the channel's organizations (native engine). */
  readonly validator: IdentityValidator;
  readonly genesisBlock: Uint8Array;
  readonly configEnvelope: Uint8Array;
  readonly configUpdate: Uint8Array;
  readonly configUpdateEnvelope: Uint8Array;
  readonly mspConfigs: readonly Uint8Array[];
  /** One cluster frame of each kind. */
  readonly frames: readonly Uint8Array[];
  /** multipart/form-data join bodies with `formBoundary`. */
  readonly joinForms: readonly Uint8Array[];
  readonly formBoundary: string;
}

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);

export function fuzzInputs(): FuzzInputs {
  const channel = fuzzChannel('ch1');
  const member = channel.appOrg.issueMember('User1');
  const creator: EnvelopeCreator = { signer: member.signer, serializedIdentity: encodeSerializedIdentity({ mspid: member.mspId, idBytes: member.idBytes }) };
  const transaction = createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'ch1', txId: 'tx1', data: enc('a transaction'), creator });
  const seekInfos = SEEK_INFOS.map((seekInfo) => createSeekInfoEnvelope({ channelId: 'ch1', seekInfo, creator }));
  const genesisBlock = encodeBlock(buildGenesisBlock(channel.values, createCryptoProvider('native').hasher('sha256')));
  const configTransaction = decodeBlock(genesisBlock).data[0]!;
  const configEnvelope = decodePayload(decodeEnvelope(configTransaction).payload).data;
  const channelGroup = decodeConfigEnvelope(configEnvelope).config!.channelGroup!;
  const configUpdate = encodeConfigUpdate({ channelId: 'ch1', readSet: channelGroup, writeSet: channelGroup, isolatedData: new Map([['k', enc('v')]]) });
  const signatureHeader = encodeSignatureHeader({ creator: creator.serializedIdentity, nonce: new Uint8Array(24) });
  const formBoundary = 'x-boundary-42';
  return {
    transaction,
    configTransaction,
    headers: [transaction, seekInfos[1]!].map((e) => encodeHeader(decodePayload(decodeEnvelope(e).payload).header!)),
    seekInfos: SEEK_INFOS.map(encodeSeekInfo),
    seekRequests: seekInfos,
    creator: creator.serializedIdentity,
    certificates: [member.certPem, channel.appOrg.root.certPem, channel.consenter(1).clientTlsCertPem].map((pem) => decodePem(pem, ['CERTIFICATE']).der),
    validator: new IdentityValidator({ engine: 'native', organizations: [channel.appOrg.config, channel.ordererOrg.config], cacheEntriesMax: 64 }),
    genesisBlock,
    configEnvelope,
    configUpdate,
    configUpdateEnvelope: encodeConfigUpdateEnvelope({ configUpdate, signatures: [{ signatureHeader, signature: member.signer.sign(configUpdate) }] }),
    mspConfigs: [...channelGroup.groups.get('Application')!.groups.values()].map((org) => org.values.get('MSP')!.value),
    frames: clusterFrames(transaction, genesisBlock),
    joinForms: [joinForm(formBoundary, genesisBlock), joinForm(formBoundary, enc('x'))],
    formBoundary,
  };
}

const SEEK_INFOS: readonly SeekInfo[] = [
  {
    start: { type: 'oldest' },
    stop: { type: 'newest' },
    behavior: SeekBehavior.FAIL_IF_NOT_READY,
    errorResponse: SeekErrorResponse.STRICT,
    contentType: SeekContentType.BLOCK,
  },
  {
    start: { type: 'specified', number: 3 },
    stop: { type: 'specified', number: SEEK_MAX },
    behavior: SeekBehavior.BLOCK_UNTIL_READY,
    errorResponse: SeekErrorResponse.BEST_EFFORT,
    contentType: SeekContentType.HEADER_WITH_SIG,
  },
  {
    start: { type: 'nextCommit' },
    stop: { type: 'specified', number: 7 },
    behavior: SeekBehavior.FAIL_IF_NOT_READY,
    errorResponse: SeekErrorResponse.STRICT,
    contentType: SeekContentType.BLOCK,
  },
];

function clusterFrames(envelope: Uint8Array, someBytes: Uint8Array): Uint8Array[] {
  return [
    encodeFrame({ kind: FrameKind.Hello, protocolVersion: CLUSTER_PROTOCOL_VERSION, from: 1, to: 2 }),
    encodeFrame({ kind: FrameKind.Welcome }),
    encodeFrame({ kind: FrameKind.Submit, channel: 'ch1', requestId: 7, envelope }),
    encodeFrame({ kind: FrameKind.SubmitResult, requestId: 7, errorCode: 'BAD_REQUEST', errorMessage: 'no' }),
    encodeFrame({ kind: FrameKind.SubmitBatch, channel: 'ch1', firstRequestId: 8, envelopes: [envelope, envelope.subarray(0, 10)] }),
    encodeFrame({
      kind: FrameKind.SubmitResults,
      accepted: [
        [8, 1],
        [10, 3],
      ],
      rejected: [{ requestId: 9, errorCode: 'FORBIDDEN', errorMessage: 'no' }],
    }),
    encodeFrame({
      kind: FrameKind.Consensus,
      channel: 'ch1',
      message: {
        type: MessageType.MsgApp,
        to: 2,
        from: 1,
        term: 3,
        logTerm: 3,
        index: 10,
        commit: 9,
        reject: false,
        rejectHint: 0,
        entries: [{ term: 3, index: 11, type: EntryType.Normal, data: someBytes.subarray(0, 64) }],
        snapshot: {
          data: enc('snap'),
          metadata: { index: 5, term: 2, confState: { voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false } },
        },
        context: undefined,
      },
    }),
  ];
}

/** A join request body as osnadmin sends it: the block as the `config-block` part of a form. */
function joinForm(boundary: string, block: Uint8Array): Uint8Array {
  return Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="config-block"; filename="b.block"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    block,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
}
