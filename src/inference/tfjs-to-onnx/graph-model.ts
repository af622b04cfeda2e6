/**
 * Reading a TFJS "graph-model" (model.json + weight shards): validation with clear errors and
 * weight decoding (float32, int32, bool, float16 and uint8/uint16 affine quantisation). No tfjs
 * at run time: the format is small enough to decode by hand.
 */
import { PhotoAvatarError } from '../../errors.js';
import { halfToFloat } from '../../math/half.js';

export interface TfAttrValue {
  s?: string;
  i?: string | number;
  f?: number;
  b?: boolean;
  type?: string;
  list?: { s?: string[]; i?: (string | number)[]; f?: number[] };
  shape?: { dim?: { size?: string | number }[]; unknownRank?: boolean };
}

export interface TfNode {
  name: string;
  op: string;
  input?: string[];
  attr?: Record<string, TfAttrValue>;
}

export interface TfWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: { dtype: string; scale?: number; min?: number; original_dtype?: string };
}

export interface TfSignatureTensor {
  name: string;
  dtype?: string;
  tensorShape?: { dim?: { size?: string | number }[] };
}

export interface TfSignature {
  inputs?: Record<string, TfSignatureTensor>;
  outputs?: Record<string, TfSignatureTensor>;
}

export interface GraphModelJson {
  format: 'graph-model';
  modelTopology: { node: TfNode[] };
  weightsManifest: { paths: string[]; weights: TfWeightSpec[] }[];
  signature?: TfSignature;
  userDefinedMetadata?: { signature?: TfSignature };
}

/** A decoded constant. Float16-quantised weights also keep their raw half bits. */
export interface ConstTensor {
  dtype: 'float32' | 'int32' | 'bool';
  shape: number[];
  values: Float32Array | Int32Array;
  half?: Uint16Array;
}

function corrupt(source: string, detail: string): PhotoAvatarError {
  return new PhotoAvatarError('CORRUPT_INPUT_FILE', `Corrupt TFJS graph model ${source}: ${detail}.`);
}

/** Parses and validates model.json text; throws CORRUPT_INPUT_FILE naming what is wrong. */
export function parseGraphModelJson(text: string, source: string): GraphModelJson {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new PhotoAvatarError('CORRUPT_INPUT_FILE', `Corrupt TFJS graph model ${source}: not valid JSON (${(error as Error).message}).`, { cause: error });
  }
  if (typeof json !== 'object' || json === null) throw corrupt(source, 'top level is not an object');
  const model = json as Partial<GraphModelJson> & { format?: unknown };
  if (model.format !== undefined && model.format !== 'graph-model') throw corrupt(source, `format is "${String(model.format)}", expected "graph-model"`);
  const nodes = model.modelTopology?.node;
  if (!Array.isArray(nodes) || nodes.length === 0) throw corrupt(source, 'modelTopology.node is missing or empty');
  for (const [index, node] of nodes.entries()) {
    if (typeof node?.name !== 'string' || typeof node.op !== 'string') throw corrupt(source, `node #${index} has no name or op`);
    if (node.input !== undefined && !Array.isArray(node.input)) throw corrupt(source, `node ${node.name} has a non-array input list`);
  }
  const manifest = model.weightsManifest;
  if (!Array.isArray(manifest)) throw corrupt(source, 'weightsManifest is missing');
  for (const group of manifest) {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) throw corrupt(source, 'a weightsManifest group lacks paths or weights');
    for (const spec of group.weights) {
      if (typeof spec?.name !== 'string' || !Array.isArray(spec.shape) || typeof spec.dtype !== 'string') throw corrupt(source, 'a weight spec lacks name, shape or dtype');
      if (spec.shape.some((d) => !Number.isInteger(d) || d < 0)) throw corrupt(source, `weight ${spec.name} has an invalid shape [${spec.shape.join(',')}]`);
    }
  }
  return model as GraphModelJson;
}

function bytesPerElement(spec: TfWeightSpec, source: string): number {
  const q = spec.quantization?.dtype;
  if (q === 'float16' || q === 'uint16') return 2;
  if (q === 'uint8') return 1;
  if (q !== undefined) throw corrupt(source, `weight ${spec.name} uses unsupported quantization ${q}`);
  if (spec.dtype === 'float32' || spec.dtype === 'int32') return 4;
  if (spec.dtype === 'bool') return 1;
  throw corrupt(source, `weight ${spec.name} has unsupported dtype ${spec.dtype}`);
}

const elementCount = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Decodes every weight. `groupBytes[g]` is the concatenation of weightsManifest[g].paths in order.
 */
export function decodeWeights(model: GraphModelJson, groupBytes: Uint8Array[], source: string): Map<string, ConstTensor> {
  const out = new Map<string, ConstTensor>();
  model.weightsManifest.forEach((group, g) => {
    const bytes = groupBytes[g];
    if (!bytes) throw corrupt(source, `weight group ${g} (${group.paths.join(', ')}) has no data`);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    for (const spec of group.weights) {
      const count = elementCount(spec.shape);
      const size = count * bytesPerElement(spec, source);
      if (offset + size > bytes.byteLength) {
        throw corrupt(source, `weight data is truncated: ${spec.name} needs bytes ${offset}..${offset + size} but ${group.paths.join(', ')} hold ${bytes.byteLength}`);
      }
      out.set(spec.name, decodeOne(spec, view, offset, count, source));
      offset += size;
    }
    if (offset !== bytes.byteLength) throw corrupt(source, `weight data has ${bytes.byteLength - offset} unexpected trailing bytes`);
  });
  return out;
}

function decodeOne(spec: TfWeightSpec, view: DataView, offset: number, count: number, source: string): ConstTensor {
  const shape = spec.shape.slice();
  const dtype = spec.dtype === 'int32' ? 'int32' : spec.dtype === 'bool' ? 'bool' : spec.dtype === 'float32' ? 'float32' : null;
  if (!dtype) throw corrupt(source, `weight ${spec.name} has unsupported dtype ${spec.dtype}`);
  const q = spec.quantization;
  if (q?.dtype === 'float16') {
    if (dtype !== 'float32') throw corrupt(source, `weight ${spec.name}: float16 quantisation of ${dtype}`);
    const half = new Uint16Array(count);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) {
      half[i] = view.getUint16(offset + 2 * i, true);
      values[i] = halfToFloat(half[i]);
    }
    return { dtype, shape, values, half };
  }
  if (q?.dtype === 'uint8' || q?.dtype === 'uint16') {
    if (typeof q.scale !== 'number' || typeof q.min !== 'number') throw corrupt(source, `weight ${spec.name}: affine quantisation without scale/min`);
    const wide = q.dtype === 'uint16';
    const values = dtype === 'int32' ? new Int32Array(count) : new Float32Array(count);
    for (let i = 0; i < count; i++) {
      const raw = wide ? view.getUint16(offset + 2 * i, true) : view.getUint8(offset + i);
      const v = raw * q.scale + q.min;
      values[i] = dtype === 'int32' ? Math.round(v) : v;
    }
    return { dtype: dtype === 'bool' ? 'float32' : dtype, shape, values };
  }
  if (dtype === 'float32') {
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = view.getFloat32(offset + 4 * i, true);
    return { dtype, shape, values };
  }
  const values = new Int32Array(count);
  if (dtype === 'int32') for (let i = 0; i < count; i++) values[i] = view.getInt32(offset + 4 * i, true);
  else for (let i = 0; i < count; i++) values[i] = view.getUint8(offset + i);
  return { dtype, shape, values };
}
