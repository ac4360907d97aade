/** Percentiles and medians: every figure in docs/benchmarks.md is the median of several runs. */

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/** The median of each numeric field across runs (runs of the same shape). */
export function medianOf<T extends { [K in keyof T]: number }>(runs: T[]): T {
  const result = {} as Record<string, number>;
  for (const key of Object.keys(runs[0]!)) result[key] = median(runs.map((run) => (run as Record<string, number>)[key]!));
  return result as T;
}
