// Fabric's `orderer.AtomicBroadcast` service (orderer/ab.proto) as a generic
// grpc-js definition. Messages travel as raw Buffers: the handlers decode them
// with the block layer's codec, so no protobuf library sits on the hot path and
// any client generated from ab.proto (e.g. @hyperledger/fabric-protos) works.

import type * as grpc from '@grpc/grpc-js';

const passThrough = (bytes: Buffer): Buffer => bytes;

function bidiStream(path: string, originalName: string): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path,
    originalName,
    requestStream: true,
    responseStream: true,
    requestSerialize: passThrough,
    requestDeserialize: passThrough,
    responseSerialize: passThrough,
    responseDeserialize: passThrough,
  };
}

/** `rpc Broadcast(stream common.Envelope) returns (stream BroadcastResponse)` and `rpc Deliver(...)`. */
export const ATOMIC_BROADCAST_SERVICE = {
  Broadcast: bidiStream('/orderer.AtomicBroadcast/Broadcast', 'broadcast'),
  Deliver: bidiStream('/orderer.AtomicBroadcast/Deliver', 'deliver'),
} satisfies grpc.ServiceDefinition;
