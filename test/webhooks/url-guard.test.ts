import { checkWebhookUrl, type Resolve } from '../../src/webhooks/url-guard';

/**
 * The SSRF table of CONTRACT.md "Webhooks": nothing here connects anywhere; names resolve
 * through a resolver that answers from a table (one of them the machine's real `localhost`).
 */
const names: Record<string, string[]> = {
  'internal.example.test': ['10.1.2.3'],
  'mixed.example.test': ['93.184.216.34', '192.168.1.20'],
  'public.example.test': ['93.184.216.34', '2606:2800:220:1:248:1893:25c8:1946'],
};
const tableResolve: Resolve = async (host) => {
  const addresses = names[host];
  if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return addresses;
};

describe('webhook URL guard (outside development)', () => {
  test.each([
    ['http://127.0.0.1/hook', 'not a public address'],
    ['http://127.10.0.1:8080/hook', 'not a public address'],
    ['http://[::1]/hook', 'not a public address'],
    ['http://2130706433/hook', 'not a public address'],
    ['http://0x7f000001/hook', 'not a public address'],
    ['http://0.0.0.0/hook', 'not a public address'],
    ['http://10.0.0.1/hook', 'not a public address'],
    ['http://10.255.255.254/hook', 'not a public address'],
    ['http://172.16.0.1/hook', 'not a public address'],
    ['http://172.31.255.1/hook', 'not a public address'],
    ['http://192.168.0.1/hook', 'not a public address'],
    ['http://[fd00::1]/hook', 'not a public address'],
    ['http://[fe80::1]/hook', 'not a public address'],
    ['http://[::ffff:127.0.0.1]/hook', 'not a public address'],
    ['http://169.254.169.254/latest/meta-data', 'not a public address'],
    ['http://internal.example.test/hook', 'not a public address'],
    ['http://mixed.example.test/hook', 'not a public address'],
    ['http://nowhere.example.test/hook', 'unresolvable'],
    ['ftp://93.184.216.34/hook', 'not http(s)'],
    ['not a url', 'not http(s)'],
  ])('%s is refused (%s)', async (url, refusal) => {
    await expect(checkWebhookUrl(url, tableResolve)).resolves.toBe(refusal);
  });

  test('localhost, resolved by the system, is refused', async () => {
    await expect(checkWebhookUrl('http://localhost:4000/hook')).resolves.toBe('not a public address');
  });

  test.each([['https://93.184.216.34/hook'], ['http://172.32.0.1/hook'], ['https://public.example.test/hook']])('%s is allowed', async (url) => {
    await expect(checkWebhookUrl(url, tableResolve)).resolves.toBeUndefined();
  });
});
