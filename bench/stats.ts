export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] as number;
}

export function summary(values: number[]): string {
  const mean = values.reduce((sum, value) => sum + value, 0) / values.length;
  return `n=${values.length} mean=${mean.toFixed(1)} p50=${percentile(values, 50).toFixed(1)} p95=${percentile(values, 95).toFixed(1)} p99=${percentile(values, 99).toFixed(1)} max=${Math.max(...values).toFixed(1)}`;
}

export function option(args: string[], name: string, fallback: number): number {
  const index = args.indexOf(`--${name}`);
  return index >= 0 && args[index + 1] !== undefined ? Number(args[index + 1]) : fallback;
}
