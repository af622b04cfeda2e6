/**
 * Quantiles of small lists of numbers (a few thousand samples of an eye's region): a sort is
 * simpler than ./kth-smallest.ts there and keeps float64 values.
 */

/** The `fraction` quantile of `values` (the sorted value at ⌊fraction n⌋), its brightest `dropBrightest` share left out first; NaN when empty. */
export function quantile(values: readonly number[], fraction: number, dropBrightest = 0): number {
  if (!values.length) return NaN;
  const sorted = values.slice().sort((a, b) => a - b).slice(0, Math.max(1, Math.round(values.length * (1 - dropBrightest))));
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}
