// A worker's built contexts, keyed by the id the front assigned. Bounded:
// a context the front released is never used again and ages out; one that is
// evicted while still in use costs one `contextMissing` round trip.

import assert from 'node:assert/strict';
import type { OrdererIdentity } from '../block/index.js';
import { LruCache } from '../crypto/index.js';
import { ordererIdentityOf } from './blockTasks.js';
import type { ContextId, ContextRef, ContextSpec } from './protocol.js';
import { VerificationContext } from './verifyEnvelopes.js';

/** Channels (plus signing identities) a worker keeps built at once. */
export const WORKER_CONTEXTS_MAX = 1024;

export type BuiltContext =
  | { readonly kind: 'verification'; readonly context: VerificationContext }
  | { readonly kind: 'signer'; readonly identity: OrdererIdentity };

/** Parses a spec: CA certificates or the private key are checked here (throws OrdererError subclasses). */
export function buildContext(spec: ContextSpec): BuiltContext {
  switch (spec.kind) {
    case 'verification':
      return { kind: 'verification', context: new VerificationContext(spec) };
    case 'signer':
      return { kind: 'signer', identity: ordererIdentityOf(spec) };
  }
}

export class ContextCache {
  readonly #built = new LruCache<ContextId, BuiltContext>(WORKER_CONTEXTS_MAX);

  /** The built context of `ref`, building it from `ref.spec` if attached; undefined when unknown and no spec came. */
  resolve(ref: ContextRef): BuiltContext | undefined {
    const cached = this.#built.get(ref.id);
    if (cached !== undefined) {
      assert.ok(ref.spec === undefined || ref.spec.kind === cached.kind, `context ${ref.id} changed kind`);
      return cached;
    }
    if (ref.spec === undefined) return undefined;
    const built = buildContext(ref.spec);
    this.#built.set(ref.id, built);
    return built;
  }
}
