/**
 * Image filters on square float textures (row-major, top row first), used by the albedo stage:
 * weighted box blur (low-frequency albedo, feathering), masked min filter (pulling confidence away
 * from observation borders) and push-pull hole filling.
 */

/**
 * In-place separable box blur of `channels` interleaved channels, `passes` times (3 passes approach
 * a Gaussian of sigma ~ radius). Running sums make the cost independent of the radius. Edges clamp
 * the window (the sum covers fewer texels), so blur premultiplied values and weights together.
 * Both passes walk memory in row order (the vertical one keeps a running sum per column): a
 * column-by-column walk of a 1024² map missed the cache on every texel and cost 4x as much.
 */
export function boxBlur(values: Float32Array, size: number, channels: number, radius: number, passes = 2): void {
  if (radius < 1) return;
  const rowLength = size * channels;
  const line = new Float64Array(rowLength);
  const sums = new Float64Array(rowLength);
  const inv = 1 / (2 * radius + 1);
  const ahead = Math.min(radius, size);
  for (let pass = 0; pass < passes; pass++) {
    // Along rows, one channel at a time so the running sum stays in a register.
    for (let row = 0; row < size; row++) {
      const start = row * rowLength;
      for (let i = 0; i < rowLength; i++) line[i] = values[start + i];
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let i = 0; i < ahead; i++) sum += line[i * channels + c];
        for (let i = 0; i < size; i++) {
          const add = i + radius, drop = i - radius - 1;
          if (add < size) sum += line[add * channels + c];
          if (drop >= 0) sum -= line[drop * channels + c];
          values[start + i * channels + c] = sum * inv;
        }
      }
    }
    // Along columns: one running sum per column and channel, fed row by row. Rows leaving the
    // window are read from `history`, the pass's input (values is overwritten as it goes).
    columnBoxPass(values, size, rowLength, radius, inv, sums);
  }
}

/** The vertical pass of boxBlur (see there), with the same additions in the same order per column. */
function columnBoxPass(values: Float32Array, size: number, rowLength: number, radius: number, inv: number, sums: Float64Array): void {
  const history = new Float32Array(values.subarray(0, Math.min(size, 2 * radius + 2) * rowLength));
  const ring = history.length / rowLength;
  sums.fill(0);
  for (let y = 0; y < Math.min(radius, size); y++) {
    const row = y * rowLength;
    for (let i = 0; i < rowLength; i++) sums[i] += values[row + i];
  }
  for (let y = 0; y < size; y++) {
    const add = y + radius, drop = y - radius - 1;
    if (add < size) {
      const row = add * rowLength, slot = (add % ring) * rowLength;
      // Rows beyond the initial copy enter the ring as they are first read, before being overwritten.
      if (add >= ring) for (let i = 0; i < rowLength; i++) history[slot + i] = values[row + i];
      for (let i = 0; i < rowLength; i++) sums[i] += history[slot + i];
    }
    if (drop >= 0) {
      const slot = (drop % ring) * rowLength;
      for (let i = 0; i < rowLength; i++) sums[i] -= history[slot + i];
    }
    const row = y * rowLength;
    for (let i = 0; i < rowLength; i++) values[row + i] = sums[i] * inv;
  }
}

/**
 * In-place min filter over a (2 radius + 1)^2 square, considering only texels where `valid` is
 * true (others neither contribute nor change). Separable: exact for a square window. Each pass is
 * van Herk / Gil-Werman's: block-wise running minima forward and backward give any window's
 * minimum from two lookups, so the cost does not grow with the radius; the vertical pass runs on
 * whole rows at a time, in memory order.
 */
export function maskedMinFilter(values: Float32Array, valid: Int32Array, size: number, radius: number): void {
  if (radius < 1) return;
  const window = 2 * radius + 1, padded = size + 2 * radius;
  // Along rows: the line padded with radius Infinity on each side.
  const line = new Float32Array(padded), forward = new Float32Array(padded), backward = new Float32Array(padded);
  for (let row = 0; row < size; row++) {
    const start = row * size;
    line.fill(Infinity);
    for (let i = 0; i < size; i++) if (valid[start + i] >= 0) line[radius + i] = values[start + i];
    blockMinima(line, padded, window, 1, forward, backward);
    for (let i = 0; i < size; i++) if (valid[start + i] >= 0) values[start + i] = Math.min(backward[i], forward[i + 2 * radius]);
  }
  // Along columns: the same with rows as the elements, padded with radius rows of Infinity.
  const rows = new Float32Array(padded * size).fill(Infinity);
  for (let p = 0; p < size * size; p++) if (valid[p] >= 0) rows[radius * size + p] = values[p];
  const forwardRows = new Float32Array(padded * size), backwardRows = new Float32Array(padded * size);
  blockMinima(rows, padded, window, size, forwardRows, backwardRows);
  for (let y = 0; y < size; y++) {
    const row = y * size, low = row, high = (y + 2 * radius) * size;
    for (let x = 0; x < size; x++) if (valid[row + x] >= 0) values[row + x] = Math.min(backwardRows[low + x], forwardRows[high + x]);
  }
}

/**
 * Running minima of `count` elements of `width` values each, restarted every `block` elements:
 * forward from each block's start, backward from its end. A window of `block` elements starting
 * at i has the minimum min(backward[i], forward[i + block - 1]).
 */
function blockMinima(values: Float32Array, count: number, block: number, width: number, forward: Float32Array, backward: Float32Array): void {
  for (let i = 0; i < count; i++) {
    const at = i * width;
    if (i % block === 0) for (let k = 0; k < width; k++) forward[at + k] = values[at + k];
    else for (let k = 0; k < width; k++) forward[at + k] = Math.min(forward[at - width + k], values[at + k]);
  }
  for (let i = count - 1; i >= 0; i--) {
    const at = i * width;
    if (i === count - 1 || (i + 1) % block === 0) for (let k = 0; k < width; k++) backward[at + k] = values[at + k];
    else for (let k = 0; k < width; k++) backward[at + k] = Math.min(backward[at + width + k], values[at + k]);
  }
}

/**
 * Push-pull hole filling (Gortler et al. 1996) of an interleaved RGB texture with per-texel
 * confidence 0..1. Returns a texture where every texel has a colour: the input where confidence
 * is 1, smooth interpolation from nearby confident texels elsewhere, tending to `prior` far away
 * (each pyramid level mixes in the prior with weight `priorWeight`).
 */
export function pushPullFill(colour: Float32Array, confidence: Float32Array, size: number, prior: ArrayLike<number>, priorWeight = 0.02): Float32Array {
  const colours: Float32Array[] = [colour];
  const weights: Float32Array[] = [confidence];
  const sizes: number[] = [size];
  // Pull: average confident children into ever coarser levels.
  while (sizes[sizes.length - 1] > 1) {
    const fine = sizes[sizes.length - 1];
    const coarse = Math.ceil(fine / 2);
    const fc = colours[colours.length - 1], fw = weights[weights.length - 1];
    const cc = new Float32Array(coarse * coarse * 3), cw = new Float32Array(coarse * coarse);
    for (let y = 0; y < coarse; y++) {
      for (let x = 0; x < coarse; x++) {
        let w = priorWeight, r = priorWeight * prior[0], g = priorWeight * prior[1], b = priorWeight * prior[2];
        for (let dy = 0; dy < 2; dy++) {
          const fy = 2 * y + dy;
          if (fy >= fine) continue;
          for (let dx = 0; dx < 2; dx++) {
            const fx = 2 * x + dx;
            if (fx >= fine) continue;
            const p = fy * fine + fx, cwp = fw[p];
            if (!(cwp > 0)) continue;
            w += cwp; r += cwp * fc[3 * p]; g += cwp * fc[3 * p + 1]; b += cwp * fc[3 * p + 2];
          }
        }
        const q = y * coarse + x;
        cc[3 * q] = r / w; cc[3 * q + 1] = g / w; cc[3 * q + 2] = b / w;
        cw[q] = Math.min(1, w);
      }
    }
    colours.push(cc);
    weights.push(cw);
    sizes.push(coarse);
  }
  // Push: fill each level's missing confidence from the bilinear upsampled coarser level.
  let filled = colours[colours.length - 1];
  for (let level = colours.length - 2; level >= 0; level--) {
    const s = sizes[level], cs = sizes[level + 1];
    const lc = colours[level], lw = weights[level];
    const out = new Float32Array(s * s * 3);
    for (let y = 0; y < s; y++) {
      const sy = Math.min(Math.max((y + 0.5) / 2 - 0.5, 0), cs - 1);
      const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, cs - 1), fy = sy - y0;
      for (let x = 0; x < s; x++) {
        const sx = Math.min(Math.max((x + 0.5) / 2 - 0.5, 0), cs - 1);
        const x0 = Math.floor(sx), x1 = Math.min(x0 + 1, cs - 1), fx = sx - x0;
        const p = y * s + x;
        const w = Math.min(1, Math.max(0, lw[p] || 0));
        const a = (y0 * cs + x0) * 3, b = (y0 * cs + x1) * 3, c = (y1 * cs + x0) * 3, d = (y1 * cs + x1) * 3;
        for (let k = 0; k < 3; k++) {
          const up = (1 - fy) * ((1 - fx) * filled[a + k] + fx * filled[b + k]) + fy * ((1 - fx) * filled[c + k] + fx * filled[d + k]);
          out[3 * p + k] = w > 0 ? w * lc[3 * p + k] + (1 - w) * up : up;
        }
      }
    }
    filled = out;
  }
  return filled;
}

/**
 * Bilinear sample of a `channels`-channel grid weighted by a confidence grid: value = Σ w v / Σ w
 * over the four neighbours (so unobserved neighbours don't darken it). Writes `out` and returns the
 * bilinear confidence (0 when no neighbour is observed; `out` is then untouched).
 */
export function sampleWeighted(
  values: Float32Array, channels: number, weight: Float32Array, size: number, x: number, y: number, out: Float32Array,
): number {
  const xc = Math.min(Math.max(x, 0), size - 1), yc = Math.min(Math.max(y, 0), size - 1);
  const x0 = Math.floor(xc), y0 = Math.floor(yc);
  const x1 = Math.min(x0 + 1, size - 1), y1 = Math.min(y0 + 1, size - 1);
  const fx = xc - x0, fy = yc - y0;
  const p00 = y0 * size + x0, p10 = y0 * size + x1, p01 = y1 * size + x0, p11 = y1 * size + x1;
  const w00 = (1 - fx) * (1 - fy) * weight[p00], w10 = fx * (1 - fy) * weight[p10];
  const w01 = (1 - fx) * fy * weight[p01], w11 = fx * fy * weight[p11];
  const total = w00 + w10 + w01 + w11;
  if (!(total > 0)) return 0;
  for (let c = 0; c < channels; c++) {
    out[c] = (w00 * values[channels * p00 + c] + w10 * values[channels * p10 + c]
      + w01 * values[channels * p01 + c] + w11 * values[channels * p11 + c]) / total;
  }
  return total;
}
