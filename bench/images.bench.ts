/**
 * npm run bench:images — sendImageMessage with a 12-megapixel JPEG (noisy, so it is as large as
 * a phone photo, under 5 MB) over HTTP multipart against the server in a child process: ten
 * concurrent uploads with the server's peak RSS (VmHWM), then uploads/s with p50/p99.
 * Settings: DATABASE_URL (server to create a scratch database on), BENCH_SECONDS (throughput
 * phase), BENCH_CONCURRENCY (throughput phase, default 4), BENCH_PORT. Storage: the embedded
 * default (files under a temporary DATA_DIR).
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { signDevToken } from '../src/auth/token-issuer';
import { BENCH_SECRET, graphql, percentile, recreateDatabase, startServerProcess, timedLoad, type LoadResult, BENCH_NO_ABUSE_LIMITS } from './lib';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 4);
const SERVER = process.env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
const SEND = `mutation Send($input: SendImageMessageInput!) { sendImageMessage(input: $input) { id image { width height thumbnailUrl } } }`;
const MB = 1024 * 1024;

/** A 4000x3000 JPEG: colour gradients with per-pixel noise, which JPEG cannot compress away. */
async function twelveMegapixelJpeg(): Promise<Buffer> {
  const [width, height, amplitude] = [4000, 3000, 32];
  const pixels = Buffer.alloc(width * height * 3);
  let seed = 7;
  for (let y = 0; y < height; y += 1) {
    for (let x = 0; x < width; x += 1) {
      const base = [(x * 255) / width, (y * 255) / height, ((x + y) * 127) / (width + height) + 64];
      for (let c = 0; c < 3; c += 1) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const noise = (((seed >> 16) & 0xff) / 255 - 0.5) * 2 * amplitude;
        pixels[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, base[c] + noise));
      }
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

/** Resident set (VmRSS) and its peak (VmHWM) of a process, in MB. */
async function memoryOf(pid: number): Promise<{ rss: number; peak: number }> {
  const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** Resets VmHWM to the current RSS (Linux: "5" in clear_refs), so the next peak is this phase's own. */
async function resetPeak(pid: number): Promise<boolean> {
  return fs.writeFile(`/proc/${pid}/clear_refs`, '5').then(
    () => true,
    () => false,
  );
}

async function upload(url: string, token: string, conversationId: string, jpeg: Buffer): Promise<boolean> {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: SEND, variables: { input: { conversationId, image: null } } }));
  form.append('map', JSON.stringify({ 0: ['variables.input.image'] }));
  form.append('0', new Blob([jpeg], { type: 'image/jpeg' }), 'photo.jpg');
  const response = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'apollo-require-preflight': 'true' },
    body: form,
  });
  const body = (await response.json()) as { errors?: { message: string }[] };
  if (body.errors) throw new Error(body.errors[0].message);
  return true;
}

const fmt = (r: LoadResult) =>
  `${r.perSecond.toFixed(2).padStart(7)} uploads/s   p50 ${r.p50.toFixed(0).padStart(5)} ms   p99 ${r.p99.toFixed(0).padStart(5)} ms   (${r.count} uploads, ${r.errors} errors)`;

async function main() {
  const jpeg = await twelveMegapixelJpeg();
  console.log(`image: 4000x3000 JPEG, ${(jpeg.length / MB).toFixed(2)} MB`);
  if (jpeg.length > 5 * MB) throw new Error('the bench image must stay under the 5 MB cap');

  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'messaging-images-bench-'));
  const databaseUrl = await recreateDatabase(SERVER, 'messaging_images_bench');
  const server = await startServerProcess(
    { DATABASE_URL: databaseUrl, DATA_DIR: dataDir, JWT_SECRET: BENCH_SECRET, RATE_LIMIT_MESSAGES_PER_HOUR: '100000000', ...BENCH_NO_ABUSE_LIMITS, MIGRATE_ON_START: 'true' },
    Number(process.env.BENCH_PORT ?? 4812),
    [],
    true,
  );
  const pid = server.child.pid!;
  try {
    const [a, b] = [randomUUID(), randomUUID()];
    const token = await signDevToken(BENCH_SECRET, { sub: a, name: 'Sender', ttl: '2h' });
    await graphql(server.url, await signDevToken(BENCH_SECRET, { sub: b, name: 'Recipient', ttl: '2h' }), '{ me { id } }');
    const started = await graphql(server.url, token, 'mutation($p: ID!) { startConversation(input: { participantId: $p }) { id } }', { p: b });
    const conversationId = (started.data!.startConversation as { id: string }).id;

    const fresh = await memoryOf(pid);
    for (let i = 0; i < 2; i += 1) await upload(server.url, token, conversationId, jpeg);
    const idle = await memoryOf(pid);
    const reset = await resetPeak(pid);

    const latencies: number[] = [];
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        const t = performance.now();
        await upload(server.url, token, conversationId, jpeg);
        latencies.push(performance.now() - t);
      }),
    );
    const burstSeconds = (performance.now() - t0) / 1000;
    const burst = await memoryOf(pid);
    latencies.sort((x, y) => x - y);
    console.log(`\nserver RSS: ${fresh.rss.toFixed(0)} MB before any upload, ${idle.rss.toFixed(0)} MB after two warm-up uploads`);
    console.log(`ten concurrent uploads${reset ? '' : ' (VmHWM could not be reset: lifetime peak)'}`);
    console.log(`  all done in ${burstSeconds.toFixed(2)} s   p50 ${percentile(latencies, 50).toFixed(0)} ms   max ${latencies.at(-1)!.toFixed(0)} ms`);
    console.log(`  peak RSS of the server process (VmHWM): ${burst.peak.toFixed(0)} MB`);

    console.log(`\nthroughput, ${CONCURRENCY} concurrent uploaders (${SECONDS} s)`);
    const result = await timedLoad(CONCURRENCY, SECONDS, () => upload(server.url, token, conversationId, jpeg));
    console.log(`  ${fmt(result)}`);
    console.log(`  peak RSS since the burst (both phases): ${(await memoryOf(pid)).peak.toFixed(0)} MB`);
  } finally {
    await server.stop();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
