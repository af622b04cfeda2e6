/**
 * Honest evaluation with a UVAPM built from the same maps as the truth: for each evaluated face,
 * a model from every map except that face's own (matched by file stem). Small folders only (the
 * maps are decoded once and kept in memory at the model size).
 */
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { decodeImage } from '../../image/decode.js';
import { buildUvapm } from './builder.js';
import { uvMapToPlanes } from './uv-maps.js';
import type { UvapmModel } from '../uvapm-format.js';
import { buildDetailModel, type DetailModel } from '../detail-model.js';

export interface LeaveOneOutSource {
  names: string[];
  planes: Float32Array[];
  size: number;
  mask: Uint8Array;
  /** Face-skin texels: the built models carry the skin-colour prior of their maps. */
  skinRegion?: Uint8Array;
}

export function fileStem(file: string): string {
  return path.basename(file).replace(/\.[^.]+$/, '');
}

/** Every PNG/JPEG map of a folder (no confidence files) at size × size, with the model's UV mask. */
export async function loadLeaveOneOutSource(folder: string, size: number, mask: Uint8Array, skinRegion?: Uint8Array): Promise<LeaveOneOutSource> {
  const names = (await readdir(folder)).filter((n) => /\.(png|jpe?g)$/i.test(n) && !/\.confidence\.png$/i.test(n)).sort();
  const planes = [];
  for (const name of names) planes.push(uvMapToPlanes(decodeImage(await readFile(path.join(folder, name)), { downscaleAbove: 1 << 30 }).image, size));
  return { names, planes, size, mask, ...(skinRegion ? { skinRegion } : {}) };
}

/** A UVAPM from every map but `heldOutStem`'s (all components the remaining maps allow, up to `components`). */
export async function leaveOneOutUvapm(source: LeaveOneOutSource, heldOutStem: string, components = 100): Promise<UvapmModel> {
  const keep = source.names.map((n, i) => i).filter((i) => fileStem(source.names[i]) !== heldOutStem);
  const { model } = await buildUvapm(
    { names: keep.map((i) => source.names[i]), load: async (j) => ({ planes: source.planes[keep[j]] }) },
    { size: source.size, components, mask: source.mask, backend: 'ts', ...(source.skinRegion ? { skinRegion: source.skinRegion } : {}) },
  );
  return model;
}

/** A detail model (detail-model.ts) from every map but `heldOutStem`'s, at the source's size, over its mask. */
export function leaveOneOutDetailModel(source: LeaveOneOutSource, heldOutStem: string, sigma: number): DetailModel {
  const keep = source.planes.filter((_, i) => fileStem(source.names[i]) !== heldOutStem);
  return buildDetailModel(keep, source.size, source.mask, sigma);
}
