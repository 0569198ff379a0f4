/**
 * `npm run bench [name]`: runs the benchmarks (all, or the one named) on loopback. Each starts what it
 * needs, measures Custodian against a baseline in the same run, and prints both and their ratio.
 * Figures go in the README, never in tests.
 */
import { hotPathBenchmark } from './hot-path';
import { idleBenchmark } from './idle';
import { importBenchmark } from './import';
import { proxyBenchmark } from './proxy';
import { sleepingBenchmark } from './sleeping';
import { stormBenchmark } from './storm';

const BENCHMARKS: Record<string, () => Promise<void>> = { 'hot-path': hotPathBenchmark, proxy: proxyBenchmark, idle: idleBenchmark, import: importBenchmark, storm: stormBenchmark, sleeping: sleepingBenchmark };

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  const unknown = wanted.filter((name) => !(name in BENCHMARKS));
  if (unknown.length > 0) throw new Error(`unknown benchmark ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}`);
  for (const name of wanted.length > 0 ? wanted : Object.keys(BENCHMARKS)) {
    console.log(`\n== ${name}`);
    await BENCHMARKS[name]!();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
