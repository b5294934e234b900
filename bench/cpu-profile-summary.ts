import { readFileSync } from 'node:fs';

/**
 * Reads a V8 .cpuprofile (node --cpu-prof) and sums its samples within a time window three
 * ways: by package (self time), by function (self time), and by the nearest frame of the
 * service's own code (src/), which tells which of our code paths pays for the library time
 * below it. DevTools shows the same profile as a flame chart; this is the text for docs.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  busyMs: number;
  byPackage: [string, number][];
  bySelf: [string, number][];
  byNearestSource: [string, number][];
}

const shortUrl = (url: string) => url.replace(/.*node_modules\//, '').replace(/.*\/(dist\/)?(src\/)/, 'src/');

function packageOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1];
  if (/\/src\//.test(url)) return 'src (the service)';
  if (url.startsWith('node:')) return 'node internals';
  return '(native, GC, idle)';
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}

/** Summarises samples taken between `fromMs` and `toMs` after the profile started; shares are of busy time. */
export function summariseProfile(file: string, fromMs: number, toMs: number, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const parents = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
  const byPackage = new Map<string, number>();
  const bySelf = new Map<string, number>();
  const byNearest = new Map<string, number>();
  let busy = 0;
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i += 1) {
    at += profile.timeDeltas[i];
    const sinceStartMs = (at - profile.startTime) / 1000;
    if (sinceStartMs < fromMs || sinceStartMs > toMs) continue;
    const node = nodes.get(profile.samples[i])!;
    if (node.callFrame.functionName === '(idle)') continue;
    const micros = profile.timeDeltas[i + 1] ?? 0;
    busy += micros;
    const { functionName, url, lineNumber } = node.callFrame;
    add(byPackage, url ? packageOf(url) : functionName, micros);
    add(bySelf, `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`, micros);
    let id: number | undefined = node.id;
    let nearest = '(no frame of the service: library or runtime work of its own)';
    while (id !== undefined) {
      const frame = nodes.get(id)!.callFrame;
      if (/\/src\//.test(frame.url) && !frame.url.includes('node_modules')) {
        nearest = `${shortUrl(frame.url)} ${frame.functionName || '(anonymous)'}`;
        break;
      }
      id = parents.get(id);
    }
    add(byNearest, nearest, micros);
  }
  const ranked = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, top).map(([k, v]): [string, number] => [k, v / busy]);
  return { busyMs: busy / 1000, byPackage: ranked(byPackage), bySelf: ranked(bySelf), byNearestSource: ranked(byNearest) };
}

export function printSummary(summary: ProfileSummary): void {
  const lines = (rows: [string, number][]) => rows.map(([key, share]) => `    ${(share * 100).toFixed(1).padStart(5)}%  ${key}`).join('\n');
  console.log(`  main thread busy ${summary.busyMs.toFixed(0)} ms in the window`);
  console.log(`  by package (self time):\n${lines(summary.byPackage)}`);
  console.log(`  by function (self time):\n${lines(summary.bySelf)}`);
  console.log(`  by the nearest frame of src/ (what pays for the library time below it):\n${lines(summary.byNearestSource)}`);
}
