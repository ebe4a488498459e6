/**
 * The requests of the refusal benchmark: the hostile ones issue 10 names, and a cheap valid
 * query for contrast. Each builds its text around a tag, so one case can be sent as the same
 * text again and again (the router's cached verdict) or as a new text every time (a miss, as an
 * attacker who varies the text would cause) at the same size and the same work.
 */

/** What the router must answer: anything else is a wrong answer and fails the run. */
export interface Expected {
  readonly status: number;
  /** `errors[0].extensions.code`, or null for a valid answer (data, no errors). */
  readonly code: string | null;
}

export interface RefusalCase {
  readonly id: string;
  readonly title: string;
  readonly expected: Expected;
  /** Whether this case must leave the subgraphs untouched. */
  readonly hostile: boolean;
  /** The operation text; `tag` is a GraphQL name part that makes the text unique. */
  text(tag: string): string;
  /** A check beyond status and code (that the case measures what it claims), or null. */
  readonly extra?: (answer: Answer) => string | null;
}

export interface GraphqlError {
  readonly message?: string;
  readonly extensions?: Readonly<Record<string, unknown>> & { readonly code?: unknown };
}

export interface Answer {
  readonly status: number;
  readonly body: { readonly data?: unknown; readonly errors?: readonly GraphqlError[] };
}

/** The issue's repro: 10,000 aliases of `listings(first: 100)` (as protection.e2e.test.ts builds it). */
function aliases(tag: string, count: number): string {
  const fields = Array.from({ length: count }, (_, index) => `${index === 0 ? `a0_${tag}` : `a${index}`}: listings(first: 100) { edges { node { id } } }`);
  return `{ ${fields.join(' ')} }`;
}

/**
 * Field depth exactly 50 on real types: listings → edges → node (3), eleven rounds of
 * Listing.bookingsConnection → edges → node → listing (47), then bookingsConnection → edges →
 * cursor (50). Refused before validation, so missing arguments do not matter.
 */
function depth50(tag: string): string {
  const round = 'bookingsConnection { edges { node { listing { ';
  return `{ d_${tag}: listings(first: 1) { edges { node { ${round.repeat(11)}bookingsConnection { edges { cursor } } ${'} } } } '.repeat(11)}} } } }`;
}

export const DEPTH = 50;

export const CASES: readonly RefusalCase[] = [
  {
    id: 'aliases-10000',
    title: '10,000 aliases of `listings(first: 100) { edges { node { id } } }`',
    expected: { status: 400, code: 'MAX_TOKENS_LIMIT' },
    hostile: true,
    text: (tag) => aliases(tag, 10_000),
  },
  {
    id: 'depth-50',
    title: 'field depth 50 (listings → bookingsConnection → … → listing, 11 rounds)',
    expected: { status: 400, code: 'MAX_DEPTH_LIMIT' },
    hostile: true,
    text: depth50,
    extra: (answer) => {
      const measured = answer.body.errors?.[0]?.extensions?.measured;
      return measured === DEPTH ? null : `depth measured ${String(measured)}, not ${DEPTH}`;
    },
  },
  {
    id: 'tokens-200000',
    title: '200,000 tokens (`{ a a a … }`)',
    expected: { status: 400, code: 'MAX_TOKENS_LIMIT' },
    hostile: true,
    text: (tag) => `{ t_${tag} ${'a '.repeat(199_999)}}`,
  },
  {
    id: 'cost-too-high',
    title: 'estimated cost 20,401: `listings(first: 100)` → host, `bookingsConnection(first: 100)`',
    expected: { status: 400, code: 'COST_ESTIMATED_TOO_EXPENSIVE' },
    hostile: true,
    text: (tag) => `{ c_${tag}: listings(first: 100) { edges { node { id host { id } bookingsConnection(first: 100) { edges { node { id } } } } } } }`,
    extra: (answer) => {
      const cost = answer.body.errors?.[0]?.extensions?.cost as { estimated?: unknown } | undefined;
      return cost?.estimated === 20_401 ? null : `estimated cost ${JSON.stringify(cost)}, not 20401`;
    },
  },
  {
    id: 'valid-cheap',
    title: 'for contrast, a valid cheap query: `listings(first: 2) { edges { node { id title } } }` (reaches catalog)',
    expected: { status: 200, code: null },
    hostile: false,
    text: (tag) => `query Listings_${tag} { listings(first: 2) { edges { node { id title } } } }`,
    extra: (answer) => {
      const data = answer.body.data as { listings?: { edges?: unknown } } | undefined;
      return Array.isArray(data?.listings?.edges) ? null : 'no listings.edges in the data';
    },
  },
];

/** Why an answer is wrong for this case, or null when it is right. */
export function wrongness(refusalCase: RefusalCase, answer: Answer): string | null {
  const { status, code } = refusalCase.expected;
  const first = answer.body.errors?.[0];
  if (answer.status !== status) return `HTTP ${answer.status}, expected ${status} (${first?.message ?? 'no error'})`;
  if (code === null) {
    if (answer.body.errors?.length) return `errors: ${JSON.stringify(answer.body.errors).slice(0, 300)}`;
  } else {
    if (first?.extensions?.code !== code) return `code ${String(first?.extensions?.code)}, expected ${code}`;
    if (answer.body.data !== undefined) return 'a refusal carried data';
  }
  return refusalCase.extra?.(answer) ?? null;
}
