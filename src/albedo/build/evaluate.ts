/**
 * Evaluation of a UVAPM on held-out UV maps, inside the model's UV face mask: coarse = projection
 * onto the model (./project.ts), detail = after the HSV detail stage (./detail.ts).
 */
import { fuseDetail, type DetailOptions } from '../detail.js';
import { maskedQuality, type MaskedQuality } from './metrics.js';
import { projectUvMap, type ProjectOptions } from '../project.js';
import type { UvapmModel } from '../uvapm-format.js';

export interface UvapmEvaluation {
  psnr_coarse: number;
  ssim_coarse: number;
  mse_coarse: number;
  psnr_detail: number;
  ssim_detail: number;
  mse_detail: number;
  maps: number;
  perMap: { name: string; coarse: MaskedQuality; detail: MaskedQuality }[];
  description: string;
}

export const EVALUATION_DESCRIPTION =
  'Means over held-out maps, inside the UV face mask, sRGB 0..1 (PSNR peak 1). coarse: least-squares ' +
  'projection of the map onto the UVAPM (Tikhonov prior). detail: HSV fusion that keeps the coarse hue and ' +
  'saturation and adds the high frequencies of V(map) - V(coarse). The detail is taken from the held-out map ' +
  'itself, so the detail figures measure the fidelity of the fusion (how much of the coarse error is low ' +
  'frequency), not a detail generator predicting unseen detail.';

export interface EvaluateOptions extends ProjectOptions, DetailOptions {}

export function evaluateUvapm(model: UvapmModel, maps: { name: string; planes: Float32Array }[], options: EvaluateOptions = {}): UvapmEvaluation {
  const perMap = maps.map(({ name, planes }) => {
    const { reconstruction } = projectUvMap(model, planes, model.mask, options);
    const fused = fuseDetail(reconstruction, planes, model.mask, model.size, options);
    return {
      name,
      coarse: maskedQuality(planes, reconstruction, model.mask, model.size),
      detail: maskedQuality(planes, fused, model.mask, model.size),
    };
  });
  const mean = (pick: (m: (typeof perMap)[number]) => number): number => (perMap.length ? perMap.reduce((s, m) => s + pick(m), 0) / perMap.length : NaN);
  return {
    psnr_coarse: mean((m) => m.coarse.psnr),
    ssim_coarse: mean((m) => m.coarse.ssim),
    mse_coarse: mean((m) => m.coarse.mse),
    psnr_detail: mean((m) => m.detail.psnr),
    ssim_detail: mean((m) => m.detail.ssim),
    mse_detail: mean((m) => m.detail.mse),
    maps: perMap.length,
    perMap,
    description: EVALUATION_DESCRIPTION,
  };
}
