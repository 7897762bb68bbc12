// gRPC messages out of a Deliver stream's DATA chunks, for a reader that is
// done with each message before the next chunk: a block spans many chunks,
// and rather than join them into a new buffer per block (as much external
// memory as the blocks themselves, which drives V8's major GCs on the
// harness's platform threads), they are copied into one buffer kept for the
// stream and grown to the largest block seen. A message lying whole in one
// chunk is handed over in place.

const PREFIX_BYTES = 5;

/** A message that is not an uncompressed gRPC message within the size limit. */
export class BlockFramingError extends Error {
  override readonly name = 'BlockFramingError';
}

export class BlockFramer {
  #buf: Buffer = Buffer.alloc(64 * 1024);
  /** Bytes of the unfinished message in #buf (its prefix first). */
  #have = 0;
  /** Bytes the unfinished message needs in all: the prefix alone until that is in. */
  #needed = PREFIX_BYTES;

  constructor(private readonly maxMessageBytes: number) {}

  /** Each message `chunk` completes, in order, to `onMessage`; its bytes are valid only during the call. Returns false if onMessage did. */
  push(chunk: Buffer, onMessage: (message: Buffer) => boolean | undefined): boolean {
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#have === 0) {
        // Whole messages in the chunk: in place.
        const left = chunk.length - offset;
        if (left >= PREFIX_BYTES) {
          const length = this.#length(chunk, offset);
          if (left >= PREFIX_BYTES + length) {
            if (onMessage(chunk.subarray(offset + PREFIX_BYTES, offset + PREFIX_BYTES + length)) === false) return false;
            offset += PREFIX_BYTES + length;
            continue;
          }
        }
      }
      const take = Math.min(this.#needed - this.#have, chunk.length - offset);
      chunk.copy(this.#buf, this.#have, offset, offset + take);
      this.#have += take;
      offset += take;
      if (this.#have < this.#needed) break;
      if (this.#needed === PREFIX_BYTES) {
        this.#needed = PREFIX_BYTES + this.#length(this.#buf, 0);
        if (this.#needed > this.#buf.length) {
          const grown = Buffer.alloc(Math.max(this.#needed, this.#buf.length * 2));
          this.#buf.copy(grown, 0, 0, PREFIX_BYTES);
          this.#buf = grown;
        }
        if (this.#needed > PREFIX_BYTES) continue;
      }
      const message = this.#buf.subarray(PREFIX_BYTES, this.#needed);
      this.#have = 0;
      this.#needed = PREFIX_BYTES;
      if (onMessage(message) === false) return false;
    }
    return true;
  }

  #length(bytes: Buffer, at: number): number {
    if (bytes[at] !== 0) throw new BlockFramingError('Received a compressed message (the harness asks for none)');
    const length = bytes.readUInt32BE(at + 1);
    if (length > this.maxMessageBytes) throw new BlockFramingError(`Received message larger than max (${length} vs. ${this.maxMessageBytes})`);
    return length;
  }
}
