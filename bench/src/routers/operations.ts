/**
 * What each benchmarked request sends. Most operations send one fixed body; createBooking needs
 * a free slot per request and the planning-cost operation a never-seen document per request,
 * so those bodies are made from a per-request sequence number.
 */
export type OperationBody =
  | { readonly kind: 'fixed'; readonly json: string }
  | {
      readonly kind: 'createBooking';
      readonly query: string;
      readonly listingIds: readonly string[];
      /** Unique per load run, so runs never compete for the same slots. */
      readonly slotBase: number;
    }
  | { readonly kind: 'novel'; readonly queryTemplate: string; readonly runId: string };

export interface Operation {
  readonly id: string;
  readonly title: string;
  readonly body: OperationBody;
}

const DAY_MS = 86_400_000;
const FIRST_BENCH_STAY = Date.UTC(2040, 0, 1);
/** Nights per benchmark stay; stays of one listing are laid end to end. */
const STAY_DAYS = 2;

export const NOVEL_MARKER = '__NOVEL__';

export function requestBody(body: OperationBody, sequence: number): string {
  switch (body.kind) {
    case 'fixed':
      return body.json;
    case 'createBooking': {
      const count = body.listingIds.length;
      const slot = body.slotBase + Math.floor(sequence / count);
      const startsAt = FIRST_BENCH_STAY + slot * STAY_DAYS * DAY_MS;
      return JSON.stringify({
        query: body.query,
        variables: {
          input: {
            listingId: body.listingIds[sequence % count],
            startsAt: new Date(startsAt).toISOString(),
            endsAt: new Date(startsAt + STAY_DAYS * DAY_MS).toISOString(),
            guests: 1,
            idempotencyKey: `bench-${body.slotBase}-${sequence}`,
          },
        },
      });
    }
    case 'novel':
      return JSON.stringify({ query: body.queryTemplate.replaceAll(NOVEL_MARKER, `n${body.runId}_${sequence}`) });
  }
}

/** Slots one load run may use at most: runs get disjoint ranges of this size. */
export const SLOTS_PER_RUN = 200;
