// The settings of a run, from its command line (node:util's parseArgs): the mode (full or --quick)
// sets the defaults.
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { workspaceRoot } from '@storefront/test-kit';
import { TOPOLOGY_IDS } from './topologies';

const USAGE = `usage: npm run bench [-- options]
  --quick          one short round, for CI (under a minute)
  --rounds N       rounds of the add-to-cart comparison (full: 5, quick: 1); the others run in min(N, 3)
  --seconds S      about how long each measured run lasts (full: 3, quick: 1.5)
  --only A,B       only these scenarios (ids as in results.json); the topologies: ${TOPOLOGY_IDS.join(',')}
  --apps-dir DIR   run the services from DIR/<app>/main.js instead of dist/apps (to compare a candidate build)`;

export function parseSettings(args: string[]) {
  const { values } = parseArgs({
    args,
    options: {
      quick: { type: 'boolean' },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
      only: { type: 'string' },
      'apps-dir': { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const positive = (name: string, text: string | undefined, fallback: number) => {
    const value = text === undefined ? fallback : Number(text);
    if (!(value > 0)) throw new Error(`--${name} needs a positive number\n${USAGE}`);
    return value;
  };
  const quick = values.quick ?? false;
  const rounds = Math.round(positive('rounds', values.rounds, quick ? 1 : 5));
  return {
    mode: quick ? ('quick' as const) : ('full' as const),
    // Figures are medians over rounds. The add-to-cart comparison (the ratio targets) runs in every
    // round, the other scenarios in the first three.
    rounds,
    otherRounds: Math.min(rounds, 3),
    /** About how long each measured run lasts (its request count is set from the warm-up's rate). */
    secondsPerRun: positive('seconds', values.seconds, quick ? 1.5 : 3),
    warmUpRequests: quick ? 400 : 1_000,
    /** The soak through the gateway at half its rate: its length, and when memory counts as settled. */
    soak: quick ? { seconds: 10, settleSeconds: 3 } : { seconds: 120, settleSeconds: 30 },
    connections: 50,
    shoppers: 1_000,
    outDir: join(workspaceRoot(), 'dist/tools/bench', quick ? 'quick' : 'full'),
    /** Also write the chart to docs/perf and the tables into docs/PERFORMANCE.md: a full run of everything. */
    updateDocs: !quick && !values.only && !values['apps-dir'],
    only: values.only?.split(','),
    appsDir: resolve(workspaceRoot(), values['apps-dir'] ?? 'dist/apps'),
  };
}

export type Settings = ReturnType<typeof parseSettings>;
