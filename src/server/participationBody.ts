// The body of a join request: the config block, either raw
// (Content-Type: application/octet-stream) or, as Fabric's osnadmin sends it,
// the `config-block` part of a multipart/form-data body; a form may add a
// `genesis-block` part (ours, not Fabric's) for a config block after block 0. Read with a byte
// bound so a client cannot make the node buffer an unbounded body.

import type http from 'node:http';
import { ParticipationRequestError } from './errors.js';

/** A block must fit one 100 MiB gRPC message; the form's framing adds a little. */
export const JOIN_BODY_BYTES_MAX = 100 * 1024 * 1024 + 64 * 1024;
const FORM_FIELD = 'config-block';
const GENESIS_FIELD = 'genesis-block';

export interface JoinBody {
  readonly configBlock: Uint8Array;
  readonly genesisBlock: Uint8Array | undefined;
}

export async function readJoinBody(request: http.IncomingMessage, bodyBytesMax = JOIN_BODY_BYTES_MAX): Promise<JoinBody> {
  const contentType = (request.headers['content-type'] ?? '').toLowerCase();
  const isRaw = contentType === '' || contentType.startsWith('application/octet-stream');
  const boundary = /^multipart\/form-data;.*boundary="?([^";]+)"?/i.exec(request.headers['content-type'] ?? '')?.[1];
  if (!isRaw && boundary === undefined) {
    throw new ParticipationRequestError(`Content-Type must be application/octet-stream or multipart/form-data with a boundary, got "${contentType}"`, 415);
  }
  const body = await readBounded(request, bodyBytesMax);
  const block = boundary === undefined ? body : formPart(body, boundary, FORM_FIELD);
  if (block === undefined) throw new ParticipationRequestError(`the multipart form has no "${FORM_FIELD}" part`);
  if (block.length === 0) throw new ParticipationRequestError('the request carries no config block (empty body)');
  const genesisBlock = boundary === undefined ? undefined : formPart(body, boundary, GENESIS_FIELD);
  return { configBlock: block, genesisBlock };
}

async function readBounded(request: http.IncomingMessage, bodyBytesMax: number): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > bodyBytesMax) throw new ParticipationRequestError(`the body is ${declared} bytes, at most ${bodyBytesMax} are accepted`, 413);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > bodyBytesMax) {
      request.destroy();
      throw new ParticipationRequestError(`the body exceeds ${bodyBytesMax} bytes`, 413);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** The content of the form part named `field` (RFC 7578): between its blank line and the next delimiter; undefined if absent. */
export function formPart(body: Buffer, boundary: string, field: string): Uint8Array | undefined {
  const delimiter = Buffer.from(`--${boundary}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const headersStart = at + delimiter.length + 2; // past the delimiter's CRLF
    const headersEnd = body.indexOf('\r\n\r\n', headersStart);
    if (headersEnd < 0) break;
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headersEnd);
    if (next < 0) break;
    const headers = body.subarray(headersStart, headersEnd).toString('latin1');
    if (new RegExp(`content-disposition:[^\\r\\n]*\\bname="${field}"`, 'i').test(headers)) {
      return new Uint8Array(body.subarray(headersEnd + 4, next));
    }
    at = next + 2;
  }
  return undefined;
}
