/**
 * Converter paths the four face models do not exercise (reductions, MatMul, Softmax, Squeeze,
 * nearest resize, explicit padding, PadV2, axis remapping, constant folding), checked on small
 * hand-written TFJS graphs against tfjs (cpu) itself.
 */
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { createSession, ort } from '../../src/inference/runtime.js';
import { convertGraphModel } from '../../src/inference/tfjs-to-onnx/convert-graph.js';
import { decodeWeights, type GraphModelJson, type TfAttrValue, type TfNode } from '../../src/inference/tfjs-to-onnx/graph-model.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');
const ints = (...v: number[]): TfAttrValue => ({ list: { i: v.map(String) } });
const str = (s: string): TfAttrValue => ({ s: b64(s) });
const FLOAT: TfAttrValue = { type: 'DT_FLOAT' };

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

async function compare(label: string, graph: SyntheticGraph, inputShape: number[], outputs: string[]): Promise<void> {
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
});
