/**
 * The k-th smallest of `values` (0-based): what `Float32Array.from(values).sort()[k]` gives, in
 * linear expected time (quickselect on a copy) instead of a sort. The hair's tone quantiles take
 * it over a few hundred thousand samples per avatar. Values must not be NaN; -0 and +0 count as
 * equal (either may be returned where the k-th falls between them).
 */
export function kthSmallest(values: Float32Array, k: number): number {
  const a = Float32Array.from(values);
  let lo = 0, hi = a.length - 1;
  while (hi > lo) {
    const pivot = medianOf3(a[lo], a[(lo + hi) >> 1], a[hi]);
    // Hoare partition: afterwards a[lo..j] <= pivot <= a[i..hi], and a[j + 1..i - 1] equal it.
    let i = lo, j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) { const swap = a[i]; a[i] = a[j]; a[j] = swap; i++; j--; }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function medianOf3(a: number, b: number, c: number): number {
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}
