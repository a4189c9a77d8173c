// The figures as a terminal table, a Markdown page and an SVG bar chart (hand-written: no chart library).
import type { Results, ScenarioSummary } from './summary';
import { commandsOf } from './topologies';

const PROCESS_LABELS: Record<string, string> = {
  inventory: 'inventory',
  checkout: 'checkout',
  gateway: 'gateway',
  bare: 'bare',
  article: 'article',
  'article-shell': 'article in shell',
  redis: 'redis',
  'load generator': 'load',
};
const PROCESS_ORDER = Object.keys(PROCESS_LABELS);

const thousands = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => (value >= 100 ? value.toFixed(0) : value.toFixed(1));
const twoDecimals = (value: number) => value.toFixed(2);

/** The busiest processes of a run, e.g. "inventory 97 · load 74 · redis 21" (percent of one core). */
function cpuText(s: ScenarioSummary): string {
  return Object.entries(s.cpu)
    .filter(([, value]) => value.percent >= 3)
    .sort((a, b) => b[1].percent - a[1].percent)
    .map(([name, value]) => `${PROCESS_LABELS[name] ?? name} ${Math.round(value.percent)}`)
    .join(' · ');
}

function scenarioRow(s: ScenarioSummary): string[] {
  return [
    s.title,
    thousands(s.requestsPerSecond),
    ms(s.p50Ms),
    ms(s.p99Ms),
    String(s.errors),
    s.roundTripsPerRequest.toFixed(3),
    thousands(s.bytesToRedisPerRequest),
    thousands(s.bytesFromRedisPerRequest),
    cpuText(s),
    String(Math.round(s.otherWorkPercent)),
    twoDecimals(s.littleRatio),
  ];
}

const SCENARIO_HEADER = [
  'Scenario',
  'req/s',
  'p50 ms',
  'p99 ms',
  'errors',
  'Redis RT/req',
  'B to Redis/req',
  'B from Redis/req',
  'CPU, % of one core',
  'other work, %',
  "Little's law",
];

const TOPOLOGY_HEADER = [
  'Add to cart straight to inventory, on',
  'req/s',
  'p50 ms',
  'p99 ms',
  'errors',
  'vs one node',
  'each round',
  'commands/add',
  'RT/add',
];
const TOPOLOGY_NOTE =
  'Medians over the rounds; each ratio is taken within a round, against the one-node run of the same round. ' +
  'Commands and round trips (RT) per add are exact (MONITOR on every primary, the inventory’s connections only). ' +
  'With REDIS_WAIT_REPLICAS=1 each add sends its script and a WAIT in one pipeline, one socket write: 2 commands, ' +
  '1 round trip (MONITOR shows each WAIT right behind its script, on the same connection).';

function topologyRows(results: Results): string[][] {
  return (results.topologies ?? []).map((t) => {
    const perAdd = (count: number) => (t.probe?.requests ? (count / t.probe.requests).toFixed(3) : '—');
    return [
      t.title,
      thousands(t.requestsPerSecond),
      ms(t.p50Ms),
      ms(t.p99Ms),
      String(t.errors),
      t.ratio ? `${twoDecimals(t.ratio.median)}x` : '',
      t.ratio?.perRound.map(twoDecimals).join(', ') ?? '',
      t.probe ? perAdd(commandsOf(t.probe)) : '—',
      t.probe ? perAdd(t.probe.roundTrips) : '—',
    ];
  });
}

/** Numbers right-aligned, text (the columns in `textColumns`) left-aligned. */
function textTable(header: string[], rows: string[][], textColumns: number[] = [0]): string {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (textColumns.includes(i) ? cell.padEnd(widths[i]) : cell.padStart(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function markdownTable(header: string[], rows: string[][], rightAligned: boolean[] = []): string {
  const escape = (cell: string) => cell.replace(/\|/g, '\\|');
  return [
    `| ${header.map(escape).join(' | ')} |`,
    `| ${header.map((_, i) => (rightAligned[i] ? '---:' : '---')).join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(escape).join(' | ')} |`),
  ].join('\n');
}

export function terminalReport(results: Results): string {
  const { summary } = results;
  const parts: string[] = [];
  parts.push(
    textTable(SCENARIO_HEADER, summary.scenarios.map(scenarioRow), [0, 8]) +
      `\n(medians over the rounds; errors summed; other work: CPU the rest of the machine used meanwhile; ` +
      `Little's law: throughput × mean latency / connections, ~1.00 when latencies hold)`,
  );
  parts.push(
    textTable(
      ['Ratio (within each round, then the median)', 'median', 'each round'],
      summary.ratios.map((r) => [r.title, `${twoDecimals(r.median)}x`, r.perRound.map(twoDecimals).join(', ')]),
      [0, 2],
    ),
  );
  if (results.topologies) {
    parts.push(`${textTable(TOPOLOGY_HEADER, topologyRows(results), [0, 6])}\n(${TOPOLOGY_NOTE})`);
  }
  parts.push(
    textTable(
      ['Target', 'wanted', 'measured', 'met'],
      summary.targets.map((t) => [
        t.title,
        t.wanted,
        t.measured + (t.shortfall ? `; ${t.shortfall}` : ''),
        t.met ? 'yes' : 'NO',
      ]),
      [0, 1, 2, 3],
    ),
  );
  if (results.memory.length) {
    parts.push(
      textTable(
        ['Cart', 'storefront hash', 'article JSON string', 'JSON length'],
        results.memory.map((m) => [
          `${m.lines} line(s)`,
          `${m.storefrontBytes} B (${m.storefrontEncoding})`,
          `${m.articleBytes} B`,
          `${m.articleJsonLength} B`,
        ]),
      ),
    );
  }
  if (results.redisBenchmark.results.length) {
    parts.push(
      textTable(
        ['redis-benchmark (server ceiling)', 'req/s', 'p50 ms', 'p99 ms', 'redis CPU %'],
        results.redisBenchmark.results.map((r) => [
          r.title,
          thousands(r.requestsPerSecond),
          ms(r.p50Ms),
          ms(r.p99Ms),
          String(Math.round(r.redisCpuPercent)),
        ]),
      ),
    );
  }
  if (results.redisBenchmark.skipped) parts.push(`redis-benchmark: no figure for ${results.redisBenchmark.skipped}`);
  for (const profile of results.profiles) {
    parts.push(
      `CPU profile of ${profile.service} under "${profile.scenario}" (${profile.file}):\n` +
        `  self time:     ${profile.selfByOrigin
          .slice(0, 8)
          .map((s) => `${s.name} ${s.percent.toFixed(1)}%`)
          .join(', ')}\n` +
        `  charged to the nearest package or storefront frame:  ${profile.chargedToCode
          .slice(0, 8)
          .map((s) => `${s.name} ${s.percent.toFixed(1)}%`)
          .join(', ')}\n` +
        `  by concern:    ${profile.byConcern
          .slice(0, 8)
          .map((s) => `${s.name} ${s.percent.toFixed(1)}%`)
          .join(', ')}`,
    );
  }
  parts.push(summary.checks.map((c) => `${c.passed ? 'PASS' : 'FAIL'}  ${c.title}: ${c.detail}`).join('\n'));
  return parts.join('\n\n');
}

export function markdownReport(results: Results, chartFile = 'chart.svg'): string {
  const { summary, meta } = results;
  const out: string[] = [];
  out.push(
    `Run of ${meta.date} (${meta.mode}${meta.mode === 'quick' ? ', figures indicative only' : ''}) at commit \`${meta.commit}\`: ` +
      `${meta.cores} × ${meta.cpu}, Node.js ${meta.node}, Redis ${meta.redis}; load average before ${meta.loadAverageBefore.map(twoDecimals).join(' ')}, ` +
      `after ${meta.loadAverageAfter.map(twoDecimals).join(' ')}. ${meta.rounds} round(s) of the add-to-cart comparison and ${meta.otherRounds} of ` +
      `the other scenarios, interleaved, about ${meta.secondsPerRun} s per run, ` +
      `${meta.connections} connections, ${thousands(meta.shoppers)} shoppers; the whole run took ${Math.round(meta.runtimeSeconds)} s.`,
  );
  out.push(`![Requests per second by scenario](${chartFile})`);
  out.push('### Scenarios');
  out.push(
    markdownTable(SCENARIO_HEADER, summary.scenarios.map(scenarioRow), [
      false,
      true,
      true,
      true,
      true,
      true,
      true,
      true,
      false,
      true,
      true,
    ]) +
      `\n\nMedians over the rounds (${summary.scenarios.map((s) => s.rounds).join('/')} runs per scenario); errors are summed. ` +
      `RT: round trips. CPU in percent of one core during the run (the machine has ${meta.cores}), per process of the bench; ` +
      "other work: what the rest of the machine used meanwhile (the noise). Little's law: throughput × mean latency ÷ " +
      "connections, about 1.00 when autocannon's latencies are sound.",
  );
  out.push('### Throughput ratios, round by round');
  out.push(
    markdownTable(
      ['Ratio', 'median', 'each round'],
      summary.ratios.map((r) => [r.title, `${twoDecimals(r.median)}x`, r.perRound.map(twoDecimals).join(', ')]),
      [false, true, false],
    ) + '\n\nEach ratio is taken within a round (the two runs seconds apart), then the median over the rounds.',
  );
  if (results.topologies) {
    out.push('### Topologies: a Redis Cluster and Sentinel, with and without WAIT');
    const right = TOPOLOGY_HEADER.map((_, i) => i > 0 && i !== 6);
    out.push(`${markdownTable(TOPOLOGY_HEADER, topologyRows(results), right)}\n\n${TOPOLOGY_NOTE}`);
  }
  out.push('### Targets');
  out.push(
    markdownTable(
      ['Target', 'wanted', 'measured', 'met'],
      summary.targets.map((t) => [
        t.title,
        t.wanted,
        t.measured + (t.shortfall ? `; ${t.shortfall}` : ''),
        t.met ? 'yes' : '**no**',
      ]),
    ),
  );
  out.push('### CPU per request, microseconds');
  const names = PROCESS_ORDER.filter((name) => summary.scenarios.some((s) => (s.cpu[name]?.percent ?? 0) >= 3));
  out.push(
    markdownTable(
      ['Scenario', ...names.map((n) => PROCESS_LABELS[n]), 'total'],
      summary.scenarios.map((s) => {
        const cells = names.map((n) =>
          (s.cpu[n]?.percent ?? 0) >= 3 ? thousands(s.cpu[n].microsecondsPerRequest) : '',
        );
        const total = Object.values(s.cpu).reduce((sum, v) => sum + v.microsecondsPerRequest, 0);
        return [s.title, ...cells, thousands(total)];
      }),
      [false, ...names.map(() => true), true],
    ),
  );
  out.push('### Redis round trips per operation (MONITOR, exact)');
  out.push(
    markdownTable(
      [
        'Operation',
        'requests',
        'round trips',
        'per request',
        'by sender',
        'commands run inside the scripts (no round trip)',
      ],
      results.roundTrips.map((p) => [
        p.title,
        String(p.requests),
        String(p.roundTrips),
        p.perRequest.toFixed(3),
        Object.entries(p.bySender)
          .map(([sender, n]) => `${sender} ${n}`)
          .join(', '),
        Object.entries(p.insideScripts)
          .map(([name, n]) => `${name} ${(n / Math.max(1, p.requests)).toFixed(2)}`)
          .join(', ') || '—',
      ]),
      [false, true, true, true, false, false],
    ),
  );
  const lostRows = summary.scenarios.filter((s) => s.lostUpdates);
  if (lostRows.length) {
    out.push('### Lost updates, one hot shopper');
    out.push(
      markdownTable(
        ['Scenario', ...lostRows[0].lostUpdates!.map((_, i) => `round ${i + 1}: added / stored / lost`)],
        lostRows.map((s) => [s.title, ...s.lostUpdates!.map((l) => `${l.expected} / ${l.stored} / ${l.lost}`)]),
      ),
    );
  }
  if (results.memory.length) {
    out.push('### Redis memory per cart (MEMORY USAGE)');
    out.push(
      markdownTable(
        ['Lines', 'storefront hash', 'encoding', "article's JSON string", 'JSON length', 'hash / string'],
        results.memory.map((m) => [
          String(m.lines),
          `${m.storefrontBytes} B`,
          m.storefrontEncoding,
          `${m.articleBytes} B`,
          `${m.articleJsonLength} B`,
          twoDecimals(m.storefrontBytes / m.articleBytes),
        ]),
        [true, true, false, true, true, true],
      ) +
        `\n\nKey names: ${results.memory[0].storefrontKeyLength} characters for the hash (with its hash tag), ${results.memory[0].articleKeyLength} for the string.`,
    );
  }
  out.push('### redis-benchmark: the Redis server’s own ceiling');
  if (results.redisBenchmark.results.length) {
    out.push(
      markdownTable(
        ['Command', 'req/s', 'p50 ms', 'p99 ms', 'redis CPU, % of one core', 'as run'],
        results.redisBenchmark.results.map((r) => [
          r.title,
          thousands(r.requestsPerSecond),
          ms(r.p50Ms),
          ms(r.p99Ms),
          String(Math.round(r.redisCpuPercent)),
          `\`${r.command}\``,
        ]),
        [false, true, true, true, true, false],
      ),
    );
  }
  if (results.redisBenchmark.skipped) out.push(`No figure for ${results.redisBenchmark.skipped}.`);
  for (const profile of results.profiles) {
    out.push(`### CPU profile: ${profile.service} under "${profile.scenario}"`);
    out.push(
      `${profile.sampledSeconds.toFixed(1)} s sampled${profile.windowed ? ' (the measured run only)' : ' (the whole process life)'}, ` +
        `busy ${profile.busyPercent.toFixed(0)}% of it; ${thousands(profile.run.load.requestsPerSecond)} req/s while profiled. ` +
        'Shares of the busy time: by the code that was running, and charged to the nearest npm package or storefront source ' +
        'on the stack (so a socket write inside `res.json()` counts for express, a file write of a log line for pino).',
    );
    const rows = Math.max(profile.selfByOrigin.length, profile.chargedToCode.length);
    out.push(
      markdownTable(
        ['Running', '%', 'Charged to', '%'],
        Array.from({ length: Math.min(rows, 12) }, (_, i) => [
          profile.selfByOrigin[i]?.name ?? '',
          profile.selfByOrigin[i] ? profile.selfByOrigin[i].percent.toFixed(1) : '',
          profile.chargedToCode[i]?.name ?? '',
          profile.chargedToCode[i] ? profile.chargedToCode[i].percent.toFixed(1) : '',
        ]),
        [false, true, false, true],
      ),
    );
    // The profiler itself costs CPU: the shares are applied to the figure measured without it.
    const unprofiled = summary.scenarios.find((s) => s.id === profile.scenario)?.cpu[profile.service]
      ?.microsecondsPerRequest;
    const perRequest = unprofiled ?? profile.run.cpu[profile.service]?.microsecondsPerRequest ?? 0;
    out.push(
      markdownTable(
        [
          `What the ${profile.service}'s CPU goes to`,
          '% of busy time',
          `≈ µs per request (of ${Math.round(perRequest)} measured without the profiler)`,
        ],
        profile.byConcern.map((c) => [
          c.name,
          c.percent.toFixed(1),
          String(Math.round((c.percent / 100) * perRequest)),
        ]),
        [false, true, true],
      ),
    );
    out.push(
      markdownTable(
        ['Hottest functions (self time)', '%'],
        profile.topFunctions.slice(0, 12).map((f) => [`\`${f.name}\``, f.percent.toFixed(1)]),
        [false, true],
      ),
    );
  }
  out.push('### Checks (exact; these decide the exit code)');
  out.push(
    markdownTable(
      ['Check', 'result', 'detail'],
      summary.checks.map((c) => [c.title, c.passed ? 'pass' : '**FAIL**', c.detail]),
    ),
  );
  return out.join('\n\n') + '\n';
}

const escapeXml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Horizontal bars of median requests per second, one tick per round to show the spread. */
export function svgChart(results: Results): string {
  const scenarios = results.summary.scenarios;
  // About 6.4 px per character of 12 px Helvetica: room for the longest title.
  const labelWidth = Math.ceil(Math.max(...scenarios.map((s) => s.title.length)) * 6.4) + 16;
  const barArea = 420;
  const rowHeight = 30;
  const top = 48;
  const width = labelWidth + barArea + 90;
  const height = top + rowHeight * scenarios.length + 40;
  const max = Math.max(1, ...scenarios.flatMap((s) => [s.requestsPerSecond, ...s.requestsPerSecondPerRound]));
  const scale = (value: number) => (value / max) * barArea;
  const rows = scenarios.map((s, i) => {
    const y = top + i * rowHeight;
    const color = s.group === 'baseline' ? '#9aa5b1' : '#2f6fb3';
    const ticks = s.requestsPerSecondPerRound
      .map(
        (value) =>
          `<line x1="${(labelWidth + scale(value)).toFixed(1)}" x2="${(labelWidth + scale(value)).toFixed(1)}" y1="${y + 4}" y2="${y + rowHeight - 6}" stroke="#1b1f24" stroke-width="1"/>`,
      )
      .join('');
    return (
      `<text x="${labelWidth - 10}" y="${y + rowHeight / 2 + 4}" text-anchor="end">${escapeXml(s.title)}</text>` +
      `<rect x="${labelWidth}" y="${y + 6}" width="${scale(s.requestsPerSecond).toFixed(1)}" height="${rowHeight - 12}" fill="${color}"/>` +
      ticks +
      // The value goes after the bar and after the furthest round's tick.
      `<text x="${(labelWidth + scale(Math.max(s.requestsPerSecond, ...s.requestsPerSecondPerRound)) + 6).toFixed(1)}" y="${y + rowHeight / 2 + 4}">${thousands(s.requestsPerSecond)}</text>`
    );
  });
  const { meta } = results;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12" fill="#1b1f24">`,
    `<rect width="100%" height="100%" fill="#ffffff"/>`,
    `<text x="12" y="22" font-size="15" font-weight="bold">Requests per second (bar: median over the rounds; ticks: each round)</text>`,
    `<text x="12" y="38" fill="#57606a">${escapeXml(`${meta.date.slice(0, 10)}, ${meta.cores} × ${meta.cpu}, ${meta.connections} connections. Grey: baselines; blue: the storefront.`)}</text>`,
    ...rows,
    `<line x1="${labelWidth}" x2="${labelWidth}" y1="${top}" y2="${top + rowHeight * scenarios.length}" stroke="#57606a"/>`,
    `</svg>`,
    '',
  ].join('\n');
}
