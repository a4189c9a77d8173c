// What of the module boundaries ESLint cannot check. Who may import whom from the Nx project tags is
// @nx/enforce-module-boundaries in eslint.config.mjs (npm run lint): apps import libraries only,
// libraries never import apps, production code never imports the test kit (type:test), no relative
// import reaches into another project, and only the end-to-end project starts the apps, through their
// declared entries (@storefront/<app>/server). The last tests run ESLint on imports it must refuse.
// An unknown @storefront/ library fails the typecheck. What stays here:
// - every project has a type: tag (the ESLint constraints are keyed on it);
// - production code never imports a library's `testing` entry (`@storefront/<lib>/testing`): to the
//   Nx rule that is the library itself, whose tag allows it;
// - inventory and checkout both build on @storefront/cart-cache (a dependency that must exist, which
//   no lint rule asks for).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

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

const isTestFile = (path: string) =>
  /\.spec\.ts$/.test(path) || /\/test\//.test(path) || /\/testing(\/|\.ts$)/.test(path);

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const specifiers = text.matchAll(/(?:from\s+|import\s+|import\s*\(\s*|require\(\s*)['"]([^'"]+)['"]/g);
  return [...specifiers].map((match) => match[1]);
}

const all = projects();
const typeOf = (project: Project) => project.tags.find((tag) => tag.startsWith('type:'));
const isTestingEntry = (specifier: string) => /^@storefront\/[^/]+\/testing(\/|$)/.test(specifier);

describe('module boundaries', () => {
  it('finds the projects of the workspace, each with a type tag', () => {
    expect(all.map((p) => p.name).sort()).toEqual(
      expect.arrayContaining([
        'cart-cache',
        'catalog',
        'checkout',
        'gateway',
        'inventory',
        'redis',
        'service-kit',
        'test-kit',
      ]),
    );
    expect(all.filter((project) => typeOf(project) === undefined).map((p) => p.name)).toEqual([]);
  });

  it("production code never imports a library's testing entry", () => {
    const violations: string[] = [];
    // Everything in the end-to-end project, the test kit and the tools (the benchmark) is test code.
    const production = all.filter((project) => !['type:e2e', 'type:tool', 'type:test'].includes(typeOf(project) ?? ''));
    for (const project of production) {
      for (const file of sourceFiles(join(root, project.root)).filter((path) => !isTestFile(path))) {
        for (const specifier of importsOf(file).filter(isTestingEntry)) {
          violations.push(`${relative(root, file)} imports ${specifier}`);
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

  describe('the lint rule (eslint.config.mjs) on imports it must refuse or let through', () => {
    // ESLint as `npm run lint` runs it, on a file that is not there: `--stdin-filename` says where it
    // would be. The Nx rule needs the project graph Nx caches: `nx show projects` makes sure it exists.
    beforeAll(() => {
      execFileSync('npx', ['nx', 'show', 'projects'], { cwd: root, stdio: 'ignore' });
    }, 120_000);

    function boundaryErrors(file: string, source: string): string[] {
      const args = ['eslint', '--format', 'json', '--stdin', '--stdin-filename', file];
      let output: string;
      try {
        output = execFileSync('npx', args, { cwd: root, input: source, encoding: 'utf8' });
      } catch (err) {
        output = String((err as { stdout?: string }).stdout ?? '');
      }
      const [result] = JSON.parse(output) as [{ messages: { ruleId: string | null; message: string }[] }];
      return result.messages
        .filter((message) => message.ruleId === '@nx/enforce-module-boundaries')
        .map((message) => message.message);
    }

    it.each([
      ['production code importing the test kit', 'apps/gateway/src/probe.ts', '@storefront/test-kit'],
      ["an app importing another app's declared entry", 'apps/gateway/src/probe.ts', '@storefront/checkout/server'],
      ["the end-to-end tests reaching into an app's src/", 'apps/e2e/test/probe.ts', '../../checkout/src/config'],
      ["the end-to-end tests reaching into an app's test/", 'apps/e2e/test/probe.ts', '../../checkout/test/x'],
      ["a library's tests reaching into another library's src/", 'libs/cart-cache/test/probe.ts', '../../redis/src'],
    ])(
      'refuses %s',
      (_, file, specifier) => {
        expect(boundaryErrors(file, `import * as probe from '${specifier}';\nexport { probe };\n`)).not.toEqual([]);
      },
      120_000,
    );

    it.each([
      [
        'the end-to-end tests starting an app through its declared entry',
        'apps/e2e/test/probe.ts',
        '@storefront/checkout/server',
      ],
      ['a test using the test kit', 'apps/gateway/test/probe.spec.ts', '@storefront/test-kit'],
    ])(
      'lets through %s',
      (_, file, specifier) => {
        expect(boundaryErrors(file, `import * as probe from '${specifier}';\nexport { probe };\n`)).toEqual([]);
      },
      120_000,
    );
  });
});
