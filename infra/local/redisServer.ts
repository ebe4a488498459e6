import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { groupReaper } from './groupReaper';

export interface RunningRedis {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export function redisServerOnPath(): string | undefined {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() || undefined : undefined;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.write('PING\r\n');
    });
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * A redis-server child on 127.0.0.1. With `appendOnly`, every write is fsynced to an AOF under
 * `dir`, so a restart loses nothing: what Redis Streams carrying events need.
 */
export async function startRedisServer(options: { port: number; dir: string; appendOnly: boolean }): Promise<RunningRedis> {
  const binary = redisServerOnPath();
  if (!binary) throw new Error('redis-server is not on PATH: install Redis 7 or set REDIS_URL');
  mkdirSync(options.dir, { recursive: true });
  const args = ['--bind', '127.0.0.1', '--port', String(options.port), '--dir', options.dir, '--save', ''];
  args.push(...(options.appendOnly ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  // Its own process group, out of reach of a terminal's Ctrl-C: it is stopped after the
  // services that use it, not with them.
  const child = spawn(binary, args, { stdio: 'ignore', detached: true });
  const pid = child.pid;
  // The server is ours alone: when this process ends, however it ends (the reaper covers
  // SIGKILL), so does the server, instead of living on as an orphan holding its port.
  if (pid !== undefined) groupReaper().watch(pid, { stage: 1 });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      if (pid !== undefined) groupReaper().release(pid);
      resolve();
    }),
  );
  const killWithParent = () => child.kill('SIGTERM');
  process.once('exit', killWithParent);
  const stop = async () => {
    process.removeListener('exit', killWithParent);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 10_000;
  while (!(await answers(options.port))) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server exited at start (port ${options.port} taken?)`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server did not answer on port ${options.port}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { url: `redis://127.0.0.1:${options.port}`, port: options.port, process: child, stop };
}
