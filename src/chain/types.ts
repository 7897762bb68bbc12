// What the client-facing server needs from one channel on this node. The
// chain layer implements it; server/ depends only on this contract.

/** Fabric's common.Status values used on the client API. */
export type ClientStatus = 'SUCCESS' | 'BAD_REQUEST' | 'FORBIDDEN' | 'NOT_FOUND' | 'SERVICE_UNAVAILABLE' | 'INTERNAL_SERVER_ERROR';

export interface SubmitResult {
  readonly status: ClientStatus;
  /** Says what was wrong (empty on SUCCESS), e.g. "no Raft leader", "signature does not verify". */
  readonly info: string;
}

/**
 * When Broadcast answers SUCCESS: 'accepted' once the envelope entered the
 * leader's block cutter (Fabric's behaviour; a leader crash can still lose
 * it), 'committed' once its block is committed by a Raft quorum (and applied
 * on the answering node).
 */
export type AckMode = 'accepted' | 'committed';

export interface SubmitOptions {
  /** Default 'accepted'. */
  readonly ack?: AckMode;
  /** 'committed': answer SERVICE_UNAVAILABLE when the block has not committed within this time. */
  readonly ackTimeoutMs?: number;
}

/** How long a 'committed' submit waits for its block by default. */
export const DEFAULT_ACK_TIMEOUT_MS = 10_000;

export interface DeliverAuthorization extends SubmitResult {
  /**
   * On SUCCESS: until when (ms since epoch) the requester's identity is valid;
   * the session ends then (Fabric's SessionAccessControl). Read from the
   * certificate the channel checked, so the server never parses it again.
   */
  readonly validUntilMs?: number;
}

export interface ChannelSupport {
  readonly channelId: string;
  /**
   * Verifies `envelope` (in the worker pool) and hands it to ordering: on the
   * leader into the block cutter, on a follower forwarded to the leader.
   * Resolves with SUCCESS once accepted for ordering (as Fabric: not yet
   * committed), or with `ack: 'committed'` once its block is committed (info
   * "committed in block n"). A tx id already ordered or in flight is not
   * ordered again: SUCCESS with info "duplicate: ..." (see SERVER.md). Waits
   * while the leader is at max_inflight_blocks (backpressure); never
   * rejects — every failure is a SubmitResult.
   */
  submit(envelope: Uint8Array, options?: SubmitOptions): Promise<SubmitResult>;
  /**
   * submit() for the envelopes of one read burst of a stream: one result per
   * envelope, in order, with one promise for all of them (the envelopes are
   * verified and handed to ordering together). Never rejects. The envelopes
   * are lent: read and kept (until ordered), never written or transferred,
   * so a caller may pass views into a larger receive buffer without a copy.
   */
  submitAll(envelopes: readonly Uint8Array[], options?: SubmitOptions): Promise<SubmitResult[]>;
  /**
   * Checks a Deliver request envelope: well-formed, for this channel, signed
   * by an identity of one of the channel's organizations. Never rejects.
   */
  authorizeDeliver(envelope: Uint8Array): Promise<DeliverAuthorization>;
  /** Number of committed, durable blocks (= number of the next block). */
  height(): number;
  /** Marshaled block `number` (< height()). */
  block(number: number): Uint8Array;
  /**
   * Marshaled block `number` (< height()) as the pieces it is held in: their
   * concatenation is block(number). A block the node assembled from its Raft
   * entry's bytes and its own metadata is two pieces, never joined here.
   */
  blockPieces(number: number): readonly Uint8Array[];
  /** Resolves when block `number` is durable; rejects if `signal` aborts or the channel closes. */
  waitForBlock(number: number, signal?: AbortSignal): Promise<void>;
  status(): ChannelStatus;
}

export interface ChannelStatus {
  readonly channelId: string;
  readonly nodeId: number;
  /** 0 when no leader is known. */
  readonly leaderId: number;
  readonly isLeader: boolean;
  readonly height: number;
  readonly raftTerm: number;
  readonly clusterSize: number;
}

/** The channels this node serves. */
export interface ChannelRegistry {
  get(channelId: string): ChannelSupport | undefined;
  list(): readonly ChannelSupport[];
}
