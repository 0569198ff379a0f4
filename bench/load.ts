/** One load round with autocannon, and the alternating A/B rounds every benchmark compares with. */
import autocannon from 'autocannon';

export interface Round {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export interface Target {
  url: string;
  headers?: Record<string, string>;
}

/** `seconds` of load from `connections` concurrent clients. */
export async function round(target: Target, seconds: number, connections: number): Promise<Round> {
  const result = await autocannon({ url: target.url, headers: target.headers, connections, duration: seconds });
  return { requestsPerSecond: result.requests.average, p50Ms: result.latency.p50, p99Ms: result.latency.p99, errors: result.errors, non2xx: result.non2xx };
}

/** Alternating rounds of A and B (B, A, B, A… so neither gets the warmer machine), with their medians. */
export async function alternating(a: Target, b: Target, options: { rounds: number; seconds: number; connections: number }): Promise<{ a: Round; b: Round }> {
  await round(a, 2, options.connections);
  await round(b, 2, options.connections);
  const as: Round[] = [];
  const bs: Round[] = [];
  for (let i = 0; i < options.rounds; i++) {
    bs.push(await round(b, options.seconds, options.connections));
    as.push(await round(a, options.seconds, options.connections));
  }
  return { a: median(as), b: median(bs) };
}

function median(rounds: Round[]): Round {
  const mid = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  return {
    requestsPerSecond: mid(rounds.map((r) => r.requestsPerSecond)),
    p50Ms: mid(rounds.map((r) => r.p50Ms)),
    p99Ms: mid(rounds.map((r) => r.p99Ms)),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    non2xx: rounds.reduce((sum, r) => sum + r.non2xx, 0),
  };
}
