// Channel participation over the operations listener, shaped like Fabric's
// channel participation API (orderer/common/channelparticipation):
//   GET    /participation/v1/channels          list this node's channels
//   GET    /participation/v1/channels/{name}   one channel
//   POST   /participation/v1/channels          join: body = a config block
//   DELETE /participation/v1/channels/{name}   remove the channel from this node
// The node does the work (ChannelParticipation); this file is HTTP only:
// routing, a bounded body, and errors as {"error": "..."} with 400/404/405/409.

import type http from 'node:http';
import { OrdererError } from '../errors.js';
import { ParticipationRequestError } from './errors.js';
import { readJoinBody } from './participationBody.js';

export const PARTICIPATION_PREFIX = '/participation/v1/channels';

/** Fabric's statuses: this orderer has no follower/onboarding mode, so "active" or "failed" (halted). */
export type ChannelParticipationStatus = 'active' | 'onboarding' | 'inactive' | 'failed';
/** Fabric's consensus relations; this orderer only joins channels it is a consenter of. */
export type ConsensusRelation = 'consenter' | 'follower' | 'config-tracker' | 'other';

export interface ChannelInfo {
  readonly name: string;
  readonly status: ChannelParticipationStatus;
  readonly consensusRelation: ConsensusRelation;
  /** Blocks in this node's ledger of the channel. */
  readonly height: number;
}

/** What the node offers to the participation API. */
export interface ChannelParticipation {
  list(): readonly ChannelInfo[];
  info(name: string): ChannelInfo | undefined;
  /**
   * Creates the channel from its config block (and, for a config block after
   * block 0, the genesis block). Throws ChannelExistsError, or an OrdererError
   * naming what is wrong with the block.
   */
  join(configBlock: Uint8Array, genesisBlock?: Uint8Array): Promise<ChannelInfo>;
  /** Stops the channel on this node and forgets it. Throws ChannelNotFoundError. */
  remove(name: string): Promise<void>;
}

/** Join of a channel this node already has (409, as Fabric's ErrChannelAlreadyExists). */
export class ChannelExistsError extends OrdererError {
  constructor(name: string, detail = 'this node already has it') {
    super('CHANNEL_EXISTS', `cannot join channel "${name}": ${detail}`);
  }
}

/** A channel this node does not have (404). */
export class ChannelNotFoundError extends OrdererError {
  constructor(name: string) {
    super('CHANNEL_NOT_FOUND', `channel "${name}" is not on this node`);
  }
}

/** Fabric's channel name rule, also checked before a name reaches the node. */
const CHANNEL_NAME = /^[a-z][a-z0-9.-]{0,248}$/;

/** True when `path` (without query) is the participation API's; the caller then hands the request here. */
export function isParticipationPath(path: string): boolean {
  return path === PARTICIPATION_PREFIX || path.startsWith(`${PARTICIPATION_PREFIX}/`);
}

export async function handleParticipation(request: http.IncomingMessage, response: http.ServerResponse, participation: ChannelParticipation): Promise<void> {
  const path = (request.url ?? '/').split('?')[0]!;
  const rest = path.slice(PARTICIPATION_PREFIX.length);
  try {
    if (rest === '' || rest === '/') {
      await onCollection(request, response, participation);
    } else {
      const name = decodeURIComponent(rest.slice(1));
      if (!CHANNEL_NAME.test(name)) throw new ParticipationRequestError(`"${name}" is not a channel name (^[a-z][a-z0-9.-]*$, at most 249 characters)`);
      await onChannel(request, response, participation, name);
    }
  } catch (error) {
    request.resume();
    if (!(error instanceof OrdererError)) throw error;
    respondJson(response, statusOf(error), { error: `${error.code}: ${error.message}` });
  }
}

async function onCollection(request: http.IncomingMessage, response: http.ServerResponse, participation: ChannelParticipation): Promise<void> {
  if (request.method === 'GET' || request.method === 'HEAD') {
    request.resume();
    // Fabric's ChannelList shape; there is never a system channel here.
    respondJson(response, 200, { systemChannel: null, channels: participation.list().map(withUrl) });
    return;
  }
  if (request.method === 'POST') {
    const body = await readJoinBody(request);
    const info = await participation.join(body.configBlock, body.genesisBlock);
    response.setHeader('Location', channelUrl(info.name));
    respondJson(response, 201, withUrl(info));
    return;
  }
  methodNotAllowed(request, response, 'GET, HEAD, POST');
}

async function onChannel(request: http.IncomingMessage, response: http.ServerResponse, participation: ChannelParticipation, name: string): Promise<void> {
  if (request.method === 'GET' || request.method === 'HEAD') {
    request.resume();
    const info = participation.info(name);
    if (info === undefined) throw new ChannelNotFoundError(name);
    respondJson(response, 200, withUrl(info));
    return;
  }
  if (request.method === 'DELETE') {
    request.resume();
    await participation.remove(name);
    response.writeHead(204);
    response.end();
    return;
  }
  methodNotAllowed(request, response, 'GET, HEAD, DELETE');
}

function methodNotAllowed(request: http.IncomingMessage, response: http.ServerResponse, allow: string): void {
  request.resume();
  response.setHeader('Allow', allow);
  respondJson(response, 405, { error: `method ${request.method ?? '?'} is not allowed here (allowed: ${allow})` });
}

function statusOf(error: OrdererError): number {
  if (error instanceof ChannelNotFoundError) return 404;
  if (error instanceof ChannelExistsError) return 409;
  if (error instanceof ParticipationRequestError) return error.httpStatus;
  // Anything else the node throws names what is wrong with the request (a bad block, a channel it cannot serve).
  return 400;
}

function channelUrl(name: string): string {
  return `${PARTICIPATION_PREFIX}/${encodeURIComponent(name)}`;
}

function withUrl(info: ChannelInfo): ChannelInfo & { url: string } {
  return { name: info.name, url: channelUrl(info.name), status: info.status, consensusRelation: info.consensusRelation, height: info.height };
}

function respondJson(response: http.ServerResponse, statusCode: number, body: object): void {
  response.writeHead(statusCode, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}
