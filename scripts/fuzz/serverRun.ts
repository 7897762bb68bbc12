// The live part of scripts/fuzz.ts: mutated Broadcast envelopes and Deliver
// requests sent over gRPC to an AtomicBroadcastServer over a real one-node
// chain that checks envelopes in the worker pool, as a node runs it. Every
// answer must be a proper status (never INTERNAL_SERVER_ERROR, never a failed
// stream), honest envelopes sent among the mutated ones must all succeed,
// and nothing may be logged as the orderer's own fault.

import { Writable } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { pino } from 'pino';
import {
  createSeekInfoEnvelope,
  createSignedEnvelope,
  decodeBroadcastResponse,
  decodeDeliverResponse,
  encodeSerializedIdentity,
  HeaderType,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  Status,
  type EnvelopeCreator,
  type SeekInfo,
} from '../../src/block/index.js';
import { PoolCompute } from '../../src/chain/index.js';
import { startChainServer, type ChainServer } from '../../src/cli/index.js';
import { decodePem, encodePem } from '../../src/crypto/index.js';
import { WorkerPool } from '../../src/workers/index.js';
import { mutate, randomMutations, type Random } from './mutate.js';

/** What a client may be answered; INTERNAL_SERVER_ERROR is the orderer's fault, never a client's. */
const PROPER_STATUSES: ReadonlySet<Status> = new Set([
  Status.SUCCESS,
  Status.BAD_REQUEST,
  Status.FORBIDDEN,
  Status.NOT_FOUND,
  Status.REQUEST_ENTITY_TOO_LARGE,
  Status.SERVICE_UNAVAILABLE,
]);

export interface ServerFigures {
  broadcastInputs: number;
  deliverInputs: number;
  honestSent: number;
  honestSucceeded: number;
  /** Answers by status name, of Broadcast and of Deliver. */
  readonly broadcastStatuses: Map<string, number>;
  readonly deliverStatuses: Map<string, number>;
  /** Deliver requests still streaming or waiting when their time was up (cancelled by the client: a proper outcome). */
  deliverCancelled: number;
  /** Improper answers, failed streams, honest envelopes refused, errors logged by the orderer. */
  readonly defects: string[];
  defectCount: number;
  loggedErrors: number;
  cpuMicros: number;
}

export interface ServerRunOptions {
  readonly inputs: number;
  readonly random: Random;
  /** Broadcast streams (each on its own connection) sending at once. */
  readonly streams?: number;
  /** One Deliver request per this many inputs. */
  readonly deliverEvery?: number;
  /** One honest envelope per this many Broadcast inputs. */
  readonly honestEvery?: number;
  readonly onProgress?: (done: number) => void;
}

const WINDOW = 128;
const DELIVER_CONCURRENCY = 8;
const DELIVER_TIMEOUT_MS = 2000;
const DELIVER_RESPONSES_MAX = 64;
const SEED_REFRESH_MS = 60_000;
const DEFECTS_KEPT_MAX = 20;

export async function runServer(options: ServerRunOptions): Promise<ServerFigures> {
  const figures: ServerFigures = {
    broadcastInputs: 0,
    deliverInputs: 0,
    honestSent: 0,
    honestSucceeded: 0,
    broadcastStatuses: new Map(),
    deliverStatuses: new Map(),
    deliverCancelled: 0,
    defects: [],
    defectCount: 0,
    loggedErrors: 0,
    cpuMicros: 0,
  };
  const defect = (what: string): void => {
    figures.defectCount++;
    if (figures.defects.length < DEFECTS_KEPT_MAX) figures.defects.push(what);
  };
  const logger = pino(
    { level: 'error' },
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        figures.loggedErrors++;
        defect(`logged by the orderer: ${chunk.toString().slice(0, 400)}`);
        done();
      },
    }),
  );
  const pool = new WorkerPool({ maxThreads: 1 });
  const setup = await startChainServer({
    channelId: 'fuzz',
    logger,
    compute: (orderer) =>
      new PoolCompute(pool, {
        engine: 'native',
        algorithm: 'ecdsa-p256',
        privateKeyPem: orderer.signer.exportPrivateKeyPem(),
        serializedIdentity: encodeSerializedIdentity({ mspid: orderer.mspId, idBytes: orderer.idBytes }),
      }),
  });
  const started = process.cpuUsage();
  try {
    await waitForLeader(setup);
    const address = setup.address;
    const seeds = new Seeds(setup);
    const counter =
      (statuses: Map<string, number>) =>
      (status: Status): void => {
        const name = Status[status] ?? String(status);
        statuses.set(name, (statuses.get(name) ?? 0) + 1);
      };
    const deliverEvery = options.deliverEvery ?? 10;
    const deliverInputs = Math.floor(options.inputs / deliverEvery);
    const broadcastInputs = options.inputs - deliverInputs;
    let done = 0;
    const progress = (): void => {
      done++;
      if (done % 50_000 === 0) options.onProgress?.(done);
    };
    const streams = options.streams ?? 4;
    await Promise.all([
      ...Array.from({ length: streams }, (_, s) =>
        broadcastStream(
          address,
          Math.floor(broadcastInputs / streams) + (s < broadcastInputs % streams ? 1 : 0),
          options.honestEvery ?? 20,
          seeds,
          options.random,
          figures,
          counter(figures.broadcastStatuses),
          defect,
          progress,
        ),
      ),
      deliverRequests(address, deliverInputs, seeds, options.random, figures, counter(figures.deliverStatuses), defect, progress),
    ]);
  } finally {
    const used = process.cpuUsage(started);
    figures.cpuMicros = used.user + used.system;
    await setup.close();
    await pool.close();
  }
  return figures;
}

async function waitForLeader(setup: ChainServer): Promise<void> {
  for (let i = 0; i < 500 && !setup.chain.status().isLeader; i++) await new Promise((r) => setTimeout(r, 20));
  if (!setup.chain.status().isLeader) throw new Error('the one-node chain elected no leader in 10 s');
}

/** Valid inputs to mutate, re-signed once a minute so Deliver timestamps stay inside the server's window. */
class Seeds {
  #madeAt = 0;
  #envelopes: Uint8Array[] = [];
  #requests: Uint8Array[] = [];
  readonly #certificate: Uint8Array;
  #serial = 0;

  constructor(private readonly setup: ChainServer) {
    this.#certificate = decodePem(setup.user.certPem, ['CERTIFICATE']).der;
  }

  get creator(): EnvelopeCreator {
    return this.setup.member;
  }

  honest(): Uint8Array {
    return this.#transaction(this.setup.member, `honest-${this.#serial++}`);
  }

  envelopes(): Uint8Array[] {
    this.#refresh();
    return this.#envelopes;
  }

  requests(): Uint8Array[] {
    this.#refresh();
    return this.#requests;
  }

  /** An envelope signed by the member whose creator certificate is `der` (mutated by the caller). */
  withCertificate(mutatedDer: Uint8Array): Uint8Array {
    const idBytes = new TextEncoder().encode(encodePem('CERTIFICATE', mutatedDer));
    return this.#transaction(
      { signer: this.setup.user.signer, serializedIdentity: encodeSerializedIdentity({ mspid: this.setup.user.mspId, idBytes }) },
      'mutated-creator',
    );
  }

  get certificate(): Uint8Array {
    return this.#certificate;
  }

  #transaction(creator: EnvelopeCreator, txId: string): Uint8Array {
    return createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'fuzz', txId, data: new TextEncoder().encode(txId), creator });
  }

  #refresh(): void {
    if (Date.now() - this.#madeAt < SEED_REFRESH_MS) return;
    this.#madeAt = Date.now();
    const creator = this.setup.member;
    this.#envelopes = [this.#transaction(creator, 'seed-1'), this.#transaction(creator, 'seed-2')];
    const seek = (start: SeekInfo['start'], stop: SeekInfo['stop'], behavior: SeekBehavior): Uint8Array =>
      createSeekInfoEnvelope({
        channelId: 'fuzz',
        creator,
        seekInfo: { start, stop, behavior, errorResponse: SeekErrorResponse.STRICT, contentType: SeekContentType.BLOCK },
      });
    this.#requests = [
      seek({ type: 'specified', number: 0 }, { type: 'specified', number: 0 }, SeekBehavior.FAIL_IF_NOT_READY),
      seek({ type: 'newest' }, { type: 'newest' }, SeekBehavior.BLOCK_UNTIL_READY),
      seek({ type: 'specified', number: 1 }, { type: 'specified', number: 2 }, SeekBehavior.FAIL_IF_NOT_READY),
    ];
  }
}

function rawClient(address: string): grpc.Client {
  return new grpc.Client(address, grpc.credentials.createInsecure(), { 'grpc.use_local_subchannel_pool': 1 });
}

const identity = (b: Buffer): Buffer => b;

/** One Broadcast stream: `inputs` mutated envelopes and, among them, one honest one every `honestEvery`; at most WINDOW unanswered. */
async function broadcastStream(
  address: string,
  inputs: number,
  honestEvery: number,
  seeds: Seeds,
  random: Random,
  figures: ServerFigures,
  count: (s: Status) => void,
  defect: (what: string) => void,
  progress: () => void,
): Promise<void> {
  const client = rawClient(address);
  const call = client.makeBidiStreamRequest<Buffer, Buffer>('/orderer.AtomicBroadcast/Broadcast', identity, identity);
  /** What each unanswered envelope was, in order: 'honest' or 'mutated'. */
  const sent: ('honest' | 'mutated')[] = [];
  let answered = 0;
  let wake: (() => void) | undefined;
  const ended = new Promise<void>((resolve) => {
    call.on('data', (bytes: Buffer) => {
      const kind = sent[answered++];
      const { status } = decodeBroadcastResponse(bytes);
      count(status);
      if (!PROPER_STATUSES.has(status)) defect(`Broadcast answered ${Status[status] ?? status} to a ${kind} envelope`);
      if (kind === 'honest') {
        if (status === Status.SUCCESS) figures.honestSucceeded++;
        else defect(`an honest envelope was answered ${Status[status] ?? status}`);
      }
      progress();
      wake?.();
    });
    call.on('error', (error: Error) => {
      defect(`Broadcast stream failed: ${error.message}`);
      resolve();
    });
    call.on('end', () => resolve());
  });
  for (let i = 0; i < inputs; i++) {
    while (sent.length - answered >= WINDOW) await new Promise<void>((resolve) => (wake = resolve));
    if (i % honestEvery === honestEvery - 1) {
      // Besides the mutated inputs, not counted among them.
      sent.push('honest');
      figures.honestSent++;
      call.write(Buffer.from(seeds.honest()));
    }
    sent.push('mutated');
    figures.broadcastInputs++;
    call.write(Buffer.from(mutatedEnvelope(seeds, random)));
  }
  call.end();
  await ended;
  client.close();
  if (answered !== sent.length) defect(`a Broadcast stream answered ${answered} of ${sent.length} envelopes`);
}

/** A mutated envelope: of a valid envelope's bytes, or (one in three) of its creator's certificate DER. */
function mutatedEnvelope(seeds: Seeds, random: Random): Uint8Array {
  if (random.int(3) === 0) return seeds.withCertificate(mutate(seeds.certificate, randomMutations(random), 'der'));
  const envelopes = seeds.envelopes();
  return mutate(envelopes[random.int(envelopes.length)]!, randomMutations(random), 'protobuf');
}

/** `inputs` mutated Deliver requests, each on its own stream, DELIVER_CONCURRENCY at once. */
async function deliverRequests(
  address: string,
  inputs: number,
  seeds: Seeds,
  random: Random,
  figures: ServerFigures,
  count: (s: Status) => void,
  defect: (what: string) => void,
  progress: () => void,
): Promise<void> {
  const client = rawClient(address);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < inputs) {
      next++;
      const requests = seeds.requests();
      const request = mutate(requests[random.int(requests.length)]!, randomMutations(random), 'protobuf');
      figures.deliverInputs++;
      await deliverOnce(client, request, figures, count, defect);
      progress();
    }
  };
  await Promise.all(Array.from({ length: DELIVER_CONCURRENCY }, worker));
  client.close();
}

function deliverOnce(
  client: grpc.Client,
  request: Uint8Array,
  figures: ServerFigures,
  count: (s: Status) => void,
  defect: (what: string) => void,
): Promise<void> {
  return new Promise((resolve) => {
    const call = client.makeBidiStreamRequest<Buffer, Buffer>('/orderer.AtomicBroadcast/Deliver', identity, identity);
    let responses = 0;
    let finished = false;
    const finish = (cancelled: boolean): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (cancelled) {
        figures.deliverCancelled++;
        call.cancel();
      }
      resolve();
    };
    const timer = setTimeout(() => finish(true), DELIVER_TIMEOUT_MS);
    call.on('data', (bytes: Buffer) => {
      responses++;
      // A status is the first field (0x08); anything else is a block, which is not decoded here.
      if (bytes[0] === 0x08) {
        const response = decodeDeliverResponse(bytes);
        const status = response.type === 'status' ? response.status : Status.UNKNOWN;
        count(status);
        if (!PROPER_STATUSES.has(status)) defect(`Deliver answered ${Status[status] ?? status}`);
        finish(false);
      } else if (responses >= DELIVER_RESPONSES_MAX) {
        finish(true);
      }
    });
    call.on('error', (error: grpc.ServiceError) => {
      if (!finished && error.code !== grpc.status.CANCELLED) defect(`Deliver stream failed: ${error.message}`);
      finish(false);
    });
    call.on('end', () => finish(false));
    call.write(Buffer.from(request));
    call.end();
  });
}
