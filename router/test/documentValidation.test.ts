import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  BREAK,
  buildSchema,
  GraphQLError,
  parse,
  print,
  specifiedRules,
  validate,
  type ASTVisitor,
  type DocumentNode,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { validateDocument } from '../src/pipeline/documentValidation';
import { noIntrospection } from '../src/execution/requestErrors';

// validateDocument must answer exactly what graphql-js' validate answers: same errors, same
// order, same locations, for valid and invalid documents alike.

const bookings = buildSchema(readFileSync(resolve(__dirname, '../../schema/api.graphql'), 'utf8'));

const abstract = buildSchema(`
  interface Node { id: ID! }
  interface Named { name: String }
  type Cat implements Node & Named { id: ID! name: String lives: Int meows(loud: Boolean = false): [String!] }
  type Dog implements Node & Named { id: ID! name: String barks: Boolean owner: Human }
  type Human implements Node & Named { id: ID! name: String pets: [Pet!]! }
  union Pet = Cat | Dog
  input PetFilter { kind: PetKind! names: [String!] nested: PetFilter }
  enum PetKind { CAT DOG }
  directive @tag(name: String!) repeatable on FIELD | FRAGMENT_SPREAD
  directive @once on FIELD
  type Query {
    node(id: ID!): Node
    pets(filter: PetFilter, first: Int = 10): [Pet!]!
    human(id: ID!): Human
    search(text: String!): [Named!]!
  }
  type Mutation { adopt(petId: ID!, kind: PetKind!): Pet }
  type Subscription { petAdopted: Pet newHuman: Human }
`);

const BOOKINGS_DOCUMENTS = [
  'query Lookup($id: ID!) { listing(id: $id) { id title city capacity pricePerNight { amount currency } } }',
  '{ bookings(first: 5) { edges { node { id status listing { title } guest { displayName } } } } }',
  '{ bookings { edges { node { id ... on Booking { status } ...B @defer(label: "x") } } } } fragment B on Booking { id listing { id } }',
  'mutation M($input: CreateBookingInput!) { createBooking(input: $input) { id status } }',
  '{ nope }',
  '{ listing { id } }',
  '{ listing(id: 1, extra: 2) { id title(x: 1) } }',
  'query Q($id: ID!, $id: String) { listing(id: $id) { id } }',
  'query Q($unused: Int) { categories { id } }',
  'query Q { listing(id: $missing) { id } }',
  '{ bookings(first: "five") { edges { node { id } } } }',
  'query A { categories { id } } query A { categories { id } }',
  '{ categories { id } } query Named { categories { id } }',
  'fragment F on Booking { id ...G } fragment G on Booking { id ...F } { bookings { edges { node { ...F } } } }',
  'fragment Unused on Booking { id } { categories { id } }',
  '{ categories { ...Missing } }',
  '{ categories { ... on Nope { id } } }',
  '{ categories { ... on Booking { id } } }',
  '{ categories }',
  '{ bookings { edges { node { id: status id } } } }',
  '{ categories { id @skip(if: true) @skip(if: false) } }',
  '{ categories { id @nope } }',
  'query Q @skip(if: true) { categories { id } }',
  'query Q($v: CreateBookingInput) { categories { id } }',
  'query Q($v: Booking) { categories { id } }',
  'mutation { createBooking(input: { listingId: "1", guests: 1, nope: 2 }) { id } }',
  'mutation { createBooking(input: { listingId: "1", listingId: "2" }) { id } }',
  '{ __schema { types { name } } __type(name: "Booking") { fields { name } } }',
  '{ categories { __typename id } __typename }',
  'subscription S { a: bookingUpdated(id: "1") { id } b: bookingUpdated(id: "2") { id } }',
];

const ABSTRACT_DOCUMENTS = [
  '{ node(id: "1") { id ... on Cat { lives } ... on Dog { barks owner { name } } } }',
  '{ node(id: "1") { lives } }',
  '{ pets { ... on Cat { name } ... on Human { name } } }',
  '{ pets { name } }',
  '{ pets { ... on Named { name } ... on Node { id } } }',
  '{ search(text: "x") { ... on Pet { ... on Dog { barks } } } }',
  '{ pets { ... on Cat { meows(loud: true) } ... on Cat { meows(loud: false) } } }',
  '{ pets { ... on Cat { name: lives } ... on Dog { name } } }',
  '{ pets { ... on Cat { x: lives } ... on Dog { x: barks } } }',
  '{ human(id: "1") { name @tag(name: "a") @tag(name: "b") @once @once } }',
  '{ pets(filter: { kind: CAT, names: ["a", 1], nested: { kind: BIRD } }) { __typename } }',
  '{ pets(filter: { names: [] }) { __typename } }',
  'query Q($k: PetKind = CAT, $f: PetFilter = { kind: DOG }) { pets(filter: $f) { __typename } adopt: node(id: $k) { id } }',
  'query Q($first: Int) { pets(first: $first, filter: null) { __typename } }',
  'query Q($n: String) { search(text: $n) { name } }',
  'mutation { adopt(petId: "1", kind: CAT) { ... on Cat { lives } } }',
  'subscription { petAdopted { __typename } newHuman { id } }',
  'subscription { __typename }',
  'fragment H on Human { pets { ... on Dog { owner { ...H } } } } { human(id: "1") { ...H } }',
  'fragment N on Named { name } { node(id: "1") { ...N } pets { ...N } }',
  'fragment C on Cat { lives } { human(id: "1") { ...C } }',
  '{ human(id: "1") { ... @include(if: true) { name } ... @skip(if: $nope) { id } } }',
  'query Q($b: Boolean!) { human(id: "1") { name @include(if: $b) pets @skip(if: $b) { __typename } } }',
  '{ human(id: "1") { name { x } } }',
  '{ human(id: "1") }',
  '{ node { id } }',
  `{ ${Array.from({ length: 120 }, (_, index) => `f${index}: nope${index}`).join(' ')} }`,
];

function sameAsGraphqlJs(schema: GraphQLSchema, document: DocumentNode, rules: readonly ValidationRule[] = specifiedRules): void {
  const expected = validate(schema, document, rules).map((error) => error.toJSON());
  expect(validateDocument(schema, document, rules).map((error) => error.toJSON())).toEqual(expected);
}

test.each(BOOKINGS_DOCUMENTS)('the supergraph API schema: %s', (text) => {
  sameAsGraphqlJs(bookings, parse(text));
  sameAsGraphqlJs(bookings, parse(text), [...specifiedRules, noIntrospection]);
});

test.each(ABSTRACT_DOCUMENTS.map((text) => [text.slice(0, 100), text]))('interfaces, unions, inputs, directives: %s', (_name, text) => {
  sameAsGraphqlJs(abstract, parse(text));
});

test('the corpus has invalid documents of many kinds and valid ones, so the comparison is not vacuous', () => {
  const messages = [...BOOKINGS_DOCUMENTS.map((text) => validate(bookings, parse(text))), ...ABSTRACT_DOCUMENTS.map((text) => validate(abstract, parse(text)))];
  expect(messages.filter((errors) => errors.length === 0).length).toBeGreaterThanOrEqual(8);
  const rulesHit = new Set(messages.flat().map((error) => error.message.replace(/".*?"/g, '"…"').slice(0, 30)));
  expect(rulesHit.size).toBeGreaterThanOrEqual(30);
  // Past 100 errors both abort with the same last error.
  const flood = validateDocument(abstract, parse(ABSTRACT_DOCUMENTS.at(-1)!));
  expect(flood).toHaveLength(101);
  expect(flood.at(-1)?.message).toBe('Too many validation errors, error limit reached. Validation aborted.');
});

test('documents changed at random (names dropped, swapped, repeated) get the same errors', () => {
  // A fixed-seed generator: the same documents on every run.
  let seed = 7;
  const random = (below: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed % below;
  };
  const sources: Array<[GraphQLSchema, string]> = [...BOOKINGS_DOCUMENTS.map((text): [GraphQLSchema, string] => [bookings, text]), ...ABSTRACT_DOCUMENTS.slice(0, -1).map((text): [GraphQLSchema, string] => [abstract, text])];
  let compared = 0;
  for (let round = 0; round < 1_500; round++) {
    const [schema, text] = sources[random(sources.length)]!;
    const words = text.split(' ');
    const at = random(words.length);
    const other = words[random(words.length)]!;
    const mutated = [...words];
    if (round % 3 === 0) mutated.splice(at, 1);
    else if (round % 3 === 1) mutated[at] = other;
    else mutated.splice(at, 0, other);
    let document: DocumentNode;
    try {
      document = parse(mutated.join(' '));
    } catch {
      continue;
    }
    sameAsGraphqlJs(schema, document);
    compared++;
  }
  expect(compared).toBeGreaterThan(250);
});

/** A rule that records what it sees and skips, stops or edits as told, to compare the visitor contract itself. */
function recordingRule(name: string, log: string[], behaviour: (kind: string, node: { kind: string; name?: { value: string } }) => unknown): ValidationRule {
  return () =>
    ({
      enter(node) {
        log.push(`${name} enter ${node.kind}${'name' in node && node.name && 'value' in node.name ? ` ${node.name.value}` : ''}`);
        return behaviour('enter', node);
      },
      leave(node) {
        log.push(`${name} leave ${node.kind}`);
        return behaviour('leave', node);
      },
    }) as ASTVisitor;
}

test('a rule that skips a subtree, one that stops, one that visits everything: the same calls in the same order', () => {
  const document = parse('{ human(id: "1") { name pets { ... on Dog { barks owner { name } } } } node(id: "2") { id } }');
  const run = (validator: typeof validate | typeof validateDocument) => {
    const log: string[] = [];
    const rules: ValidationRule[] = [
      recordingRule('skipper', log, (phase, node) => (phase === 'enter' && node.kind === 'Field' && node.name?.value === 'pets' ? false : undefined)),
      recordingRule('breaker', log, (phase, node) => (phase === 'enter' && node.kind === 'Field' && node.name?.value === 'barks' ? BREAK : undefined)),
      recordingRule('leaveBreaker', log, (phase, node) => (phase === 'leave' && node.kind === 'Field' && node.name?.value === 'owner' ? BREAK : undefined)),
      recordingRule('all', log, () => undefined),
      // Reports on each field, so errors interleave with the others' calls.
      (context) => ({ Field: (node) => context.reportError(new GraphQLError(`seen ${node.name.value}`, { nodes: [node] })) }),
      ...specifiedRules,
    ];
    const errors = validator(abstract, document, rules).map((error) => error.message);
    return { log, errors };
  };
  const ours = run(validateDocument);
  expect(ours).toEqual(run(validate));
  expect(ours.log).toContain('skipper leave Field');
  expect(ours.log.filter((line) => line.startsWith('breaker')).at(-1)).toBe('breaker enter Field barks');
  expect(ours.errors).toContain('seen owner');
  expect(print(document)).toContain('owner');
});
