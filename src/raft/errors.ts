// Operating errors of the Raft core: each has a stable `code` (the same shape
// as the project's OrdererError, which this folder may not import because
// src/raft/ imports nothing from outside itself).

export type RaftErrorCode =
  | 'proposal-dropped'
  | 'step-local-msg'
  | 'step-peer-not-found'
  | 'invalid-config'
  | 'conf-change-unsupported'
  | 'conf-change-invalid';

export class RaftError extends Error {
  constructor(
    readonly code: RaftErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'RaftError';
  }
}

/** A proposal was not appended: no leader, a leader transfer is in progress, or a size limit. */
export class ProposalDroppedError extends RaftError {
  constructor(message = 'raft proposal dropped') {
    super('proposal-dropped', message);
    this.name = 'ProposalDroppedError';
  }
}
