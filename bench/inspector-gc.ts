import WebSocket from 'ws';

/**
 * Runs a full garbage collection in a Node process started with `--inspect=127.0.0.1:PORT`,
 * through the inspector protocol (HeapProfiler.collectGarbage), so that memory read afterwards
 * (VmRSS, heap used) counts what is live rather than when V8 last happened to collect.
 */
export async function collectGarbage(inspectPort: number): Promise<void> {
  const targets = (await (await fetch(`http://127.0.0.1:${inspectPort}/json/list`)).json()) as { webSocketDebuggerUrl: string }[];
  const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`inspector on ${inspectPort} did not answer`)), 30_000);
      socket.once('error', reject);
      socket.once('open', () => socket.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' })));
      socket.on('message', (raw: Buffer) => {
        const message = JSON.parse(raw.toString('utf8')) as { id?: number; error?: { message: string } };
        if (message.id !== 1) return;
        clearTimeout(timer);
        if (message.error) reject(new Error(message.error.message));
        else resolve();
      });
    });
  } finally {
    socket.close();
  }
}
