// The server over a real Chain (one-node channel, real storage, in-thread
// compute, real timers): Fabric's client broadcasts signed envelopes and
// reads them back in blocks through Deliver. Checks the server/chain
// contract end to end, not timing.

import { common, type orderer } from '@hyperledger/fabric-protos';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createSignedEnvelope,
  encodeSerializedIdentity,
  HeaderType,
  SeekBehavior,
  SeekContentType,
  SeekErrorResponse,
  type EnvelopeCreator,
} from '../../src/block/index.js';
import type { Chain } from '../../src/chain/index.js';
import { DevOrganization } from '../../src/crypto/devpki.js';
import { createCryptoProvider } from '../../src/crypto/provider.js';
import { startChainServer, type ChainServer } from '../../src/cli/dev/chainServer.js';
import { seekRequest, toProtosEnvelope } from './support/envelopes.js';
import { collect, connectClient, eventually } from './support/harness.js';

const CHANNEL = 'server-chain';

let setup: ChainServer;
let chain: Chain;
let client: orderer.AtomicBroadcastClient;
let member: EnvelopeCreator;

beforeAll(async () => {
  setup = await startChainServer({ channelId: CHANNEL });
  ({ chain, member } = setup);
  client = connectClient(setup.address);
});

afterAll(async () => {
  client?.close();
  await setup?.close();
});

describe('server over a one-node chain', () => {
  it('once the node leads, orders envelopes into blocks that Deliver streams back once each', async () => {
    await eventually(() => chain.status().isLeader, 'the lone node leads its channel');
    const count = 12;
    const envelopes = Array.from({ length: count }, (_, i) =>
      createSignedEnvelope({ type: HeaderType.ENDORSER_TRANSACTION, channelId: CHANNEL, data: new TextEncoder().encode(`tx ${i}`), creator: member }),
    );
    const forged = createSignedEnvelope({
      type: HeaderType.ENDORSER_TRANSACTION,
      channelId: CHANNEL,
      data: new TextEncoder().encode('forged'),
      creator: member,
    });
    forged[forged.length - 3] ^= 0xff; // inside the signature
    const broadcast = client.broadcast();
    const broadcastDone = collect(broadcast);
    for (const envelope of envelopes) broadcast.write(toProtosEnvelope(envelope));
    broadcast.write(toProtosEnvelope(forged));
    broadcast.end();
    const { messages: responses, error } = await broadcastDone;
    expect(error).toBeUndefined();
    expect(responses.slice(0, count).map((r) => r.getStatus())).toEqual(envelopes.map(() => common.Status.SUCCESS));
    expect(responses[count]!.getStatus()).toBe(common.Status.FORBIDDEN);

    // Read blocks from 1 until every envelope has been seen (BLOCK_UNTIL_READY waits for the batch timer).
    const wanted = new Set(envelopes.map((e) => Buffer.from(e).toString('base64')));
    const seen: string[] = [];
    for (let next = 1; seen.length < count; next++) {
      const stream = client.deliver();
      const done = collect(stream);
      const seek = {
        start: { type: 'specified' as const, number: next },
        stop: { type: 'specified' as const, number: next },
        behavior: SeekBehavior.BLOCK_UNTIL_READY,
        errorResponse: SeekErrorResponse.STRICT,
        contentType: SeekContentType.BLOCK,
      };
      stream.write(toProtosEnvelope(seekRequest(CHANNEL, seek, 'Org1MSP', member)));
      stream.end();
      const { messages } = await done;
      expect(messages.at(-1)!.getStatus()).toBe(common.Status.SUCCESS);
      const block = messages[0]!.getBlock()!;
      expect(block.getHeader()!.getNumber()).toBe(next);
      for (const data of block.getData()!.getDataList_asU8()) seen.push(Buffer.from(data).toString('base64'));
      expect(next).toBeLessThan(count + 1);
    }
    expect(seen.sort()).toEqual([...wanted].sort());
  });

  it('refuses a Deliver request whose signature does not verify', async () => {
    const seek = {
      start: { type: 'oldest' as const },
      stop: { type: 'newest' as const },
      behavior: SeekBehavior.BLOCK_UNTIL_READY,
      errorResponse: SeekErrorResponse.STRICT,
      contentType: SeekContentType.BLOCK,
    };
    const forged = seekRequest(CHANNEL, seek, 'Org1MSP', member);
    forged[forged.length - 3] ^= 0xff; // inside the signature
    const stream = client.deliver();
    const done = collect(stream);
    stream.write(toProtosEnvelope(forged));
    stream.end();
    const { messages } = await done;
    expect(messages.map((m) => m.getStatus())).toEqual([common.Status.FORBIDDEN]);
  });

  it('refuses Deliver to a requester outside the channel’s organizations', async () => {
    const stranger = new DevOrganization({ mspId: 'Org9MSP', algorithm: 'ecdsa-p256', provider: createCryptoProvider('native') }).issueMember('eve');
    const creator = { signer: stranger.signer, serializedIdentity: encodeSerializedIdentity({ mspid: stranger.mspId, idBytes: stranger.idBytes }) };
    const stream = client.deliver();
    const done = collect(stream);
    const seek = {
      start: { type: 'oldest' as const },
      stop: { type: 'newest' as const },
      behavior: SeekBehavior.BLOCK_UNTIL_READY,
      errorResponse: SeekErrorResponse.STRICT,
      contentType: SeekContentType.BLOCK,
    };
    stream.write(toProtosEnvelope(seekRequest(CHANNEL, seek, 'Org9MSP', creator)));
    stream.end();
    const { messages } = await done;
    expect(messages.map((m) => m.getStatus())).toEqual([common.Status.FORBIDDEN]);
  });
});
