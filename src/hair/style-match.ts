/**
 * Which of a class's styles suits the photo: each candidate, moved with the fitted head, is seen
 * from the photo's camera, and the one whose strands best overlap the photo's hair above the eyes
 * wins. A short crop with a fringe down the forehead (`short02`) and one swept back from a high or
 * receding hairline (`short04`) differ most there, and a hair mask tells them apart where the
 * silhouette bands of the class (./photo-hair.ts) cannot. Browser-safe.
 */
import type { HairStyleMesh } from './asset-format.js';
import type { HairViewGrid } from './hair-view-grid.js';
import type { HairStyle } from './styles.js';

export interface StyleMatch {
  style: HairStyle;
  candidates: HairStyle[];
  /** Per candidate, in the order given: intersection over union with the photo's hair above the eye line. */
  overlaps: number[];
}

/**
 * Intersection over union, per candidate, between the photo's hair mask and the candidate's strands
 * on the grid (./hair-view-grid.ts). The best overlap wins.
 */
export function bestMatchingStyle(candidates: readonly HairStyleMesh[], grid: HairViewGrid): StyleMatch {
  const overlaps = candidates.map((style) => grid.overlapWithPhoto(grid.drawnStrands(style)));
  let best = 0;
  for (let k = 1; k < overlaps.length; k++) if (overlaps[k] > overlaps[best]) best = k;
  return { style: candidates[best].name as HairStyle, candidates: candidates.map((c) => c.name as HairStyle), overlaps };
}
