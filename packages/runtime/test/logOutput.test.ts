import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { logBufferBytes } from '../src/logOutput';

const RUNTIME = resolve(__dirname, '..', 'dist', 'index.js');

/**
 * A process whose stdout is not read: its logger keeps at most its buffer of lines, drops and
 * counts the rest, and once stdout has caught up says how many it dropped and when.
 */
test('a logger whose stdout stalls keeps at most LOG_BUFFER_BYTES, then reports what it dropped', async () => {
  const script = `
    const { createLogger, logOutputOf } = require(${JSON.stringify(RUNTIME)});
    const logger = createLogger('probe', 'info', 64 * 1024);
    const padding = 'x'.repeat(1000);
    for (let i = 0; i < 2000; i += 1) logger.info({ i, padding }, 'line');
    process.stderr.write('written ' + logOutputOf(logger).dropped + '\\n');
    // Lines after the gap, once stdout is read again.
    process.stdin.once('data', () => {
      logger.info('after');
      setTimeout(() => process.exit(0), 200);
    });
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  const stdout = createInterface({ input: child.stdout });
  const lines: Record<string, unknown>[] = [];
  stdout.on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  stdout.pause();
  const [written] = (await once(createInterface({ input: child.stderr }), 'line')) as [string];
  const dropped = Number(written.split(' ')[1]);
  stdout.resume();
  child.stdin.write('go\n');
  await once(child, 'exit');

  const notice = lines.find((line) => line.msg === 'log lines were dropped: stdout was not read while more than LOG_BUFFER_BYTES of them waited');
  expect(dropped).toBeGreaterThan(1500);
  expect(notice).toMatchObject({ level: 40, service: 'probe', droppedLines: dropped, logBufferBytes: 64 * 1024 });
  const gap = [Date.parse(String(notice?.droppedFrom)), Date.parse(String(notice?.droppedUntil))];
  expect(gap[0]).toBeLessThanOrEqual(gap[1] as number);
  expect(Date.now() - (gap[0] as number)).toBeLessThan(60_000);
  const kept = lines.filter((line) => line.msg === 'line');
  // Every line is either written or counted as dropped; none is lost silently.
  expect(kept.length + dropped).toBe(2000);
  // The lines kept are the first ones, in order; logging goes on after the gap.
  expect(kept.map((line) => line.i)).toEqual(Array.from({ length: kept.length }, (_, i) => i));
  expect(lines.map((line) => line.msg)).toContain('after');
});

test('LOG_BUFFER_BYTES must be a positive whole number of bytes', () => {
  expect(logBufferBytes({})).toBe(8 * 1024 * 1024);
  expect(logBufferBytes({ LOG_BUFFER_BYTES: '65536' })).toBe(65_536);
  expect(() => logBufferBytes({ LOG_BUFFER_BYTES: '8MB' })).toThrow('LOG_BUFFER_BYTES must be a positive whole number of bytes, got "8MB"');
});
