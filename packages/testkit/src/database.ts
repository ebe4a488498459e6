import { randomBytes } from 'node:crypto';
import { dropDatabases, ensureDatabases } from '../../../infra/local/databases';

export interface TestDatabase {
  readonly url: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_ADMIN_DATABASE_URL;
  if (!url) throw new Error('TEST_ADMIN_DATABASE_URL is not set: run tests through jest (globalSetup)');
  return url;
}

/** A brand-new database for one test file, so runs and parallel workers never collide. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `t_${label}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`.toLowerCase();
  const urls = await ensureDatabases(adminUrl(), [name]);
  return {
    url: urls[name] as string,
    drop: () => dropDatabases(adminUrl(), [name]),
  };
}
