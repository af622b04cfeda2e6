/**
 * The head mesh's vertex colours (COLOR_0, linear RGB multipliers of the albedo): the mouth
 * pocket's tint (./mouth-interior.ts) times the hair's shadow (../hair/hair-shadow.ts). The GLB
 * export, the Babylon plugin and the software preview all take them from here.
 */
import type { HeadModel } from '../modelpack/head-model.js';
import type { HairMesh } from '../hair/hair-mesh.js';
import { hairShadowOnHead } from '../hair/hair-shadow.js';
import { mouthInteriorTintFor } from './mouth-interior.js';

/**
 * RGB per vertex, or null when neither applies (`mouthInterior` false and no hair mesh, or a
 * pack without a mouth pocket and no hair).
 */
export function headVertexColours(model: HeadModel, vertices: Float32Array, options: { mouthInterior?: boolean; hair?: HairMesh | null }): Float32Array | null {
  const tint = options.mouthInterior === false ? null : mouthInteriorTintFor(model, vertices);
  return shadedColours(tint, options.hair ? hairShadowOnHead(model, vertices, options.hair) : null);
}

/**
 * `colours` (RGB or RGBA per vertex, `stride` 3 or 4; white where null) times `shade` per vertex, in
 * a new array (alpha 1); `colours` itself where there is no shade.
 */
export function shadedColours(colours: Float32Array | null, shade: Float32Array | null, stride: 3 | 4 = 3): Float32Array | null {
  if (!shade) return colours;
  const out = new Float32Array(shade.length * stride);
  for (let v = 0; v < shade.length; v++) {
    for (let c = 0; c < 3; c++) out[stride * v + c] = (colours ? colours[stride * v + c] : 1) * shade[v];
    if (stride === 4) out[4 * v + 3] = 1;
  }
  return out;
}
