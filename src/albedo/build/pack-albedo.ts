/**
 * A model pack carrying its own UV albedo model (HeadModel.albedoModel, the .uvapm bytes), so that
 * `--model hifi.pack` needs nothing else: checks that the UVAPM is in the pack's UV layout before
 * it is stored.
 */
import { PhotoAvatarError } from '../../errors.js';
import type { HeadModel } from '../../modelpack/head-model.js';
import { getUvRaster } from '../unwrap.js';
import { readUvapm, type UvapmModel } from '../uvapm-format.js';

/** Fraction of the UVAPM's mask texels a head triangle covers in the model's UV layout. */
export function uvapmLayoutOverlap(model: HeadModel, uvapm: UvapmModel): number {
  const raster = getUvRaster(model, uvapm.size);
  let inside = 0, covered = 0;
  for (let t = 0; t < uvapm.mask.length; t++) {
    if (!uvapm.mask[t]) continue;
    inside++;
    if (raster.slot[t] >= 0) covered++;
  }
  return inside > 0 ? covered / inside : 0;
}

/** Below this overlap the UVAPM was built for another UV layout. */
const MIN_OVERLAP = 0.8;

/** The model with the UVAPM stored in it (validated: readable, and in the model's UV layout). */
export function withAlbedoModel(model: HeadModel, uvapmBytes: Uint8Array, name = 'the UVAPM'): HeadModel {
  const uvapm = readUvapm(uvapmBytes);
  const overlap = uvapmLayoutOverlap(model, uvapm);
  if (overlap < MIN_OVERLAP) {
    throw new PhotoAvatarError('INVALID_ARGUMENT', `${name} does not match ${model.name}'s UV layout: only ${(100 * overlap).toFixed(0)} % of its mask lies on the model's UV triangles (at least ${100 * MIN_OVERLAP} % expected).`);
  }
  return { ...model, albedoModel: uvapmBytes };
}
