/**
 * Raw little-endian signed 16-bit PCM to mono float, across chunk boundaries
 * (a chunk may end in the middle of a sample or a frame).
 * @module
 */

/** Stateful s16le decoder with channel downmix. */
export class S16Decoder {
  #channels: number;
  #carry = new Uint8Array(0);

  constructor(channels = 1) {
    if (!Number.isInteger(channels) || channels < 1) {
      throw new RangeError(`pcm: channels must be a positive integer (got ${channels})`);
    }
    this.#channels = channels;
  }

  /** Decode the whole frames in `carry + bytes`; keep the remainder. */
  push(bytes: Uint8Array): Float32Array {
    let data = bytes;
    if (this.#carry.length) {
      data = new Uint8Array(this.#carry.length + bytes.length);
      data.set(this.#carry);
      data.set(bytes, this.#carry.length);
    }
    const frameBytes = 2 * this.#channels;
    const frames = Math.floor(data.length / frameBytes);
    const used = frames * frameBytes;
    this.#carry = data.slice(used);
    const view = new DataView(data.buffer, data.byteOffset, used);
    const out = new Float32Array(frames);
    const ch = this.#channels;
    for (let f = 0, p = 0; f < frames; f++) {
      let sum = 0;
      for (let c = 0; c < ch; c++, p += 2) sum += view.getInt16(p, true);
      out[f] = sum / ch / 32768;
    }
    return out;
  }

  /** Bytes left over at the end of the stream (a partial frame). */
  get leftover(): number {
    return this.#carry.length;
  }
}
