// `npm run test:e2e`: the end-to-end suite with node's test runner, one file at a time (the
// service and the browser are heavy on a 2-core machine).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const dir = import.meta.dirname;
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.e2e.mjs')).map((f) => path.join(dir, f));
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-timeout=120000', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
