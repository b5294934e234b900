import path from 'node:path';
import express, { type Router } from 'express';

/** Where GraphiQL is served; the landing page and the start banner link to it. */
export const GRAPHIQL_PATH = '/graphiql';

/**
 * The files the page loads, from the graphiql, react and react-dom dev dependencies (UMD
 * builds: no bundler, no CDN, nothing fetched from the network at run time).
 */
const ASSETS: Record<string, { pkg: string; file: string; type: string }> = {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
};

/**
 * Renders GraphiQL against this origin's /graphql. `?token=` fills the Authorization header
 * in the headers editor, so the start banner's link works in one click. A file, not an inline
 * script: the page's CSP allows this origin only.
 */
const START_SCRIPT = `(function () {
  var token = new URLSearchParams(location.search).get('token');
  var props = { fetcher: GraphiQL.createFetcher({ url: location.origin + '/graphql' }), defaultEditorToolsVisibility: 'headers' };
  if (token) props.headers = JSON.stringify({ Authorization: 'Bearer ' + token }, null, 2);
  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, props));
})();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>GraphiQL · messaging</title>
  <link rel="stylesheet" href="${GRAPHIQL_PATH}/assets/graphiql.css">
  <style>body { margin: 0; height: 100vh; } #graphiql { height: 100vh; }</style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="${GRAPHIQL_PATH}/assets/react.js"></script>
  <script src="${GRAPHIQL_PATH}/assets/react-dom.js"></script>
  <script src="${GRAPHIQL_PATH}/assets/graphiql.js"></script>
  <script src="${GRAPHIQL_PATH}/assets/start.js"></script>
</body>
</html>
`;

/** Same origin only: the page must work offline, and nothing it loads may come from elsewhere. */
const CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'";

/**
 * GET /graphiql and its assets, for development: a GraphQL IDE that needs no network, beside
 * Apollo Sandbox (which loads from Apollo's CDN). Undefined when the dev dependencies are not
 * installed (`npm ci --omit=dev`), so such an install serves no half-working page.
 */
export function graphiqlRouter(): Router | undefined {
  const files = resolveAssets();
  if (!files) return undefined;
  const router = express.Router();
  router.get(GRAPHIQL_PATH, (_req, res) => {
    res.set('Content-Security-Policy', CSP).type('html').send(PAGE);
  });
  router.get(`${GRAPHIQL_PATH}/assets/start.js`, (_req, res) => {
    res.type('text/javascript').send(START_SCRIPT);
  });
  router.get(`${GRAPHIQL_PATH}/assets/:name`, (req, res, next) => {
    const asset = files.get(req.params.name);
    if (!asset) return next();
    res.type(asset.type).sendFile(asset.file, { maxAge: '1h' });
  });
  return router;
}

function resolveAssets(): Map<string, { file: string; type: string }> | undefined {
  const files = new Map<string, { file: string; type: string }>();
  try {
    for (const [name, { pkg, file, type }] of Object.entries(ASSETS)) {
      // Via package.json: these files are outside the packages' `exports` maps.
      files.set(name, { file: path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file), type });
    }
  } catch {
    return undefined;
  }
  return files;
}
