import assert from 'node:assert/strict';
import onnxProto from 'onnx-proto';
import { GraphBuilder, TensorType } from '../../src/inference/onnx-builder.js';
import { createSession, ort } from '../../src/inference/runtime.js';

/** Plain numbers from protobufjs' int64 values (Long objects or numbers). */
const num = (value: unknown): number => Number(typeof value === 'object' && value !== null ? String(value) : value);
/** What a protobuf library reads from the bytes, as plain objects (onnx-proto is a devDependency). */
const decode = (bytes: Uint8Array): any => onnxProto.onnx.ModelProto.toObject(onnxProto.onnx.ModelProto.decode(bytes), { defaults: true });

describe('GraphBuilder: the ONNX protobuf writer', () => {
  /** One graph that uses every field kind the writer emits. */
  function sampleGraph(): GraphBuilder {
    const g = new GraphBuilder();
    g.input('x', ['N', 3]);
    const bias = g.constantFloat('bias', [1, 3], [0.5, -1.25, 3e-7]);
    const perm = g.constantInt64('shape', [2], [-1, 3]);
    g.node('Add', ['x', bias], ['sum'], {}, 'add_bias');
    g.node('Reshape', ['sum', perm], ['flat']);
    g.node('LeakyRelu', ['flat'], ['leaky'], { alpha: 0.125 });
    g.node('Transpose', ['leaky'], ['turned'], { perm: [1, 0] });
    g.node('ReduceSum', ['turned'], ['total'], { keepdims: 0 });
    g.node('Constant', [], ['unused_floats'], { value_floats: Float32Array.of(1.5, -2) });
    g.node('Constant', [], ['unused_tensor'], { value: { tensor: { name: 't', dims: [1], dataType: TensorType.INT32, rawData: new Uint8Array(Int32Array.of(-7).buffer) } } });
    g.node('Identity', ['x'], ['named'], { note: 'négatif' });
    g.output('total', [3]);
    g.output('named', ['N', 3]);
    return g;
  }

  it('writes what a protobuf library reads back field for field', () => {
    const model = decode(sampleGraph().build('sample', 16));
    assert.equal(num(model.irVersion), 7);
    assert.equal(model.producerName, 'babylon-photo-avatar');
    assert.deepEqual(model.opsetImport.map((o: { domain: string; version: unknown }) => [o.domain, num(o.version)]), [['', 16]]);
    const graph = model.graph;
    assert.equal(graph.name, 'sample');
    assert.deepEqual(graph.node.map((n: { opType: string }) => n.opType), ['Add', 'Reshape', 'LeakyRelu', 'Transpose', 'ReduceSum', 'Constant', 'Constant', 'Identity']);
    assert.deepEqual([graph.node[0].name, graph.node[0].input, graph.node[0].output], ['add_bias', ['x', 'bias'], ['sum']]);
    const attribute = (node: number) => graph.node[node].attribute[0];
    assert.equal(attribute(2).f, 0.125);
    assert.deepEqual(attribute(3).ints.map(num), [1, 0]);
    assert.equal(num(attribute(4).i), 0);
    assert.deepEqual(Array.from(attribute(5).floats), [1.5, -2]);
    assert.deepEqual(Array.from(new Int32Array(Uint8Array.from(attribute(6).t.rawData).buffer)), [-7]);
    assert.equal(new TextDecoder().decode(attribute(7).s), 'négatif');
    const [bias, shape] = graph.initializer;
    assert.deepEqual([bias.name, bias.dims.map(num), bias.dataType], ['bias', [1, 3], TensorType.FLOAT]);
    assert.deepEqual(Array.from(new Float32Array(Uint8Array.from(bias.rawData).buffer)), [0.5, -1.25, Math.fround(3e-7)]);
    assert.deepEqual(Array.from(new BigInt64Array(Uint8Array.from(shape.rawData).buffer)), [-1n, 3n]);
    const dims = (value: any) => value.type.tensorType.shape.dim.map((d: { dimParam: string; dimValue: unknown }) => d.dimParam || num(d.dimValue));
    assert.deepEqual(graph.input.map((v: any) => [v.name, v.type.tensorType.elemType, dims(v)]), [['x', TensorType.FLOAT, ['N', 3]]]);
    assert.deepEqual(graph.output.map((v: any) => [v.name, dims(v)]), [['total', [3]], ['named', ['N', 3]]]);
  });

  it('writes graphs onnxruntime runs, with negative int64 attributes', async () => {
    const g = new GraphBuilder();
    g.input('x', [2, 3]);
    const [lastAxisSum] = g.node('ReduceSum', ['x', g.constantInt64('axes', [1], [-1])], 1, { keepdims: 1 });
    g.node('Concat', ['x', lastAxisSum], ['y'], { axis: -1 });
    g.output('y', [2, 4]);
    const { session } = await createSession(g.build(), { backend: 'wasm' });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 2, 3, 4, 5, 6), [2, 3]) });
    assert.deepEqual(out.y.dims, [2, 4]);
    assert.deepEqual(Array.from(out.y.data as Float32Array), [1, 2, 3, 6, 4, 5, 6, 15]);
    await session.release();
  });

  it('writes large initializers (handed up whole, not joined) byte for byte', async () => {
    // 1 MB of weights: past the writer's join threshold, so their bytes travel by reference.
    const n = 250_000;
    const weights = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e3);
    const g = new GraphBuilder();
    g.input('x', [1, n]);
    g.node('Mul', ['x', g.constantFloat('w', [1, n], weights)], ['y']);
    g.node('ReduceSum', ['y'], ['total'], { keepdims: 0 });
    g.output('total', []);
    const bytes = g.build();
    const [initializer] = decode(bytes).graph.initializer;
    assert.deepEqual(initializer.dims.map(num), [1, n]);
    assert.ok(Buffer.from(initializer.rawData).equals(Buffer.from(weights.buffer)), 'the initializer bytes differ');
    const { session } = await createSession(bytes, { backend: 'wasm' });
    const out = await session.run({ x: new ort.Tensor('float32', new Float32Array(n).fill(1), [1, n]) });
    const expected = weights.reduce((sum, w) => sum + w, 0);
    assert.ok(Math.abs((out.total.data as Float32Array)[0] - expected) < 1e-3 * (1 + Math.abs(expected)), `sum ${(out.total.data as Float32Array)[0]} vs ${expected}`);
    await session.release();
  });
});
