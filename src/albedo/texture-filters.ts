/**
 * Image filters on square float textures (row-major, top row first), used by the albedo stage:
 * weighted box blur (low-frequency albedo, feathering), masked min filter (pulling confidence away
 * from observation borders) and push-pull hole filling.
 */
import { giveBackFloat32, takeFloat32 } from '../math/scratch-arrays.js';

/**
 * In-place separable box blur of `channels` interleaved channels, `passes` times (3 passes approach
 * a Gaussian of sigma ~ radius). Running sums make the cost independent of the radius. Edges clamp
 * the window (the sum covers fewer texels), so blur premultiplied values and weights together.
 * Both passes walk memory in row order (the vertical one keeps a running sum per column): a
 * column-by-column walk of a 1024² map missed the cache on every texel and cost 4x as much.
 * Channels are independent: blurring one channel alone gives the same values, bit for bit, as
 * blurring it interleaved with others.
 * `readEnd`: the caller reads the result only in rows < readEnd.rows and texel columns <
 * readEnd.columns; what lies below or right of that is left undefined (see passEnd).
 */
export function boxBlur(values: Float32Array, size: number, channels: number, radius: number, passes = 2, readEnd?: BlurReadEnd): void {
  if (radius < 1) return;
  const rowLength = size * channels;
  const lines = new Float64Array(LINES_AT_ONCE * size);
  const sums = new Float64Array(rowLength);
  const history = new Float32Array(Math.min(size, 2 * radius + 2) * rowLength);
  const inv = 1 / (2 * radius + 1);
  // Bit patterns: +0 (all bits clear) is what the zero skips below look for.
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  const rows = new Int32Array(2);
  for (let pass = 0; pass < passes; pass++) {
    // Output rows and texel columns this pass must get right; its row pass serves the column pass's window too.
    const rowEnd = passEnd(readEnd?.rows, size, radius, passes - 1 - pass), columnEnd = passEnd(readEnd?.columns, size, radius, passes - 1 - pass);
    rowBoxPasses(values, bits, size, channels, radius, inv, lines, rows, Math.min(size, rowEnd + radius), columnEnd);
    const firstRow = rows[0], lastRow = rows[1];
    if (firstRow > lastRow) continue;
    const first = firstNonZeroColumn(bits, firstRow, lastRow, rowLength);
    if (first === rowLength) continue;
    const end = Math.min(columnEnd * channels, lastNonZeroColumn(bits, firstRow, lastRow, rowLength) + 1);
    if (first >= end) continue;
    columnBoxPass(values, size, rowLength, radius, inv, sums, history, first, end, firstRow, lastRow, rowEnd);
  }
}

/** boxBlur's readEnd: the rows and texel columns, from the first, whose blurred values the caller reads. */
export interface BlurReadEnd { rows: number; columns: number }

/**
 * Rows (or columns) from the first that a box pass must get right when `later` passes follow it
 * and the caller reads `readEnd` of the last one's. The running sums go from the top row and the
 * left column on, so a value depends on every texel above (left of) it and on `radius` texels
 * below (right of) it: each later pass reads `radius` further down (right) than it writes, and
 * nothing beyond that is needed. Maps blurred in the albedo stage are read only where they were
 * not +0 at the start: the +0 skips below stop at their box's top and left, this at its bottom
 * and right (the sample photo's detail low-pass: its last pass from rows 208..1023 to 208..588).
 */
function passEnd(readEnd: number | undefined, size: number, radius: number, later: number): number {
  return readEnd === undefined ? size : Math.min(size, readEnd + later * radius);
}

/*
 * Zero skips. Many blurred maps are +0 over most of the texture (a confidence off the photo's
 * face, a brow share). A running sum over nothing but +0 stays +0 (0 + 0 and 0 − 0 are +0) and
 * +0 · inv is +0: lines and columns of +0 come out as they went in, so they are skipped, bit for
 * bit the same. Only +0 itself is skipped (a −0 would come out +0), and only whole lines or
 * columns: elsewhere a sum that has met other values may hold a rounding residue.
 */

/** Whether values[start, end) are all +0 (bits of a Float32Array). */
function allPositiveZero(bits: Uint32Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bits[i] !== 0) return false;
  return true;
}

/** The first column (element of a row, channels interleaved) that is not +0 in some row of [firstRow, lastRow]; rowLength when every texel there is +0. */
function firstNonZeroColumn(bits: Uint32Array, firstRow: number, lastRow: number, rowLength: number): number {
  let first = rowLength;
  for (let y = firstRow, row = firstRow * rowLength; y <= lastRow; y++, row += rowLength) {
    for (let i = 0; i < first; i++) {
      if (bits[row + i] !== 0) { first = i; break; }
    }
  }
  return first;
}

/** The last column that is not +0 in some row of [firstRow, lastRow] (at least one is: see firstNonZeroColumn). */
function lastNonZeroColumn(bits: Uint32Array, firstRow: number, lastRow: number, rowLength: number): number {
  let last = -1;
  for (let y = firstRow, row = firstRow * rowLength; y <= lastRow; y++, row += rowLength) {
    for (let i = rowLength - 1; i > last; i--) {
      if (bits[row + i] !== 0) { last = i; break; }
    }
  }
  return last;
}

/** Lines (one channel of one row) that the horizontal pass runs side by side. */
const LINES_AT_ONCE = 4;

/**
 * The horizontal pass of boxBlur over every line (one channel of one row), LINES_AT_ONCE lines side
 * by side. Each line's running sum is a chain of dependent additions, two per texel, so one line at
 * a time waits on the adder's latency; independent lines interleaved fill those waits. Each line
 * gets the same additions in the same order as on its own (rowBoxPass), so the same values.
 * rows receives the first and last row that were not all +0 (first > last when none was): the
 * rows outside are +0 after the pass too (the column pass's zero skips), found from the tests
 * made here anyway, not by reading the +0 rows again (2.6 ms a pass at 1024², 2 channels).
 * Only rows < rowEnd are worked on, and texel columns < end written (boxBlur's readEnd).
 */
function rowBoxPasses(
  values: Float32Array, bits: Uint32Array, size: number, channels: number, radius: number, inv: number, lines: Float64Array, rows: Int32Array, rowEnd: number, end: number,
): void {
  const lineCount = rowEnd * channels;
  let firstRow = size, lastRow = -1;
  let line = 0;
  for (; line + LINES_AT_ONCE <= lineCount; line += LINES_AT_ONCE) {
    const c0 = line % channels, c1 = (line + 1) % channels, c2 = (line + 2) % channels, c3 = (line + 3) % channels;
    // The rows the four lines lie in, all +0: nothing to do (see the zero skips).
    if (allPositiveZero(bits, (line - c0) * size, (line + 3 - c3 + channels) * size)) continue;
    if (firstRow === size) firstRow = (line - c0) / channels;
    lastRow = (line + 3 - c3) / channels;
    rowBoxLines4(
      values, (line - c0) * size + c0, (line + 1 - c1) * size + c1, (line + 2 - c2) * size + c2, (line + 3 - c3) * size + c3,
      size, channels, radius, inv, lines, end,
    );
  }
  if (line < lineCount) {
    firstRow = Math.min(firstRow, (line - line % channels) / channels);
    lastRow = rowEnd - 1;
  }
  for (; line < lineCount; line++) {
    const c = line % channels;
    rowBoxPass(values, (line - c) * size + c, size, channels, radius, inv, lines, end);
  }
  rows[0] = firstRow;
  rows[1] = lastRow;
}

/**
 * rowBoxPass on four lines at once: texel i of line k is values[start_k + i * stride]. Per output
 * texel each window gains texel i + radius, then loses texel i - radius - 1 (where they exist).
 * Texels i < end are written (the others keep their values).
 */
function rowBoxLines4(
  values: Float32Array, s0: number, s1: number, s2: number, s3: number, size: number, stride: number, radius: number, inv: number, lines: Float64Array, end: number,
): void {
  const o1 = size, o2 = 2 * size, o3 = 3 * size;
  for (let i = 0, p = 0, read = Math.min(size, end + radius); i < read; i++, p += stride) {
    lines[i] = values[s0 + p]; lines[o1 + i] = values[s1 + p]; lines[o2 + i] = values[s2 + p]; lines[o3 + i] = values[s3 + p];
  }
  const ahead = Math.min(radius, size);
  // i < addEnd: texel i + radius exists; i >= dropStart: texel i - radius - 1 exists.
  const addEnd = Math.max(0, size - radius), dropStart = Math.min(size, radius + 1);
  const firstEnd = Math.min(addEnd, dropStart, end), middleEnd = Math.min(Math.max(addEnd, dropStart), end);
  let a = 0, b = 0, c = 0, d = 0;
  for (let i = 0; i < ahead; i++) { a += lines[i]; b += lines[o1 + i]; c += lines[o2 + i]; d += lines[o3 + i]; }
  let i = 0;
  for (; i < firstEnd; i++) {
    const k = i + radius, p = i * stride;
    a += lines[k]; b += lines[o1 + k]; c += lines[o2 + k]; d += lines[o3 + k];
    values[s0 + p] = a * inv; values[s1 + p] = b * inv; values[s2 + p] = c * inv; values[s3 + p] = d * inv;
  }
  if (addEnd > dropStart) {
    for (; i < middleEnd; i++) {
      const k = i + radius, j = i - radius - 1, p = i * stride;
      a += lines[k]; b += lines[o1 + k]; c += lines[o2 + k]; d += lines[o3 + k];
      a -= lines[j]; b -= lines[o1 + j]; c -= lines[o2 + j]; d -= lines[o3 + j];
      values[s0 + p] = a * inv; values[s1 + p] = b * inv; values[s2 + p] = c * inv; values[s3 + p] = d * inv;
    }
  } else {
    // A window wider than the row: the middle texels neither gain nor lose any.
    for (; i < middleEnd; i++) {
      const p = i * stride;
      values[s0 + p] = a * inv; values[s1 + p] = b * inv; values[s2 + p] = c * inv; values[s3 + p] = d * inv;
    }
  }
  for (; i < end; i++) {
    const j = i - radius - 1, p = i * stride;
    a -= lines[j]; b -= lines[o1 + j]; c -= lines[o2 + j]; d -= lines[o3 + j];
    values[s0 + p] = a * inv; values[s1 + p] = b * inv; values[s2 + p] = c * inv; values[s3 + p] = d * inv;
  }
}

/**
 * The horizontal pass of boxBlur on one line: texel i at values[start + i * stride]. Per output
 * texel the window gains texel i + radius, then loses texel i - radius - 1 (where they exist); the
 * loop is split where those texels start and stop existing, so the hot middle part has no bounds
 * tests. `line` (at least size long) holds the input while the line is overwritten. Texels i <
 * end are written.
 */
function rowBoxPass(values: Float32Array, start: number, size: number, stride: number, radius: number, inv: number, line: Float64Array, end: number): void {
  for (let i = 0, read = Math.min(size, end + radius); i < read; i++) line[i] = values[start + i * stride];
  const ahead = Math.min(radius, size);
  // i < addEnd: texel i + radius exists; i >= dropStart: texel i - radius - 1 exists.
  const addEnd = Math.max(0, size - radius), dropStart = Math.min(size, radius + 1);
  const firstEnd = Math.min(addEnd, dropStart, end), middleEnd = Math.min(Math.max(addEnd, dropStart), end);
  let sum = 0;
  for (let i = 0; i < ahead; i++) sum += line[i];
  let i = 0;
  for (; i < firstEnd; i++) {
    sum += line[i + radius];
    values[start + i * stride] = sum * inv;
  }
  if (addEnd > dropStart) {
    for (; i < middleEnd; i++) {
      sum += line[i + radius];
      sum -= line[i - radius - 1];
      values[start + i * stride] = sum * inv;
    }
  } else {
    // A window wider than the row: the middle texels neither gain nor lose any.
    for (; i < middleEnd; i++) values[start + i * stride] = sum * inv;
  }
  for (; i < end; i++) {
    sum -= line[i - radius - 1];
    values[start + i * stride] = sum * inv;
  }
}

/**
 * The vertical pass of boxBlur (see there), with the same additions in the same order per column,
 * in one sweep over each row. Rows leaving the window are read from `history`, a ring holding the
 * pass's input rows (values is overwritten as it goes); a row enters it when first read. Only
 * columns [first, end) are blurred: the others must be +0 in every row (see the zero skips).
 * Rows above firstRow and below lastRow are +0. Above, the sums stay +0: output rows whose window
 * lies there are +0 as they were, and are skipped (their rows still enter the ring). Below, once
 * the window has left lastRow, the sums gain and lose only +0 (never −0: a sum from +0 cannot
 * become −0), so they stay as they are: every further output row is the one before, copied.
 * At 1024² the maps blurred in the albedo stage are +0 over half their rows or more.
 * Output rows from rowEnd on are not written (boxBlur's readEnd).
 */
function columnBoxPass(
  values: Float32Array, size: number, rowLength: number, radius: number, inv: number, sums: Float64Array, history: Float32Array, first: number, end: number,
  firstRow: number, lastRow: number, rowEnd: number,
): void {
  const ring = history.length / rowLength;
  history.set(values.subarray(0, ring * rowLength));
  sums.fill(0);
  for (let y = 0; y < Math.min(radius, size); y++) {
    const row = y * rowLength;
    for (let i = first; i < end; i++) sums[i] += values[row + i];
  }
  const start = Math.max(0, firstRow - radius), still = lastRow + radius + 2;
  for (let y = 0; y < start; y++) {
    const add = y + radius;
    if (add >= ring) history.set(values.subarray(add * rowLength + first, add * rowLength + end), (add % ring) * rowLength + first);
  }
  for (let y = start; y < rowEnd; y++) {
    const add = y + radius, drop = y - radius - 1, row = y * rowLength;
    if (y >= still) {
      values.copyWithin(row + first, row - rowLength + first, row - rowLength + end);
      continue;
    }
    const addRow = add * rowLength, addSlot = (add % ring) * rowLength, dropSlot = (drop % ring) * rowLength;
    if (add < size && add >= ring) {
      // The entering row is copied into the ring and added; drop >= 0 here since ring > 2 radius + 1.
      for (let i = first; i < end; i++) {
        const entering = values[addRow + i];
        history[addSlot + i] = entering;
        let sum = sums[i] + entering;
        sum -= history[dropSlot + i];
        sums[i] = sum;
        values[row + i] = sum * inv;
      }
    } else if (add < size && drop >= 0) {
      for (let i = first; i < end; i++) {
        let sum = sums[i] + history[addSlot + i];
        sum -= history[dropSlot + i];
        sums[i] = sum;
        values[row + i] = sum * inv;
      }
    } else if (add < size) {
      for (let i = first; i < end; i++) {
        const sum = sums[i] + history[addSlot + i];
        sums[i] = sum;
        values[row + i] = sum * inv;
      }
    } else if (drop >= 0) {
      for (let i = first; i < end; i++) {
        const sum = sums[i] - history[dropSlot + i];
        sums[i] = sum;
        values[row + i] = sum * inv;
      }
    } else {
      for (let i = first; i < end; i++) values[row + i] = sums[i] * inv;
    }
  }
}

/**
 * In-place min filter over a (2 radius + 1)^2 square, considering only texels where `valid` is
 * true (others neither contribute nor change). Separable, rows then columns: with every texel
 * valid this is the square window's minimum; an invalid texel in the column window passes on
 * nothing, not even its valid row neighbours' minimum. Each pass is
 * van Herk / Gil-Werman's: block-wise running minima forward and backward give any window's
 * minimum from two lookups, so the cost does not grow with the radius; the vertical pass runs on
 * whole rows at a time, in memory order.
 *
 * Zero skips (as boxBlur's): a valid texel whose window holds only +0 and invalid texels
 * (Infinity) besides itself, +0, gets the minimum +0, bit for bit what it held. So the row pass
 * skips rows that are all +0, and the column pass output rows whose window rows are all +0 and
 * the columns beyond the radius of the box of texels that are not +0 (nonZeroBounds). A
 * completion's confidence is +0 on 631 of 1024 rows for the sample photo (its face islands and a
 * few small ones apart): 21.0 -> 10.9 ms at 1024², radius 8, min of 30 in one process.
 */
export function maskedMinFilter(values: Float32Array, valid: Int32Array, size: number, radius: number): void {
  if (radius < 1) return;
  const bounds = new Int32Array(4);
  nonZeroBounds(values, size, bounds);
  if (bounds[0] > bounds[1]) return;
  const bits = new Uint32Array(values.buffer, values.byteOffset, size * size);
  // nonZeroRowsBefore[y]: rows above y that are not all +0 (then or after the row pass: it keeps +0 rows +0).
  const nonZeroRowsBefore = new Int32Array(size + 1);
  const window = 2 * radius + 1, padded = size + 2 * radius;
  // Along rows: the line padded with radius Infinity on each side.
  const line = new Float32Array(padded).fill(Infinity), forward = new Float32Array(padded), backward = new Float32Array(padded);
  for (let row = 0; row < size; row++) {
    const start = row * size;
    const zero = row < bounds[2] || row > bounds[3] || rowIsPositiveZero(bits, row, size);
    nonZeroRowsBefore[row + 1] = nonZeroRowsBefore[row] + (zero ? 0 : 1);
    if (zero) continue;
    for (let i = 0; i < size; i++) line[radius + i] = valid[start + i] >= 0 ? values[start + i] : Infinity;
    lineBlockMinima(line, padded, window, forward, backward);
    for (let i = 0; i < size; i++) if (valid[start + i] >= 0) values[start + i] = Math.min(backward[i], forward[i + 2 * radius]);
  }
  columnMinPass(values, valid, size, radius, nonZeroRowsBefore, Math.max(0, bounds[0] - radius), Math.min(size, bounds[1] + radius + 1));
}

/**
 * maskedMinFilter's pass along columns: the row pass's with rows as the elements, the column
 * padded with radius rows of Infinity (and invalid texels Infinity), on whole rows at a time.
 * Output row y takes the backward minima of the block (window rows) holding padded row y and the
 * forward minima of the block holding padded row y + 2 radius, that block or the next; so only
 * two blocks' minima are kept (about 270 KiB at 1024², radius 8), not the whole padded column
 * three times over (12 MiB to fault in on a cold run). A block's minima are computed when the
 * output first reaches into it, before any row it reads has been written over.
 * Only columns [firstColumn, endColumn) and output rows whose window rows are not all +0
 * (nonZeroRowsBefore, see maskedMinFilter) are worked on; the others keep their values. A block
 * is then computed when the first output row worked on needs it: any output row that writes a row
 * the block reads needs the block (its window spans fewer than two blocks), so none has yet.
 */
function columnMinPass(
  values: Float32Array, valid: Int32Array, size: number, radius: number, nonZeroRowsBefore: Int32Array, firstColumn: number, endColumn: number,
): void {
  const window = 2 * radius + 1;
  const forward = [new Float32Array(window * size), new Float32Array(window * size)];
  const backward = [new Float32Array(window * size), new Float32Array(window * size)];
  // The block each of the two slots holds (block b in slot b & 1).
  const held = Int32Array.of(-1, -1);
  for (let y = 0; y < size; y++) {
    if (nonZeroRowsBefore[Math.min(size, y + radius + 1)] === nonZeroRowsBefore[Math.max(0, y - radius)]) continue;
    const low = y, high = y + 2 * radius;
    const lowBlock = Math.floor(low / window), highBlock = Math.floor(high / window);
    for (let block = lowBlock; block <= highBlock; block++) {
      if (held[block & 1] === block) continue;
      columnBlockMinima(values, valid, size, radius, block, forward[block & 1], backward[block & 1], firstColumn, endColumn);
      held[block & 1] = block;
    }
    const lowMinima = backward[lowBlock & 1], highMinima = forward[highBlock & 1];
    const lowAt = (low - lowBlock * window) * size, highAt = (high - highBlock * window) * size, row = y * size;
    for (let x = firstColumn; x < endColumn; x++) if (valid[row + x] >= 0) values[row + x] = Math.min(lowMinima[lowAt + x], highMinima[highAt + x]);
  }
}

/**
 * Running minima over one block (window rows) of the padded column, restarted at the block's
 * start (forward) and end (backward), whole rows at a time: a window of rows starting at padded row
 * i has the minimum min(backward at i, forward at i + window - 1). Padded row j is texel row
 * j - radius, Infinity outside the texture and at invalid texels. Columns [x0, x1) only.
 */
function columnBlockMinima(
  values: Float32Array, valid: Int32Array, size: number, radius: number, block: number, forward: Float32Array, backward: Float32Array, x0: number, x1: number,
): void {
  const window = 2 * radius + 1, first = block * window, end = Math.min(size + 2 * radius, first + window);
  for (let j = first; j < end; j++) {
    const at = (j - first) * size;
    paddedColumnRow(values, valid, size, j - radius, forward, at, x0, x1);
    if (j === first) continue;
    const before = at - size;
    for (let x = x0; x < x1; x++) forward[at + x] = Math.min(forward[before + x], forward[at + x]);
  }
  for (let j = end - 1; j >= first; j--) {
    const at = (j - first) * size;
    paddedColumnRow(values, valid, size, j - radius, backward, at, x0, x1);
    if (j === end - 1) continue;
    const after = at + size;
    for (let x = x0; x < x1; x++) backward[at + x] = Math.min(backward[after + x], backward[at + x]);
  }
}

/** Columns [x0, x1) of texel row `row` into out[at + x0, at + x1): the value where valid, Infinity at invalid texels and outside the texture. */
function paddedColumnRow(values: Float32Array, valid: Int32Array, size: number, row: number, out: Float32Array, at: number, x0: number, x1: number): void {
  if (row < 0 || row >= size) {
    out.fill(Infinity, at + x0, at + x1);
    return;
  }
  const start = row * size;
  for (let x = x0; x < x1; x++) out[at + x] = valid[start + x] >= 0 ? values[start + x] : Infinity;
}

/** blockMinima for single values (width 1), block by block without per-element tests. */
function lineBlockMinima(values: Float32Array, count: number, block: number, forward: Float32Array, backward: Float32Array): void {
  for (let start = 0; start < count; start += block) {
    const end = Math.min(count, start + block);
    let low = values[start];
    forward[start] = low;
    for (let i = start + 1; i < end; i++) forward[i] = low = Math.min(low, values[i]);
    low = values[end - 1];
    backward[end - 1] = low;
    for (let i = end - 2; i >= start; i--) backward[i] = low = Math.min(low, values[i]);
  }
}

/**
 * Push-pull hole filling (Gortler et al. 1996) of an interleaved RGB texture with per-texel
 * confidence 0..1. Returns a texture where every texel has a colour: the input where confidence
 * is 1, smooth interpolation from nearby confident texels elsewhere, tending to `prior` far away
 * (each pyramid level mixes in the prior with weight `priorWeight`). `out` (size² RGB) receives the
 * result when given, and may be `colour` itself (each texel's own colour is read before its output
 * is written).
 */
export function pushPullFill(colour: Float32Array, confidence: Float32Array, size: number, prior: ArrayLike<number>, priorWeight = 0.02, out?: Float32Array): Float32Array {
  const colours: Float32Array[] = [colour];
  const weights: Float32Array[] = [confidence];
  const sizes: number[] = [size];
  // Pull: average confident children into ever coarser levels.
  while (sizes[sizes.length - 1] > 1) {
    const fine = sizes[sizes.length - 1];
    const coarse = Math.ceil(fine / 2);
    // Every level but the result is dead once filled: reused scratch (../math/scratch-arrays.ts).
    const cc = takeFloat32(coarse * coarse * 3), cw = takeFloat32(coarse * coarse);
    pullLevel(colours[colours.length - 1], weights[weights.length - 1], fine, cc, cw, coarse, prior, priorWeight);
    colours.push(cc);
    weights.push(cw);
    sizes.push(coarse);
  }
  // Push: fill each level's missing confidence from the bilinear upsampled coarser level. The
  // coarser levels are filled in place (their pulled colours are dead once pushed; pushLevel reads
  // each texel's own colour before writing it): no second pyramid (4 MiB at 1024²).
  let filled = colours[colours.length - 1];
  for (let level = colours.length - 2; level >= 0; level--) {
    const into = level > 0 ? colours[level] : out ?? takeFloat32(size * size * 3);
    pushLevel(colours[level], weights[level], sizes[level], filled, sizes[level + 1], into);
    filled = into;
  }
  giveBackFloat32(...colours.slice(1), ...weights.slice(1));
  return filled;
}

/** One pull step: each coarse texel is the confidence-weighted mean of its (up to) 2x2 children plus the prior. */
function pullLevel(fc: Float32Array, fw: Float32Array, fine: number, cc: Float32Array, cw: Float32Array, coarse: number, prior: ArrayLike<number>, weight: number): void {
  // The sums start at the prior's weight: as the parameter itself (of no known type to V8's
  // optimizer) every sum was a boxed number, a heap allocation per addition (3 scavenges of the
  // young generation per 1024² level); +weight (the same number) is known to be one.
  const priorWeight = +weight;
  const pr = priorWeight * prior[0], pg = priorWeight * prior[1], pb = priorWeight * prior[2];
  // Coarse texels with all four children (every one but an odd fine size's last row and column)
  // take them unrolled, in the general loop's order (row by row, left to right): the same sums.
  const whole = Math.floor(fine / 2);
  for (let y = 0; y < coarse; y++) {
    const rows = 2 * y + 1 < fine ? 2 : 1;
    const start = y < whole ? whole : 0;
    if (y < whole) {
      for (let x = 0; x < whole; x++) {
        let w = priorWeight, r = pr, g = pg, b = pb;
        const p0 = 2 * y * fine + 2 * x, p1 = p0 + 1, p2 = p0 + fine, p3 = p2 + 1;
        const w0 = fw[p0], w1 = fw[p1], w2 = fw[p2], w3 = fw[p3];
        if (w0 > 0) { w += w0; r += w0 * fc[3 * p0]; g += w0 * fc[3 * p0 + 1]; b += w0 * fc[3 * p0 + 2]; }
        if (w1 > 0) { w += w1; r += w1 * fc[3 * p1]; g += w1 * fc[3 * p1 + 1]; b += w1 * fc[3 * p1 + 2]; }
        if (w2 > 0) { w += w2; r += w2 * fc[3 * p2]; g += w2 * fc[3 * p2 + 1]; b += w2 * fc[3 * p2 + 2]; }
        if (w3 > 0) { w += w3; r += w3 * fc[3 * p3]; g += w3 * fc[3 * p3 + 1]; b += w3 * fc[3 * p3 + 2]; }
        const q = y * coarse + x;
        cc[3 * q] = r / w; cc[3 * q + 1] = g / w; cc[3 * q + 2] = b / w;
        cw[q] = Math.min(1, w);
      }
    }
    for (let x = start; x < coarse; x++) {
      const columns = 2 * x + 1 < fine ? 2 : 1;
      let w = priorWeight, r = pr, g = pg, b = pb;
      for (let dy = 0; dy < rows; dy++) {
        const first = (2 * y + dy) * fine + 2 * x;
        for (let p = first; p < first + columns; p++) {
          const cwp = fw[p];
          if (!(cwp > 0)) continue;
          w += cwp; r += cwp * fc[3 * p]; g += cwp * fc[3 * p + 1]; b += cwp * fc[3 * p + 2];
        }
      }
      const q = y * coarse + x;
      cc[3 * q] = r / w; cc[3 * q + 1] = g / w; cc[3 * q + 2] = b / w;
      cw[q] = Math.min(1, w);
    }
  }
}

/**
 * One push step: a level's texels keep their own colour by their confidence and take the rest from
 * the bilinear upsampled coarser level (`filled`, cs × cs). Fully confident texels skip the upsample,
 * and in place (`out` is `lc`) the copy of their own colour too: the completion's second fill has
 * 877,595 of them at 1024² (the sample photo: every covered texel), 16.9 -> 13.3 ms a fill, min of 12.
 */
function pushLevel(lc: Float32Array, lw: Float32Array, s: number, filled: Float32Array, cs: number, out: Float32Array): void {
  // The bilinear taps depend on the column alone: computed once per level (the weights' complements too).
  const left = new Int32Array(s), right = new Int32Array(s), across = new Float64Array(s), rest = new Float64Array(s);
  for (let x = 0; x < s; x++) {
    const sx = Math.min(Math.max((x + 0.5) / 2 - 0.5, 0), cs - 1);
    const x0 = Math.floor(sx);
    left[x] = 3 * x0; right[x] = 3 * Math.min(x0 + 1, cs - 1); across[x] = sx - x0; rest[x] = 1 - across[x];
  }
  const inPlace = out === lc;
  for (let y = 0; y < s; y++) {
    const sy = Math.min(Math.max((y + 0.5) / 2 - 0.5, 0), cs - 1);
    const y0 = Math.floor(sy), y1 = Math.min(y0 + 1, cs - 1), fy = sy - y0, gy = 1 - fy;
    const top = y0 * cs * 3, bottom = y1 * cs * 3;
    for (let x = 0, p = y * s, q = 3 * p; x < s; x++, p++, q += 3) {
      const w = Math.min(1, Math.max(0, lw[p] || 0));
      if (w === 1) {
        // w · own + (1 − w) · up with w = 1 is the own colour (the upsample is finite).
        if (!inPlace) { out[q] = lc[q]; out[q + 1] = lc[q + 1]; out[q + 2] = lc[q + 2]; }
        continue;
      }
      // The channels written out, not looped over: 14.1 -> 11.7 ms a 1024² level.
      const fx = across[x], gx = rest[x];
      const a = top + left[x], b = top + right[x], c = bottom + left[x], d = bottom + right[x];
      const r = gy * (gx * filled[a] + fx * filled[b]) + fy * (gx * filled[c] + fx * filled[d]);
      const g = gy * (gx * filled[a + 1] + fx * filled[b + 1]) + fy * (gx * filled[c + 1] + fx * filled[d + 1]);
      const bl = gy * (gx * filled[a + 2] + fx * filled[b + 2]) + fy * (gx * filled[c + 2] + fx * filled[d + 2]);
      if (w > 0) {
        const v = 1 - w;
        out[q] = w * lc[q] + v * r; out[q + 1] = w * lc[q + 1] + v * g; out[q + 2] = w * lc[q + 2] + v * bl;
      } else {
        out[q] = r; out[q + 1] = g; out[q + 2] = bl;
      }
    }
  }
}

/**
 * The box [minX, maxX] × [minY, maxY] holding every texel of a size² map that is not +0, into
 * bounds (minX > maxX when none is; −0 counts as not +0). With it, bilinearOutside spots a
 * bilinear sample that can read only +0 texels, without reading them: the maps sampled at mirror
 * points (a confidence, the brows) are +0 over most of the texture.
 */
export function nonZeroBounds(values: Float32Array, size: number, bounds: Int32Array): void {
  const bits = new Uint32Array(values.buffer, values.byteOffset, size * size);
  let minY = 0, maxY = size - 1;
  while (minY < size && rowIsPositiveZero(bits, minY, size)) minY++;
  if (minY === size) {
    bounds[0] = size; bounds[1] = -1; bounds[2] = size; bounds[3] = -1;
    return;
  }
  while (rowIsPositiveZero(bits, maxY, size)) maxY--;
  bounds[0] = firstNonZeroColumn(bits, minY, maxY, size);
  bounds[1] = lastNonZeroColumn(bits, minY, maxY, size);
  bounds[2] = minY; bounds[3] = maxY;
}

function rowIsPositiveZero(bits: Uint32Array, y: number, size: number): boolean {
  return allPositiveZero(bits, y * size, (y + 1) * size);
}

/**
 * Whether every texel that a bilinear sample at (x, y) reads lies outside `bounds` (nonZeroBounds),
 * so is +0: sampleWeighted and sampleBilinear clamp x and y to 0..size − 1 and read their floor
 * and the next texel, at most one past. Such a sample is +0, and sampleWeighted's weight 0.
 */
export function bilinearOutside(bounds: Int32Array, size: number, x: number, y: number): boolean {
  const xc = Math.min(Math.max(x, 0), size - 1), yc = Math.min(Math.max(y, 0), size - 1);
  return xc < bounds[0] - 1 || xc >= bounds[1] + 1 || yc < bounds[2] - 1 || yc >= bounds[3] + 1;
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
