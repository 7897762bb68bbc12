// The lifecycle of one chain: Created → Starting → Running → (Halted) → Closed.
// A start that fails (e.g. no genesis block for an empty ledger) returns to
// Created so it can be fixed and started again; close() may come at any time,
// during the start's bootstrap write included (the start then gives up).

import assert from 'node:assert/strict';
import { ServiceUnavailableError } from './errors.js';

export enum Lifecycle {
  Created,
  Starting,
  Running,
  /** Stopped serving after a failure it cannot recover from; answers SERVICE_UNAVAILABLE until restarted. */
  Halted,
  Closed,
}

export class ChainLifecycle {
  #state = Lifecycle.Created;
  /** Set by halt(): what submitters of a halted chain are told. */
  #haltedBecause: string | undefined;

  constructor(private readonly channelId: string) {}

  get state(): Lifecycle {
    return this.#state;
  }

  get running(): boolean {
    return this.#state === Lifecycle.Running;
  }

  get closed(): boolean {
    return this.#state === Lifecycle.Closed;
  }

  /** Created → Starting; a chain starts once (ServiceUnavailableError otherwise). */
  beginStart(): void {
    if (this.#state !== Lifecycle.Created) throw new ServiceUnavailableError(`channel "${this.channelId}" was already started`);
    this.#state = Lifecycle.Starting;
  }

  /** The start failed: Starting → Created (unless close() came meanwhile). */
  startFailed(): void {
    if (this.#state === Lifecycle.Starting) this.#state = Lifecycle.Created;
  }

  /** Still starting after the start's awaits (false: close() came meanwhile, the start gives up). */
  get starting(): boolean {
    return this.#state === Lifecycle.Starting;
  }

  /** Starting → Running. */
  started(): void {
    assert.equal(this.#state, Lifecycle.Starting, 'a chain runs only after starting');
    this.#state = Lifecycle.Running;
  }

  /**
   * Running → Halted; false when not running (a closed or halted chain halts
   * no more). `publicReason`: what submitters are told (e.g. an eviction);
   * without it they are pointed at the log (internal failures stay there).
   */
  halt(publicReason?: string): boolean {
    if (this.#state !== Lifecycle.Running) return false;
    this.#state = Lifecycle.Halted;
    this.#haltedBecause = publicReason;
    return true;
  }

  /** Any state → Closed; true when the chain had come alive (running or halted), so its parts must be stopped. */
  close(): boolean {
    const wasAlive = this.#state === Lifecycle.Running || this.#state === Lifecycle.Halted;
    this.#state = Lifecycle.Closed;
    return wasAlive;
  }

  /** Why the chain takes no envelope now, undefined while it runs. */
  unavailableReason(): string | undefined {
    if (this.#state === Lifecycle.Running) return undefined;
    if (this.#state === Lifecycle.Halted)
      return `channel "${this.channelId}" is halted${this.#haltedBecause === undefined ? ' (see the orderer log)' : `: ${this.#haltedBecause}`}`;
    return `channel "${this.channelId}" is not running`;
  }
}
