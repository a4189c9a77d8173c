// A Jest reporter for the end-to-end suite: how much of the OpenAPI document its answers exercised. Each
// answer is checked against the document as it arrives (api-document-check.ts, which notes the route and
// status in the folder this reporter names); at the end of a run of the whole suite, too small a share
// of the document's route × status pairs, or a route never answered with success, fails the run.
// Plain JavaScript: Jest loads reporters without transforming them.
const { mkdtempSync, readFileSync, readdirSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

// The document lists every error any route may give (a 408, a 431, a 500...), most of which the suite
// provokes on a few routes only: this floor keeps what it exercises today from shrinking unnoticed.
const MIN_SHARE = 0.4;

class ApiCoverageReporter {
  constructor(globalConfig) {
    // Set before Jest starts its workers, which inherit it.
    this.dir = mkdtempSync(join(tmpdir(), 'storefront-api-checks-'));
    process.env.STOREFRONT_API_CHECKS_DIR = this.dir;
    // Only a run of the whole suite is held to the floor.
    this.wholeSuite =
      !globalConfig.testPathPatterns?.isSet?.() &&
      !globalConfig.testNamePattern &&
      !globalConfig.onlyChanged &&
      !globalConfig.findRelatedTests &&
      !globalConfig.shard;
    this.error = undefined;
  }

  onRunComplete() {
    try {
      this.error = this.check();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }

  check() {
    const files = readdirSync(this.dir);
    if (!files.includes('documented.json')) {
      return this.wholeSuite
        ? new Error('[api] no answer of the suite was checked against the OpenAPI document')
        : undefined;
    }
    const documented = JSON.parse(readFileSync(join(this.dir, 'documented.json'), 'utf8'));
    const checked = new Set(
      files
        .filter((file) => file.startsWith('checked-'))
        .flatMap((file) => readFileSync(join(this.dir, file), 'utf8').split('\n'))
        .filter(Boolean),
    );
    const exercised = documented.filter((pair) => checked.has(pair));
    const share = exercised.length / documented.length;
    const beyond = [...checked].filter((pair) => !documented.includes(pair)).sort();
    const routes = [...new Set(documented.map((pair) => pair.replace(/ \d+$/, '')))];
    const neverSucceeded = routes.filter((route) => !exercised.some((pair) => pair.startsWith(`${route} 2`)));
    process.stdout.write(
      `\n[api] the suite's answers exercised ${exercised.length} of the document's ${documented.length} ` +
        `route × status pairs (${Math.round(share * 100)}%):\n` +
        routes
          .map((route) => {
            const statuses = exercised.filter((pair) => pair.startsWith(`${route} `)).map((pair) => pair.split(' ')[2]);
            return `  ${route}: ${statuses.join(' ') || '-'}\n`;
          })
          .join('') +
        `  and, where the document lists no route: ${beyond.join(', ') || '-'}\n`,
    );
    if (!this.wholeSuite) return undefined;
    if (neverSucceeded.length > 0) return new Error(`[api] never answered with success: ${neverSucceeded.join(', ')}`);
    if (share < MIN_SHARE) {
      return new Error(
        `[api] ${Math.round(share * 100)}% of the route × status pairs exercised, below ${MIN_SHARE * 100}%`,
      );
    }
    return undefined;
  }

  getLastError() {
    return this.error;
  }
}

module.exports = ApiCoverageReporter;
