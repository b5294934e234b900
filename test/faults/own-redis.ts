import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { freePort } from '../helpers/child-server';

/** A memory-only redis-server of the test's own on a free port, to kill and restart at will. */
export class OwnRedis {
  private process: ChildProcess | null = null;
  private constructor(readonly port: number) {}

  static async create(): Promise<OwnRedis> {
    return new OwnRedis(await freePort());
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    while (spawnSync('redis-cli', ['-p', String(this.port), 'ping']).stdout?.toString().trim() !== 'PONG') {
      if (Date.now() > deadline) throw new Error('redis-server did not start within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGKILL: Redis disappears without a goodbye, as in a crash or a network cut. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }
}

export const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;
