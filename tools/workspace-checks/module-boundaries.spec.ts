// Who may import whom, from the Nx project tags: an app imports libraries only (never another app),
// a library never imports an app, and production code never imports the test kit (type:test) or a
// library's `testing` entry. Only the end-to-end project (type:e2e) may start the apps themselves; it
// and the tools (type:tool) may use the test kit.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

interface Project {
  name: string;
  root: string;
  tags: string[];
}

function projects(): Project[] {
  const found: Project[] = [];
  for (const area of ['apps', 'libs', 'tools']) {
    for (const dir of readdirSync(join(root, area))) {
      const file = join(root, area, dir, 'project.json');
      try {
        const json = JSON.parse(readFileSync(file, 'utf8'));
        found.push({ name: json.name, root: join(area, dir), tags: json.tags ?? [] });
      } catch {
        // not a project
      }
    }
  }
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

const isTestFile = (path: string) => /\.spec\.ts$/.test(path) || /\/test\//.test(path) || /\/testing(\/|\.ts$)/.test(path);

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:from\s+|import\s+|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g)].map((match) => match[1]);
}

const all = projects();
const libByAlias = new Map(all.filter((p) => p.root.startsWith('libs/')).map((p) => [`@storefront/${p.name}`, p]));
const typeOf = (project: Project) => project.tags.find((tag) => tag.startsWith('type:'));

/** The project a relative import lands in, or the library an @storefront alias names. */
function targetOf(from: string, specifier: string): { project?: Project; testing: boolean } {
  if (specifier.startsWith('@storefront/')) {
    const [scope, name, ...rest] = specifier.split('/');
    const project = libByAlias.get(`${scope}/${name}`);
    return { project, testing: rest[0] === 'testing' || (project !== undefined && typeOf(project) === 'type:test') };
  }
  if (specifier.startsWith('.')) {
    const target = relative(root, resolve(dirname(from), specifier));
    return { project: all.find((p) => target === p.root || target.startsWith(`${p.root}/`)), testing: false };
  }
  return { testing: false };
}

describe('module boundaries', () => {
  it('finds the projects of the workspace with their type tags', () => {
    expect(all.map((p) => p.name).sort()).toEqual(
      expect.arrayContaining(['cart-cache', 'catalog', 'checkout', 'gateway', 'inventory', 'redis', 'service-kit', 'test-kit']),
    );
    for (const project of all) expect(typeOf(project)).toBeDefined();
  });

  it('apps import only libraries, libraries never import apps, production code never imports a testing entry', () => {
    const violations: string[] = [];
    for (const project of all) {
      for (const file of sourceFiles(join(root, project.root))) {
        for (const specifier of importsOf(file)) {
          const { project: target, testing } = targetOf(file, specifier);
          const where = `${relative(root, file)} imports ${specifier}`;
          if (specifier.startsWith('@storefront/') && !target) violations.push(`${where}: no such library`);
          const allowed = typeOf(project) === 'type:e2e' ? ['type:lib', 'type:test', 'type:app'] : ['type:lib', 'type:test'];
          if (target && target !== project && !allowed.includes(typeOf(target) ?? '')) violations.push(`${where}: only libraries may be imported`);
          // Everything in the end-to-end project, the test kit and the tools (the benchmark) is test code.
          if (testing && !isTestFile(file) && !['type:e2e', 'type:tool', 'type:test'].includes(typeOf(project) ?? '')) violations.push(`${where}: production code must not use a testing entry`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('inventory and checkout both build on @storefront/cart-cache', () => {
    for (const app of ['inventory', 'checkout']) {
      const files = sourceFiles(join(root, 'apps', app, 'src')).filter((file) => !isTestFile(file));
      expect(files.some((file) => importsOf(file).includes('@storefront/cart-cache'))).toBe(true);
    }
  });
});
