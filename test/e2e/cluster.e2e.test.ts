// A real 3-node cluster (three `orderer start` processes on loopback):
// Broadcast to the leader and to a follower, Deliver from every node, the same
// hash-chained blocks everywhere with every acknowledged envelope exactly once;
// bad input answered with its status while the stream and the node stay up;
// wire compatibility with Fabric's generated client (@hyperledger/fabric-protos).

import * as grpc from '@grpc/grpc-js';
import { spawnSync } from 'node:child_process';
import { common, orderer } from '@hyperledger/fabric-protos';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSignedEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  encodeSerializedIdentity,
  HeaderType,
  readEnvelopeFields,
  Status,
} from '../../src/block/index.js';
import { BroadcastStream } from '../../src/client/abClient.js';
import { createEnvelopePool, type SignedEnvelope } from '../../src/client/envelopePool.js';
import { address, LOCAL_TLS_SERVER_NAME } from '../../src/cli/dev/layout.js';
import { runLoad } from '../../src/client/load.js';
import { isHealthy } from '../../src/client/nodeMetrics.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { blockSignerCerts, blocksFrom, hashChainFault, headersOf, ledgerFailures, nodeSignCert, startE2eCluster, txIdsOf, type E2eCluster } from './helpers.js';
import fs from 'node:fs';
import path from 'node:path';
import { ordererArgv } from './ordererRuntime.js';

let e2e: E2eCluster;
let leader: number;
let follower: number;

beforeAll(async () => {
  e2e = await startE2eCluster();
  leader = await e2e.cluster.waitLeader(30_000);
  follower = e2e.cluster.nodes.find((n) => n.id !== leader)!.id;
}, 120_000);

afterAll(async () => {
  await e2e?.dispose();
}, 60_000);

/** Polls until node `nodeId` serves blocks holding every id of `txIds`; returns its blocks. */
async function waitForTxIds(nodeId: number, txIds: ReadonlySet<string>, timeoutMs: number) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const height = (await e2e.cluster.committedBlockNumbers()).get(nodeId);
    if (height !== undefined) {
      const blocks = await blocksFrom(e2e, nodeId, height);
      const seen = new Set(txIdsOf(blocks));
      if ([...txIds].every((id) => seen.has(id))) return blocks;
    }
    if (performance.now() > deadline) throw new Error(`node ${nodeId} did not commit all ${txIds.size} envelopes within ${timeoutMs} ms`);
    await sleep(200);
  }
}

describe('a 3-node cluster of orderer processes', () => {
  it('orders envelopes broadcast to the leader and to a follower into the same hash-chained blocks on every node, each exactly once', async () => {
    const pool = createEnvelopePool({ channelId: e2e.channelId, creator: e2e.creator, count: 400 });
    const acknowledged: SignedEnvelope[] = [];
    const [toLeader, toFollower] = await Promise.all([
      runLoad({
        client: e2e.client(leader),
        envelopes: pool.slice(0, 200),
        streams: 2,
        windowPerStream: 32,
        durationMs: 60_000,
        once: true,
        onAcknowledged: (e) => acknowledged.push(e),
      }),
      runLoad({
        client: e2e.client(follower),
        envelopes: pool.slice(200),
        streams: 2,
        windowPerStream: 32,
        durationMs: 60_000,
        once: true,
        onAcknowledged: (e) => acknowledged.push(e),
      }),
    ]);
    expect(toLeader).toMatchObject({ sent: 200, succeeded: 200, refused: {} });
    expect(toFollower).toMatchObject({ sent: 200, succeeded: 200, refused: {} });

    const wanted = new Set(acknowledged.map((e) => e.txId));
    expect(wanted.size).toBe(400);
    const perNode = await Promise.all(e2e.cluster.nodes.map((n) => waitForTxIds(n.id, wanted, 30_000)));
    const shortest = Math.min(...perNode.map((blocks) => blocks.length));
    for (const [i, blocks] of perNode.entries()) {
      expect(hashChainFault(blocks)).toBeUndefined();
      expect(ledgerFailures(blocks)).toEqual([]); // creator and orderer signatures included
      // Each node writes its own copy of a block, signed with its own identity (as Fabric's orderers do).
      expect([...blockSignerCerts(blocks)]).toEqual([nodeSignCert(e2e, e2e.cluster.nodes[i]!.id)]);
      const ids = txIdsOf(blocks);
      expect(ids.length).toBe(new Set(ids).size); // nothing twice
      expect(ids.filter((id) => wanted.has(id)).length).toBe(400); // everything once
      expect(headersOf(blocks.slice(0, shortest))).toEqual(headersOf(perNode[0]!.slice(0, shortest)));
    }
  });

  it('answers each kind of bad envelope with its status and keeps the stream and the node serving', async () => {
    const provider = createCryptoProvider('native');
    const stranger = new DevOrganization({ mspId: 'Org9MSP', algorithm: 'ecdsa-p256', provider });
    const strangerMember = stranger.issueMember('Mallory');
    const strangerCreator = {
      signer: strangerMember.signer,
      serializedIdentity: encodeSerializedIdentity({ mspid: 'Org9MSP', idBytes: strangerMember.idBytes }),
    };
    const [good, last] = createEnvelopePool({ channelId: e2e.channelId, creator: e2e.creator, count: 2 });
    const signed = decodeEnvelope(good!.bytes);
    const badSignature = new Uint8Array(signed.signature);
    badSignature[badSignature.length - 3]! ^= 0x01;
    const cases: Array<[string, Uint8Array, Status]> = [
      ['malformed protobuf', new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]), Status.BAD_REQUEST],
      ['bad signature', encodeEnvelope({ payload: signed.payload, signature: badSignature }), Status.FORBIDDEN],
      [
        'unknown creator',
        createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: e2e.channelId, data: new Uint8Array(16), creator: strangerCreator }),
        Status.FORBIDDEN,
      ],
      [
        'unknown channel',
        createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: 'no-such-channel', data: new Uint8Array(16), creator: e2e.creator }),
        Status.NOT_FOUND,
      ],
      [
        'oversize envelope',
        createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: e2e.channelId, data: new Uint8Array(11 * 1024 * 1024), creator: e2e.creator }),
        Status.BAD_REQUEST,
      ],
      ['a good envelope after them', last!.bytes, Status.SUCCESS],
    ];
    for (const node of [leader, follower]) {
      const stream = new BroadcastStream(e2e.client(node));
      const responses = await Promise.all(cases.map(([, bytes]) => stream.send(bytes)));
      await stream.end();
      const got = responses.map((r, i) => [cases[i]![0], Status[r.status]]);
      expect(got).toEqual(cases.map(([name, , status]) => [name, Status[status]]));
      for (const response of responses.slice(0, -1)) expect(response.info.length).toBeGreaterThan(0);
      expect(await isHealthy(address(e2e.cluster.node(node), 'operations'))).toBe(true);
    }
    expect(e2e.cluster.nodes.every((n) => e2e.cluster.process(n.id).running)).toBe(true);
  });

  it('serves a client generated from Fabric ab.proto (@hyperledger/fabric-protos) unchanged: Broadcast, then Deliver of the block holding it', async () => {
    const node = e2e.cluster.node(follower);
    const caPem = fs.readFileSync(path.join(e2e.dir, e2e.cluster.manifest.tlsCaFile));
    const client = new orderer.AtomicBroadcastClient(address(node, 'client'), grpc.credentials.createSsl(caPem), {
      'grpc.ssl_target_name_override': LOCAL_TLS_SERVER_NAME,
      'grpc.default_authority': LOCAL_TLS_SERVER_NAME,
    });
    try {
      const [envelope] = createEnvelopePool({ channelId: e2e.channelId, creator: e2e.creator, count: 1 });
      const broadcast = client.broadcast();
      const response = new Promise<orderer.BroadcastResponse>((resolve, reject) => {
        broadcast.once('data', resolve);
        broadcast.once('error', reject);
      });
      broadcast.write(common.Envelope.deserializeBinary(envelope!.bytes));
      const answer = await response;
      broadcast.end();
      expect(answer.getStatus()).toBe(common.Status.SUCCESS);

      const blocks = await waitForTxIds(follower, new Set([envelope!.txId]), 30_000);
      const holding = blocks.findIndex((b, i) => i > 0 && b.data.some((e) => readEnvelopeFields(e).txId === envelope!.txId));
      const seek = new orderer.SeekInfo();
      const position = new orderer.SeekPosition();
      const specified = new orderer.SeekSpecified();
      specified.setNumber(holding);
      position.setSpecified(specified);
      seek.setStart(position);
      seek.setStop(position);
      seek.setBehavior(orderer.SeekInfo.SeekBehavior.BLOCK_UNTIL_READY);
      const request = createSignedEnvelope({
        type: HeaderType.DELIVER_SEEK_INFO,
        channelId: e2e.channelId,
        data: seek.serializeBinary(),
        creator: e2e.creator,
      });
      const deliverStream = client.deliver();
      const received: orderer.DeliverResponse[] = [];
      const ended = new Promise<void>((resolve, reject) => {
        deliverStream.on('data', (r: orderer.DeliverResponse) => {
          received.push(r);
          if (r.hasStatus()) resolve();
        });
        deliverStream.once('error', reject);
      });
      deliverStream.write(common.Envelope.deserializeBinary(request));
      await ended;
      deliverStream.end();
      expect(received.map((r) => (r.hasBlock() ? 'block' : `status ${r.getStatus()}`))).toEqual(['block', `status ${common.Status.SUCCESS}`]);
      const block = received[0]!.getBlock()!;
      expect(block.getHeader()!.getNumber()).toBe(holding);
      const envelopes = block
        .getData()!
        .getDataList_asU8()
        .map((bytes) => Buffer.from(bytes).toString('hex'));
      expect(envelopes).toContain(Buffer.from(envelope!.bytes).toString('hex'));
    } finally {
      client.close();
    }
  });

  it('drives a given node with `orderer load` and reports acknowledged tx/s', () => {
    const result = spawnSync(
      process.execPath,
      ordererArgv(['load', '--dir', e2e.dir, '--node', String(follower), '--duration-s', '2', '--pool', '300', '--streams', '1']),
      {
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(result.stderr).not.toMatch(/orderer load: /);
    expect(result.status).toBe(0);
    const summary = /sent (\d+), SUCCESS (\d+)(.*) in [\d.]+ s: (\d+) tx\/s acknowledged/.exec(result.stdout);
    expect(summary).not.toBeNull();
    expect(Number(summary![2])).toBeGreaterThan(0);
    expect(summary![3]).toBe(''); // nothing refused
  }, 90_000);

  it('restarts from disk after every node stopped cleanly: earlier blocks unchanged, ordering goes on after them', async () => {
    const before = await e2e.cluster.committedBlockNumbers();
    const height = Math.min(...[...before.values()].map((n) => n ?? 0));
    const blocksBefore = await blocksFrom(e2e, 1, height);
    const codes = await e2e.cluster.stopAll(15_000);
    expect([...codes.values()]).toEqual([0, 0, 0]);

    e2e.cluster.startAll();
    await e2e.cluster.waitHealthy(60_000);
    const leaderNow = await e2e.cluster.waitLeader(30_000);
    const pool = createEnvelopePool({ channelId: e2e.channelId, creator: e2e.creator, count: 50 });
    const report = await runLoad({ client: e2e.client(leaderNow), envelopes: pool, streams: 1, windowPerStream: 16, durationMs: 60_000, once: true });
    expect(report).toMatchObject({ sent: 50, succeeded: 50, refused: {} });
    const perNode = await Promise.all(e2e.cluster.nodes.map((n) => waitForTxIds(n.id, new Set(pool.map((e) => e.txId)), 30_000)));
    for (const blocks of perNode) {
      expect(hashChainFault(blocks)).toBeUndefined();
      expect(headersOf(blocks.slice(0, blocksBefore.length))).toEqual(headersOf(blocksBefore));
      expect(blocks.length).toBeGreaterThan(blocksBefore.length);
    }
  }, 180_000);
});
