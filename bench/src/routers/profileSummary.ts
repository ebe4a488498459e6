/**
 * Reduces V8 CPU profiles (`node --cpu-prof`) to the functions with the most self time and
 * the packages their time goes to, which is what a reader needs to see where a router's
 * time is spent.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  startTime: number;
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** node_modules/<package> (scoped too), our workspace folder, or node internals. */
function ownerOf(url: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1] as string;
  if (url.startsWith('node:') || url === '') return '(node internals: sockets, streams, timers)';
  const ours = /\/(router|packages\/runtime|subgraphs\/[^/]+)\//.exec(url);
  return ours ? `ours: ${ours[1]}` : url;
}

/**
 * Only samples inside `windows` (monotonic µs, the clock V8 stamps profiles with) count, so
 * start-up and idle gaps between load runs stay out of the picture.
 */
export function summariseProfiles(directory: string, top: number, windows: readonly (readonly [number, number])[], title: string): string {
  const selfUs = new Map<string, number>();
  const byOwner = new Map<string, number>();
  let totalUs = 0;
  for (const file of readdirSync(directory).filter((name) => name.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(resolve(directory, file), 'utf8')) as CpuProfile;
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    let at = profile.startTime;
    profile.samples.forEach((id, index) => {
      const node = nodes.get(id);
      const delta = profile.timeDeltas[index] ?? 0;
      at += delta;
      if (!node || !windows.some(([start, end]) => at >= start && at <= end)) return;
      const { functionName, url, lineNumber } = node.callFrame;
      if (functionName === '(idle)') return;
      totalUs += delta;
      const key = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(router|packages|subgraphs)\//, '$1/')}:${lineNumber + 1}`;
      selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
      const owner = functionName.startsWith('(') ? functionName : ownerOf(url);
      byOwner.set(owner, (byOwner.get(owner) ?? 0) + delta);
    });
  }
  const share = (us: number) => `${((100 * us) / Math.max(totalUs, 1)).toFixed(1)}%`;
  const lines = [
    `## Where our router's CPU time goes: ${title} (busy ${(totalUs / 1000).toFixed(0)} ms inside the measured windows, idle excluded)`,
    '',
    '| package or part | self time |',
    '|---|---:|',
    ...[...byOwner].sort((a, b) => b[1] - a[1]).slice(0, 20).map(([owner, us]) => `| ${owner} | ${share(us)} |`),
    '',
    '| function | self time |',
    '|---|---:|',
    ...[...selfUs].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, us]) => `| \`${name}\` | ${share(us)} |`),
    '',
  ];
  return lines.join('\n');
}
