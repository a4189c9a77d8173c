// Where the workspace is, from the sources or from a bundle built out of them (dist/...).
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

let root: string | undefined;

/** The workspace's root folder: the nearest folder above this file that holds nx.json. */
export function workspaceRoot(): string {
  if (root !== undefined) return root;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'nx.json'))) return (root = dir);
    if (dirname(dir) === dir) throw new Error(`no nx.json above ${__dirname}`);
  }
}

/** The built bundle of an app (dist/apps/<app>/main.js); throws, saying how to build it, when it is missing. */
export function builtApp(app: string): string {
  const bundle = join(workspaceRoot(), 'dist/apps', app, 'main.js');
  if (!existsSync(bundle)) throw new Error(`${bundle} is missing: build it first (npx nx build ${app})`);
  return bundle;
}
