// `npm run load -- URL [--shoppers N] [--requests N] [--seconds S]`: shoppers on any storefront, a
// progress line while it runs, a summary at the end (tools/load/src/shoppers.ts says what they do).
import { parseArgs } from 'node:util';
import { formatSummary, runShoppers, type Progress } from './shoppers';

const USAGE = `usage: npm run load -- URL [--shoppers N (10)] [--requests N (2000)] [--seconds S (60)]
  URL: the storefront's gateway, e.g. http://127.0.0.1:3000`;

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      shoppers: { type: 'string', default: '10' },
      requests: { type: 'string', default: '2000' },
      seconds: { type: 'string', default: '60' },
      help: { type: 'boolean' },
    },
  });
  if (values.help || positionals.length !== 1) {
    console.log(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  const number = (name: 'shoppers' | 'requests' | 'seconds') => {
    const value = Number(values[name]);
    if (!(value > 0)) throw new Error(`--${name} needs a positive number\n${USAGE}`);
    return value;
  };
  const url = positionals[0].replace(/\/$/, '');
  const settings = { url, shoppers: number('shoppers'), requests: number('requests'), seconds: number('seconds') };
  console.log(
    `load: ${settings.shoppers} shoppers on ${url}, at most ${settings.requests} requests or ${settings.seconds} s`,
  );
  // One line rewritten in place on a terminal, a line every 5 s in a log.
  const tty = process.stdout.isTTY;
  const show = ({ seconds, requests, errors, orders }: Progress) => {
    if (!tty && Math.round(seconds) % 5 !== 0) return;
    const rate = (requests / seconds).toFixed(0);
    const line = `${seconds.toFixed(0)} s: ${requests} requests, ${rate} req/s, ${errors} errors, ${orders} orders`;
    process.stdout.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  };
  const summary = await runShoppers(settings, show);
  console.log(`${tty ? '\n' : ''}${formatSummary(summary)}`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`load: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
