/**
 * Environment configuration that fails fast: every variable is declared once with its
 * parser, and a bad or missing value stops the process with a message naming it.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Parses one variable; `undefined` means it was not set (the default then applies). */
export interface VariableSpec<T> {
  readonly name: string;
  readonly description: string;
  readonly parse: (raw: string) => T;
  readonly fallback?: () => T;
}

type SpecMap = Record<string, VariableSpec<unknown>>;
export type ConfigOf<S extends SpecMap> = { [K in keyof S]: S[K] extends VariableSpec<infer T> ? T : never };

export function readConfig<S extends SpecMap>(spec: S, env: Env = process.env): ConfigOf<S> {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [key, variable] of Object.entries(spec)) {
    const raw = env[variable.name];
    try {
      if (raw === undefined || raw === '') {
        if (!variable.fallback) throw new Error(`is required (${variable.description})`);
        values[key] = variable.fallback();
      } else {
        values[key] = variable.parse(raw);
      }
    } catch (error) {
      problems.push(`${variable.name} ${(error as Error).message}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return values as ConfigOf<S>;
}

/** The names a config reads, so static checks (docker-compose, manifests) can agree with code. */
export function variableNames(spec: SpecMap): string[] {
  return Object.values(spec).map((variable) => variable.name);
}

export const parse = {
  port(raw: string): number {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0 || value > 65535) {
      throw new Error(`must be a TCP port (0-65535), got "${raw}"`);
    }
    return value;
  },
  nonNegativeInt(raw: string): number {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 0) throw new Error(`must be a whole number (0 or more), got "${raw}"`);
    return value;
  },
  positiveInt(raw: string): number {
    const value = Number(raw);
    if (!Number.isInteger(value) || value <= 0) throw new Error(`must be a positive integer, got "${raw}"`);
    return value;
  },
  boolean(raw: string): boolean {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    throw new Error(`must be true or false, got "${raw}"`);
  },
  postgresUrl(raw: string): string {
    const url = safeUrl(raw);
    if (!url || !/^postgres(ql)?:$/.test(url.protocol) || url.pathname.length < 2) {
      throw new Error('must be a postgres://user@host:port/database URL');
    }
    return raw;
  },
  redisUrl(raw: string): string {
    const url = safeUrl(raw);
    if (!url || !/^rediss?:$/.test(url.protocol)) throw new Error(`must be a redis://host:port URL, got "${raw}"`);
    return raw;
  },
  httpUrl(raw: string): string {
    const url = safeUrl(raw);
    if (!url || !/^https?:$/.test(url.protocol)) throw new Error(`must be an http(s) URL, got "${raw}"`);
    return raw;
  },
  logLevel(raw: string): string {
    const levels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
    if (!levels.includes(raw)) throw new Error(`must be one of ${levels.join(', ')}`);
    return raw;
  },
  text(raw: string): string {
    return raw;
  },
  secret(raw: string): string {
    if (raw.length < 32) throw new Error('must be at least 32 characters');
    return raw;
  },
};

function safeUrl(raw: string): URL | undefined {
  try {
    return new URL(raw);
  } catch {
    return undefined;
  }
}

export function variable<T>(
  name: string,
  description: string,
  parser: (raw: string) => T,
  fallback?: () => T,
): VariableSpec<T> {
  return { name, description, parse: parser, fallback };
}
