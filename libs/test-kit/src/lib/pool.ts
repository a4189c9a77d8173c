// Small numeric and concurrency helpers that tests and tools share.

/** Runs `work` for every item, at most `concurrency` at a time; resolves with the results in order. */
export async function inPool<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/**
 * The value at `fraction` (0..1) of `values` by the nearest-rank method (p99 of 100 values is the
 * 99th smallest); NaN when there are none. Pass `sorted: true` for values already in ascending order.
 */
export function percentile(values: ArrayLike<number>, fraction: number, options: { sorted?: boolean } = {}): number {
  if (values.length === 0) return NaN;
  const sorted = options.sorted ? values : Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}
