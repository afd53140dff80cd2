import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CodegenConfig } from '@graphql-codegen/cli';

const require = createRequire(import.meta.url);
const { apiSchemaSdl } = require('@evcs/dev/dist/src/docs/api-schema') as { apiSchemaSdl: (sdl: string) => string };
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Every operation is a .graphql document under src/, typed against the committed schema as the
 * router serves it (the supergraph's API schema and the router's subscriptions): src/gql/ is
 * generated on each build, never edited.
 */
const config: CodegenConfig = {
  schema: apiSchemaSdl(readFileSync(path.join(root, 'schema/supergraph.graphql'), 'utf8')),
  documents: ['src/**/*.graphql'],
  ignoreNoDocuments: false,
  generates: {
    'src/gql/': {
      preset: 'client',
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        strictScalars: true,
        scalars: { DateTimeISO: 'string', Decimal: 'string', SafeInt: 'number', JSONObject: 'Record<string, unknown>' },
      },
    },
  },
};
export default config;
