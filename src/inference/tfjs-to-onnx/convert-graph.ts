/**
 * TFJS graph-model -> ONNX (opset 13). TF graphs are NHWC; ONNX convolutions are NCHW. Every 4-D
 * activation is therefore carried in NCHW ("nchw" layout) and weights are transposed at
 * conversion time. Values whose meaning depends on the TF element order (Reshape, Squeeze,
 * rank-changing ops) are taken back to TF layout with an explicit Transpose first; a value keeps
 * its TF shape in `shape` whatever its layout, so every decision is made on TF semantics.
 *
 * WebGPU: onnxruntime-web's WebGPU provider has no PRelu kernel, so PRelu is emitted as
 * Relu/Sub/Mul/Add; Relu6 is Clip; AddN is a chain of Add (Sum avoided for the same reason).
 */
import { PhotoAvatarError } from '../../errors.js';
import { GraphBuilder, TensorType } from '../onnx-builder.js';
import {
  castConstant, elementCount, gatherConstant, makeConstant, matMulConstants, packConstants, rangeConstant, resolveStridedSlice, stridedSliceConstant,
  tileConstant, transposeConstant, type DType,
} from './fold-constants.js';
import type { ConstTensor, GraphModelJson, TfNode, TfSignature } from './graph-model.js';

type Layout = 'nchw' | 'tf';

interface Value {
  /** Shape in TF semantics (NHWC for 4-D). */
  shape: number[];
  layout: Layout;
  /** ONNX name of the tensor (absent for constants not yet materialised). */
  name?: string;
  constant?: ConstTensor;
  /** Element type of a computed value (float32 when absent); constants carry their own. */
  dtype?: DType;
}

const dtypeOf = (v: Value): DType => v.constant?.dtype ?? v.dtype ?? 'float32';

const TF_DTYPES: Record<string, DType> = { DT_FLOAT: 'float32', DT_INT32: 'int32', DT_BOOL: 'bool' };
const ONNX_TYPES: Record<DType, number> = { float32: TensorType.FLOAT, int32: TensorType.INT32, bool: TensorType.BOOL };

export interface ConvertedGraph {
  model: Uint8Array;
  /** Distinct TF ops of the source graph (Const/Placeholder/Identity included). */
  tfOps: string[];
  /** Distinct ONNX ops emitted. */
  onnxOps: string[];
  inputShape: number[];
  outputs: { name: string; shape: number[] }[];
}

/** Name of the single graph input in every converted model. */
export const ONNX_INPUT_NAME = 'input';

/** TF axis of a 4-D NHWC tensor -> its axis in NCHW. */
const NHWC_TO_NCHW_AXIS = [0, 2, 3, 1];
const TO_NCHW = [0, 3, 1, 2];
const TO_NHWC = [0, 2, 3, 1];
/**
 * onnxruntime-web's WebGPU Concat (JSEP) binds every input and the output as storage buffers, and
 * its device keeps WebGPU's default of 8 per shader stage: a Concat of more inputs compiles to an
 * invalid pipeline there and leaves its output unwritten (the attention FaceMesh's 9- and 16-input
 * concats lost the face). Wider concats become a Concat of Concats, which is exact.
 */
export const MAX_CONCAT_INPUTS = 7;

/** Output/tensor names: "Identity_2:0" -> "Identity_2"; "a/b" -> "a_b". */
export function sanitizeTensorName(name: string): string {
  return name.replace(/:0$/, '').replace(/[^A-Za-z0-9_]/g, '_');
}

const tensorNode = (ref: string): string => ref.replace(/^\^/, '').replace(/:\d+$/, '');
const outputIndex = (ref: string): number => Number(/:(\d+)$/.exec(ref)?.[1] ?? 0);

export interface ConvertOptions {
  /** Publish the outputs in this order (names as published); others follow in signature order. */
  outputOrder?: string[];
}

export function convertGraphModel(model: GraphModelJson, weights: Map<string, ConstTensor>, source: string, options: ConvertOptions = {}): ConvertedGraph {
  return new Converter(model, weights, source).run(options);
}

class Converter {
  private readonly g = new GraphBuilder();
  private readonly nodes = new Map<string, TfNode>();
  private readonly values = new Map<string, Value>();
  private readonly layoutCache = new Map<Value, { nchw?: string; tf?: string }>();
  private readonly onnxOps = new Set<string>();
  private inputShape: number[] = [];
  /** Published names that internal tensors must not take. */
  private readonly reserved = new Set<string>([ONNX_INPUT_NAME]);

  constructor(private readonly model: GraphModelJson, private readonly weights: Map<string, ConstTensor>, private readonly source: string) {
    for (const node of model.modelTopology.node) this.nodes.set(node.name, node);
  }

  run(options: ConvertOptions): ConvertedGraph {
    const order = options.outputOrder ?? [];
    const rank = (name: string): number => (order.includes(name) ? order.indexOf(name) : order.length);
    const outputs = this.outputSpecs().map((o, i) => ({ ...o, i })).sort((a, b) => rank(a.name) - rank(b.name) || a.i - b.i);
    for (const { name } of outputs) this.reserved.add(name);
    const placeholders = this.model.modelTopology.node.filter((n) => n.op === 'Placeholder');
    if (placeholders.length !== 1) throw this.error(`expected exactly one input (Placeholder), found ${placeholders.length}`);
    for (const node of this.topologicalOrder(outputs.map((o) => tensorNode(o.tensor)))) this.convertNode(node);
    const published = outputs.map(({ name, tensor }) => {
      const value = this.value(tensor);
      const rank4 = value.shape.length === 4;
      const shape = rank4 ? TO_NCHW.map((p) => value.shape[p]) : value.shape.slice();
      this.emit('Identity', [rank4 ? this.nchw(value) : this.tf(value)], {}, name);
      this.g.output(name, shape);
      return { name, shape };
    });
    return {
      model: this.g.build(sanitizeTensorName(this.source)),
      tfOps: [...new Set(this.model.modelTopology.node.map((n) => n.op))].sort(),
      onnxOps: [...this.onnxOps].sort(),
      inputShape: this.inputShape,
      outputs: published,
    };
  }

  private error(detail: string): PhotoAvatarError {
    return new PhotoAvatarError('CORRUPT_INPUT_FILE', `Cannot convert TFJS graph model ${this.source}: ${detail}.`);
  }

  /** Signature outputs (named by their signature key), else the graph's sink nodes. */
  private outputSpecs(): { name: string; tensor: string }[] {
    const signature: TfSignature | undefined = this.model.signature ?? this.model.userDefinedMetadata?.signature;
    const entries = Object.entries(signature?.outputs ?? {});
    if (entries.length > 0) {
      return entries.map(([key, spec]) => {
        const tensor = spec?.name ?? key;
        if (!this.nodes.has(tensorNode(tensor))) throw this.error(`signature output ${key} refers to missing node ${tensor}`);
        return { name: sanitizeTensorName(key), tensor };
      });
    }
    const consumed = new Set<string>();
    for (const node of this.nodes.values()) for (const ref of node.input ?? []) consumed.add(tensorNode(ref));
    const sinks = [...this.nodes.values()].filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'Placeholder');
    if (sinks.length === 0) throw this.error('graph has no outputs');
    return sinks.map((n) => ({ name: sanitizeTensorName(n.name), tensor: n.name }));
  }

  private topologicalOrder(roots: string[]): TfNode[] {
    const order: TfNode[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: { name: string; expanded: boolean }[] = roots.map((name) => ({ name, expanded: false }));
    while (stack.length > 0) {
      const top = stack.pop()!;
      const node = this.nodes.get(top.name);
      if (!node) throw this.error(`node input refers to missing node "${top.name}"`);
      if (top.expanded) {
        state.set(top.name, 'done');
        order.push(node);
        continue;
      }
      const seen = state.get(top.name);
      if (seen === 'done') continue;
      if (seen === 'visiting') throw this.error(`graph has a cycle through ${top.name}`);
      state.set(top.name, 'visiting');
      stack.push({ name: top.name, expanded: true });
      for (const ref of node.input ?? []) {
        if (ref.startsWith('^')) continue;
        const dep = tensorNode(ref);
        if (state.get(dep) !== 'done') stack.push({ name: dep, expanded: false });
      }
    }
    return order;
  }

  // ---- attributes -------------------------------------------------------------------------

  private attrString(node: TfNode, key: string, fallback = ''): string {
    const s = node.attr?.[key]?.s;
    return s === undefined ? fallback : atob(s);
  }

  private attrInts(node: TfNode, key: string, fallback: number[] = []): number[] {
    const list = node.attr?.[key]?.list?.i;
    return list && list.length > 0 ? list.map(Number) : fallback;
  }

  private attrStrings(node: TfNode, key: string): string[] {
    return (node.attr?.[key]?.list?.s ?? []).map((s) => atob(s));
  }

  private attrBool(node: TfNode, key: string): boolean {
    return node.attr?.[key]?.b === true;
  }

  private attrInt(node: TfNode, key: string, fallback = 0): number {
    const i = node.attr?.[key]?.i;
    return i === undefined ? fallback : Number(i);
  }

  private attrDtype(node: TfNode, key: string): DType {
    const type = node.attr?.[key]?.type ?? 'DT_FLOAT';
    const dtype = TF_DTYPES[type];
    if (!dtype) throw this.error(`${node.name}: unsupported element type ${type}`);
    return dtype;
  }

  private attrFloat(node: TfNode, key: string, fallback: number): number {
    const f = node.attr?.[key]?.f;
    return typeof f === 'number' ? f : fallback;
  }

  // ---- values -----------------------------------------------------------------------------

  private value(ref: string): Value {
    const key = outputIndex(ref) === 0 ? tensorNode(ref) : ref;
    const v = this.values.get(key);
    if (!v) throw this.error(`tensor ${ref} is used before it is defined (unsupported multi-output op?)`);
    return v;
  }

  private inputs(node: TfNode): Value[] {
    return (node.input ?? []).filter((r) => !r.startsWith('^')).map((r) => this.value(r));
  }

  private constInts(v: Value, what: string): number[] {
    if (!v.constant) throw this.error(`${what} must be a constant`);
    return Array.from(v.constant.values, Number);
  }

  private fresh(prefix: string): string {
    let name = this.g.fresh(prefix);
    while (this.reserved.has(name)) name = this.g.fresh(prefix);
    return name;
  }

  private emit(op: string, inputs: string[], attrs: Record<string, number | number[] | string> = {}, output?: string): string {
    this.onnxOps.add(op);
    return this.g.node(op, inputs, [output ?? this.fresh(op.toLowerCase())], attrs)[0];
  }

  /** Concat of `inputs` along `axis`, nested so that no Concat takes more than MAX_CONCAT_INPUTS inputs. */
  private emitConcat(inputs: string[], axis: number): string {
    if (inputs.length <= MAX_CONCAT_INPUTS) return this.emit('Concat', inputs, { axis });
    const groups: string[] = [];
    for (let start = 0; start < inputs.length; start += MAX_CONCAT_INPUTS) {
      const group = inputs.slice(start, start + MAX_CONCAT_INPUTS);
      groups.push(group.length === 1 ? group[0] : this.emit('Concat', group, { axis }));
    }
    return this.emitConcat(groups, axis);
  }

  /** Materialises a constant, optionally permuted, as an initializer; fp16 weights stay fp16 + Cast. */
  private constant(c: ConstTensor, perm?: number[], dims?: number[]): string {
    const shape = perm ? perm.map((p) => c.shape[p]) : c.shape;
    const outDims = dims ?? shape;
    if (c.dtype === 'float32' && c.half) {
      const bits = perm ? permute(c.half, c.shape, perm) : c.half;
      const half = this.g.constantHalf(this.fresh('w16'), outDims, bits);
      return this.emit('Cast', [half], { to: TensorType.FLOAT });
    }
    if (c.dtype === 'float32') {
      const data = perm ? permute(c.values as Float32Array, c.shape, perm) : c.values;
      return this.g.constantFloat(this.fresh('w'), outDims, data as Float32Array);
    }
    const ints = perm ? permute(c.values as Int32Array, c.shape, perm) : c.values;
    const name = this.g.constantInt32(this.fresh('i'), outDims, ints as Int32Array);
    // ONNX has no packed-bool initializer helper here: bools travel as int32 and are cast once.
    return c.dtype === 'bool' ? this.emit('Cast', [name], { to: TensorType.BOOL }) : name;
  }

  private int64(values: number[]): string {
    return this.g.constantInt64(this.fresh('shape'), [values.length], values);
  }

  private floatScalar(v: number): string {
    return this.g.constantFloat(this.fresh('scalar'), [], [v]);
  }

  private cache(v: Value): { nchw?: string; tf?: string } {
    let entry = this.layoutCache.get(v);
    if (!entry) this.layoutCache.set(v, (entry = {}));
    return entry;
  }

  /** The ONNX name holding `v` in TF element order. */
  private tf(v: Value): string {
    const entry = this.cache(v);
    if (entry.tf) return entry.tf;
    if (v.constant) entry.tf = this.constant(v.constant);
    else if (v.layout === 'tf') entry.tf = v.name!;
    else entry.tf = this.emit('Transpose', [v.name!], { perm: TO_NHWC });
    return entry.tf;
  }

  /** The ONNX name holding 4-D `v` as NCHW. */
  private nchw(v: Value): string {
    if (v.shape.length !== 4) throw this.error(`expected a 4-D tensor, got shape [${v.shape.join(',')}]`);
    const entry = this.cache(v);
    if (entry.nchw) return entry.nchw;
    if (v.constant) entry.nchw = this.constant(v.constant, TO_NCHW);
    else if (v.layout === 'nchw') entry.nchw = v.name!;
    else entry.nchw = this.emit('Transpose', [v.name!], { perm: TO_NCHW });
    return entry.nchw;
  }

  /** A constant broadcast against a 4-D NCHW tensor: TF right-aligned shape -> NCHW dims. */
  private broadcastConstantNchw(c: ConstTensor): string {
    if (c.shape.length === 0) return this.constant(c);
    if (c.shape.length > 4) throw this.error(`cannot broadcast a rank-${c.shape.length} constant against a 4-D tensor`);
    const padded: ConstTensor = { ...c, shape: [...new Array(4 - c.shape.length).fill(1), ...c.shape] };
    return this.constant(padded, TO_NCHW);
  }

  private set(node: TfNode, v: Value): void {
    this.values.set(node.name, v);
  }

  // ---- node conversion --------------------------------------------------------------------

  private convertNode(node: TfNode): void {
    const op = node.op;
    switch (op) {
      case 'Const': {
        const c = this.weights.get(node.name);
        if (!c) throw this.error(`constant ${node.name} has no weight data`);
        return this.set(node, { shape: c.shape.slice(), layout: 'tf', constant: c });
      }
      case 'Placeholder':
        return this.placeholder(node);
      case 'Identity':
      case 'StopGradient':
      case 'Snapshot':
        return this.set(node, this.inputs(node)[0]);
      case 'Conv2D':
      case '_FusedConv2D':
        return this.convolution(node, false);
      case 'DepthwiseConv2dNative':
      case 'FusedDepthwiseConv2dNative':
        return this.convolution(node, true);
      case 'Conv2DBackpropInput':
        return this.transposedConvolution(node);
      case 'MaxPool':
      case 'AvgPool':
        return this.pool(node);
      case 'Add':
      case 'AddV2':
      case 'BiasAdd':
      case 'Sub':
      case 'Mul':
      case 'RealDiv':
      case 'Div':
      case 'Maximum':
      case 'Minimum':
      case 'LessEqual':
      case 'GreaterEqual':
      case 'LogicalAnd': {
        const [a, b] = this.inputs(node);
        return this.set(node, this.binary(BINARY_OPS[op], a, b));
      }
      case 'AddN': {
        const [first, ...rest] = this.inputs(node);
        return this.set(node, rest.reduce((acc, v) => this.binary('Add', acc, v), first));
      }
      case 'Relu':
      case 'Relu6':
      case 'Sigmoid':
      case 'Tanh':
      case 'Elu':
      case 'Exp':
      case 'Sqrt':
      case 'Neg':
      case 'Abs':
      case 'Sin':
      case 'Cos':
      case 'Floor':
      case 'LeakyRelu': {
        const [x] = this.inputs(node);
        if (x.constant) {
          const fold = UNARY_FOLDS[op];
          if (!fold) throw this.error(`${op} of a constant is not folded (node ${node.name})`);
          return this.set(node, { shape: x.shape, layout: 'tf', constant: makeConstant(x.constant.dtype, x.shape, Array.from(x.constant.values, fold)) });
        }
        const name = this.activation(op, x.name!, x.layout, x.shape, undefined, this.attrFloat(node, 'alpha', 0.2));
        return this.set(node, { shape: x.shape, layout: x.layout, name });
      }
      case 'Prelu': {
        const [x, alpha] = this.inputs(node);
        const name = this.activation('Prelu', x.layout === 'nchw' ? this.nchw(x) : this.tf(x), x.layout, x.shape, alpha);
        return this.set(node, { shape: x.shape, layout: x.layout, name });
      }
      case 'Pad':
      case 'PadV2':
      case 'MirrorPad':
        return this.pad(node);
      case 'Reshape':
        return this.reshape(node);
      case 'Squeeze':
        return this.squeeze(node);
      case 'ConcatV2':
        return this.concat(node);
      case 'Mean':
      case 'Sum':
      case 'Max':
      case 'Min':
        return this.reduce(node);
      case 'Softmax': {
        const [x] = this.inputs(node);
        const nchw = x.layout === 'nchw';
        const name = this.emit('Softmax', [nchw ? this.nchw(x) : this.tf(x)], { axis: nchw ? 1 : -1 });
        return this.set(node, { shape: x.shape, layout: x.layout, name });
      }
      case 'MatMul':
      case '_FusedMatMul':
        return this.matMul(node);
      case 'ResizeBilinear':
      case 'ResizeNearestNeighbor':
        return this.resize(node);
      case 'BatchMatMulV2':
        return this.batchMatMul(node);
      case 'Atan2':
        return this.atan2(node);
      case 'Shape':
        return this.shapeOf(node);
      case 'StridedSlice':
        return this.stridedSlice(node);
      case 'Pack':
        return this.pack(node);
      case 'ExpandDims':
        return this.expandDims(node);
      case 'Cast':
        return this.cast(node);
      case 'Fill':
        return this.fill(node);
      case 'ZerosLike':
        return this.zerosLike(node);
      case 'Range':
        return this.range(node);
      case 'Tile':
        return this.tile(node);
      case 'GatherV2':
        return this.gather(node);
      case 'Transpose':
        return this.transpose(node);
      default:
        throw this.error(`unsupported op ${op} (node ${node.name})`);
    }
  }

  private placeholder(node: TfNode): void {
    const dims = node.attr?.shape?.shape?.dim ?? [];
    const shape = dims.map((d) => Math.max(1, Number(d.size ?? 1)));
    if (shape.length !== 4) throw this.error(`input ${node.name} must be 4-D NHWC, got rank ${shape.length}`);
    this.inputShape = TO_NCHW.map((p) => shape[p]);
    const name = this.g.input(ONNX_INPUT_NAME, this.inputShape);
    this.set(node, { shape, layout: 'nchw', name });
  }

  /** Relu/Relu6/Prelu/... on an ONNX name already in `layout`. */
  private activation(op: string, x: string, layout: Layout, shape: number[], alpha?: Value, leakyAlpha = 0.2): string {
    switch (op) {
      case 'Relu': return this.emit('Relu', [x]);
      case 'Relu6': return this.emit('Clip', [x, this.floatScalar(0), this.floatScalar(6)]);
      case 'Sigmoid': return this.emit('Sigmoid', [x]);
      case 'Tanh': return this.emit('Tanh', [x]);
      case 'Elu': return this.emit('Elu', [x], { alpha: 1.0 });
      case 'Exp': return this.emit('Exp', [x]);
      case 'Sqrt': return this.emit('Sqrt', [x]);
      case 'Neg': return this.emit('Neg', [x]);
      case 'Abs': return this.emit('Abs', [x]);
      case 'Sin': return this.emit('Sin', [x]);
      case 'Cos': return this.emit('Cos', [x]);
      case 'Floor': return this.emit('Floor', [x]);
      case 'LeakyRelu': return this.emit('LeakyRelu', [x], { alpha: leakyAlpha });
      case 'Prelu': {
        if (!alpha?.constant) throw this.error('Prelu alpha must be a constant');
        const slope = layout === 'nchw' && shape.length === 4 ? this.broadcastConstantNchw(alpha.constant) : this.constant(alpha.constant);
        // prelu(x) = relu(x) + alpha * (x - relu(x)); no PRelu kernel on WebGPU.
        const positive = this.emit('Relu', [x]);
        const negative = this.emit('Sub', [x, positive]);
        return this.emit('Add', [positive, this.emit('Mul', [negative, slope])]);
      }
      default: throw this.error(`unsupported activation ${op}`);
    }
  }

  private binary(op: string, a: Value, b: Value): Value {
    const shape = broadcastShapes(a.shape, b.shape, (detail) => this.error(detail));
    if (a.constant && b.constant) {
      if (!BINARY_FOLDS[op]) throw this.error(`${op} of two constants is not folded`);
      return { shape, layout: 'tf', constant: foldBinary(op, a.constant, b.constant, shape) };
    }
    const dynamic = [a, b].filter((v) => !v.constant);
    const inNchw = shape.length === 4 && dynamic.every((v) => v.shape.length === 4 && v.layout === 'nchw');
    const operand = (v: Value): string => {
      if (!inNchw) return this.tf(v);
      if (v.constant) return this.broadcastConstantNchw(v.constant);
      return this.nchw(v);
    };
    const name = this.emitBinary(op, [operand(a), operand(b)], dtypeOf(a));
    return { shape, layout: inNchw ? 'nchw' : 'tf', name, dtype: COMPARISONS.has(op) ? 'bool' : dtypeOf(a) };
  }

  /**
   * onnxruntime-web's WebGPU provider (JSEP) has no Min, Max or And kernels: ort ran those nodes (the
   * attention FaceMesh's int32 index clamps and bounds masks) on the CPU, copying tensors to the host
   * and back. Int32 Min/Max become Where(Less or Greater) on floats between Casts (exact below 2^24;
   * they clamp pixel indices), And(a, b) a product of floats cast back to bool.
   */
  private emitBinary(op: string, inputs: [string, string], dtype: DType): string {
    if ((op === 'Min' || op === 'Max') && dtype === 'int32') {
      const [a, b] = inputs.map((input) => this.emit('Cast', [input], { to: TensorType.FLOAT }));
      const aWins = this.emit(op === 'Min' ? 'Less' : 'Greater', [a, b]);
      return this.emit('Cast', [this.emit('Where', [aWins, a, b])], { to: TensorType.INT32 });
    }
    if (op === 'And') {
      // Where(a, b, a) would be shorter, but ort's WASM provider has no bool Where.
      const [a, b] = inputs.map((input) => this.emit('Cast', [input], { to: TensorType.FLOAT }));
      return this.emit('Cast', [this.emit('Mul', [a, b])], { to: TensorType.BOOL });
    }
    return this.emit(op, inputs);
  }

  private convolution(node: TfNode, depthwise: boolean): void {
    const [x, filter, ...args] = this.inputs(node);
    if (this.attrString(node, 'data_format', 'NHWC') !== 'NHWC') throw this.error(`${node.name}: only NHWC convolutions are supported`);
    if (!filter.constant) throw this.error(`${node.name}: convolution weights must be constant`);
    const [kh, kw, cin, cout] = filter.shape;
    const strides = this.attrInts(node, 'strides', [1, 1, 1, 1]);
    const dilations = this.attrInts(node, 'dilations', [1, 1, 1, 1]);
    const spatial = this.spatialPads(node, x.shape, [kh, kw], [strides[1], strides[2]], [dilations[1], dilations[2]]);
    const channels = x.shape[3];
    let weight: string;
    let group: number;
    let outChannels: number;
    if (depthwise) {
      // TF output channel c*mult+m == ONNX grouped-conv output channel for group c.
      outChannels = cin * cout;
      weight = this.constant(filter.constant, [2, 3, 0, 1], [outChannels, 1, kh, kw]);
      group = cin;
    } else {
      if (channels % cin !== 0) throw this.error(`${node.name}: input has ${channels} channels, filter expects ${cin}`);
      outChannels = cout;
      weight = this.constant(filter.constant, [3, 2, 0, 1]);
      group = channels / cin;
    }
    const fused = this.attrStrings(node, 'fused_ops');
    const convInputs = [this.nchw(x), weight];
    let rest = fused;
    if (fused[0] === 'BiasAdd') {
      const bias = args[0];
      if (!bias?.constant) throw this.error(`${node.name}: bias must be a constant`);
      convInputs.push(this.constant(bias.constant));
      rest = fused.slice(1);
    }
    let name = this.emit('Conv', convInputs, {
      kernel_shape: [kh, kw],
      strides: [strides[1], strides[2]],
      dilations: [dilations[1], dilations[2]],
      pads: spatial.pads,
      group,
    });
    const shape = [x.shape[0], spatial.out[0], spatial.out[1], outChannels];
    for (const fusedOp of rest) {
      if (fusedOp === 'FusedBatchNorm') throw this.error(`${node.name}: fused batch norm is not supported`);
      name = this.activation(fusedOp, name, 'nchw', shape, args[1], this.attrFloat(node, 'leakyrelu_alpha', 0.2));
    }
    this.set(node, { shape, layout: 'nchw', name });
  }

  /** TF SAME/VALID/EXPLICIT padding -> ONNX pads [top, left, bottom, right] and output size. */
  private spatialPads(node: TfNode, inShape: number[], kernel: number[], strides: number[], dilations: number[]): { pads: number[]; out: number[] } {
    const padding = this.attrString(node, 'padding', 'VALID');
    const explicit = this.attrInts(node, 'explicit_paddings');
    const begin: number[] = [];
    const end: number[] = [];
    const out: number[] = [];
    for (let d = 0; d < 2; d++) {
      const size = inShape[1 + d];
      const effective = (kernel[d] - 1) * dilations[d] + 1;
      if (padding === 'SAME') {
        const o = Math.ceil(size / strides[d]);
        const total = Math.max((o - 1) * strides[d] + effective - size, 0);
        begin.push(Math.floor(total / 2));
        end.push(total - Math.floor(total / 2));
        out.push(o);
      } else if (padding === 'VALID') {
        begin.push(0);
        end.push(0);
        out.push(Math.floor((size - effective) / strides[d]) + 1);
      } else if (padding === 'EXPLICIT') {
        const [b, e] = [explicit[2 + 2 * d] ?? 0, explicit[3 + 2 * d] ?? 0];
        begin.push(b);
        end.push(e);
        out.push(Math.floor((size + b + e - effective) / strides[d]) + 1);
      } else {
        throw this.error(`${node.name}: unknown padding ${padding}`);
      }
    }
    return { pads: [...begin, ...end], out };
  }

  private transposedConvolution(node: TfNode): void {
    const [outputShape, filter, x] = this.inputs(node);
    if (!filter.constant) throw this.error(`${node.name}: transposed-convolution weights must be constant`);
    const target = this.constInts(outputShape, `${node.name} output_shape`);
    const [kh, kw] = filter.shape;
    const strides = this.attrInts(node, 'strides', [1, 1, 1, 1]);
    const dilations = this.attrInts(node, 'dilations', [1, 1, 1, 1]);
    // Pads of the forward convolution whose gradient this is (its input is `target`).
    const forward = this.spatialPads(node, target, [kh, kw], [strides[1], strides[2]], [dilations[1], dilations[2]]);
    const begin = forward.pads.slice(0, 2);
    const end: number[] = [];
    const outputPadding: number[] = [];
    for (let d = 0; d < 2; d++) {
      const full = (x.shape[1 + d] - 1) * strides[1 + d] + ((filter.shape[d] - 1) * dilations[1 + d] + 1);
      const crop = full - begin[d] - target[1 + d];
      end.push(Math.max(crop, 0));
      outputPadding.push(Math.max(-crop, 0));
    }
    const attrs: Record<string, number[]> = {
      kernel_shape: [kh, kw],
      strides: [strides[1], strides[2]],
      dilations: [dilations[1], dilations[2]],
      pads: [...begin, ...end],
    };
    if (outputPadding.some((p) => p > 0)) attrs.output_padding = outputPadding;
    const name = this.emit('ConvTranspose', [this.nchw(x), this.constant(filter.constant, [3, 2, 0, 1])], attrs);
    this.set(node, { shape: [x.shape[0], target[1], target[2], filter.shape[2]], layout: 'nchw', name });
  }

  private pool(node: TfNode): void {
    const [x] = this.inputs(node);
    const ksize = this.attrInts(node, 'ksize', [1, 1, 1, 1]);
    const strides = this.attrInts(node, 'strides', [1, 1, 1, 1]);
    const spatial = this.spatialPads(node, x.shape, [ksize[1], ksize[2]], [strides[1], strides[2]], [1, 1]);
    const attrs: Record<string, number | number[]> = { kernel_shape: [ksize[1], ksize[2]], strides: [strides[1], strides[2]], pads: spatial.pads };
    // TF averages over valid pixels only, as ONNX does with count_include_pad = 0.
    if (node.op === 'AvgPool') attrs.count_include_pad = 0;
    const name = this.emit(node.op === 'MaxPool' ? 'MaxPool' : 'AveragePool', [this.nchw(x)], attrs);
    this.set(node, { shape: [x.shape[0], spatial.out[0], spatial.out[1], x.shape[3]], layout: 'nchw', name });
  }

  private pad(node: TfNode): void {
    const [x, paddings, constantValue] = this.inputs(node);
    const flat = this.constInts(paddings, `${node.name} paddings`);
    const rank = x.shape.length;
    if (flat.length !== 2 * rank) throw this.error(`${node.name}: paddings do not match rank ${rank}`);
    const shape = x.shape.map((s, i) => s + flat[2 * i] + flat[2 * i + 1]);
    const nchw = rank === 4 && x.layout === 'nchw';
    const axes = nchw ? TO_NCHW : x.shape.map((_, i) => i);
    const pads = [...axes.map((a) => flat[2 * a]), ...axes.map((a) => flat[2 * a + 1])];
    const inputs = [nchw ? this.nchw(x) : this.tf(x), this.int64(pads)];
    const attrs: Record<string, string> = {};
    if (node.op === 'MirrorPad') {
      const mode = this.attrString(node, 'mode');
      if (mode !== 'REFLECT') throw this.error(`${node.name}: MirrorPad mode ${mode} is not supported`);
      attrs.mode = 'reflect';
    } else if (constantValue) {
      if (!constantValue.constant) throw this.error(`${node.name}: pad value must be a constant`);
      inputs.push(this.floatScalar(constantValue.constant.values[0]));
    }
    const name = this.emit('Pad', inputs, attrs);
    this.set(node, { shape, layout: nchw ? 'nchw' : 'tf', name });
  }

  private reshape(node: TfNode): void {
    const [x, shapeValue] = this.inputs(node);
    const target = this.constInts(shapeValue, `${node.name} shape`);
    const size = x.shape.reduce((a, b) => a * b, 1);
    const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
    const shape = target.map((d) => (d === -1 ? size / known : d));
    if (shape.reduce((a, b) => a * b, 1) !== size) throw this.error(`${node.name}: cannot reshape [${x.shape}] to [${target}]`);
    this.set(node, this.reshapeTo(x, shape));
  }

  /** Axes a rank-4 NCHW value keeps after dropping TF `axes`, and whether their order matches TF. */
  private static nchwKeepsOrder(axes: number[]): boolean {
    const kept = [0, 1, 2, 3].filter((a) => !axes.includes(a)).map((a) => NHWC_TO_NCHW_AXIS[a]);
    return kept.every((p, i) => i === 0 || p > kept[i - 1]);
  }

  private squeeze(node: TfNode): void {
    const [x] = this.inputs(node);
    const rank = x.shape.length;
    let axes = this.attrInts(node, 'squeeze_dims').map((a) => (a < 0 ? a + rank : a));
    if (axes.length === 0) axes = x.shape.flatMap((s, i) => (s === 1 ? [i] : []));
    const shape = x.shape.filter((_, i) => !axes.includes(i));
    if (x.constant) return this.set(node, { shape, layout: 'tf', constant: { ...x.constant, shape } });
    const nchw = rank === 4 && x.layout === 'nchw' && Converter.nchwKeepsOrder(axes);
    const onnxAxes = nchw ? axes.map((a) => NHWC_TO_NCHW_AXIS[a]) : axes;
    const name = this.emit('Squeeze', [nchw ? this.nchw(x) : this.tf(x), this.int64(onnxAxes)]);
    this.set(node, { shape, layout: 'tf', name, dtype: dtypeOf(x) });
  }

  private concat(node: TfNode): void {
    const all = this.inputs(node);
    const parts = all.slice(0, -1);
    const rank = parts[0].shape.length;
    let axis = this.constInts(all[all.length - 1], `${node.name} axis`)[0];
    if (axis < 0) axis += rank;
    const shape = parts[0].shape.slice();
    shape[axis] = parts.reduce((sum, v) => sum + v.shape[axis], 0);
    const nchw = rank === 4 && parts.every((v) => v.constant || v.layout === 'nchw') && parts.some((v) => !v.constant);
    const names = parts.map((v) => (nchw ? this.nchw(v) : this.tf(v)));
    const name = this.emitConcat(names, nchw ? NHWC_TO_NCHW_AXIS[axis] : axis);
    this.set(node, { shape, layout: nchw ? 'nchw' : 'tf', name, dtype: dtypeOf(parts[0]) });
  }

  private reduce(node: TfNode): void {
    const [x, axesValue] = this.inputs(node);
    const rank = x.shape.length;
    const axes = [...new Set(this.constInts(axesValue, `${node.name} axes`).map((a) => (a < 0 ? a + rank : a)))];
    const keepDims = this.attrBool(node, 'keep_dims');
    const shape = keepDims ? x.shape.map((s, i) => (axes.includes(i) ? 1 : s)) : x.shape.filter((_, i) => !axes.includes(i));
    const nchw = rank === 4 && x.layout === 'nchw' && (keepDims || Converter.nchwKeepsOrder(axes));
    const onnxAxes = nchw ? axes.map((a) => NHWC_TO_NCHW_AXIS[a]) : axes;
    const input = nchw ? this.nchw(x) : this.tf(x);
    const op = { Mean: 'ReduceMean', Sum: 'ReduceSum', Max: 'ReduceMax', Min: 'ReduceMin' }[node.op]!;
    const keepdims = keepDims ? 1 : 0;
    // Opset 13 takes ReduceSum axes as an input, the other reductions as an attribute.
    const name = op === 'ReduceSum'
      ? this.emit(op, [input, this.int64(onnxAxes)], { keepdims })
      : this.emit(op, [input], { axes: onnxAxes, keepdims });
    this.set(node, { shape, layout: nchw && keepDims ? 'nchw' : 'tf', name });
  }

  private matMul(node: TfNode): void {
    const [a, b, ...args] = this.inputs(node);
    if (a.shape.length !== 2 || b.shape.length !== 2) throw this.error(`${node.name}: only 2-D MatMul is supported`);
    const transA = this.attrBool(node, 'transpose_a') ? 1 : 0;
    const transB = this.attrBool(node, 'transpose_b') ? 1 : 0;
    const fused = this.attrStrings(node, 'fused_ops');
    if (a.constant && b.constant && fused.length === 0) {
      // Index arithmetic (the spatial transformer's int32 `repeat`): ONNX Gemm has no int32 kernel.
      const c = matMulConstants(transA ? transposeConstant(a.constant, [1, 0]) : a.constant, transB ? transposeConstant(b.constant, [1, 0]) : b.constant);
      return this.set(node, { shape: c.shape, layout: 'tf', constant: c });
    }
    const inputs = [this.tf(a), this.tf(b)];
    let rest = fused;
    if (fused[0] === 'BiasAdd') {
      inputs.push(this.tf(args[0]));
      rest = fused.slice(1);
    }
    const shape = [a.shape[transA ? 1 : 0], b.shape[transB ? 0 : 1]];
    let name = this.emit('Gemm', inputs, { transA, transB });
    for (const fusedOp of rest) name = this.activation(fusedOp, name, 'tf', shape, args[1], this.attrFloat(node, 'leakyrelu_alpha', 0.2));
    this.set(node, { shape, layout: 'tf', name });
  }

  /** `x` with a new static shape (same element order); constants stay constants. */
  private reshapeTo(x: Value, shape: number[]): Value {
    if (x.constant) return { shape, layout: 'tf', constant: { ...x.constant, shape } };
    const name = this.emit('Reshape', [this.tf(x), this.int64(shape)]);
    return { shape, layout: 'tf', name, dtype: dtypeOf(x) };
  }

  /** Batch fixed to 1 makes every shape static: Shape folds to a constant. */
  private shapeOf(node: TfNode): void {
    const [x] = this.inputs(node);
    this.set(node, { shape: [x.shape.length], layout: 'tf', constant: makeConstant('int32', [x.shape.length], x.shape) });
  }

  private stridedSlice(node: TfNode): void {
    const [x, beginValue, endValue, stridesValue] = this.inputs(node);
    const masks = {
      begin: this.attrInt(node, 'begin_mask'),
      end: this.attrInt(node, 'end_mask'),
      ellipsis: this.attrInt(node, 'ellipsis_mask'),
      newAxis: this.attrInt(node, 'new_axis_mask'),
      shrinkAxis: this.attrInt(node, 'shrink_axis_mask'),
    };
    const what = `${node.name} bounds`;
    const { axes, outShape } = resolveStridedSlice(x.shape, this.constInts(beginValue, what), this.constInts(endValue, what), this.constInts(stridesValue, what), masks);
    if (x.constant) return this.set(node, { shape: outShape, layout: 'tf', constant: stridedSliceConstant(x.constant, axes, outShape) });
    const cut = axes.flatMap((a, axis) => (a.start === 0 && a.step === 1 && a.count === x.shape[axis] ? [] : [{ ...a, axis }]));
    // A slice that keeps the rank of a 4-D NCHW value is done in NCHW (no layout round trip).
    const nchw = x.shape.length === 4 && x.layout === 'nchw' && outShape.length === 4;
    let name = nchw ? this.nchw(x) : this.tf(x);
    if (cut.length > 0) {
      // A negative-step slice that runs to the front needs an end below -dim (ONNX clamps it to -1).
      const ends = cut.map((a) => a.start + a.count * a.step).map((e) => (e < 0 ? -2147483648 : e));
      name = this.emit('Slice', [name, this.int64(cut.map((a) => a.start)), this.int64(ends),
        this.int64(cut.map((a) => (nchw ? NHWC_TO_NCHW_AXIS[a.axis] : a.axis))), this.int64(cut.map((a) => a.step))]);
    }
    const sliced: Value = { shape: axes.map((a) => a.count), layout: nchw ? 'nchw' : 'tf', name, dtype: dtypeOf(x) };
    this.set(node, sliced.shape.join(',') === outShape.join(',') ? sliced : this.reshapeTo(sliced, outShape));
  }

  private pack(node: TfNode): void {
    const parts = this.inputs(node);
    const rank = parts[0].shape.length + 1;
    let axis = this.attrInt(node, 'axis');
    if (axis < 0) axis += rank;
    if (parts.every((p) => p.constant)) {
      const c = packConstants(parts.map((p) => p.constant!), axis);
      return this.set(node, { shape: c.shape, layout: 'tf', constant: c });
    }
    const expanded = [...parts[0].shape.slice(0, axis), 1, ...parts[0].shape.slice(axis)];
    const names = parts.map((p) => this.tf(this.reshapeTo(p, expanded)));
    const shape = expanded.slice();
    shape[axis] = parts.length;
    this.set(node, { shape, layout: 'tf', name: this.emitConcat(names, axis), dtype: dtypeOf(parts[0]) });
  }

  private expandDims(node: TfNode): void {
    const [x, axisValue] = this.inputs(node);
    let axis = this.constInts(axisValue, `${node.name} axis`)[0];
    if (axis < 0) axis += x.shape.length + 1;
    this.set(node, this.reshapeTo(x, [...x.shape.slice(0, axis), 1, ...x.shape.slice(axis)]));
  }

  private cast(node: TfNode): void {
    const [x] = this.inputs(node);
    const to = this.attrDtype(node, 'DstT');
    if (x.constant) return this.set(node, { shape: x.shape, layout: 'tf', constant: castConstant(x.constant, to) });
    if (dtypeOf(x) === to) return this.set(node, x);
    const nchw = x.layout === 'nchw';
    const name = this.emit('Cast', [nchw ? this.nchw(x) : this.tf(x)], { to: ONNX_TYPES[to] });
    this.set(node, { shape: x.shape, layout: x.layout, name, dtype: to });
  }

  private fill(node: TfNode): void {
    const [dimsValue, fillValue] = this.inputs(node);
    const shape = this.constInts(dimsValue, `${node.name} dims`);
    if (!fillValue.constant) throw this.error(`${node.name}: fill value must be a constant`);
    const value = fillValue.constant.values[0];
    this.set(node, { shape, layout: 'tf', constant: makeConstant(fillValue.constant.dtype, shape, new Array<number>(elementCount(shape)).fill(value)) });
  }

  private zerosLike(node: TfNode): void {
    const [x] = this.inputs(node);
    this.set(node, { shape: x.shape, layout: 'tf', constant: makeConstant(dtypeOf(x), x.shape, new Array<number>(elementCount(x.shape)).fill(0)) });
  }

  private range(node: TfNode): void {
    const [start, limit, delta] = this.inputs(node).map((v) => this.constInts(v, `${node.name} bounds`)[0]);
    const c = rangeConstant(start, limit, delta, this.attrDtype(node, 'Tidx'));
    this.set(node, { shape: c.shape, layout: 'tf', constant: c });
  }

  private tile(node: TfNode): void {
    const [x, multiplesValue] = this.inputs(node);
    const multiples = this.constInts(multiplesValue, `${node.name} multiples`);
    if (x.constant) {
      const c = tileConstant(x.constant, multiples);
      return this.set(node, { shape: c.shape, layout: 'tf', constant: c });
    }
    const name = this.emit('Tile', [this.tf(x), this.int64(multiples)]);
    this.set(node, { shape: x.shape.map((s, d) => s * multiples[d]), layout: 'tf', name, dtype: dtypeOf(x) });
  }

  private gather(node: TfNode): void {
    const [params, indices, axisValue] = this.inputs(node);
    if (this.attrInt(node, 'batch_dims') !== 0) throw this.error(`${node.name}: GatherV2 with batch_dims is not supported`);
    let axis = this.constInts(axisValue, `${node.name} axis`)[0];
    if (axis < 0) axis += params.shape.length;
    if (params.constant && indices.constant) {
      const c = gatherConstant(params.constant, indices.constant, axis);
      return this.set(node, { shape: c.shape, layout: 'tf', constant: c });
    }
    const shape = [...params.shape.slice(0, axis), ...indices.shape, ...params.shape.slice(axis + 1)];
    const name = this.emit('Gather', [this.tf(params), this.tf(indices)], { axis });
    this.set(node, { shape, layout: 'tf', name, dtype: dtypeOf(params) });
  }

  private transpose(node: TfNode): void {
    const [x, permValue] = this.inputs(node);
    const perm = this.constInts(permValue, `${node.name} perm`);
    const shape = perm.map((p) => x.shape[p]);
    if (x.constant) return this.set(node, { shape, layout: 'tf', constant: transposeConstant(x.constant, perm) });
    this.set(node, { shape, layout: 'tf', name: this.emit('Transpose', [this.tf(x)], { perm }), dtype: dtypeOf(x) });
  }

  /** TF BatchMatMulV2 -> ONNX MatMul (numpy broadcasting of the batch axes); adj_x/adj_y swap the last two axes. */
  private batchMatMul(node: TfNode): void {
    const [a, b] = this.inputs(node);
    const adjoint = (v: Value, flag: string): { name: string; shape: number[] } => {
      if (!this.attrBool(node, flag)) return { name: this.tf(v), shape: v.shape };
      const rank = v.shape.length;
      const perm = [...v.shape.keys()].map((d) => (d === rank - 2 ? rank - 1 : d === rank - 1 ? rank - 2 : d));
      return { name: this.emit('Transpose', [this.tf(v)], { perm }), shape: perm.map((p) => v.shape[p]) };
    };
    const left = adjoint(a, 'adj_x');
    const right = adjoint(b, 'adj_y');
    const batch = broadcastShapes(left.shape.slice(0, -2), right.shape.slice(0, -2), (detail) => this.error(`${node.name}: ${detail}`));
    const shape = [...batch, left.shape[left.shape.length - 2], right.shape[right.shape.length - 1]];
    this.set(node, { shape, layout: 'tf', name: this.emit('MatMul', [left.name, right.name]) });
  }

  /**
   * TF Atan2(y, x), composed (ONNX has no Atan2): atan(y / x), plus pi (y >= 0) or -pi (y < 0)
   * where x < 0. x = 0 gives atan(+-inf) = +-pi/2 as TF does.
   */
  private atan2(node: TfNode): void {
    const [y, x] = this.inputs(node);
    const shape = broadcastShapes(y.shape, x.shape, (detail) => this.error(`${node.name}: ${detail}`));
    const [yName, xName] = [this.tf(y), this.tf(x)];
    const base = this.emit('Atan', [this.emit('Div', [yName, xName])]);
    const zero = this.floatScalar(0);
    const halfTurn = this.emit('Where', [this.emit('GreaterOrEqual', [yName, zero]), this.floatScalar(Math.PI), this.floatScalar(-Math.PI)]);
    const correction = this.emit('Where', [this.emit('Less', [xName, zero]), halfTurn, zero]);
    this.set(node, { shape, layout: 'tf', name: this.emit('Add', [base, correction]) });
  }

  private resize(node: TfNode): void {
    const [x, sizeValue] = this.inputs(node);
    const [h, w] = this.constInts(sizeValue, `${node.name} size`);
    const alignCorners = this.attrBool(node, 'align_corners');
    const halfPixel = this.attrBool(node, 'half_pixel_centers');
    const bilinear = node.op === 'ResizeBilinear';
    const attrs: Record<string, string> = { mode: bilinear ? 'linear' : 'nearest' };
    if (alignCorners) {
      attrs.coordinate_transformation_mode = 'align_corners';
      if (!bilinear) attrs.nearest_mode = 'round_prefer_ceil';
    } else if (halfPixel) {
      attrs.coordinate_transformation_mode = bilinear ? 'half_pixel' : 'tf_half_pixel_for_nn';
      if (!bilinear) attrs.nearest_mode = 'floor';
    } else {
      attrs.coordinate_transformation_mode = 'asymmetric';
      if (!bilinear) attrs.nearest_mode = 'floor';
    }
    const sizes = this.int64([x.shape[0], x.shape[3], h, w]);
    const name = this.emit('Resize', [this.nchw(x), '', '', sizes], attrs);
    this.set(node, { shape: [x.shape[0], h, w, x.shape[3]], layout: 'nchw', name });
  }
}

const BINARY_OPS: Record<string, string> = {
  Add: 'Add', AddV2: 'Add', BiasAdd: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Div: 'Div', Maximum: 'Max', Minimum: 'Min',
  LessEqual: 'LessOrEqual', GreaterEqual: 'GreaterOrEqual', LogicalAnd: 'And',
};

/** Elementwise ops folded when their input is constant (sin/cos of fixed angles, negated constants). */
const UNARY_FOLDS: Record<string, (x: number) => number> = {
  Neg: (x) => -x, Abs: Math.abs, Floor: Math.floor, Sin: Math.sin, Cos: Math.cos, Exp: Math.exp, Sqrt: Math.sqrt, Relu: (x) => Math.max(x, 0),
};

/** ONNX binary ops whose result is bool. */
const COMPARISONS = new Set(['LessOrEqual', 'GreaterOrEqual', 'And', 'Less', 'Greater']);

function broadcastShapes(a: number[], b: number[], fail: (detail: string) => Error): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) throw fail(`shapes [${a}] and [${b}] do not broadcast`);
    out.push(Math.max(da, db));
  }
  return out;
}

/** Elementwise op on two constants (small shape subgraphs), result float32. */
/** Elementwise ONNX binary ops on constants; `ints`: both operands int32 (TF int division truncates). */
const BINARY_FOLDS: Record<string, (x: number, y: number, ints: boolean) => number> = {
  Add: (x, y) => x + y, Sub: (x, y) => x - y, Mul: (x, y) => x * y, Div: (x, y, ints) => (ints ? Math.trunc(x / y) : x / y),
  Max: (x, y) => Math.max(x, y), Min: (x, y) => Math.min(x, y),
  LessOrEqual: (x, y) => Number(x <= y), GreaterOrEqual: (x, y) => Number(x >= y), And: (x, y) => Number(x !== 0 && y !== 0),
};

/** Elementwise op on two constants (small shape subgraphs): int32 when both are, bool for comparisons, else float32. */
function foldBinary(op: string, a: ConstTensor, b: ConstTensor, shape: number[]): ConstTensor {
  const size = shape.reduce((x, y) => x * y, 1);
  const ints = a.dtype !== 'float32' && b.dtype !== 'float32';
  const dtype = COMPARISONS.has(op) ? 'bool' : ints ? 'int32' : 'float32';
  const values = dtype === 'float32' ? new Float32Array(size) : new Int32Array(size);
  const fold = BINARY_FOLDS[op];
  const indexA = broadcastIndexer(a.shape, shape);
  const indexB = broadcastIndexer(b.shape, shape);
  for (let i = 0; i < size; i++) values[i] = fold(a.values[indexA(i)], b.values[indexB(i)], ints);
  return { dtype, shape, values };
}

function broadcastIndexer(from: number[], to: number[]): (flat: number) => number {
  const offset = to.length - from.length;
  const strides = new Array<number>(from.length);
  for (let i = from.length - 1, s = 1; i >= 0; i--) {
    strides[i] = from[i] === 1 ? 0 : s;
    s *= from[i];
  }
  return (flat) => {
    let index = 0;
    for (let d = to.length - 1; d >= 0; d--) {
      const coordinate = flat % to[d];
      flat = (flat - coordinate) / to[d];
      if (d >= offset) index += coordinate * strides[d - offset];
    }
    return index;
  };
}

/** N-D transpose of a typed array: out[i_perm] = data[i]. */
export function permute<T extends Float32Array | Int32Array | Uint16Array>(data: T, shape: number[], perm: number[]): T {
  const rank = shape.length;
  const inStrides = new Array<number>(rank);
  for (let i = rank - 1, s = 1; i >= 0; i--) {
    inStrides[i] = s;
    s *= shape[i];
  }
  const outShape = perm.map((p) => shape[p]);
  const stepStrides = perm.map((p) => inStrides[p]);
  const out = new (data.constructor as new (n: number) => T)(data.length);
  const counter = new Array<number>(rank).fill(0);
  let source = 0;
  for (let i = 0; i < data.length; i++) {
    out[i] = data[source];
    for (let d = rank - 1; d >= 0; d--) {
      counter[d]++;
      source += stepStrides[d];
      if (counter[d] < outShape[d]) break;
      source -= stepStrides[d] * outShape[d];
      counter[d] = 0;
    }
  }
  return out;
}
