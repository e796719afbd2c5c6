// Starts and stops real redis-server processes for tests: a throwaway single node (fault tests)
// and a three-node Redis Cluster on spare ports.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export async function hasRedisServer(): Promise<boolean> {
  return run('redis-server', ['--version']).then(
    () => true,
    () => false,
  );
}

const isFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

/** A port that is free, and whose cluster bus port (+10000) is free too. */
export async function sparePort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    if ((await isFree(port)) && (await isFree(port + 10_000))) return port;
  }
}

export class RedisServer {
  private process: ChildProcess | null = null;
  private readonly dir = mkdtempSync(join(tmpdir(), 'hc-redis-'));

  constructor(
    readonly port: number,
    private readonly extra: string[] = [],
  ) {}

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
    ];
    this.process = spawn('redis-server', [...args, '--dir', this.dir, ...this.extra], {
      stdio: 'ignore',
    });
    for (let i = 0; i < 100; i++) {
      const up = await run('redis-cli', ['-p', String(this.port), 'ping']).then(
        (r) => r.stdout.trim() === 'PONG',
        () => false,
      );
      if (up) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`redis-server did not start on port ${this.port}`);
  }

  /**
   * Stops the server's process (SIGSTOP): its connections stay open and nothing answers, as when
   * a host stalls or a huge command runs. thaw() lets it go on where it stopped.
   */
  freeze(): void {
    this.signal('SIGSTOP');
  }

  thaw(): void {
    this.signal('SIGCONT');
  }

  private signal(signal: NodeJS.Signals): void {
    if (!this.process || this.process.exitCode !== null)
      throw new Error('redis-server is not running');
    this.process.kill(signal);
  }

  /** Kills the server at once, as a crash would. */
  async kill(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
      // A frozen process dies of SIGKILL all the same; SIGCONT spares it a stopped zombie state.
      child.kill('SIGCONT');
    });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Three masters, no replicas, all slots covered. */
export async function startCluster(): Promise<{ urls: string[]; stop: () => Promise<void> }> {
  const servers: RedisServer[] = [];
  for (let i = 0; i < 3; i++) {
    const server = new RedisServer(await sparePort(), [
      '--cluster-enabled',
      'yes',
      '--cluster-config-file',
      'nodes.conf',
      '--cluster-node-timeout',
      '2000',
    ]);
    await server.start();
    servers.push(server);
  }
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    const addresses = servers.map((s) => `127.0.0.1:${s.port}`);
    await run('redis-cli', [
      '--cluster',
      'create',
      ...addresses,
      '--cluster-replicas',
      '0',
      '--cluster-yes',
    ]);
    for (let i = 0; i < 100; i++) {
      const info = await run('redis-cli', ['-p', String(servers[0]!.port), 'cluster', 'info']);
      if (info.stdout.includes('cluster_state:ok'))
        return { urls: servers.map((s) => s.url), stop };
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the Redis Cluster did not reach cluster_state:ok');
  } catch (err) {
    await stop();
    throw err;
  }
}

export const cleanupDir = (dir: string) => rmSync(dir, { recursive: true, force: true });
