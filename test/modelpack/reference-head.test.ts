import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
/**
 * The procedural reference head (src/modelpack/reference-head): no longer shipped, but the MakeHuman
 * default head takes its correspondence, identity modes and blendshapes from it at build time, so
 * its geometry and modes must stay sound.
 */
import { buildReferenceHead, REFERENCE_HEAD_ID } from '../../src/modelpack/reference-head/index.js';
import { ARKIT_BLENDSHAPES } from '../../src/modelpack/arkit-blendshapes.js';
import { boundaryLoops, manifoldProblems } from '../../src/modelpack/mesh-utils.js';
import { computeVertexNormals, type HeadModel } from '../../src/modelpack/head-model.js';

function hashModel(m: HeadModel): string {
  const h = createHash('sha256');
  for (const a of [m.positions, m.uvs, m.indices, m.weldGroup, m.identityBasis, m.identityStd, m.expressionBasis, m.expressionStd,
    m.landmarks68, m.jawContour, m.mirrorVertex, m.skinWeight, ...m.parts.flatMap((p) => [p.positions, p.indices, p.uvs, p.pivot])]) {
    h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  }
  h.update(m.expressionNames.join(','));
  return h.digest('hex');
}

const pos = (m: HeadModel, v: number, p = m.positions) => [p[3 * v], p[3 * v + 1], p[3 * v + 2]];

function displacement(m: HeadModel, name: string, v: number): number[] {
  const k = m.expressionNames.indexOf(name);
  const o = k * m.vertexCount * 3 + 3 * v;
  return [m.expressionBasis[o], m.expressionBasis[o + 1], m.expressionBasis[o + 2]];
}

describe('procedural reference head (build-time correspondence source, from the MediaPipe canonical face)', function () {
  let model: HeadModel;
  let buildMs = 0;
  before(function () {
    const t = performance.now();
    model = buildReferenceHead();
    buildMs = performance.now() - t;
  });

  it('has the expected sizes and metadata', function () {
    const triangles = model.indices.length / 3;
    console.log(`    build ${buildMs.toFixed(0)} ms; ${model.vertexCount} vertices, ${triangles} triangles, ${model.identityCount} identity modes, ${model.expressionNames.length} expressions`);
    assert.equal(model.id, REFERENCE_HEAD_ID);
    assert.equal(model.licence, 'Apache-2.0');
    assert.match(model.provenance, /MediaPipe canonical face mesh/);
    assert.ok(model.vertexCount >= 5000 && model.vertexCount <= 16000, `${model.vertexCount} vertices`);
    assert.equal(model.positions.length, model.vertexCount * 3);
    assert.equal(model.uvs.length, model.vertexCount * 2);
    assert.equal(model.weldGroup.length, model.vertexCount);
    assert.ok(model.identityCount >= 40 && model.identityCount <= 80);
    assert.equal(model.identityBasis.length, model.identityCount * model.vertexCount * 3);
    assert.equal(model.expressionBasis.length, model.expressionNames.length * model.vertexCount * 3);
    assert.equal(model.expressionStd.length, model.expressionNames.length);
    assert.equal(model.landmarks68.length, 68);
    assert.equal(model.landmarks468!.length, 468);
    assert.deepEqual(model.parts.map((p) => p.name).sort(), ['eyeLeft', 'eyeRight']);
  });

  it('has valid, non-degenerate, consistently wound triangles', function () {
    let minArea = Infinity;
    for (let t = 0; t < model.indices.length; t += 3) {
      const [a, b, c] = [model.indices[t], model.indices[t + 1], model.indices[t + 2]];
      assert.ok(a < model.vertexCount && b < model.vertexCount && c < model.vertexCount);
      assert.ok(a !== b && b !== c && a !== c);
      const [pa, pb, pc] = [pos(model, a), pos(model, b), pos(model, c)];
      const e1 = pb.map((x, k) => x - pa[k]), e2 = pc.map((x, k) => x - pa[k]);
      const area = 0.5 * Math.hypot(e1[1] * e2[2] - e1[2] * e2[1], e1[2] * e2[0] - e1[0] * e2[2], e1[0] * e2[1] - e1[1] * e2[0]);
      minArea = Math.min(minArea, area);
    }
    const problems = manifoldProblems(model.indices);
    console.log(`    smallest triangle ${(minArea * 1e6).toFixed(3)} mm^2, ${JSON.stringify(problems)}`);
    assert.ok(minArea > 1e-9);
    assert.deepEqual(problems, { nonManifoldEdges: 0, flippedEdges: 0 });
    const normals = computeVertexNormals(model.positions, model.indices, model.weldGroup);
    console.log(`    nose tip normal z ${normals[3 * 4 + 2].toFixed(3)}, crown normal y ${normals[3 * topVertex(model) + 1].toFixed(3)}`);
    assert.ok(normals[3 * 4 + 2] > 0.8, 'nose tip normal points to +Z');
    assert.ok(normals[3 * topVertex(model) + 1] > 0.8, 'crown normal points up');
  });

  it('is closed except the two eye sockets and the neck bottom', function () {
    const loops = boundaryLoops(model.indices);
    const described = loops.map((l) => {
      const c = l.reduce((s, v) => [s[0] + model.positions[3 * v], s[1] + model.positions[3 * v + 1], s[2] + model.positions[3 * v + 2]], [0, 0, 0]).map((x) => x / l.length);
      return { length: l.length, centre: c.map((x) => +(x * 100).toFixed(1)) };
    });
    console.log(`    boundary loops (centres in cm): ${JSON.stringify(described)}`);
    assert.equal(loops.length, 3);
    const neck = described.find((d) => d.centre[1] < -15)!;
    assert.ok(neck, 'neck bottom loop');
    const eyes = described.filter((d) => d !== neck);
    assert.ok(eyes.every((e) => Math.abs(Math.abs(e.centre[0]) - 3.2) < 1 && e.centre[1] > 1 && e.centre[1] < 4));
    // Head proportions: chin to crown and width.
    let minY = Infinity, maxY = -Infinity, maxX = 0, minZ = Infinity, maxZ = -Infinity;
    const chinY = model.positions[3 * 152 + 1];
    for (let v = 0; v < model.vertexCount; v++) {
      const [x, y, z] = pos(model, v);
      maxY = Math.max(maxY, y); minY = Math.min(minY, y);
      if (y > chinY) { maxX = Math.max(maxX, Math.abs(x)); minZ = Math.min(minZ, z); maxZ = Math.max(maxZ, z); }
    }
    console.log(`    chin-crown ${((maxY - chinY) * 100).toFixed(1)} cm, width ${(2 * maxX * 100).toFixed(1)} cm, depth ${((maxZ - minZ) * 100).toFixed(1)} cm`);
    assert.ok(maxY - chinY > 0.21 && maxY - chinY < 0.25);
    assert.ok(2 * maxX > 0.14 && 2 * maxX < 0.17);
    assert.ok(maxZ - minZ > 0.18 && maxZ - minZ < 0.23);
  });

  it('is mirror symmetric', function () {
    let sum = 0, worst = 0;
    for (let v = 0; v < model.vertexCount; v++) {
      const [x, y, z] = pos(model, v);
      const [mx, my, mz] = pos(model, model.mirrorVertex[v]);
      const e = Math.hypot(x + mx, y - my, z - mz);
      sum += e; worst = Math.max(worst, e);
    }
    console.log(`    mirror error mean ${(sum / model.vertexCount * 1000).toFixed(3)} mm, max ${(worst * 1000).toFixed(3)} mm`);
    assert.ok(sum / model.vertexCount < 0.0005);
    assert.ok(worst < 0.003);
    assert.equal(model.mirrorVertex[model.mirrorVertex[33]], 33);
    assert.equal(model.mirrorVertex[33], 263);
  });

  it('keeps the 468 canonical vertices first and places the 68 landmarks plausibly', function () {
    assert.ok(model.landmarks468!.every((v, i) => v === i));
    const l = (i: number) => pos(model, model.landmarks68[i]);
    const [r, le] = [l(36), l(45)];
    console.log(`    outer eye corners ${r.map((x) => (x * 100).toFixed(2))} / ${le.map((x) => (x * 100).toFixed(2))} cm`);
    assert.ok(Math.abs(r[0] + le[0]) < 1e-4 && Math.abs(r[1] - le[1]) < 1e-4, 'eye corners symmetric');
    assert.ok(r[0] < -0.03 && le[0] > 0.03, 'iBUG 36 is the subject\'s right eye (-X)');
    assert.ok(l(30)[2] > l(27)[2], 'nose tip in front of the bridge');
    assert.ok(l(8)[1] < l(57)[1] && l(57)[1] < l(51)[1] && l(51)[1] < l(33)[1] && l(33)[1] < l(27)[1], 'chin < lower lip < upper lip < nose < bridge');
    const jaw = model.jawContour;
    assert.ok(pos(model, jaw[0])[0] < -0.06 && pos(model, jaw[jaw.length - 1])[0] > 0.06);
    assert.ok([...jaw].includes(152));
    console.log(`    jaw contour: ${jaw.length} vertices`);
  });

  it('has iBUG jaw march lines from the face oval back along the mandible, mirror symmetric', function () {
    const { offsets, vertices } = model.jawMarchLines!;
    assert.equal(offsets.length, 18);
    const sizes: number[] = [];
    for (let i = 0; i < 17; i++) {
      const line = vertices.subarray(offsets[i], offsets[i + 1]);
      sizes.push(line.length);
      assert.equal(line[0], model.landmarks68[i], `line ${i} starts at its landmark`);
      if (i === 8) { assert.equal(line.length, 1, 'the chin does not march'); continue; }
      assert.ok(line.length >= 8, `line ${i} has ${line.length} vertices`);
      const side = Math.sign(pos(model, line[0])[0]);
      assert.equal(side, i < 8 ? -1 : 1, `line ${i} on the subject's ${i < 8 ? 'right' : 'left'}`);
      // Lines run backwards (towards the ear) and stay on their side of the face.
      assert.ok(line.every((v) => Math.sign(pos(model, v)[0]) === side));
      assert.ok(pos(model, line[line.length - 1])[2] < pos(model, line[0])[2], `line ${i} ends behind its start`);
      // The mirrored line of the other side has the same length.
      assert.equal(line.length, offsets[17 - i] - offsets[16 - i]);
    }
    console.log(`    jaw march lines: ${sizes.join(' ')} vertices`);
  });

  it('has one UV per vertex inside 0..1 without flipped face/cranium triangles', function () {
    assert.ok(model.uvs.every((x) => x >= 0 && x <= 1));
    let flipped = 0, total = 0;
    for (let t = 0; t < model.indices.length; t += 3) {
      const [a, b, c] = [model.indices[t], model.indices[t + 1], model.indices[t + 2]];
      const area = (model.uvs[2 * b] - model.uvs[2 * a]) * (model.uvs[2 * c + 1] - model.uvs[2 * a + 1]) - (model.uvs[2 * c] - model.uvs[2 * a]) * (model.uvs[2 * b + 1] - model.uvs[2 * a + 1]);
      total++;
      if (area <= 0 && model.skinWeight[a] + model.skinWeight[b] + model.skinWeight[c] > 0) flipped++;
    }
    console.log(`    UV triangles flipped on skin: ${flipped} of ${total}`);
    assert.ok(flipped / total < 0.002);
    assert.ok(model.weldGroup.every((g, v) => g <= v));
  });

  it('has all 52 ARKit blendshapes, each moving only its region', function () {
    assert.deepEqual([...model.expressionNames].sort(), [...ARKIT_BLENDSHAPES].sort());
    assert.equal(model.expressionNames.length, 52);
    assert.ok(model.expressionStd.every((s) => s === 0.5));
    const n = model.vertexCount;
    const crown = topVertex(model);
    for (let k = 0; k < 52; k++) {
      let peak = 0;
      for (let v = 0; v < n; v++) peak = Math.max(peak, Math.hypot(...displacement(model, model.expressionNames[k], v)));
      const back = Math.hypot(...displacement(model, model.expressionNames[k], crown));
      assert.ok(peak > 0.0005, `${model.expressionNames[k]} moves something (${peak})`);
      assert.ok(back < 1e-5, `${model.expressionNames[k]} leaves the crown alone`);
    }
    const chin = displacement(model, 'jawOpen', 152), forehead = displacement(model, 'jawOpen', 10);
    const upperLip = displacement(model, 'jawOpen', 13), lowerLip = displacement(model, 'jawOpen', 14);
    console.log(`    jawOpen: chin dy ${(chin[1] * 100).toFixed(2)} cm, lower lip dy ${(lowerLip[1] * 100).toFixed(2)} cm, upper lip ${(Math.hypot(...upperLip) * 1000).toFixed(2)} mm, forehead ${(Math.hypot(...forehead) * 1000).toFixed(3)} mm`);
    assert.ok(chin[1] < -0.01 && lowerLip[1] < -0.008);
    assert.ok(Math.hypot(...forehead) < 1e-4 && Math.hypot(...upperLip) < 0.001);
    // eyeBlink_L closes the subject's left eye (+X): upper lid centre 386 meets lower lid centre 374.
    const gap0 = model.positions[3 * 386 + 1] - model.positions[3 * 374 + 1];
    const gap1 = gap0 + displacement(model, 'eyeBlink_L', 386)[1] - displacement(model, 'eyeBlink_L', 374)[1];
    const other = Math.hypot(...displacement(model, 'eyeBlink_L', 159));
    console.log(`    eyeBlink_L: lid gap ${(gap0 * 1000).toFixed(2)} -> ${(gap1 * 1000).toFixed(2)} mm; right eye moves ${(other * 1000).toFixed(3)} mm`);
    assert.ok(Math.abs(gap1) < 0.0015 && other < 1e-5);
    const smile = displacement(model, 'mouthSmile_L', 291), smileOther = displacement(model, 'mouthSmile_L', 61);
    assert.ok(smile[1] > 0.003 && smile[0] > 0 && Math.hypot(...smileOther) < 0.0005);
    assert.ok(displacement(model, 'mouthFrown_R', 61)[1] < -0.003);
    assert.ok(displacement(model, 'browInnerUp', 107)[1] > 0.003);
    assert.ok(displacement(model, 'jawLeft', 152)[0] > 0.005);
  });

  it('has an orthogonal, smooth identity basis with plausible standard deviations', function () {
    const n3 = model.vertexCount * 3;
    const modes = Array.from({ length: model.identityCount }, (_, k) => model.identityBasis.subarray(k * n3, (k + 1) * n3));
    const norms = modes.map((m) => Math.sqrt(m.reduce((s, x) => s + x * x, 0)));
    let worst = 0;
    for (let i = 0; i < modes.length; i++) {
      for (let j = i + 1; j < modes.length; j++) {
        let d = 0;
        for (let q = 0; q < n3; q++) d += modes[i][q] * modes[j][q];
        worst = Math.max(worst, Math.abs(d) / (norms[i] * norms[j]));
      }
    }
    const std = Array.from(model.identityStd);
    console.log(`    identity: ${model.identityCount} modes, max |cos| ${worst.toExponential(2)}, std ${(std[0] * 1000).toFixed(2)}..${(std[std.length - 1] * 1000).toFixed(2)} mm`);
    assert.ok(worst < 1e-3);
    assert.ok(std.every((s) => s >= 2e-4 && s < 0.02));
    // Rigid motions were projected out: no mode translates the head.
    for (const m of modes) {
      let mx = 0, my = 0, mz = 0;
      for (let v = 0; v < model.vertexCount; v++) { mx += m[3 * v]; my += m[3 * v + 1]; mz += m[3 * v + 2]; }
      assert.ok(Math.hypot(mx, my, mz) / model.vertexCount < 1e-4);
    }
  });

  it('has eyeballs behind the eye openings and a skin weight map', function () {
    for (const part of model.parts) {
      const [cx, cy, cz] = part.pivot;
      const front = part.positions.subarray(0, 3);
      console.log(`    ${part.name}: centre ${[cx, cy, cz].map((x) => (x * 100).toFixed(2))} cm, front uv ${part.uvs[0]},${part.uvs[1]}`);
      assert.equal(part.material, 'eye');
      assert.ok(part.name === 'eyeLeft' ? cx > 0.02 : cx < -0.02);
      assert.ok(Math.abs(front[2] - cz - 0.012) < 1e-6);
      assert.deepEqual([part.uvs[0], part.uvs[1]], [0.5, 0.5]);
    }
    const w = model.skinWeight;
    console.log(`    skin weight: cheek ${w[205].toFixed(2)}, nose ${w[4].toFixed(2)}, lip ${w[13].toFixed(2)}, eye corner ${w[33].toFixed(2)}, brow ${w[105].toFixed(2)}, crown ${w[topVertex(model)].toFixed(2)}`);
    assert.ok(w.every((x) => x >= 0 && x <= 1));
    assert.ok(w[205] > 0.9 && w[4] > 0.9 && w[13] < 0.1 && w[33] < 0.1 && w[105] < 0.1 && w[topVertex(model)] < 0.1);
  });

  it('is deterministic', function () {
    const again = buildReferenceHead();
    const [a, b] = [hashModel(model), hashModel(again)];
    console.log(`    sha256 ${a.slice(0, 16)}`);
    assert.equal(a, b);
  });
});

function topVertex(m: HeadModel): number {
  let best = 0;
  for (let v = 1; v < m.vertexCount; v++) if (m.positions[3 * v + 1] > m.positions[3 * best + 1]) best = v;
  return best;
}
