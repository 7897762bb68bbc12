// The harness's gRPC client of orderer.AtomicBroadcast. As the shared
// client, plus retries off: grpc-js otherwise keeps every written message in
// a retry buffer and schedules a callback per message, a cost per envelope
// the harness must not pay (an envelope that fails is counted, not resent).

import * as grpc from '@grpc/grpc-js';
import { ATOMIC_BROADCAST_SERVICE } from '../../block/index.js';

const AtomicBroadcastClient = grpc.makeGenericClientConstructor(ATOMIC_BROADCAST_SERVICE, 'AtomicBroadcast');

export function connectBench(address: string, tlsCaPem: string | undefined, serverNameOverride: string | undefined): grpc.Client {
  const credentials = tlsCaPem === undefined ? grpc.credentials.createInsecure() : grpc.credentials.createSsl(Buffer.from(tlsCaPem));
  return new AtomicBroadcastClient(address, credentials, {
    'grpc.max_receive_message_length': 100 * 1024 * 1024,
    'grpc.max_send_message_length': 100 * 1024 * 1024,
    'grpc.enable_retries': 0,
    ...(serverNameOverride !== undefined && { 'grpc.ssl_target_name_override': serverNameOverride, 'grpc.default_authority': serverNameOverride }),
  });
}
