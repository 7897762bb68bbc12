import { RaftError } from './errors.js';
import { ConfChangeType, type ConfChange } from './types.js';

// Stable binary encoding of a ConfChange (v1), the data of an
// EntryConfChange entry. Layout (big-endian):
//   u8 version (=1) | u8 type | u64 nodeId | u32 contextLength | context bytes
// nodeId must be a safe integer (< 2^53), like every id in the core.

const version = 1;
const headerBytes = 1 + 1 + 8 + 4;

export function encodeConfChange(cc: ConfChange): Uint8Array {
  if (!Number.isSafeInteger(cc.nodeId) || cc.nodeId < 0) {
    throw new RaftError('conf-change-invalid', `conf change nodeId must be a safe non-negative integer, got ${cc.nodeId}`);
  }
  if (!(cc.type in ConfChangeType)) {
    throw new RaftError('conf-change-invalid', `conf change type ${String(cc.type)} is unknown`);
  }
  const context = cc.context ?? new Uint8Array(0);
  const out = new Uint8Array(headerBytes + context.length);
  const view = new DataView(out.buffer);
  view.setUint8(0, version);
  view.setUint8(1, cc.type);
  view.setBigUint64(2, BigInt(cc.nodeId));
  view.setUint32(10, context.length);
  out.set(context, headerBytes);
  return out;
}

export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.length < headerBytes) {
    throw new RaftError('conf-change-invalid', `conf change encoding too short: ${data.length} bytes`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const v = view.getUint8(0);
  if (v !== version) throw new RaftError('conf-change-invalid', `conf change encoding version ${v} is unknown`);
  const type = view.getUint8(1);
  if (!(type in ConfChangeType)) throw new RaftError('conf-change-invalid', `conf change type ${type} is unknown`);
  const nodeId = view.getBigUint64(2);
  if (nodeId > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new RaftError('conf-change-invalid', `conf change nodeId ${nodeId} exceeds 2^53 - 1`);
  }
  const contextLength = view.getUint32(10);
  if (headerBytes + contextLength !== data.length) {
    throw new RaftError('conf-change-invalid', `conf change context length ${contextLength} does not match ${data.length - headerBytes} bytes`);
  }
  const cc: ConfChange = { type: type as ConfChangeType, nodeId: Number(nodeId) };
  return contextLength > 0 ? { ...cc, context: data.slice(headerBytes) } : cc;
}
