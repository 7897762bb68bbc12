// A client's choice of when Broadcast answers SUCCESS, per stream, through a
// gRPC request header: Fabric's Envelope and BroadcastResponse have no room
// for it, and every gRPC client can set call metadata without touching the
// messages (clients that do not set it get the node's default).

import type { AckMode, SubmitOptions } from '../chain/index.js';
import { truncate } from './clientText.js';

/** The request header naming the acknowledgement mode of a Broadcast stream. */
export const ACK_HEADER = 'orderer-ack';

const ACK_MODES: readonly AckMode[] = ['accepted', 'committed'];

/** The stream's submit options, or the BAD_REQUEST info when the header holds something else. */
export function ackChoiceOf(values: readonly string[], defaults: Required<SubmitOptions>): SubmitOptions | string {
  if (values.length === 0) return defaults;
  const value = String(values[0]);
  if (values.length > 1 || !(ACK_MODES as readonly string[]).includes(value)) {
    return `request header ${ACK_HEADER} must be one of ${ACK_MODES.join(', ')} (once), got "${truncate(values.map(String).join(','))}"`;
  }
  return { ack: value as AckMode, ackTimeoutMs: defaults.ackTimeoutMs };
}
