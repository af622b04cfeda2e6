/**
 * Minimal helpers to emit ONNX models from TypeScript. Used by the TFJS converter (face models) and
 * by the fitting engine (linear-algebra graphs). Opset 13 unless a graph asks for more.
 *
 * The model is written with the small protobuf writer at the end of this file: it covers exactly
 * the ONNX fields the builder fills. A full protobuf library (onnx-proto pulls protobufjs 6, 18 MiB
 * installed) would be a sixth of the package's install for this one job.
 */
import { PhotoAvatarError } from '../errors.js';

export const OPSET = 13;

/** onnx.TensorProto.DataType values the builder and its callers use. */
export const TensorType = { FLOAT: 1, UINT8: 2, INT8: 3, INT32: 6, INT64: 7, BOOL: 9, FLOAT16: 10 } as const;

/** An initializer: raw little-endian bytes, as ONNX stores them in TensorProto.raw_data. */
export interface Tensor {
  name: string;
  dims: number[];
  dataType: number;
  rawData: Uint8Array;
}

export type AttributeValue = number | number[] | string | Float32Array | { tensor: Tensor };

export interface GraphNode {
  opType: string;
  input: string[];
  output: string[];
  name: string;
  attribute: [string, AttributeValue][];
}

interface ValueInfo {
  name: string;
  dims: (number | string)[];
  elemType: number;
}

/** A graph under construction: nodes, initializers, inputs and outputs. */
export class GraphBuilder {
  nodes: GraphNode[] = [];
  initializers: Tensor[] = [];
  readonly inputs: ValueInfo[] = [];
  outputs: ValueInfo[] = [];
  private counter = 0;

  /** A fresh value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, dims: (number | string)[], elemType: number = TensorType.FLOAT): string {
    this.inputs.push({ name, dims, elemType });
    return name;
  }

  output(name: string, dims: (number | string)[], elemType: number = TensorType.FLOAT): string {
    this.outputs.push({ name, dims, elemType });
    return name;
  }

  /** Adds a float32 constant initializer. */
  constantFloat(name: string, dims: number[], values: Float32Array | number[]): string {
    this.initializers.push({ name, dims, dataType: TensorType.FLOAT, rawData: toBytes(Float32Array.from(values)) });
    return name;
  }

  /** Adds a float16 constant initializer from raw IEEE half bits (kept fp16 as shipped). */
  constantHalf(name: string, dims: number[], bits: Uint16Array): string {
    this.initializers.push({ name, dims, dataType: TensorType.FLOAT16, rawData: toBytes(bits) });
    return name;
  }

  constantInt32(name: string, dims: number[], values: Int32Array | number[]): string {
    this.initializers.push({ name, dims, dataType: TensorType.INT32, rawData: toBytes(Int32Array.from(values)) });
    return name;
  }

  constantInt64(name: string, dims: number[], values: number[] | BigInt64Array): string {
    const data = values instanceof BigInt64Array ? values : BigInt64Array.from(values.map((v) => BigInt(v)));
    this.initializers.push({ name, dims, dataType: TensorType.INT64, rawData: toBytes(data) });
    return name;
  }

  /** Appends a node; returns its output names. */
  node(opType: string, inputs: string[], outputs: string[] | number = 1, attributes: Record<string, AttributeValue> = {}, name?: string): string[] {
    const outNames = typeof outputs === 'number'
      ? Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()))
      : outputs;
    this.nodes.push({
      opType,
      input: inputs,
      output: outNames,
      name: name ?? this.fresh(`n_${opType}`),
      attribute: Object.entries(attributes),
    });
    return outNames;
  }

  /** Serialises the graph to ONNX model bytes (ModelProto, IR version 7). */
  build(graphName = 'graph', opset = OPSET): Uint8Array {
    const graph = new ProtoWriter();
    for (const node of this.nodes) graph.message(1, writeNode(node));
    graph.string(2, graphName);
    for (const tensor of this.initializers) graph.message(5, writeTensor(tensor));
    for (const value of this.inputs) graph.message(11, writeValueInfo(value));
    for (const value of this.outputs) graph.message(12, writeValueInfo(value));
    const model = new ProtoWriter();
    model.varint(1, 7);
    model.string(2, 'babylon-photo-avatar');
    model.message(7, graph);
    model.message(8, new ProtoWriter().string(1, '').varint(2, opset));
    return model.finish();
  }
}

/**
 * Keeps only the graph outputs `keep` and the nodes and initializers they depend on (all inputs stay).
 * On the landmark graph with GRADIENT_OUTPUTS this drops the J^T W J product. Changes `graph`.
 */
export function pruneGraph(graph: GraphBuilder, keep: readonly string[]): GraphBuilder {
  const missing = keep.filter((name) => !graph.outputs.some((value) => value.name === name));
  if (graph.nodes.length === 0 || missing.length) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `pruneGraph: the graph has no output ${missing.join(', ') || '(no nodes)'}.`);
  }
  const needed = new Set(keep);
  const kept: typeof graph.nodes = [];
  // Nodes are stored in topological order: one backward pass finds every producer of a needed value.
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i];
    if (!node.output.some((name) => needed.has(name))) continue;
    kept.push(node);
    for (const name of node.input) needed.add(name);
  }
  graph.nodes = kept.reverse();
  graph.initializers = graph.initializers.filter((tensor) => needed.has(tensor.name));
  graph.outputs = graph.outputs.filter((value) => keep.includes(value.name));
  return graph;
}

/** onnx.AttributeProto.AttributeType values. */
const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

// Field numbers below are those of onnx/onnx.proto (NodeProto, AttributeProto, TensorProto,
// ValueInfoProto, TypeProto.Tensor, TensorShapeProto.Dimension).

function writeNode(node: GraphNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const name of node.input) w.string(1, name);
  for (const name of node.output) w.string(2, name);
  w.string(3, node.name);
  w.string(4, node.opType);
  for (const [name, value] of node.attribute) w.message(5, writeAttribute(name, value));
  return w;
}

function writeAttribute(name: string, value: AttributeValue): ProtoWriter {
  const w = new ProtoWriter().string(1, name);
  if (typeof value === 'string') return w.bytes(4, new TextEncoder().encode(value)).varint(20, AttributeType.STRING);
  if (typeof value === 'number') {
    return Number.isInteger(value) ? w.varint(3, value).varint(20, AttributeType.INT) : w.float32(2, value).varint(20, AttributeType.FLOAT);
  }
  if (value instanceof Float32Array) return w.packedFloat32(7, value).varint(20, AttributeType.FLOATS);
  if (Array.isArray(value)) return w.packedVarint(8, value).varint(20, AttributeType.INTS);
  return w.message(5, writeTensor(value.tensor)).varint(20, AttributeType.TENSOR);
}

function writeTensor(tensor: Tensor): ProtoWriter {
  return new ProtoWriter().packedVarint(1, tensor.dims).varint(2, tensor.dataType).string(8, tensor.name).bytes(9, tensor.rawData);
}

function writeValueInfo(value: ValueInfo): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of value.dims) shape.message(1, typeof d === 'number' ? new ProtoWriter().varint(1, d) : new ProtoWriter().string(2, d));
  const tensorType = new ProtoWriter().varint(1, value.elemType).message(2, shape);
  return new ProtoWriter().string(1, value.name).message(2, new ProtoWriter().message(1, tensorType));
}

function toBytes(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength));
}

/**
 * Protobuf wire format, writing side only: varints (negative int64 as 10 bytes, two's complement),
 * fixed32 floats, and length-delimited strings, bytes, packed arrays and nested messages.
 */
const JOIN_BELOW_BYTES = 64 * 1024;

class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private length = 0;

  varint(field: number, value: number): this {
    this.tag(field, 0);
    this.rawVarint(value);
    return this;
  }

  float32(field: number, value: number): this {
    this.tag(field, 5);
    const bytes = new Uint8Array(4);
    new DataView(bytes.buffer).setFloat32(0, value, true);
    this.push(bytes);
    return this;
  }

  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }

  bytes(field: number, value: Uint8Array): this {
    this.tag(field, 2);
    this.rawVarint(value.length);
    this.push(value);
    return this;
  }

  /**
   * A nested message. A small one is joined into one array; a large one (an initializer, the
   * graph) hands its parts up, so its bytes are copied once, by the outermost finish(), and not
   * once per nesting level.
   */
  message(field: number, inner: ProtoWriter): this {
    if (inner.length < JOIN_BELOW_BYTES) return this.bytes(field, inner.finish());
    this.tag(field, 2);
    this.rawVarint(inner.length);
    for (const part of inner.parts) this.push(part);
    return this;
  }

  packedVarint(field: number, values: readonly number[]): this {
    const inner = new ProtoWriter();
    for (const value of values) inner.rawVarint(value);
    return this.bytes(field, inner.finish());
  }

  packedFloat32(field: number, values: Float32Array): this {
    return this.bytes(field, toBytes(values));
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint(field * 8 + wireType);
  }

  private rawVarint(value: number): void {
    if (!Number.isSafeInteger(value)) throw new RangeError(`onnx-builder: ${value} is not a safe integer`);
    const bytes: number[] = [];
    let rest = BigInt.asUintN(64, BigInt(value));
    do {
      const low = Number(rest & 0x7fn);
      rest >>= 7n;
      bytes.push(rest > 0n ? low | 0x80 : low);
    } while (rest > 0n);
    this.push(Uint8Array.from(bytes));
  }

  private push(bytes: Uint8Array): void {
    this.parts.push(bytes);
    this.length += bytes.length;
  }
}
