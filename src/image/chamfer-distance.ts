/**
 * Distance transforms on pixel grids, browser-safe: two chamfer passes with steps 1 and √2 (within
 * 8 % of Euclidean), and the morphological closing built on them.
 */

/**
 * Per pixel of a `width` x `height` grid, the distance (pixels) to the nearest pixel that is 0 in
 * `seeds` (Infinity elsewhere), in place.
 */
export function chamferDistance(seeds: Float32Array, width: number, height = width): Float32Array {
  const d = seeds, diagonal = Math.SQRT2;
  // Each pixel's value is kept in a local while its neighbours relax it, rounded to float32 at
  // each improvement as the array would store it: the same values as relaxing d[p] in place.
  // A pixel at 0 (a seed) cannot improve, the distances being >= 0: its neighbours are not read
  // (the hair cap's closings are mostly seeds: depthsInClosings at two radii on 450 x 550 cells of
  // strand-like coverage 11.4 -> 9.5 ms, min of 20).
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) {
    const p = y * width + x;
    let here = d[p], through: number;
    if (here === 0) continue;
    if (x > 0 && (through = d[p - 1] + 1) < here) here = Math.fround(through);
    if (y > 0) {
      if ((through = d[p - width] + 1) < here) here = Math.fround(through);
      if (x > 0 && (through = d[p - width - 1] + diagonal) < here) here = Math.fround(through);
      if (x < width - 1 && (through = d[p - width + 1] + diagonal) < here) here = Math.fround(through);
    }
    d[p] = here;
  }
  for (let y = height - 1; y >= 0; y--) for (let x = width - 1; x >= 0; x--) {
    const p = y * width + x;
    let here = d[p], through: number;
    if (here === 0) continue;
    if (x < width - 1 && (through = d[p + 1] + 1) < here) here = Math.fround(through);
    if (y < height - 1) {
      if ((through = d[p + width] + 1) < here) here = Math.fround(through);
      if (x < width - 1 && (through = d[p + width + 1] + diagonal) < here) here = Math.fround(through);
      if (x > 0 && (through = d[p + width - 1] + diagonal) < here) here = Math.fround(through);
    }
    d[p] = here;
  }
  return d;
}

/**
 * Per pixel, how far (pixels) it lies inside the closing of `mask` (nonzero pixels) by a disc of
 * `radius`: the distance to the nearest pixel outside the mask dilated by `radius`, less `radius`.
 * Positive inside the closing (gaps and notches narrower than about 2 x radius filled), 0 or less
 * outside it; beyond the grid's border counts as inside.
 */
export function depthInClosing(mask: Uint8Array, width: number, height: number, radius: number): Float32Array {
  return depthsInClosings(mask, width, height, [radius])[0];
}

/** depthInClosing for each of `radii`: the distance to the mask, the same for all, is computed once. */
export function depthsInClosings(mask: Uint8Array, width: number, height: number, radii: readonly number[]): Float32Array[] {
  const toMask = new Float32Array(mask.length);
  for (let p = 0; p < mask.length; p++) toMask[p] = mask[p] ? 0 : Infinity;
  chamferDistance(toMask, width, height);
  return radii.map((radius) => {
    const toOutside = new Float32Array(toMask.length);
    for (let p = 0; p < toMask.length; p++) toOutside[p] = toMask[p] > radius ? 0 : Infinity;
    chamferDistance(toOutside, width, height);
    for (let p = 0; p < toOutside.length; p++) toOutside[p] -= radius;
    return toOutside;
  });
}
