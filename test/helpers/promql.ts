/**
 * Metric names in PromQL and in a /metrics scrape, for the tests that hold the dashboard
 * (deploy/grafana) and the alert rules (deploy/prometheus) to what the service exports.
 */

const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset', 'inf', 'nan']);

/**
 * The metric names an expression selects. Label matchers, grouping label lists, range and
 * subquery brackets, strings, durations, numbers, Grafana variables and function names are not
 * metric names and are dropped first.
 */
export function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\b\d+(?:\.\d+)?(?:e[+-]?\d+)?(?:ms|[smhdwy])?\b/gi, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)) {
    const name = match[0];
    const rest = stripped.slice(match.index + name.length);
    if (/^\s*\(/.test(rest) || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names];
}

export interface Exported {
  /** Names with at least one sample line (histograms: name_bucket, name_sum, name_count). */
  sampled: Set<string>;
  /** Names a `# TYPE` line declares, a histogram's or summary's with their series suffixes. */
  declared: Set<string>;
}

/** The metric names of a Prometheus text-format scrape. */
export function exportedMetrics(text: string): Exported {
  const sampled = new Set<string>();
  const declared = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type;
      declared.add(name);
      if (kind === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) declared.add(name + suffix);
      if (kind === 'summary') for (const suffix of ['_sum', '_count']) declared.add(name + suffix);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) sampled.add(sample[1]);
  }
  return { sampled, declared };
}
