import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Viewer } from '@booking/runtime';
import type { RunningSubgraph } from './stack';

/** The SDL committed under schema/ for a subgraph; composition reads exactly this file. */
export function committedSdl(name: string): string {
  return readFileSync(resolve(__dirname, '..', '..', '..', 'schema', `${name}.graphql`), 'utf8');
}

export async function servedSdl(subgraph: RunningSubgraph): Promise<string> {
  const response = await subgraph.query<{ _service: { sdl: string } }>('{ _service { sdl } }');
  if (!response.data) throw new Error(`_service failed: ${JSON.stringify(response.errors)}`);
  return `${response.data._service.sdl.trim()}\n`;
}

/** Runs `_entities` the way the router does for entity fetches. */
export async function fetchEntities<Entity>(
  subgraph: RunningSubgraph,
  representations: Record<string, unknown>[],
  selection: string,
  viewer: Viewer | null = null,
): Promise<(Entity | null)[]> {
  const response = await subgraph.query<{ _entities: (Entity | null)[] }>(
    `query($representations: [_Any!]!) { _entities(representations: $representations) { ${selection} } }`,
    { representations },
    viewer,
  );
  if (!response.data) throw new Error(`_entities failed: ${JSON.stringify(response.errors)}`);
  return response.data._entities;
}
