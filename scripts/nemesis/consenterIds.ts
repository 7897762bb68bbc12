// Which node each Raft id names on each channel, as the membership fault
// changes them: keygen numbers the consenters 1..n on every channel (the
// node's id), and a consenter removed and added back gets the channel's next
// consenter id (n+1, n+2, ... per channel, as the channel's config numbers
// them). Each channel numbers on its own, so two channels can give one id to
// two nodes; the cluster transport keeps each channel's id list apart for that
// (src/cluster/PROTOCOL.md). The fault's line says when it happens, so a run
// shows that the collision was exercised.

export interface Readded {
  /** The node's new Raft id on the channel. */
  readonly id: number;
  /** Other channels on which `id` names another node ('' when none). */
  readonly collision: string;
}

export class ConsenterIds {
  /** channel -> (Raft id -> node). */
  readonly #byChannel = new Map<string, Map<number, number>>();
  readonly #next = new Map<string, number>();

  constructor(channels: readonly string[], nodes: readonly number[]) {
    for (const channel of channels) {
      this.#byChannel.set(channel, new Map(nodes.map((n) => [n, n])));
      this.#next.set(channel, Math.max(...nodes) + 1);
    }
  }

  /** `node` was removed from `channel` and added back: its new id, and where that id names another node. */
  readded(channel: string, node: number): Readded {
    const ids = this.#byChannel.get(channel);
    const id = this.#next.get(channel);
    if (ids === undefined || id === undefined) throw new Error(`no channel "${channel}" in this cluster`);
    for (const [raftId, n] of ids) if (n === node) ids.delete(raftId);
    ids.set(id, node);
    this.#next.set(channel, id + 1);
    const others = [...this.#byChannel].flatMap(([other, map]) => {
      const holder = map.get(id);
      return other !== channel && holder !== undefined && holder !== node ? [`consenter ${id} of ${other} is node ${holder}`] : [];
    });
    return { id, collision: others.join(', ') };
  }
}

/** The membership fault's outcome line. */
export function describeReadded(r: Readded): string {
  const collision = r.collision === '' ? '' : ` (${r.collision}: Raft ids collide across channels)`;
  return `added back as consenter ${r.id}${collision}`;
}
