import { describeExit, startChildService, type ChildExit, type ChildService } from './childService';

export interface RestartPolicy {
  /** This many crashes of one service within `windowMs` stop the stack: it is not recovering. */
  readonly maxCrashes: number;
  readonly windowMs: number;
  /** First restart delay; doubled for each further crash still inside the window, up to `maxDelayMs`. */
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxCrashes: 5, windowMs: 60_000, initialDelayMs: 500, maxDelayMs: 15_000 };

/**
 * One service of `npm start`, kept running: when its process dies on its own, the supervisor
 * logs why (exit code or signal, and the last lines of its stderr) and starts it again after a
 * backoff. A service that keeps dying — `maxCrashes` within `windowMs` — is given up on and
 * `onGiveUp` is told why, so the launcher can stop the stack with that message rather than
 * restart forever. Only `stop()` (Ctrl-C) ends it otherwise.
 */
export class SupervisedService {
  private current: ChildService;
  private readonly crashes: number[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;

  constructor(
    private readonly options: {
      readonly name: string;
      readonly script: string;
      readonly nodeFlags?: readonly string[];
      readonly env: NodeJS.ProcessEnv;
      readonly readyUrl: string;
      readonly log: (name: string, line: string) => void;
      readonly policy: RestartPolicy;
      readonly onGiveUp: (reason: string) => void;
    },
  ) {
    this.current = this.spawn();
  }

  get name(): string {
    return this.options.name;
  }

  get pid(): number | undefined {
    return this.current.process.pid;
  }

  /** The first start: rejects when it dies or is not ready in time (the launcher then stops). */
  waitUntilReady(deadlineMs: number): Promise<void> {
    return this.current.waitUntilReady(this.options.readyUrl, deadlineMs);
  }

  /** From now on a death is a crash to recover from, not a failed start. */
  supervise(): void {
    this.watch(this.current);
  }

  /**
   * From now on an exit is expected, not a crash to restart: the stack is stopping, and this
   * service may exit before its turn (its dependencies going away).
   */
  expectExit(): void {
    this.stopping = true;
    clearTimeout(this.restartTimer);
  }

  async stop(): Promise<void> {
    this.expectExit();
    await this.current.stop();
  }

  private spawn(): ChildService {
    const child = startChildService({
      name: this.options.name,
      script: this.options.script,
      nodeFlags: this.options.nodeFlags,
      env: this.options.env,
      log: this.options.log,
    });
    this.options.log('launcher', `${this.options.name} started (pid ${child.process.pid})`);
    return child;
  }

  private watch(child: ChildService): void {
    void child.exited.then((exit) => {
      if (!this.stopping && child === this.current) this.crashed(child, exit);
    });
  }

  private crashed(child: ChildService, exit: ChildExit): void {
    const { name, log, policy } = this.options;
    const now = Date.now();
    this.crashes.push(now);
    while (this.crashes.length > 0 && now - (this.crashes[0] ?? now) > policy.windowMs) this.crashes.shift();
    log('launcher', `${name} (pid ${child.process.pid}) died: ${describeExit(exit)}`);
    const stderr = child.lastStderrLines().slice(-10);
    if (stderr.length > 0) log('launcher', `last stderr lines of ${name}:\n${stderr.map((line) => `    ${line}`).join('\n')}`);
    if (this.crashes.length >= policy.maxCrashes) {
      this.options.onGiveUp(`${name} crashed ${this.crashes.length} times within ${Math.round(policy.windowMs / 1000)} s; giving up`);
      return;
    }
    const delayMs = Math.min(policy.initialDelayMs * 2 ** (this.crashes.length - 1), policy.maxDelayMs);
    log('launcher', `restarting ${name} in ${delayMs} ms (crash ${this.crashes.length} within ${Math.round(policy.windowMs / 1000)} s; ${policy.maxCrashes} stop the stack)`);
    this.restartTimer = setTimeout(() => {
      if (this.stopping) return;
      this.current = this.spawn();
      this.watch(this.current);
      this.current.waitUntilReady(this.options.readyUrl, 60_000).then(
        () => log('launcher', `${name} restarted and ready (pid ${this.current.process.pid})`),
        // A restart that dies before it is ready counts as one more crash (watched above).
        () => undefined,
      );
    }, delayMs);
  }
}
