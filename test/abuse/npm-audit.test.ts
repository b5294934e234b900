import { classifyAudit } from '../../scripts/npm-audit';

/** Attack 10 (docs/reliability.md): the CI audits dependencies when it can, and an unreachable registry never fails it. */

test('an unreachable advisory database (405 from a registry without the endpoint, or offline) is skipped', () => {
  const refused = JSON.stringify({ message: '405 Method Not Allowed - POST https://registry.example/-/npm/v1/security/advisories/bulk', statusCode: 405 });
  expect(classifyAudit(refused)).toEqual({ kind: 'unreachable', reason: expect.stringContaining('405') });
  expect(classifyAudit('')).toMatchObject({ kind: 'unreachable' });
  expect(classifyAudit(JSON.stringify({ error: { code: 'ENOTFOUND', summary: 'getaddrinfo ENOTFOUND' } }))).toMatchObject({ kind: 'unreachable' });
});

test('a report with high or critical advisories fails; low and moderate ones pass', () => {
  const report = (counts: Record<string, number>) => JSON.stringify({ metadata: { vulnerabilities: { info: 0, low: 0, moderate: 0, high: 0, critical: 0, ...counts } } });
  expect(classifyAudit(report({}))).toMatchObject({ kind: 'clean' });
  expect(classifyAudit(report({ low: 2, moderate: 1 }))).toMatchObject({ kind: 'clean' });
  expect(classifyAudit(report({ high: 1 }))).toMatchObject({ kind: 'vulnerable' });
  expect(classifyAudit(report({ critical: 1 }))).toMatchObject({ kind: 'vulnerable' });
});
