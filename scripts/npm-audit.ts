import { spawnSync } from 'node:child_process';

/**
 * The CI's dependency audit (docs/reliability.md, Attacks 10): `npm audit` of the production
 * dependencies when the registry's advisory database answers; a registry that does not answer
 * (offline, a mirror without the audit endpoint: 404/405/5xx) is reported and skipped, never a
 * failure. High or critical advisories fail the step.
 */
export type AuditVerdict =
  | { kind: 'clean'; counts: Record<string, number> }
  | { kind: 'vulnerable'; counts: Record<string, number> }
  | { kind: 'unreachable'; reason: string };

const FAILING_SEVERITIES = ['high', 'critical'];

/** Reads `npm audit --json`'s output: an audit report has `metadata.vulnerabilities`. */
export function classifyAudit(output: string): AuditVerdict {
  let report: { metadata?: { vulnerabilities?: Record<string, number> }; message?: string; error?: { summary?: string } };
  try {
    report = JSON.parse(output);
  } catch {
    return { kind: 'unreachable', reason: 'npm audit printed no report' };
  }
  const counts = report.metadata?.vulnerabilities;
  if (!counts) return { kind: 'unreachable', reason: report.message ?? report.error?.summary ?? 'no audit report' };
  return FAILING_SEVERITIES.some((severity) => (counts[severity] ?? 0) > 0) ? { kind: 'vulnerable', counts } : { kind: 'clean', counts };
}

function main(): void {
  const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8', timeout: 120_000 });
  const verdict = classifyAudit(run.stdout ?? '');
  if (verdict.kind === 'unreachable') {
    console.log(`npm audit skipped: the advisory database did not answer (${verdict.reason})`);
    return;
  }
  console.log(`npm audit: ${JSON.stringify(verdict.counts)}`);
  if (verdict.kind === 'vulnerable') {
    spawnSync('npm', ['audit', '--omit=dev', '--audit-level=high'], { stdio: 'inherit' });
    process.exitCode = 1;
  }
}

if (require.main === module) main();
