import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';

/** The accounts money moves between. */
export type LedgerAccount = 'accounts_receivable' | 'unearned_revenue' | 'cash';

export interface Posting {
  readonly account: LedgerAccount;
  readonly debit?: number;
  readonly credit?: number;
}

export class UnbalancedPosting extends Error {}

/**
 * Double-entry postings. Each call is one ledger transaction whose debits equal its credits;
 * checked here, and again by a deferred constraint trigger in the database at commit.
 */
export async function post(tx: EntityManager, description: string, currency: string, postings: readonly Posting[]): Promise<string> {
  const debits = postings.reduce((sum, posting) => sum + (posting.debit ?? 0), 0);
  const credits = postings.reduce((sum, posting) => sum + (posting.credit ?? 0), 0);
  if (debits !== credits) throw new UnbalancedPosting(`"${description}" debits ${debits} but credits ${credits}`);
  const transactionId = randomUUID();
  for (const posting of postings) {
    if (!posting.debit && !posting.credit) continue;
    await tx.execute(
      'insert into ledger_entries (transaction_id, account, debit_minor, credit_minor, currency, description) values (?, ?, ?, ?, ?, ?)',
      [transactionId, posting.account, posting.debit ?? 0, posting.credit ?? 0, currency, description],
    );
  }
  return transactionId;
}

export interface AccountBalance {
  account: string;
  currency: string;
  debits: number;
  credits: number;
}

export async function trialBalance(em: EntityManager): Promise<AccountBalance[]> {
  const rows = await em.execute<{ account: string; currency: string; debits: string; credits: string }[]>(
    `select account, currency, sum(debit_minor) as debits, sum(credit_minor) as credits
       from ledger_entries group by account, currency order by account, currency`,
  );
  return rows.map((row) => ({ account: row.account, currency: row.currency, debits: Number(row.debits), credits: Number(row.credits) }));
}
