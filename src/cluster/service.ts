// The gRPC service `orderer.Cluster`, defined without a .proto file: one
// bidirectional stream of opaque byte frames (see frames.ts) each way. The
// (de)serializers are the identity on Buffers, so grpc-js does no copying or
// parsing of its own; frame decoding happens where errors can be attributed
// to an authenticated peer.

import type { ServiceDefinition } from '@grpc/grpc-js';

export const CLUSTER_STEP_PATH = '/orderer.Cluster/Step';

const identity = (bytes: Buffer): Buffer => bytes;

export const clusterServiceDefinition = {
  Step: {
    path: CLUSTER_STEP_PATH,
    requestStream: true,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} satisfies ServiceDefinition;

export { identity as passBytes };
