// The channel participation API on the operations listener, against a fake
// node: routing, Fabric's status codes, the JSON error body, the bounded body,
// raw and multipart join bodies.

import http from 'node:http';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { OrdererError } from '../../src/errors.js';
import {
  ChannelExistsError,
  ChannelNotFoundError,
  HealthChecks,
  OperationsServer,
  type ChannelInfo,
  type ChannelParticipation,
} from '../../src/server/index.js';
import { silentLogger } from './support/harness.js';

/** A node whose channels are a map; a "block" is the channel name in UTF-8, "bad" is refused as a bad block. */
class FakeNode implements ChannelParticipation {
  readonly channels = new Map<string, ChannelInfo>();
  readonly joinedBlocks: Uint8Array[] = [];
  readonly joinedGenesis: (Uint8Array | undefined)[] = [];

  list(): readonly ChannelInfo[] {
    return [...this.channels.values()];
  }

  info(name: string): ChannelInfo | undefined {
    return this.channels.get(name);
  }

  async join(configBlock: Uint8Array, genesisBlock?: Uint8Array): Promise<ChannelInfo> {
    this.joinedBlocks.push(configBlock);
    this.joinedGenesis.push(genesisBlock);
    const name = Buffer.from(configBlock).toString();
    if (name === 'bad') throw new OrdererError('BAD_BLOCK', 'block.data[0] is not a config envelope');
    if (this.channels.has(name)) throw new ChannelExistsError(name);
    const info: ChannelInfo = { name, status: 'active', consensusRelation: 'consenter', height: 1 };
    this.channels.set(name, info);
    return info;
  }

  async remove(name: string): Promise<void> {
    if (!this.channels.delete(name)) throw new ChannelNotFoundError(name);
  }
}

let server: OperationsServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(node: ChannelParticipation | undefined): Promise<number> {
  server = await OperationsServer.start(
    { listenAddress: '127.0.0.1:0' },
    { health: new HealthChecks(), metricsRegistry: new Registry(), logger: silentLogger, ...(node && { participation: node }) },
  );
  return server.port;
}

interface Answer {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
}

function send(port: number, method: string, path: string, body?: Buffer, contentType = 'application/octet-stream'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers = body === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': body.length };
    const request = http.request({ host: '127.0.0.1', port, path, method, headers, timeout: 10_000 }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString(), headers: response.headers }));
    });
    request.on('error', reject);
    request.end(body);
  });
}

const CHANNELS = '/participation/v1/channels';

describe('channel participation API', () => {
  it('joins from a raw block body: 201, Location, and the channel is then listed and readable', async () => {
    const node = new FakeNode();
    const port = await start(node);
    const joined = await send(port, 'POST', CHANNELS, Buffer.from('mychannel'));
    expect(joined.status).toBe(201);
    expect(joined.headers.location).toBe(`${CHANNELS}/mychannel`);
    expect(JSON.parse(joined.body)).toEqual({ name: 'mychannel', url: `${CHANNELS}/mychannel`, status: 'active', consensusRelation: 'consenter', height: 1 });

    const list = await send(port, 'GET', CHANNELS);
    expect(list.status).toBe(200);
    expect(JSON.parse(list.body)).toEqual({ systemChannel: null, channels: [expect.objectContaining({ name: 'mychannel', height: 1 })] });
    const one = await send(port, 'GET', `${CHANNELS}/mychannel`);
    expect(JSON.parse(one.body)).toMatchObject({ name: 'mychannel', status: 'active', consensusRelation: 'consenter' });
  });

  it('joins from the config-block part of a multipart form (as osnadmin sends it)', async () => {
    const node = new FakeNode();
    const port = await start(node);
    const boundary = 'XyZ123';
    const form = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="other"\r\n\r\nignored\r\n`),
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="config-block"; filename="b.block"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      Buffer.from('formchannel'),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const joined = await send(port, 'POST', CHANNELS, form, `multipart/form-data; boundary=${boundary}`);
    expect(joined.status).toBe(201);
    expect(Buffer.from(node.joinedBlocks[0]!).toString()).toBe('formchannel');
    expect(node.joinedGenesis[0]).toBeUndefined();
  });

  it('passes a genesis-block part along with the config block (a consenter joining after block 0)', async () => {
    const node = new FakeNode();
    const port = await start(node);
    const form = Buffer.concat([
      Buffer.from('--b\r\nContent-Disposition: form-data; name="genesis-block"\r\n\r\n'),
      Buffer.from([0, 13, 10, 45, 98, 255]), // binary with a CRLF inside the part (the sender's boundary never occurs in it)
      Buffer.from('\r\n--b\r\nContent-Disposition: form-data; name="config-block"\r\n\r\nlaterchannel\r\n--b--\r\n'),
    ]);
    const joined = await send(port, 'POST', CHANNELS, form, 'multipart/form-data; boundary=b');
    expect(joined.status).toBe(201);
    expect(Buffer.from(node.joinedBlocks[0]!).toString()).toBe('laterchannel');
    expect([...node.joinedGenesis[0]!]).toEqual([0, 13, 10, 45, 98, 255]);
  });

  it('answers 409 with a JSON error when the channel exists, 400 naming the block fault for a bad block', async () => {
    const node = new FakeNode();
    const port = await start(node);
    await send(port, 'POST', CHANNELS, Buffer.from('mychannel'));
    const again = await send(port, 'POST', CHANNELS, Buffer.from('mychannel'));
    expect(again.status).toBe(409);
    expect(JSON.parse(again.body).error).toContain('mychannel');
    const bad = await send(port, 'POST', CHANNELS, Buffer.from('bad'));
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.body).error).toContain('block.data[0]');
  });

  it('refuses an empty body (400), a multipart form without config-block (400) and a foreign content type (415)', async () => {
    const node = new FakeNode();
    const port = await start(node);
    expect((await send(port, 'POST', CHANNELS, Buffer.alloc(0))).status).toBe(400);
    const form = Buffer.from('--b\r\nContent-Disposition: form-data; name="x"\r\n\r\ny\r\n--b--\r\n');
    const noPart = await send(port, 'POST', CHANNELS, form, 'multipart/form-data; boundary=b');
    expect(noPart.status).toBe(400);
    expect(JSON.parse(noPart.body).error).toContain('config-block');
    expect((await send(port, 'POST', CHANNELS, Buffer.from('{}'), 'application/json')).status).toBe(415);
    expect(node.joinedBlocks).toHaveLength(0);
  });

  it('refuses a body over the bound by its declared length with 413', async () => {
    const node = new FakeNode();
    const port = await start(node);
    const answer = await new Promise<number>((resolve, reject) => {
      const request = http.request(
        {
          host: '127.0.0.1',
          port,
          path: CHANNELS,
          method: 'POST',
          headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': 200 * 1024 * 1024 },
        },
        (response) => {
          response.resume();
          resolve(response.statusCode!);
        },
      );
      request.on('error', reject);
      request.write(Buffer.alloc(1024));
    });
    expect(answer).toBe(413);
    expect(node.joinedBlocks).toHaveLength(0);
  });

  it('removes with DELETE (204), then the channel is 404 for GET and DELETE', async () => {
    const node = new FakeNode();
    const port = await start(node);
    await send(port, 'POST', CHANNELS, Buffer.from('mychannel'));
    expect((await send(port, 'DELETE', `${CHANNELS}/mychannel`)).status).toBe(204);
    const gone = await send(port, 'GET', `${CHANNELS}/mychannel`);
    expect(gone.status).toBe(404);
    expect(JSON.parse(gone.body).error).toContain('"mychannel"');
    expect((await send(port, 'DELETE', `${CHANNELS}/mychannel`)).status).toBe(404);
  });

  it('answers 405 with Allow for a method a path does not take, 400 for a bad channel name', async () => {
    const port = await start(new FakeNode());
    const put = await send(port, 'PUT', CHANNELS);
    expect(put.status).toBe(405);
    expect(put.headers.allow).toBe('GET, HEAD, POST');
    const postOne = await send(port, 'POST', `${CHANNELS}/mychannel`, Buffer.from('x'));
    expect(postOne.status).toBe(405);
    expect(postOne.headers.allow).toBe('GET, HEAD, DELETE');
    const badName = await send(port, 'GET', `${CHANNELS}/Bad_Name`);
    expect(badName.status).toBe(400);
    expect(JSON.parse(badName.body).error).toContain('Bad_Name');
  });

  it('answers 404 on its paths when the node offers no participation, and keeps /healthz', async () => {
    const port = await start(undefined);
    expect((await send(port, 'GET', CHANNELS)).status).toBe(404);
    expect((await send(port, 'GET', '/healthz')).status).toBe(200);
  });
});
