// A small client of a node's channel participation API (operations listener),
// over HTTP or HTTPS with optional client certificates. Every call is bounded
// in time and in the size of the answer it reads.

import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { ClientCallError, ClientUsageError } from './errors.js';

export const PARTICIPATION_PATH = '/participation/v1/channels';
export const PARTICIPATION_REQUEST_TIMEOUT_MS = 60_000;
const ANSWER_BYTES_MAX = 16 * 1024 * 1024;

export interface ParticipationTarget {
  /** http(s)://host:port of the node's operations listener. */
  readonly url: URL;
  readonly caPem?: string;
  readonly clientCertPem?: string;
  readonly clientKeyPem?: string;
}

export interface Answer {
  readonly status: number;
  readonly body: string;
}

/** `--node` as given: a URL, or host:port meaning http. */
export function participationTarget(node: string, tlsFiles: { ca?: string; cert?: string; key?: string }): ParticipationTarget {
  let url: URL;
  try {
    url = new URL(/^[a-z]+:\/\//i.test(node) ? node : `http://${node}`);
  } catch (error) {
    throw new ClientUsageError(`--node must be the node's operations URL (http://host:port or https://host:port), got "${node}" (${(error as Error).message})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ClientUsageError(`--node must use http or https, got "${url.protocol}"`);
  if ((tlsFiles.cert === undefined) !== (tlsFiles.key === undefined)) throw new ClientUsageError('--client-cert and --client-key go together');
  const read = (flag: string, file: string | undefined) => {
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new ClientCallError(`cannot read ${flag} ${file}: ${(error as Error).message}`, { cause: error });
    }
  };
  const caPem = read('--ca-file', tlsFiles.ca);
  const clientCertPem = read('--client-cert', tlsFiles.cert);
  const clientKeyPem = read('--client-key', tlsFiles.key);
  return { url, ...(caPem && { caPem }), ...(clientCertPem && { clientCertPem }), ...(clientKeyPem && { clientKeyPem }) };
}

export function callParticipation(
  target: ParticipationTarget,
  method: string,
  path: string,
  body?: Uint8Array,
  contentType = 'application/octet-stream',
): Promise<Answer> {
  const url = new URL(path, target.url);
  const options: https.RequestOptions = {
    method,
    timeout: PARTICIPATION_REQUEST_TIMEOUT_MS,
    headers: body === undefined ? {} : { 'Content-Type': contentType, 'Content-Length': body.length },
    ...(target.caPem && { ca: target.caPem }),
    ...(target.clientCertPem && { cert: target.clientCertPem, key: target.clientKeyPem }),
  };
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = transport.request(url, options, (response) => {
      const chunks: Buffer[] = [];
      let total = 0;
      response.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > ANSWER_BYTES_MAX) request.destroy(new Error(`answer over ${ANSWER_BYTES_MAX} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
    });
    request.on('timeout', () => request.destroy(new Error(`no answer within ${PARTICIPATION_REQUEST_TIMEOUT_MS} ms`)));
    request.on('error', (error) => reject(new ClientCallError(`${method} ${url.href} failed: ${error.message}`, { cause: error })));
    request.end(body);
  });
}

/** A multipart/form-data body of binary parts (RFC 7578), as osnadmin sends a join. */
export function multipartForm(parts: Readonly<Record<string, Uint8Array>>): { body: Buffer; contentType: string } {
  const boundary = `orderer-${randomBytes(12).toString('hex')}`;
  const chunks: Buffer[] = [];
  for (const [name, bytes] of Object.entries(parts)) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${name}.block"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
    );
    chunks.push(Buffer.from(bytes), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The answer's JSON when its status is `expected`; otherwise a ClientCallError with the status and the node's error text. */
export function expectStatus(answer: Answer, expected: number, what: string): unknown {
  if (answer.status !== expected) {
    let reason = answer.body;
    try {
      reason = (JSON.parse(answer.body) as { error?: string }).error ?? answer.body;
    } catch (notJson) {
      // Not JSON (a proxy's page, a plain-text 404): show it as it came.
      reason = `${answer.body} (${(notJson as Error).name})`;
    }
    throw new ClientCallError(`${what}: the node answered HTTP ${answer.status}: ${reason.slice(0, 2000)}`);
  }
  return answer.body.length === 0 ? undefined : JSON.parse(answer.body);
}
