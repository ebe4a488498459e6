import { Migration } from '@mikro-orm/migrations';

export class Migration20261122000003PaymentsAndLedger extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table invoices
      add column listing_id uuid,
      add column stay_starts_at timestamptz,
      add column refunded_minor integer not null default 0 check (refunded_minor >= 0),
      add column updated_at timestamptz not null default now(),
      drop constraint invoices_status_check,
      add constraint invoices_status_check check (status in ('OPEN', 'PAID', 'VOID', 'REFUNDED', 'PARTIALLY_REFUNDED'))`);
    this.addSql(`
      create table invoice_lines (
        id uuid primary key,
        invoice_id uuid not null references invoices (id) on delete cascade,
        position integer not null,
        description text not null,
        quantity integer not null check (quantity > 0),
        unit_minor integer not null check (unit_minor >= 0),
        amount_minor integer not null check (amount_minor = quantity * unit_minor),
        unique (invoice_id, position)
      )`);
    this.addSql(`
      create table payments (
        id uuid primary key,
        invoice_id uuid not null references invoices (id),
        idempotency_key text not null,
        request_hash text not null,
        amount_minor integer not null check (amount_minor >= 0),
        currency char(3) not null,
        status text not null check (status in ('SUCCEEDED', 'DECLINED')),
        decline_reason text,
        provider_reference text,
        created_at timestamptz not null default now(),
        -- The same key on the same invoice is the same payment attempt, whatever the retries.
        constraint payments_invoice_idempotency_key unique (invoice_id, idempotency_key)
      )`);
    // At most one successful charge per invoice, whatever the keys.
    this.addSql(`create unique index payments_one_success_per_invoice on payments (invoice_id) where status = 'SUCCEEDED'`);
    this.addSql(`
      create table refunds (
        id uuid primary key,
        invoice_id uuid not null references invoices (id),
        payment_id uuid not null references payments (id),
        amount_minor integer not null check (amount_minor > 0),
        currency char(3) not null,
        reason text not null,
        created_at timestamptz not null default now()
      )`);
    this.addSql(`
      create table ledger_entries (
        id bigserial primary key,
        transaction_id uuid not null,
        account text not null,
        debit_minor integer not null default 0 check (debit_minor >= 0),
        credit_minor integer not null default 0 check (credit_minor >= 0),
        currency char(3) not null,
        description text not null,
        created_at timestamptz not null default now(),
        check ((debit_minor = 0) <> (credit_minor = 0))
      )`);
    this.addSql('create index ledger_entries_transaction_id_idx on ledger_entries (transaction_id)');
    // Double entry, enforced by the database: at commit, every ledger transaction balances.
    this.addSql(`
      create function ledger_transaction_balances() returns trigger language plpgsql as $$
      declare unbalanced record;
      begin
        select currency, sum(debit_minor) - sum(credit_minor) as difference into unbalanced
          from ledger_entries where transaction_id = new.transaction_id
          group by currency having sum(debit_minor) <> sum(credit_minor) limit 1;
        if found then
          raise exception 'ledger transaction % does not balance in % (off by %)', new.transaction_id, unbalanced.currency, unbalanced.difference
            using errcode = '23514';
        end if;
        return null;
      end $$`);
    this.addSql(`create constraint trigger ledger_entries_balance after insert or update on ledger_entries
      deferrable initially deferred for each row execute function ledger_transaction_balances()`);
  }

  override async down(): Promise<void> {
    this.addSql('drop table ledger_entries');
    this.addSql('drop function ledger_transaction_balances');
    this.addSql('drop table refunds');
    this.addSql('drop table payments');
    this.addSql('drop table invoice_lines');
    this.addSql('alter table invoices drop column listing_id, drop column stay_starts_at, drop column refunded_minor, drop column updated_at');
  }
}
