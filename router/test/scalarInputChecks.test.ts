import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CUSTOM_SCALARS } from '@booking/runtime';
import { buildSchema, isScalarType, isSpecifiedScalarType, parse, validate } from 'graphql';
import { checkScalarInputs } from '../src/scalarInputChecks';
import { supergraphState } from '../src/liveSupergraph';

describe('custom scalar input checks', () => {
  it('covers every custom scalar of the committed supergraph', () => {
    const { planner } = supergraphState(readFileSync(join(__dirname, '../../schema/supergraph.graphql'), 'utf8'), () => ({}));
    const custom = Object.values(planner.apiGraphQLSchema.getTypeMap())
      .filter((type) => isScalarType(type) && !isSpecifiedScalarType(type) && !type.name.startsWith('__'))
      .map((type) => type.name);
    expect(custom.length).toBeGreaterThan(0);
    expect(custom.filter((name) => !CUSTOM_SCALARS.has(name))).toEqual([]);
    expect(planner.uncheckedScalars).toEqual([]);
  });

  it("accepts each scalar's own example and names a scalar it has no check for", () => {
    for (const [name, custom] of CUSTOM_SCALARS) {
      const schema = buildSchema(`scalar ${name} scalar Unknown type Query { at(value: ${name}): Int, other(value: Unknown): Int }`);
      expect(checkScalarInputs(schema)).toEqual(['Unknown']);
      expect(validate(schema, parse(`{ at(value: ${custom.example}) }`)).map((error) => error.message)).toEqual([]);
      expect(validate(schema, parse('{ at(value: "yesterday") }')).map((error) => error.message)).toEqual([
        expect.stringMatching(new RegExp(`^Expected value of type "${name}", found "yesterday"; .* ${name} takes a value such as ${custom.example}\\.$`)),
      ]);
    }
  });
});
