// SM3 hash (GB/T 32905-2016), pure TypeScript. Written here because neither
// @noble/hashes nor @noble/curves ship SM3. Structure follows the standard:
// SHA-256-style Merkle-Damgård padding, 68-word message expansion, 64 rounds.

const BLOCK_BYTES = 64;
const DIGEST_BYTES = 32;

const IV = new Uint32Array([0x7380166f, 0x4914b2b9, 0x172442d7, 0xda8a0600, 0xa96f30bc, 0x163138aa, 0xe38dee4d, 0xb0fb0e4e]);

/** rotl(T_j, j mod 32) precomputed: T_j = 0x79cc4519 for j < 16, 0x7a879d8a after. */
const ROUND_CONSTANTS = (() => {
  const t = new Uint32Array(64);
  for (let j = 0; j < 64; j++) {
    const tj = j < 16 ? 0x79cc4519 : 0x7a879d8a;
    t[j] = rotl(tj, j % 32);
  }
  return t;
})();

function rotl(x: number, n: number): number {
  return ((x << n) | (x >>> (32 - n))) >>> 0;
}

const p0 = (x: number): number => x ^ rotl(x, 9) ^ rotl(x, 17);
const p1 = (x: number): number => x ^ rotl(x, 15) ^ rotl(x, 23);

/** Incremental SM3. One instance hashes one message; `digest()` finishes it. */
export class Sm3 {
  // Chaining value V_i (8 words).
  readonly #state = new Uint32Array(IV);
  // Invariant: 0 <= #bufferedBytes < BLOCK_BYTES between calls.
  readonly #buffer = new Uint8Array(BLOCK_BYTES);
  #bufferedBytes = 0;
  // Total message length in bytes; Number is exact up to 2^53 bytes.
  #totalBytes = 0;
  #finished = false;
  // Scratch for the message expansion, reused across blocks.
  readonly #w = new Uint32Array(68);

  update(data: Uint8Array): this {
    if (this.#finished) throw new Error('Sm3.update after digest');
    let offset = 0;
    this.#totalBytes += data.length;
    if (this.#bufferedBytes > 0) {
      const take = Math.min(BLOCK_BYTES - this.#bufferedBytes, data.length);
      this.#buffer.set(data.subarray(0, take), this.#bufferedBytes);
      this.#bufferedBytes += take;
      offset = take;
      if (this.#bufferedBytes < BLOCK_BYTES) return this;
      this.#compress(this.#buffer, 0);
      this.#bufferedBytes = 0;
    }
    // Whole blocks straight from the input, no copy.
    for (; offset + BLOCK_BYTES <= data.length; offset += BLOCK_BYTES) this.#compress(data, offset);
    if (offset < data.length) {
      this.#buffer.set(data.subarray(offset), 0);
      this.#bufferedBytes = data.length - offset;
    }
    return this;
  }

  digest(): Uint8Array {
    if (this.#finished) throw new Error('Sm3.digest called twice');
    this.#finished = true;
    const bitLength = this.#totalBytes * 8;
    const buf = this.#buffer;
    let used = this.#bufferedBytes;
    buf[used++] = 0x80;
    if (used > BLOCK_BYTES - 8) {
      buf.fill(0, used);
      this.#compress(buf, 0);
      used = 0;
    }
    buf.fill(0, used);
    const view = new DataView(buf.buffer, buf.byteOffset, BLOCK_BYTES);
    // 64-bit big-endian bit length, split because bitwise ops are 32-bit.
    view.setUint32(BLOCK_BYTES - 8, Math.floor(bitLength / 0x1_0000_0000));
    view.setUint32(BLOCK_BYTES - 4, bitLength >>> 0);
    this.#compress(buf, 0);
    const out = new Uint8Array(DIGEST_BYTES);
    const outView = new DataView(out.buffer);
    for (let i = 0; i < 8; i++) outView.setUint32(i * 4, this.#state[i]!);
    return out;
  }

  #compress(block: Uint8Array, offset: number): void {
    const w = this.#w;
    for (let j = 0; j < 16; j++) {
      const o = offset + j * 4;
      w[j] = ((block[o]! << 24) | (block[o + 1]! << 16) | (block[o + 2]! << 8) | block[o + 3]!) >>> 0;
    }
    for (let j = 16; j < 68; j++) {
      w[j] = (p1(w[j - 16]! ^ w[j - 9]! ^ rotl(w[j - 3]!, 15)) ^ rotl(w[j - 13]!, 7) ^ w[j - 6]!) >>> 0;
    }
    const v = this.#state;
    let a = v[0]!,
      b = v[1]!,
      c = v[2]!,
      d = v[3]!,
      e = v[4]!,
      f = v[5]!,
      g = v[6]!,
      h = v[7]!;
    for (let j = 0; j < 64; j++) {
      const a12 = rotl(a, 12);
      const ss1 = rotl((a12 + e + ROUND_CONSTANTS[j]!) >>> 0, 7);
      const ss2 = ss1 ^ a12;
      // W'_j = W_j xor W_{j+4}
      const wPrime = w[j]! ^ w[j + 4]!;
      const ff = j < 16 ? a ^ b ^ c : (a & b) | (a & c) | (b & c);
      const gg = j < 16 ? e ^ f ^ g : (e & f) | (~e & g);
      const tt1 = (ff + d + ss2 + wPrime) >>> 0;
      const tt2 = (gg + h + ss1 + w[j]!) >>> 0;
      d = c;
      c = rotl(b, 9);
      b = a;
      a = tt1;
      h = g;
      g = rotl(f, 19);
      f = e;
      e = p0(tt2) >>> 0;
    }
    v[0]! ^= a;
    v[1]! ^= b;
    v[2]! ^= c;
    v[3]! ^= d;
    v[4]! ^= e;
    v[5]! ^= f;
    v[6]! ^= g;
    v[7]! ^= h;
  }
}

/** SM3 digest of the concatenation of `parts`. */
export function sm3(...parts: Uint8Array[]): Uint8Array {
  const h = new Sm3();
  for (const part of parts) h.update(part);
  return h.digest();
}
