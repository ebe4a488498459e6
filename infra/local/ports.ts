import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** True when nothing listens on host:port, so a service started there will not collide. */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, host, () => probe.close(() => resolve(true)));
  });
}

/** Where the kernel takes ports for outgoing connections (Linux: 32768–60999 by default). */
function ephemeralRangeStart(): number {
  try {
    const start = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(start) && start > 1024 ? start : 32_768;
  } catch {
    return 32_768;
  }
}

const LOWEST = 20_000;
/** Ports this process has handed out, so two calls never return the same one. */
const handedOut = new Set<number>();

/**
 * A port nothing listens on right now (127.0.0.1), for a service that will be started on it a
 * little later. It is taken below the kernel's ephemeral range: a port the kernel picks for a
 * listener on port 0 is one it also hands to outgoing connections, and under a busy test run
 * one of those took it before the service could (seen: "port … already in use").
 */
export async function findFreePort(): Promise<number> {
  const highest = ephemeralRangeStart() - 1;
  for (let attempt = 0; attempt < 50 && highest > LOWEST; attempt += 1) {
    const port = LOWEST + Math.floor(Math.random() * (highest - LOWEST + 1));
    if (handedOut.has(port) || !(await isPortFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  return kernelChosenPort();
}

/** A port the kernel chooses (the fallback when no port below its ephemeral range is free). */
function kernelChosenPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The unprivileged ports of the WHATWG Fetch "bad ports" list, which `fetch` (Node's and
 * undici's) refuses with "bad port" before connecting. Nothing of ours that talks to our own
 * services may use fetch; tests put services on these ports to prove it.
 */
export const FETCH_BLOCKED_PORTS: readonly number[] = [
  1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
];

/** A free port that fetch refuses (see FETCH_BLOCKED_PORTS), never the same one twice. */
export async function findFreeFetchBlockedPort(): Promise<number> {
  for (const port of FETCH_BLOCKED_PORTS) {
    if (handedOut.has(port) || !(await isPortFree(port))) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error(`none of the ports fetch refuses is free: ${FETCH_BLOCKED_PORTS.join(', ')}`);
}
