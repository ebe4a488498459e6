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
