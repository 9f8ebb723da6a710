/**
 * Reads what earshot reports about an ONNX file without onnxruntime: IR
 * version, opsets, operators and the weights by bit width (initializers and
 * Constant tensors; MatMulNBits weights count at their `bits` attribute).
 * A minimal protobuf walker over the fields of onnx.proto that matter here.
 * @module
 */

/** ONNX TensorProto.DataType -> [name, bits]. */
const DTYPES: Record<number, [string, number]> = {
  1: ["float32", 32],
  2: ["uint8", 8],
  3: ["int8", 8],
  4: ["uint16", 16],
  5: ["int16", 16],
  6: ["int32", 32],
  7: ["int64", 64],
  9: ["bool", 8],
  10: ["float16", 16],
  11: ["float64", 64],
  16: ["bfloat16", 16],
  21: ["uint4", 4],
  22: ["int4", 4],
};

/** One weight tensor. */
export interface WeightInfo {
  name: string;
  dtype: string;
  /** Storage bits per weight (4 for MatMulNBits B even though packed in uint8). */
  bits: number;
  /** Number of weights (logical elements). */
  elements: number;
  /** Bytes in the file. */
  bytes: number;
}

/** What {@link readOnnxInfo} returns. */
export interface OnnxInfo {
  irVersion: number;
  opsets: Record<string, number>;
  producer: string;
  /** Operator counts, keyed "domain::Op" (domain omitted for ai.onnx). */
  ops: Record<string, number>;
  weights: WeightInfo[];
  /** Weights (elements) per bit width among float and integer weight tensors, e.g. {4: 9000, 8: 300, 32: 64}. */
  weightsByBits: Record<number, number>;
  metadata: Record<string, string>;
}

class Reader {
  pos = 0;
  constructor(readonly buf: Uint8Array, readonly end = buf.length) {}
  get done() {
    return this.pos >= this.end;
  }
  varint(): number {
    let result = 0;
    let mult = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new Error("truncated varint");
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mult;
      if (!(b & 0x80)) return result;
      mult *= 128;
    }
    throw new Error("bad varint");
  }
  /** Read one field: [fieldNumber, wireType, value or sub-range]. */
  field(): { f: number; w: number; v: number; start: number; len: number } {
    const key = this.varint();
    const f = Math.floor(key / 8);
    const w = key & 7;
    if (w === 0) return { f, w, v: this.varint(), start: 0, len: 0 };
    if (w === 1) {
      this.pos += 8;
      return { f, w, v: 0, start: this.pos - 8, len: 8 };
    }
    if (w === 5) {
      this.pos += 4;
      return { f, w, v: 0, start: this.pos - 4, len: 4 };
    }
    if (w === 2) {
      const len = this.varint();
      const start = this.pos;
      if (start + len > this.end) throw new Error("truncated field");
      this.pos += len;
      return { f, w, v: 0, start, len };
    }
    throw new Error(`unsupported wire type ${w}`);
  }
}

const text = (b: Uint8Array, s: number, l: number) =>
  new TextDecoder().decode(b.subarray(s, s + l));

interface Tensor {
  name: string;
  dtype: number;
  dims: number[];
  bytes: number;
}

function readTensor(buf: Uint8Array, start: number, len: number): Tensor {
  const r = new Reader(buf, start + len);
  r.pos = start;
  const t: Tensor = { name: "", dtype: 0, dims: [], bytes: 0 };
  while (!r.done) {
    const x = r.field();
    if (x.f === 1) {
      if (x.w === 2) {
        const p = new Reader(buf, x.start + x.len);
        p.pos = x.start;
        while (!p.done) t.dims.push(p.varint());
      } else t.dims.push(x.v);
    } else if (x.f === 2) t.dtype = x.v;
    else if (x.f === 8) t.name = text(buf, x.start, x.len);
    else if (x.w === 2 && x.f !== 8) t.bytes += x.len;
  }
  return t;
}

interface Node {
  op: string;
  domain: string;
  inputs: string[];
  attrs: Record<string, number>;
  tensors: Tensor[];
}

function readNode(buf: Uint8Array, start: number, len: number): Node {
  const r = new Reader(buf, start + len);
  r.pos = start;
  const n: Node = { op: "", domain: "", inputs: [], attrs: {}, tensors: [] };
  while (!r.done) {
    const x = r.field();
    if (x.f === 1) n.inputs.push(text(buf, x.start, x.len));
    else if (x.f === 4) n.op = text(buf, x.start, x.len);
    else if (x.f === 7) n.domain = text(buf, x.start, x.len);
    else if (x.f === 5) {
      const a = new Reader(buf, x.start + x.len);
      a.pos = x.start;
      let name = "";
      let i: number | undefined;
      while (!a.done) {
        const y = a.field();
        if (y.f === 1) name = text(buf, y.start, y.len);
        else if (y.f === 3) i = y.v;
        else if (y.f === 5) n.tensors.push(readTensor(buf, y.start, y.len));
      }
      if (i !== undefined) n.attrs[name] = i;
    }
  }
  return n;
}

/** Parse an ONNX model's bytes. Throws on anything that is not an ONNX ModelProto. */
export function readOnnxInfo(bytes: Uint8Array): OnnxInfo {
  const r = new Reader(bytes);
  const info: OnnxInfo = {
    irVersion: 0,
    opsets: {},
    producer: "",
    ops: {},
    weights: [],
    weightsByBits: {},
    metadata: {},
  };
  let graph: [number, number] | null = null;
  while (!r.done) {
    const x = r.field();
    if (x.f === 1 && x.w === 0) info.irVersion = x.v;
    else if (x.f === 2 && x.w === 2) info.producer = text(bytes, x.start, x.len);
    else if (x.f === 7 && x.w === 2) graph = [x.start, x.len];
    else if (x.f === 8 && x.w === 2) {
      const o = new Reader(bytes, x.start + x.len);
      o.pos = x.start;
      let domain = "";
      let version = 0;
      while (!o.done) {
        const y = o.field();
        if (y.f === 1) domain = text(bytes, y.start, y.len);
        else if (y.f === 2) version = y.v;
      }
      info.opsets[domain || "ai.onnx"] = version;
    } else if (x.f === 14 && x.w === 2) {
      const o = new Reader(bytes, x.start + x.len);
      o.pos = x.start;
      let key = "";
      let value = "";
      while (!o.done) {
        const y = o.field();
        if (y.f === 1) key = text(bytes, y.start, y.len);
        else if (y.f === 2) value = text(bytes, y.start, y.len);
      }
      info.metadata[key] = value;
    }
  }
  if (!graph || info.irVersion === 0) throw new Error("not an ONNX model (no graph or IR version)");
  const g = new Reader(bytes, graph[0] + graph[1]);
  g.pos = graph[0];
  const tensors: Tensor[] = [];
  const nodes: Node[] = [];
  while (!g.done) {
    const x = g.field();
    if (x.f === 1 && x.w === 2) nodes.push(readNode(bytes, x.start, x.len));
    else if (x.f === 5 && x.w === 2) tensors.push(readTensor(bytes, x.start, x.len));
  }
  const nbits = new Map<string, { bits: number; elements: number }>();
  for (const n of nodes) {
    const key = n.domain && n.domain !== "ai.onnx" ? `${n.domain}::${n.op}` : n.op;
    info.ops[key] = (info.ops[key] ?? 0) + 1;
    if (n.op === "MatMulNBits" && n.inputs[1]) {
      nbits.set(n.inputs[1], {
        bits: n.attrs.bits ?? 4,
        elements: (n.attrs.N ?? 0) * (n.attrs.K ?? 0),
      });
    }
    if (n.op === "Constant") tensors.push(...n.tensors);
  }
  for (const t of tensors) {
    const [dtype, bits0] = DTYPES[t.dtype] ?? [`type${t.dtype}`, 0];
    const special = nbits.get(t.name);
    const elements = special?.elements || t.dims.reduce((a, b) => a * b, 1);
    const bits = special?.bits ?? bits0;
    info.weights.push({
      name: t.name,
      dtype: special ? `${dtype} (${bits}-bit packed)` : dtype,
      bits,
      elements,
      bytes: t.bytes,
    });
    // Shape tensors and scalars (int64/int32, < 8 elements) are not weights.
    if (dtype === "int64" || (dtype === "int32" && elements < 8) || bits === 0) continue;
    info.weightsByBits[bits] = (info.weightsByBits[bits] ?? 0) + elements;
  }
  return info;
}
