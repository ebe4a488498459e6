import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse } from 'graphql';
import { readEntityKeys } from '../src/execution/entityKeys';

describe('entity keys from the supergraph', () => {
  it('names our entities by their id, and refuses a representation without one', () => {
    const keys = readEntityKeys(readFileSync(resolve(__dirname, '../../schema/supergraph.graphql'), 'utf8'));
    expect(keys.keyOf('Listing', { __typename: 'Listing', id: 'l-1', title: 'required field' })).toEqual({ id: 'l-1' });
    expect(keys.keyOf('Listing', { __typename: 'Listing', title: 'no key' })).toBeNull();
    expect(keys.keyOf('NoSuchType', { id: '1' })).toBeNull();
  });

  it('takes the first key a representation carries, nested keys included', () => {
    const sdl = composeServices([
      {
        name: 'a',
        url: 'http://a',
        typeDefs: parse(`extend schema @link(url: "https://specs.apollo.dev/federation/v2.9", import: ["@key"])
          type Query { stay: Stay }
          type Stay @key(fields: "id") @key(fields: "code hotel { region }") { id: ID! code: String! hotel: Hotel! }
          type Hotel { region: String! }`),
      },
    ]).supergraphSdl;
    const keys = readEntityKeys(sdl ?? '');
    expect(keys.keyOf('Stay', { id: '7', code: 'x', hotel: { region: 'eu' } })).toEqual({ id: '7' });
    expect(keys.keyOf('Stay', { code: 'x', hotel: { region: 'eu', name: 'not key' } })).toEqual({ code: 'x', hotel: { region: 'eu' } });
    expect(keys.keyOf('Stay', { code: 'x', hotel: null })).toBeNull();
  });
});
