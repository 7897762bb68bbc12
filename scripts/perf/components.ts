// Which part of an orderer a main-thread sample belongs to. A sample goes to
// the component of the frame nearest its leaf that names one: V8 builtins,
// libc and node's own JavaScript (streams, events, timers) count for the code
// of ours that called them; the kernel, OpenSSL and nghttp2 are components of
// their own whoever called them (the CPU they take is not this repository's
// code). What no frame names is node's machinery run for no code of ours, or
// the runtime.

import type { Stack } from './stacks.js';

export interface Component {
  readonly name: string;
  /** Matched against each frame, "<symbol> (<dso>)". */
  readonly frame: RegExp;
}

/** In order: where a frame matches several, the first wins. */
export const COMPONENTS: readonly Component[] = [
  { name: 'GC on the main thread (scavenges, marking steps)', frame: /Heap::CollectGarbage|Scavenge|MinorGC|MarkCompact|IncrementalMarking|GCTracer|Sweeper/ },
  { name: 'kernel (TCP, epoll, futex, page faults)', frame: /\[kernel\.kallsyms\]/ },
  { name: 'TLS (OpenSSL)', frame: /SSL_|ssl3_|tls13|_aesni|gcm_|ossl_|EVP_|TLSWrap/ },
  { name: 'HTTP/2 (nghttp2 and node:http2)', frame: /nghttp2|Http2Session|Http2Stream|node:internal\/http2/ },
  { name: 'duplicate tx-id check (in flight, recent window, ledger index)', frame: /txTracker\.js|txIdHashes|txIdHorizon|txLocation|lmdbTxIndex/ },
  { name: 'metrics', frame: /prom-client|burstHistogram|\/metrics\.js/ },
  { name: 'logging', frame: /pino/ },
  { name: 'pool: Piscina dispatch and results', frame: /piscina/ },
  {
    name: 'pool: packing, verdicts, postMessage',
    frame: /dist\/src\/workers\/|dist\/src\/chain\/compute\/|MessagePort|messageport|ValueDeserializer|ValueSerializer|worker::Message/,
  },
  { name: 'storage (WAL and ledger writes, LMDB, crc32)', frame: /dist\/src\/storage\/|lmdb|crc32/ },
  { name: 'Deliver', frame: /dist\/src\/server\/deliver/ },
  { name: 'Broadcast intake (framing, routing, submit, answers)', frame: /dist\/src\/server\/|grpcFraming|envelopeFields|dist\/src\/chain\/submit\// },
  { name: 'cluster transport (frames, peer links, grpc-js)', frame: /dist\/src\/cluster\/|grpc-js|msgpackr|transportBinding|channelTransport/ },
  { name: 'Raft core', frame: /dist\/src\/raft\// },
  { name: 'Ready loop, leader pipeline, cutter, apply', frame: /dist\/src\/chain\/|dist\/src\/block\// },
];

/** Node's own JavaScript: attributed to whoever of ours called it. */
const NODE_JS = /JS:\S*\s+node:/;
export const NODE_MACHINERY = "node's JavaScript with no caller of ours (timers, streams)";
export const UNATTRIBUTED = 'event loop (libuv), V8 runtime, malloc without a stack';

export function componentOf(stack: Stack, components: readonly Component[] = COMPONENTS): string {
  let sawNodeJs = false;
  for (const frame of stack) {
    if (NODE_JS.test(frame) && !frame.includes('http2')) {
      sawNodeJs = true;
      continue;
    }
    for (const component of components) if (component.frame.test(frame)) return component.name;
  }
  return sawNodeJs ? NODE_MACHINERY : UNATTRIBUTED;
}

export interface BreakdownRow {
  readonly component: string;
  readonly samples: number;
  /** Of all samples given. */
  readonly share: number;
}

/** Samples per component, most first. */
export function breakdown(stacks: readonly Stack[], components: readonly Component[] = COMPONENTS): BreakdownRow[] {
  const counts = new Map<string, number>();
  for (const stack of stacks) {
    const name = componentOf(stack, components);
    counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return [...counts]
    .map(([component, samples]) => ({ component, samples, share: samples / stacks.length }))
    .sort((a, b) => b.samples - a.samples || a.component.localeCompare(b.component));
}
