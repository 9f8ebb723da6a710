/**
 * Minimal NumPy .npy (format 1.0) writer and reader for little-endian float32
 * arrays: the train/serve feature exchange format.
 * @module
 */

/** Encode a C-order float32 array of the given shape as .npy bytes. */
export function encodeNpy(data: Float32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length) {
    throw new RangeError(`npy: shape [${shape}] holds ${count} values, data has ${data.length}`);
  }
  const shapeStr = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shapeStr}, }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const out = new Uint8Array(10 + header.length + data.length * 4);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < data.length; i++) body.setFloat32(i * 4, data[i], true);
  return out;
}

/** Decode a little-endian float32 .npy file (format 1.0 or 2.0). */
export function decodeNpy(
  bytes: Uint8Array,
  name = "npy",
): { shape: number[]; data: Float32Array } {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 10 || magic.some((m, i) => bytes[i] !== m)) {
    throw new Error(`${name}: not a .npy file`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6];
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const hstart = major === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(hstart, hstart + hlen));
  if (!/'descr':\s*'<f4'/.test(header)) throw new Error(`${name}: only <f4 arrays are supported`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${name}: Fortran order unsupported`);
  const m = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!m) throw new Error(`${name}: header has no shape`);
  const shape = m[1].split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const start = hstart + hlen;
  if (bytes.length - start < count * 4) throw new Error(`${name}: truncated data`);
  const data = new Float32Array(count);
  const body = new DataView(bytes.buffer, bytes.byteOffset + start, count * 4);
  for (let i = 0; i < count; i++) data[i] = body.getFloat32(i * 4, true);
  return { shape, data };
}
