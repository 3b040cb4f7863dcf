// The one JSON line a benchmark prints per result. `ratio` is ours ÷ anchor where higher is better
// (for a latency, the caller passes throughput-like values or sets higherIsBetter: false).
export interface BenchResult {
  readonly bench: string;
  readonly metric: string;
  readonly ours: number;
  readonly anchor?: string;
  readonly anchor_value?: number;
  readonly higherIsBetter?: boolean;
  readonly [extra: string]: unknown;
}

export function report(result: BenchResult): void {
  const { higherIsBetter = true, ...fields } = result;
  const line: Record<string, unknown> = { ...fields, ours: round(result.ours) };
  if (result.anchor_value !== undefined) {
    line['anchor_value'] = round(result.anchor_value);
    const ratio = higherIsBetter ? result.ours / result.anchor_value : result.anchor_value / result.ours;
    line['ratio'] = round(ratio);
  }
  console.log(JSON.stringify(line));
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
