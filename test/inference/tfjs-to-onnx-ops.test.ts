/**
 * Converter paths the four face models do not exercise (reductions, MatMul, Softmax, Squeeze,
 * nearest resize, explicit padding, PadV2, axis remapping, constant folding), and the ops of the
 * attention FaceMesh (shape arithmetic folded at conversion, strided slices, gathers with computed
 * indices, Atan2, batched matrix products), checked on small hand-written TFJS graphs against tfjs
 * (cpu) itself.
 */
import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import * as tf from '@tensorflow/tfjs';
import { createSession, ort } from '../../src/inference/runtime.js';
import { convertGraphModel, MAX_CONCAT_INPUTS } from '../../src/inference/tfjs-to-onnx/convert-graph.js';
import { decodeWeights, type GraphModelJson, type TfAttrValue, type TfNode } from '../../src/inference/tfjs-to-onnx/graph-model.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const ints = (...v: number[]): TfAttrValue => ({ list: { i: v.map(String) } });
const str = (s: string): TfAttrValue => ({ s: b64(s) });
const FLOAT: TfAttrValue = { type: 'DT_FLOAT' };
const INT32: TfAttrValue = { type: 'DT_INT32' };
const int = (v: number): TfAttrValue => ({ i: String(v) });
const bool = (b: boolean): TfAttrValue => ({ b });
/** StridedSlice attributes: begin, end, ellipsis, new-axis and shrink masks. */
const masks = (begin: number, end: number, ellipsis = 0, shrink = 0): Record<string, TfAttrValue> => ({
  begin_mask: int(begin), end_mask: int(end), ellipsis_mask: int(ellipsis), new_axis_mask: int(0), shrink_axis_mask: int(shrink), Index: INT32,
});

/** Builds a graph-model JSON + weight bytes from nodes and float/int constants. */
class SyntheticGraph {
  readonly nodes: TfNode[] = [];
  private readonly specs: { name: string; shape: number[]; dtype: string }[] = [];
  private readonly chunks: Uint8Array[] = [];
  private seed = 7;

  random(n: number, scale = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      this.seed = (this.seed * 1103515245 + 12345) >>> 0;
      out[i] = scale * ((this.seed / 2 ** 32) * 2 - 1);
    }
    return out;
  }

  input(name: string, shape: number[]): string {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: FLOAT, shape: { shape: { dim: shape.map((size) => ({ size: String(size) })) } } } as Record<string, TfAttrValue> });
    return name;
  }

  constant(name: string, shape: number[], values: Float32Array | Int32Array): string {
    const dtype = values instanceof Int32Array ? 'int32' : 'float32';
    this.nodes.push({ name, op: 'Const', attr: { dtype: { type: dtype === 'int32' ? 'DT_INT32' : 'DT_FLOAT' } } });
    this.specs.push({ name, shape, dtype });
    this.chunks.push(new Uint8Array(values.buffer.slice(0)));
    return name;
  }

  op(name: string, op: string, input: string[], attr: Record<string, TfAttrValue> = {}): string {
    this.nodes.push({ name, op, input, attr: { T: FLOAT, ...attr } });
    return name;
  }

  build(outputs: string[]): { json: GraphModelJson; bytes: Uint8Array } {
    const topology = { node: this.nodes, versions: {} }; // tfjs needs `versions`
    const json: GraphModelJson = {
      format: 'graph-model',
      modelTopology: topology,
      weightsManifest: [{ paths: ['w.bin'], weights: this.specs }],
      signature: { outputs: Object.fromEntries(outputs.map((o) => [o, { name: `${o}:0` }])) },
    };
    return { json, bytes: new Uint8Array(Buffer.concat(this.chunks)) };
  }
}

/** Input counts of the model's Concat nodes (onnx-proto is a devDependency). */
function concatInputCounts(model: Uint8Array): number[] {
  const nodes = onnxProto.onnx.ModelProto.decode(model).graph?.node ?? [];
  return nodes.filter((node) => node.opType === 'Concat').map((node) => node.input?.length ?? 0);
}

/** Converts `graph` and checks its `outputs` against tfjs (cpu) on a random input; returns the ONNX bytes. */
async function compare(label: string, graph: SyntheticGraph, inputShape: number[], outputs: string[]): Promise<Uint8Array> {
  const { json, bytes } = graph.build(outputs);
  const converted = convertGraphModel(json, decodeWeights(json, [bytes], label), label);
  const [n, h, w, c] = inputShape;
  const nhwc = graph.random(n * h * w * c, 2);
  const nchw = new Float32Array(nhwc.length);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) nchw[(k * h + y) * w + x] = nhwc[(y * w + x) * c + k];

  const model = await tf.loadGraphModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest[0].weights as tf.io.WeightsManifestEntry[],
    weightData: bytes.slice().buffer,
  }));
  const x = tf.tensor4d(nhwc, inputShape as [number, number, number, number]);
  const executed = model.execute(x, outputs);
  const refs = Array.isArray(executed) ? executed : [executed];
  const { session } = await createSession(converted.model, { backend: 'wasm' });
  const got = await session.run({ input: new ort.Tensor('float32', nchw, [n, c, h, w]) });
  console.log(`    ${label}: onnx ops ${converted.onnxOps.join(' ')}`);
  refs.forEach((ref, i) => {
    let data = ref.dataSync() as Float32Array;
    let shape = ref.shape;
    if (shape.length === 4) {
      const [rn, rh, rw, rc] = shape;
      const t = new Float32Array(data.length);
      for (let y = 0; y < rh; y++) for (let xx = 0; xx < rw; xx++) for (let k = 0; k < rc; k++) t[(k * rh + y) * rw + xx] = data[(y * rw + xx) * rc + k];
      data = t;
      shape = [rn, rc, rh, rw];
    }
    const out = got[outputs[i]];
    assert.deepEqual(out.dims, shape, `${label}.${outputs[i]} shape`);
    let maxDiff = 0;
    let scale = 0;
    for (let j = 0; j < data.length; j++) {
      maxDiff = Math.max(maxDiff, Math.abs((out.data as Float32Array)[j] - data[j]));
      scale = Math.max(scale, Math.abs(data[j]));
    }
    console.log(`      ${outputs[i]} [${shape}]: max abs diff ${maxDiff.toExponential(2)} (max|ref| ${scale.toPrecision(3)})`);
    assert.ok(maxDiff <= 1e-4 * Math.max(1, scale), `${label}.${outputs[i]} differs by ${maxDiff}`);
  });
  tf.dispose([x, ...refs]);
  model.dispose();
  await session.release();
  return converted.model;
}

describe('tfjs-to-onnx converter: ops beyond the face models', () => {
  before(async () => {
    await tf.setBackend('cpu');
    await tf.ready();
  });

  it('explicit-pad conv, fused depthwise + Relu6, global mean, fused MatMul, Softmax', async () => {
    const g = new SyntheticGraph();
    const x = g.input('x', [1, 9, 7, 4]);
    const w1 = g.constant('w1', [3, 3, 4, 6], g.random(3 * 3 * 4 * 6, 0.5));
    const conv = g.op('conv', 'Conv2D', [x, w1], { strides: ints(1, 2, 2, 1), padding: str('EXPLICIT'), explicit_paddings: ints(0, 0, 1, 2, 2, 0, 0, 0), data_format: str('NHWC'), dilations: ints(1, 1, 1, 1) });
    const dw = g.constant('dw', [3, 3, 6, 2], g.random(3 * 3 * 6 * 2, 0.5));
    const db = g.constant('db', [12], g.random(12, 0.1));
    const dconv = g.op('dconv', 'FusedDepthwiseConv2dNative', [conv, dw, db], { strides: ints(1, 1, 1, 1), padding: str('SAME'), data_format: str('NHWC'), dilations: ints(1, 1, 1, 1), fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu6')] } }, num_args: { i: '1' } });
    const axes = g.constant('axes', [2], Int32Array.from([1, 2]));
    const mean = g.op('mean', 'Mean', [dconv, axes], { keep_dims: { b: false }, Tidx: { type: 'DT_INT32' } });
    const mw = g.constant('mw', [12, 5], g.random(60));
    const mb = g.constant('mb', [5], g.random(5));
    const mm = g.op('mm', '_FusedMatMul', [mean, mw, mb], { transpose_a: { b: false }, transpose_b: { b: false }, fused_ops: { list: { s: [b64('BiasAdd'), b64('Relu')] } }, num_args: { i: '1' } });
    g.op('probs', 'Softmax', [mm]);
    await compare('conv-mean-matmul', g, [1, 9, 7, 4], ['probs', 'dconv']);
  });

  it('PadV2, nearest resize, channel concat with folded constants, squeeze, reshape, max reduce', async () => {
    const g = new SyntheticGraph();
    const x = g.input('x', [1, 6, 6, 3]);
    const paddings = g.constant('paddings', [4, 2], Int32Array.from([0, 0, 1, 0, 0, 2, 0, 1]));
    const value = g.constant('value', [], Float32Array.from([0.5]));
    const padded = g.op('padded', 'PadV2', [x, paddings, value]);
    const size = g.constant('size', [2], Int32Array.from([14, 10]));
    const resized = g.op('resized', 'ResizeNearestNeighbor', [padded, size], { align_corners: { b: false }, half_pixel_centers: { b: true } });
    const a = g.constant('a', [4], g.random(4));
    const b = g.constant('b', [4], g.random(4));
    const folded = g.op('folded', 'Mul', [a, b]);
    const scaled = g.op('scaled', 'Mul', [resized, folded]);
    const axis = g.constant('axis', [], Int32Array.from([-1]));
    const cat = g.op('cat', 'ConcatV2', [scaled, resized, axis], { N: { i: '2' } });
    const raxes = g.constant('raxes', [1], Int32Array.from([2]));
    const reduced = g.op('reduced', 'Max', [cat, raxes], { keep_dims: { b: true } });
    const squeezed = g.op('squeezed', 'Squeeze', [reduced], { squeeze_dims: ints(2) });
    const shape = g.constant('shape', [2], Int32Array.from([1, -1]));
    g.op('flat', 'Reshape', [squeezed, shape]);
    const lrelu = g.op('lrelu', 'LeakyRelu', [cat], { alpha: { f: 0.1 } });
    const bilinearSize = g.constant('bsize', [2], Int32Array.from([5, 9]));
    g.op('bilinear', 'ResizeBilinear', [lrelu, bilinearSize], { align_corners: { b: true }, half_pixel_centers: { b: false } });
    await compare('pad-resize-concat', g, [1, 6, 6, 3], ['flat', 'cat', 'bilinear']);
  });
  it('attention-mesh ops: folded shape arithmetic, strided slices, computed gathers, Atan2, comparisons, batched MatMul', async () => {
    const g = new SyntheticGraph();
    const ints32 = (name: string, values: number[]): string => g.constant(name, [values.length], Int32Array.from(values));
    const scalar32 = (name: string, v: number): string => g.constant(name, [], Int32Array.from([v]));
    const x = g.input('x', [1, 4, 6, 3]);
    // Batch-dynamic reshape: Shape -> StridedSlice (shrink) -> Pack -> Reshape, all folded.
    const shape = g.op('shape', 'Shape', [x], { out_type: INT32 });
    const batch = g.op('batch', 'StridedSlice', [shape, ints32('b0', [0]), ints32('b1', [1]), ints32('b2', [1])], { ...masks(0, 0, 0, 1), T: INT32 });
    const target = g.op('target', 'Pack', [batch, scalar32('minus1', -1)], { N: int(2), axis: int(0), T: INT32 });
    const flat = g.op('flat', 'Reshape', [x, target]);
    // x[..., 1:3] (ellipsis), x[:, ::-1] (negative stride to the front), x[:, :, 2] (shrink).
    const lastTwo = g.op('lastTwo', 'StridedSlice', [x, ints32('e0', [0, 1]), ints32('e1', [0, 3]), ints32('e2', [1, 1])], masks(0, 0, 1));
    const flipped = g.op('flipped', 'StridedSlice', [x, ints32('f0', [0, -1, 0, 0]), ints32('f1', [0, 0, 0, 0]), ints32('f2', [1, -1, 1, 1])], masks(13, 15));
    const column = g.op('column', 'StridedSlice', [x, ints32('c0', [0, 0, 2, 0]), ints32('c1', [0, 0, 3, 0]), ints32('c2', [1, 1, 1, 1])], masks(11, 11, 0, 4));
    // Channels 0 and 1 as y and x of Atan2 (all four quadrants: inputs are uniform in -2..2).
    const y0 = g.op('y0', 'StridedSlice', [x, ints32('y0b', [0, 0]), ints32('y0e', [0, 1]), ints32('y0s', [1, 1])], masks(0, 0, 1, 2));
    const x1 = g.op('x1', 'StridedSlice', [x, ints32('x1b', [0, 1]), ints32('x1e', [0, 2]), ints32('x1s', [1, 1])], masks(0, 0, 1, 2));
    const angle = g.op('angle', 'Atan2', [y0, x1]);
    const trig = g.op('trig', 'AddV2', [g.op('sin', 'Sin', [angle]), g.op('cos', 'Cos', [y0])]);
    // Gather with indices computed from the input: floor((y + 2) * 1.4) in 0..5, cast to int32.
    const scaled = g.op('scaled', 'Mul', [g.op('shifted', 'AddV2', [y0, g.constant('two', [], Float32Array.from([2]))]), g.constant('k', [], Float32Array.from([1.4]))]);
    const indices = g.op('indices', 'Cast', [g.op('floor', 'Floor', [scaled])], { SrcT: FLOAT, DstT: INT32, Truncate: bool(false) });
    const rows = g.op('rows', 'Reshape', [x, ints32('rowsShape', [24, 3])]);
    const gathered = g.op('gathered', 'GatherV2', [rows, indices, scalar32('gatherAxis', 0)], { Tparams: FLOAT, Tindices: INT32, Taxis: INT32, batch_dims: int(0) });
    // (y <= x) and (y >= 0) as 0/1.
    const both = g.op('both', 'LogicalAnd', [g.op('le', 'LessEqual', [y0, x1]), g.op('ge', 'GreaterEqual', [y0, g.constant('zero', [], Float32Array.from([0]))])]);
    const mask = g.op('mask', 'Cast', [both], { SrcT: { type: 'DT_BOOL' }, DstT: FLOAT, Truncate: bool(false) });
    const tiled = g.op('tiled', 'Tile', [y0, ints32('multiples', [1, 2, 1])], { Tmultiples: INT32 });
    const ramp = g.op('ramp', 'Cast', [g.op('range', 'Range', [scalar32('r0', 0), scalar32('r1', 6), scalar32('r2', 1)], { Tidx: INT32 })], { SrcT: INT32, DstT: FLOAT, Truncate: bool(false) });
    const ramped = g.op('ramped', 'Mul', [x1, ramp]);
    // Batched products with adjoints, a transpose, ExpandDims, ZerosLike and Fill.
    const stack = g.op('stack', 'Reshape', [x, ints32('stackShape', [4, 6, 3])]);
    const outer = g.op('outer', 'BatchMatMulV2', [stack, stack], { adj_x: bool(false), adj_y: bool(true) });
    const gram = g.op('gram', 'BatchMatMulV2', [stack, stack], { adj_x: bool(true), adj_y: bool(false) });
    const turned = g.op('turned', 'Transpose', [stack, ints32('perm', [2, 0, 1])], { Tperm: INT32 });
    const expanded = g.op('expanded', 'ExpandDims', [y0, scalar32('expandAxis', -1)], { Tdim: INT32 });
    const filled = g.op('filled', 'Fill', [ints32('fillDims', [1, 4, 6, 3]), g.constant('half', [], Float32Array.from([0.5]))], { index_type: INT32 });
    const weighted = g.op('weighted', 'AddV2', [g.op('zeros', 'ZerosLike', [x]), g.op('product', 'Mul', [expanded, filled])]);
    // A constant chain folded at conversion: Transpose, Tile, int32 MatMul, StridedSlice, Pack, Gather.
    const table = g.constant('table', [2, 3], Int32Array.from([1, 2, 3, 4, 5, 6]));
    const tiledTable = g.op('tiledTable', 'Tile', [g.op('tableT', 'Transpose', [table, ints32('tperm', [1, 0])], { Tperm: INT32, T: INT32 }), ints32('tmul', [1, 2])], { T: INT32, Tmultiples: INT32 });
    const product = g.op('tableProduct', 'MatMul', [tiledTable, g.constant('ones', [4, 1], Int32Array.from([1, 1, 1, 1]))], { T: INT32, transpose_a: bool(false), transpose_b: bool(false) });
    const picked = g.op('picked', 'GatherV2', [g.op('productFlat', 'Reshape', [product, ints32('pf', [3])], { T: INT32 }), ints32('pick', [2, 0, 1]), scalar32('pickAxis', 0)], { Tparams: INT32, Tindices: INT32, Taxis: INT32, batch_dims: int(0) });
    const offsets = g.op('offsets', 'Cast', [picked], { SrcT: INT32, DstT: FLOAT, Truncate: bool(false) });
    const offset = g.op('offset', 'AddV2', [x, offsets]);
    await compare('attention-ops', g, [1, 4, 6, 3], [
      'flat', 'lastTwo', 'flipped', 'column', 'angle', 'trig', 'gathered', 'mask', 'tiled', 'ramped', 'outer', 'gram', 'turned', 'weighted', 'offset',
    ]);
  });

  it('wide concats and packs nest into Concats of at most 7 inputs (WebGPU binds 8 buffers), with the same values', async () => {
    const g = new SyntheticGraph();
    const x = g.input('x', [1, 3, 4, 2]);
    const axis = g.constant('axis', [], Int32Array.from([-1]));
    const scaled = (count: number, prefix: string): string[] =>
      Array.from({ length: count }, (_, i) => g.op(`${prefix}${i}`, 'Mul', [x, g.constant(`${prefix}k${i}`, [], Float32Array.from([i + 1]))]));
    // 16 computed parts on the channel axis (an NCHW concat), 9 on a packed new axis.
    g.op('wide', 'ConcatV2', [...scaled(16, 'c'), axis], { N: int(16) });
    g.op('packed', 'Pack', scaled(9, 'p'), { N: int(9), axis: int(0) });
    const model = await compare('wide-concat', g, [1, 3, 4, 2], ['wide', 'packed']);
    const counts = concatInputCounts(model);
    console.log(`      Concat input counts: ${counts.join(', ')}`);
    assert.ok(counts.length > 2, 'the wide concats were not split');
    assert.ok(Math.max(...counts) <= MAX_CONCAT_INPUTS, `a Concat takes ${Math.max(...counts)} inputs`);
  });

  it('int32 clamps and logical and convert to ops with WebGPU kernels (Where and Mul on floats between Casts), with the same values', async () => {
    const g = new SyntheticGraph();
    const x = g.input('x', [1, 4, 6, 3]);
    // Indices floor(3 x) in -6..5 clamped to 0..3, as the spatial transformers clamp theirs.
    const indices = g.op('indices', 'Cast', [g.op('floor', 'Floor', [g.op('tripled', 'Mul', [x, g.constant('three', [], Float32Array.from([3]))])])], { SrcT: FLOAT, DstT: INT32, Truncate: bool(false) });
    const upper = g.op('upper', 'Minimum', [indices, g.constant('hi', [], Int32Array.from([3]))], { T: INT32 });
    const clamped = g.op('clamped', 'Maximum', [upper, g.constant('lo', [], Int32Array.from([0]))], { T: INT32 });
    g.op('clampedFloat', 'Cast', [clamped], { SrcT: INT32, DstT: FLOAT, Truncate: bool(false) });
    const inside = g.op('inside', 'LogicalAnd', [g.op('le', 'LessEqual', [x, g.constant('one', [], Float32Array.from([1]))]), g.op('ge', 'GreaterEqual', [x, g.constant('minusOne', [], Float32Array.from([-1]))])]);
    g.op('insideFloat', 'Cast', [inside], { SrcT: { type: 'DT_BOOL' }, DstT: FLOAT, Truncate: bool(false) });
    const model = await compare('clamps-and', g, [1, 4, 6, 3], ['clampedFloat', 'insideFloat']);
    const ops = onnxProto.onnx.ModelProto.decode(model).graph?.node?.map((node) => node.opType) ?? [];
    assert.ok(!ops.includes('And'), 'an And node is left');
    assert.ok(ops.includes('Where') && ops.includes('Less') && ops.includes('Greater'));
    assert.ok(!ops.includes('Min') && !ops.includes('Max'), 'a Min or Max node is left');
  });
});
