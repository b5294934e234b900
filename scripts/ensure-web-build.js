// Builds the reference web client (web/dist) when it is missing or older than its sources, so
// that `npm install` and `npm start` alone serve /app/ on a fresh clone, and the current one
// after a pull. Installs web/'s own dependencies first.
// Skipped where web/ is absent (the Docker build's first install) or when
// SKIP_WEB_BUILD=true; `npm run build:web` always rebuilds.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const web = path.resolve(__dirname, '..', 'web');
const force = process.argv.includes('--force');
if (!fs.existsSync(path.join(web, 'package.json'))) process.exit(0);
if (process.env.SKIP_WEB_BUILD === 'true' && !force) process.exit(0);

/** The newest modification time among the files the build reads (sources, config, lockfile). */
function newestSource() {
  let newest = 0;
  const visit = (entry) => {
    const stat = fs.statSync(entry, { throwIfNoEntry: false });
    if (!stat) return;
    if (stat.isDirectory()) for (const name of fs.readdirSync(entry)) visit(path.join(entry, name));
    else newest = Math.max(newest, stat.mtimeMs);
  };
  for (const name of ['src', 'public', 'index.html', 'package-lock.json', 'vite.config.ts']) visit(path.join(web, name));
  return newest;
}

const built = fs.statSync(path.join(web, 'dist', 'index.html'), { throwIfNoEntry: false });
if (!force && built && built.mtimeMs >= newestSource()) process.exit(0);

const run = (command) => execSync(command, { cwd: web, stdio: 'inherit' });
if (!fs.existsSync(path.join(web, 'node_modules', '.bin', 'vite'))) {
  console.log('web/: installing its dependencies');
  // --include=dev: Vite is a dev dependency, and NODE_ENV=production would skip it.
  run('npm ci --no-audit --no-fund --include=dev');
}
console.log(built ? 'web/: the sources changed since the last build: rebuilding web/dist' : 'web/: building the web client into web/dist');
run('npm run build');
