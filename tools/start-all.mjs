// `npm start`: runs inventory, checkout and the gateway (built first by `prestart`) against REDIS_URL,
// on ports 3001, 3002 and 3000 unless INVENTORY_PORT, CHECKOUT_PORT or GATEWAY_PORT say otherwise.
// SIGINT or SIGTERM stops all three; if one exits, the others are stopped too.
//
// A tiny spawner of its own rather than the test kit's (spawnNodeProcess): node runs this file as it is,
// without a build, and the test kit is TypeScript that also pulls in what tests use (ioredis clients,
// autocannon); `npm start` should need neither a bundle step of its own nor test code.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const port = (name, fallback) => process.env[name] || String(fallback);
const inventoryPort = port('INVENTORY_PORT', 3001);
const checkoutPort = port('CHECKOUT_PORT', 3002);
const gatewayPort = port('GATEWAY_PORT', 3000);

const services = [
  ['inventory', { PORT: inventoryPort }],
  ['checkout', { PORT: checkoutPort }],
  [
    'gateway',
    {
      PORT: gatewayPort,
      INVENTORY_URL: process.env.INVENTORY_URL || `http://127.0.0.1:${inventoryPort}`,
      CHECKOUT_URL: process.env.CHECKOUT_URL || `http://127.0.0.1:${checkoutPort}`,
    },
  ],
];

const children = services.map(([name, env]) =>
  spawn(process.execPath, ['--enable-source-maps', `dist/apps/${name}/main.js`], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: 'inherit',
  }),
);

let stopping = false;
let exitCode = 0;
function stopAll(code) {
  if (stopping) return;
  stopping = true;
  exitCode = code;
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM');
}

for (const child of children) {
  child.on('exit', (code) => {
    stopAll(code ?? 0);
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(exitCode);
  });
}
process.on('SIGINT', () => stopAll(0));
process.on('SIGTERM', () => stopAll(0));
