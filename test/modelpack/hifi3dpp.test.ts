import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { GraphBuilder } from '../../src/inference/onnx-builder.js';
import { createSession, ort } from '../../src/inference/runtime.js';
import { readPack, writePack } from '../../src/modelpack/format.js';
import { decodeShape, type HeadModel } from '../../src/modelpack/head-model.js';
import { HIFI3DPP_MODEL_TO_METRES, importHifi3dpp } from '../../src/modelpack/importers/hifi3dpp.js';
import { parseObj } from '../../src/modelpack/importers/obj.js';
import { requireSharedData, sharedPath } from '../helpers/shared-data.js';
import { assertModelsEqual } from './assert-model.js';
import { seededRandom } from './synthetic-model.js';

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
}

function distance(p: Float32Array, a: number, q: ArrayLike<number>, b: number): number {
  return Math.hypot(p[3 * a] - q[3 * b], p[3 * a + 1] - q[3 * b + 1], p[3 * a + 2] - q[3 * b + 2]);
}

describe('modelpack HiFi3D++ (FFHQ-UV model_info) importer', function () {
  requireSharedData(this, 'hifi3d', 'hifi3dpp_model_info.fixture32z.mat');
  let m64: HeadModel;
  let m32: HeadModel;

  before(() => {
    m64 = importHifi3dpp(readFileSync(sharedPath('hifi3d', 'hifi3dpp_model_info.fixture64.mat')));
    m32 = importHifi3dpp(readFileSync(sharedPath('hifi3d', 'hifi3dpp_model_info.fixture32z.mat')));
  });

  it('imports both fixtures to the same model', () => {
    assert.equal(m64.vertexCount, m32.vertexCount);
    for (const key of ['indices', 'weldGroup', 'landmarks68', 'jawContour', 'mirrorVertex'] as const) assert.deepEqual(m64[key], m32[key], key);
    assert.deepEqual(m64.uvs, m32.uvs);
    let worst = 0;
    for (let i = 0; i < m64.positions.length; i++) worst = Math.max(worst, Math.abs(m64.positions[i] - m32.positions[i]));
    let worstBasis = 0;
    for (let i = 0; i < m64.identityBasis.length; i++) worstBasis = Math.max(worstBasis, Math.abs(m64.identityBasis[i] - m32.identityBasis[i]));
    let worstSkin = 0;
    for (let i = 0; i < m64.skinWeight.length; i++) worstSkin = Math.max(worstSkin, Math.abs(m64.skinWeight[i] - m32.skinWeight[i]));
    console.log(`    ${m64.vertexCount} vertices (20481 + seam copies), ${m64.indices.length / 3} triangles; fixture64 vs fixture32z: positions ${worst.toExponential(1)} m, shared basis ${worstBasis.toExponential(1)} m, skin ${worstSkin.toExponential(1)}`);
    assert.ok(worst < 1e-7 && worstBasis < 1e-8 && worstSkin < 1e-4);
    assert.equal(m64.identityCount, 4); assert.equal(m32.identityCount, 12);
    assert.deepEqual(m32.expressionNames, ['exp00', 'exp01', 'exp02', 'exp03', 'exp04', 'exp05']);
  });

  it("matches HIFI3D.obj's triangles, UVs and shape (metres)", () => {
    const obj = parseObj(readFileSync(sharedPath('hifi3d', 'HIFI3D.obj')), { source: 'HIFI3D.obj' });
    assert.equal(obj.triangles.length, m32.indices.length);
    let worst = 0;
    for (let c = 0; c < obj.triangles.length; c++) {
      const v = m32.indices[c];
      assert.equal(m32.weldGroup[v], obj.triangles[c], `corner ${c} vertex`);
      const t = obj.triangleTexcoords[c];
      assert.ok(m32.uvs[2 * v] === Math.fround(obj.texcoords[2 * t]) && m32.uvs[2 * v + 1] === Math.fround(obj.texcoords[2 * t + 1]), `corner ${c} uv`);
      for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(m32.positions[3 * v + k] - obj.positions[3 * obj.triangles[c] + k] * 0.01));
    }
    const eyes = distance(m32.positions, m32.landmarks68[36], m32.positions, m32.landmarks68[45]);
    const fitted = parseObj(readFileSync(sharedPath('hifi3d', 'fitted', 'teaser_1', 'mesh_head.obj')), { positionsOnly: true }).positions;
    const fittedEyes = distance(fitted, m32.landmarks68[36], fitted, m32.landmarks68[45]) * HIFI3DPP_MODEL_TO_METRES;
    console.log(`    vs HIFI3D.obj (cm -> m): worst position difference ${worst.toExponential(1)} m; outer eye corners ${(eyes * 100).toFixed(2)} cm (mean), ${(fittedEyes * 100).toFixed(2)} cm (fitted teaser_1)`);
    assert.ok(worst < 1e-5);
    assert.ok(eyes > 0.08 && eyes < 0.11 && fittedEyes > 0.08 && fittedEyes < 0.11);
    // Subject's right eye at -X, nose towards +Z, forehead above the chin.
    assert.ok(m32.positions[3 * m32.landmarks68[36]] < 0 && m32.positions[3 * m32.landmarks68[45]] > 0);
    assert.ok(m32.positions[3 * m32.landmarks68[30] + 2] > m32.positions[3 * m32.landmarks68[0] + 2]);
    assert.ok(m32.positions[3 * m32.landmarks68[27] + 1] > m32.positions[3 * m32.landmarks68[8] + 1]);
  });

  it('has landmarks on REALY keypoints, outward winding, mirror partners, a jaw contour and skin weights', () => {
    const m = m32;
    const key85 = JSON.parse(readFileSync(sharedPath('hifi3d', 'HIFI3D_keypoints85.json'), 'utf8')) as number[][];
    let sum = 0, worst = 0;
    for (let i = 0; i < 68; i++) {
      const [t, w1, w2] = key85[i];
      const p = [0, 0, 0];
      for (const [corner, w] of [[0, w1], [1, w2], [2, 1 - w1 - w2]] as const) for (let k = 0; k < 3; k++) p[k] += w * m.positions[3 * m.indices[3 * t + corner] + k];
      const d = distance(m.positions, m.landmarks68[i], p, 0);
      sum += d; worst = Math.max(worst, d);
    }
    let outward = 0, mirrorError = 0;
    const n = m.vertexCount;
    const centre = [0, 0, 0];
    for (let v = 0; v < n; v++) for (let k = 0; k < 3; k++) centre[k] += m.positions[3 * v + k] / n;
    for (let t = 0; t < m.indices.length; t += 3) {
      const [a, b, c] = [m.indices[t], m.indices[t + 1], m.indices[t + 2]].map((x) => x * 3);
      const e1 = [0, 1, 2].map((k) => m.positions[b + k] - m.positions[a + k]);
      const e2 = [0, 1, 2].map((k) => m.positions[c + k] - m.positions[a + k]);
      const normal = [e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]];
      if (normal.reduce((s, x, k) => s + x * (m.positions[a + k] - centre[k]), 0) > 0) outward++;
    }
    for (let v = 0; v < n; v++) {
      const w = m.mirrorVertex[v];
      mirrorError += Math.hypot(m.positions[3 * w] + m.positions[3 * v], m.positions[3 * w + 1] - m.positions[3 * v + 1], m.positions[3 * w + 2] - m.positions[3 * v + 2]) / n;
    }
    const jaw = m.jawContour;
    let skin = 0;
    for (const w of m.skinWeight) skin += w;
    const lip = m.skinWeight[m.landmarks68[62]], cheek = m.skinWeight[m.landmarks68[2]], forehead = m.skinWeight[m.weldGroup[m.landmarks68[27]]];
    console.log(`    landmark vertex vs REALY keypoint: mean ${(sum / 68 * 1000).toFixed(2)} mm, worst ${(worst * 1000).toFixed(2)} mm; outward triangles ${(100 * outward / (m.indices.length / 3)).toFixed(1)}%; mirror error mean ${(mirrorError * 1000).toFixed(3)} mm; jaw contour ${jaw.length} vertices; skin weight sum ${skin.toFixed(0)} (lip ${lip.toFixed(2)}, nose bridge ${forehead.toFixed(2)})`);
    assert.ok(sum / 68 < 0.005 && worst < 0.015);
    assert.ok(outward / (m.indices.length / 3) > 0.7);
    assert.ok(mirrorError < 0.0005);
    assert.equal(jaw[0], m.weldGroup[m.landmarks68[0]]);
    assert.equal(jaw[jaw.length - 1], m.weldGroup[m.landmarks68[16]]);
    assert.ok(m.positions[3 * jaw[0]] < 0 && m.positions[3 * jaw[jaw.length - 1]] > 0);
    assert.equal(lip, 0);
    assert.ok(skin > 1000 && skin < n * 0.6);
    void cheek;
  });

  it('round-trips bit-exact in fp32 and measures fp16 error', () => {
    for (const model of [m64, m32]) {
      const bytes = writePack(model);
      assertModelsEqual(readPack(bytes), model);
      const half = readPack(writePack(model, { precision: 'fp16' }));
      const rand = seededRandom(9);
      const id = Float32Array.from({ length: model.identityCount }, () => gaussian(rand));
      const ex = Float32Array.from({ length: model.expressionNames.length }, () => gaussian(rand));
      const exact = decodeShape(model, id, ex);
      const approx = decodeShape(half, id, ex);
      let worst = 0, sum = 0;
      for (let v = 0; v < model.vertexCount; v++) {
        const d = Math.hypot(exact[3 * v] - approx[3 * v], exact[3 * v + 1] - approx[3 * v + 1], exact[3 * v + 2] - approx[3 * v + 2]);
        worst = Math.max(worst, d); sum += d;
      }
      const fp16Bytes = writePack(model, { precision: 'fp16' }).length;
      const truncated = readPack(writePack(model, { identityModes: 2 }));
      assert.equal(truncated.identityCount, 2);
      console.log(`    ${model.identityCount} id modes: fp32 pack ${(bytes.length / 1048576).toFixed(2)} MiB, fp16 ${(fp16Bytes / 1048576).toFixed(2)} MiB; fp16 shape error (N(0,1) coefficients) mean ${(sum / model.vertexCount * 1e6).toFixed(2)} um, worst ${(worst * 1e6).toFixed(2)} um`);
      assert.ok(worst < 20e-6);
    }
  });

  it('decodes mean + basis * coefficients on onnxruntime-web (Gemm) like decodeShape', async () => {
    const model = m32;
    const n3 = model.vertexCount * 3;
    const k = model.identityCount, e = model.expressionNames.length;
    const basis = new Float32Array((k + e) * n3);
    basis.set(model.identityBasis); basis.set(model.expressionBasis, k * n3);
    const g = new GraphBuilder();
    g.input('coeffs', [1, k + e]);
    g.node('Gemm', ['coeffs', g.constantFloat('basis', [k + e, n3], basis), g.constantFloat('mean', [n3], model.positions)], ['shape']);
    g.output('shape', [1, n3]);
    const { session, backend } = await createSession(g.build('decode'), { backend: 'wasm' });
    const rand = seededRandom(4);
    const coeffs = Float32Array.from({ length: k + e }, () => gaussian(rand));
    const result = await session.run({ coeffs: new ort.Tensor('float32', coeffs, [1, k + e]) });
    const onnx = result.shape.data as Float32Array;
    const reference = decodeShape(model, coeffs.subarray(0, k), coeffs.subarray(k));
    let worst = 0;
    for (let i = 0; i < n3; i++) worst = Math.max(worst, Math.abs(onnx[i] - reference[i]));
    console.log(`    onnxruntime-web (${backend}) Gemm decode vs decodeShape: worst ${worst.toExponential(2)} m over ${n3} values`);
    assert.ok(worst < 1e-6);
    await session.release();
  });
});
