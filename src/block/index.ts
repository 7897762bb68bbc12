// The block layer's public front: Fabric's block and envelope model, its
// protobuf codec, header/data hashes, block cutter, block creator and block
// metadata, envelope building and ledger verification. Other layers import
// from here rather than from the files behind it.

export * from './model.js';
export { MalformedMessageError, MessageTooLargeError, type MalformedCode } from './errors.js';
export * from './codec/common.js';
export * from './codec/block.js';
export * from './codec/orderer.js';
export { readEnvelopeFields, readEnvelopeRouting, readTxIds, type EnvelopeFields, type EnvelopeRouting } from './envelopeFields.js';
export { BLOCK_ENTRY_MAGIC, decodeBlockEntry, encodeBlockEntry, type DecodedBlockEntry } from './blockEntry.js';
export { blockHeaderBytes, headerHash, dataHash, type HeaderFields } from './headerHash.js';
export {
  BlockCutter,
  DEFAULT_BATCH_SIZE,
  InvalidBatchSizeError,
  checkAbsoluteMaxBytes,
  messageSizeBytes,
  validateBatchSize,
  type BatchSize,
  type OrderedResult,
} from './blockCutter.js';
export { BlockCreator, createGenesisBlock, unsignedBlock } from './blockCreator.js';
export {
  BlockMetadataWriter,
  NONCE_BYTES,
  isConfigBlock,
  readBlockSignatures,
  readConsenterMetadata,
  readLastConfigEntry,
  type BlockConsenterInfo,
  type BlockMetadataWriterOptions,
  type BlockSignatureInfo,
  type OrdererIdentity,
} from './blockMetadata.js';
export { computeTxId, createSignedEnvelope, type EnvelopeCreator, type EnvelopeSpec } from './envelopeBuilder.js';
export { createSeekInfoEnvelope, readDeliverRequest, type DeliverRequest, type SeekInfoEnvelopeSpec } from './deliverRequest.js';
export {
  LedgerVerifier,
  formatBlockReport,
  BLOCK_FILE_BYTES_MAX,
  formatSummary,
  ledgerFileNames,
  verifyLedgerFiles,
  type BlockFailure,
  type BlockReport,
  type CreatorKey,
  type LedgerFile,
  type LedgerVerifyOptions,
} from './ledgerVerify.js';
export { createCreatorKeyResolver } from './creatorKey.js';
export * from './configtx/index.js';
export { ATOMIC_BROADCAST_SERVICE } from './atomicBroadcastService.js';
export {
  GRPC_INTERNAL,
  GRPC_RESOURCE_EXHAUSTED,
  GRPC_UNIMPLEMENTED,
  GrpcFramingError,
  GrpcMessageReader,
  frameMessages,
  framePieces,
} from './grpcFraming.js';
