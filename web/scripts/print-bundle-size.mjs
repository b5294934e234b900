// Prints the gzipped size of what the initial route loads (index.html's scripts and styles,
// and their static imports), against the budget of 250 KB.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const BUDGET_KB = 250;
const dist = path.resolve(import.meta.dirname, '../dist');
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');
const entries = [...html.matchAll(/(?:src|href)="\/app\/([^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const seen = new Set();
const queue = [...entries];
while (queue.length) {
  const file = queue.shift();
  if (seen.has(file)) continue;
  seen.add(file);
  if (!file.endsWith('.js')) continue;
  const code = fs.readFileSync(path.join(dist, file), 'utf8');
  // Static imports between chunks (dynamic import() chunks are not part of the initial route).
  for (const m of code.matchAll(/(?:^|[;\s])import\s*(?:[^'"()]*?from\s*)?["']\.\/([^"']+\.js)["']/g)) queue.push(path.join(path.dirname(file), m[1]));
}
let total = 0;
for (const file of seen) {
  const size = zlib.gzipSync(fs.readFileSync(path.join(dist, file))).length;
  total += size;
  console.log(`  ${file.padEnd(40)} ${(size / 1024).toFixed(1)} KB gzipped`);
}
const kb = total / 1024;
console.log(`initial route: ${kb.toFixed(1)} KB gzipped (budget ${BUDGET_KB} KB)${kb > BUDGET_KB ? ' OVER BUDGET' : ''}`);
if (kb > BUDGET_KB) process.exitCode = 1;
