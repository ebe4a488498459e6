import type { CodegenConfig } from '@graphql-codegen/cli';

/**
 * Typed operations for a frontend, from the client-facing schema (`schema/api.graphql`, never the
 * supergraph): `npm run codegen` writes `src/gql/`, committed; `clients/web/test/codegen.test.ts`
 * fails when it is stale. Paths are from the repository root, where npm runs it. A team copying
 * this template points `schema` at its copy of api.graphql and `documents` at its own sources.
 */
const config: CodegenConfig = {
  schema: 'schema/api.graphql',
  documents: ['clients/web/src/**/*.ts', '!clients/web/src/gql/**'],
  ignoreNoDocuments: false,
  generates: {
    'clients/web/src/gql/': {
      preset: 'client',
      // Plain objects, no masking: the page reads what it asked for.
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // The wire format of the API's one custom scalar (an ISO 8601 string).
        scalars: { DateTimeISO: 'string' },
      },
    },
  },
};

export default config;
