import pino from 'pino';

/**
 * Development logs go through pino-pretty, a dev dependency: a production install has none,
 * and createLogger must then write JSON instead of failing to start.
 */
type CreateLogger = typeof import('../src/observability/logger').createLogger;

function loadCreateLogger(): CreateLogger {
  let createLogger: CreateLogger | undefined;
  jest.isolateModules(() => {
    createLogger = (jest.requireActual('../src/observability/logger') as { createLogger: CreateLogger }).createLogger;
  });
  return createLogger!;
}

/**
 * The stream a logger writes to: pino-pretty's transform, or (JSON) stdout itself, which pino
 * writes to directly under Jest.
 * Found by the symbol's description: the isolated module registry has its own pino, whose
 * symbols differ from this file's.
 */
function streamOf(logger: pino.Logger): unknown {
  const symbol = Object.getOwnPropertySymbols(logger).find((s) => s.description === 'pino.stream');
  return (logger as unknown as Record<symbol, unknown>)[symbol!];
}

afterEach(() => {
  jest.dontMock('pino-pretty');
});

test('pretty logs go through pino-pretty when it is installed', () => {
  const logger = loadCreateLogger()('info', { pretty: true });

  expect(streamOf(logger)).not.toBe(process.stdout);
});

test('without pino-pretty, pretty falls back to JSON', () => {
  jest.doMock('pino-pretty', () => {
    throw new Error("Cannot find module 'pino-pretty'");
  });
  const logger = loadCreateLogger()('info', { pretty: true });

  expect(streamOf(logger)).toBe(process.stdout);
});

test('JSON unless asked otherwise', () => {
  expect(streamOf(loadCreateLogger()('info'))).toBe(process.stdout);
});
