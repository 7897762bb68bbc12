// The Raft ids other than its own that this node's cluster transport answers
// to: each channel that removed the node and added it back numbered it anew,
// and two channels may give it the same new id (each counts its own
// next_consenter_id). An id is released from the transport only when the last
// channel running under it stops or moves on: released while another channel
// still ran as it, that channel's next message failed ("sendConsensus from 5,
// which is not an id of this node") and halted it.

/** The transport's side (GrpcClusterTransport). */
export interface LocalIdTransport {
  addLocalId(id: number): void;
  removeLocalId(id: number): void;
}

export class LocalRaftIds {
  /** Channels running under each id other than nodeId. Invariant: every count >= 1; the transport answers to exactly these ids besides nodeId. */
  readonly #users = new Map<number, number>();

  constructor(
    private readonly nodeId: number,
    private readonly transport: LocalIdTransport,
  ) {}

  /** A channel runs as `raftId` from now on. */
  take(raftId: number): void {
    if (raftId === this.nodeId) return;
    const users = this.#users.get(raftId) ?? 0;
    if (users === 0) this.transport.addLocalId(raftId);
    this.#users.set(raftId, users + 1);
  }

  /** A channel that ran as `raftId` stopped (or runs under another id now). */
  release(raftId: number): void {
    if (raftId === this.nodeId) return;
    const users = this.#users.get(raftId) ?? 0;
    if (users > 1) {
      this.#users.set(raftId, users - 1);
      return;
    }
    this.#users.delete(raftId);
    if (users === 1) this.transport.removeLocalId(raftId);
  }
}
