import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from './ports';

/**
 * A Debian `prometheus` binary (promtool, prometheus) on the PATH, or null. In CI it must be
 * there (.ci/run installs it); elsewhere a test without it is skipped with a loud message.
 */
export function prometheusTool(name: 'promtool' | 'prometheus'): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status === 0 && path) return path;
  if (process.env.CI || process.env.BOOKING_CI_RUN) throw new Error(`${name} is missing in CI: .ci/run installs Debian's prometheus package`);
  console.warn(`\n!!! ${name} is not installed: SKIPPING the tests that need it (apt-get install -y prometheus) !!!\n`);
  return null;
}

/** `promtool check metrics` on an exposition: the problems it reports (empty: none). */
export function promtoolProblems(promtool: string, exposition: string): string {
  const result = spawnSync(promtool, ['check', 'metrics'], { input: exposition, encoding: 'utf8' });
  return result.status === 0 ? '' : `${result.stdout}${result.stderr}`.trim() || `promtool exited ${result.status}`;
}

export interface RunningPrometheus {
  readonly url: string;
  /** The value of an instant PromQL query's samples (the API's `data.result`). */
  query(promql: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  stop(): Promise<void>;
}

/**
 * A real Prometheus on a free port and a temporary data directory, scraping `targets` (job name
 * → `host:port`) every second; stopped by its pid, its directory removed.
 */
export async function startPrometheus(binary: string, targets: Readonly<Record<string, string>>): Promise<RunningPrometheus> {
  const directory = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const jobs = Object.entries(targets)
    .map(([job, target]) => `  - job_name: ${job}\n    metrics_path: /metrics\n    static_configs:\n      - targets: ["${target}"]\n`)
    .join('');
  writeFileSync(join(directory, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n${jobs}`);
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    binary,
    [`--config.file=${join(directory, 'prometheus.yml')}`, `--storage.tsdb.path=${join(directory, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.pid) process.kill(child.pid, 'SIGTERM');
    const killer = setTimeout(() => child.pid && child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
    rmSync(directory, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`prometheus exited: ${output}`);
    }
    const ready = await fetch(`${url}/-/ready`).then((response) => response.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus was not ready within 20 s: ${output}`);
    }
    await new Promise((wait) => setTimeout(wait, 200));
  }
  return {
    url,
    async query(promql) {
      const response = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await response.json()) as { status: string; error?: string; data?: { result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== 'success' || !body.data) throw new Error(`PromQL ${promql}: ${body.error ?? response.status}`);
      return body.data.result;
    },
    stop,
  };
}

