// Builds the reference web client (web/dist) when it is missing, so that `npm install` and
// `npm start` alone serve /app/ on a fresh clone. Installs web/'s own dependencies first.
// Skipped where web/ is absent (the Docker build's first install) or when
// SKIP_WEB_BUILD=true; `npm run build:web` always rebuilds.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const web = path.resolve(__dirname, '..', 'web');
const force = process.argv.includes('--force');
if (!fs.existsSync(path.join(web, 'package.json'))) process.exit(0);
if (process.env.SKIP_WEB_BUILD === 'true' && !force) process.exit(0);
if (!force && fs.existsSync(path.join(web, 'dist', 'index.html'))) process.exit(0);

const run = (command) => execSync(command, { cwd: web, stdio: 'inherit' });
if (!fs.existsSync(path.join(web, 'node_modules', '.bin', 'vite'))) {
  console.log('web/: installing its dependencies');
  // --include=dev: Vite is a dev dependency, and NODE_ENV=production would skip it.
  run('npm ci --no-audit --no-fund --include=dev');
}
console.log('web/: building the web client into web/dist');
run('npm run build');
