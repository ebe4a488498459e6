import { Directive, Field, ID, ObjectType } from 'type-graphql';
import { Forbidden } from '../errors/domainErrors';

/**
 * The stub of an entity another subgraph owns: its `@key(fields: "id")` and nothing else.
 * `resolvable: false` when this subgraph only points at it; resolvable when it contributes
 * fields (then it needs a reference resolver that returns `of(id)`).
 */
export function entityReferenceType(typeName: string, options: { resolvable: boolean }) {
  @Directive(options.resolvable ? '@key(fields: "id")' : '@key(fields: "id", resolvable: false)')
  @ObjectType(typeName)
  class EntityReference {
    @Field(() => ID)
    id!: string;

    static of(id: string): EntityReference {
      return Object.assign(new EntityReference(), { id });
    }
  }
  return EntityReference;
}

/**
 * What a lookup by id answers for an entity with an object rule — the root field (`booking(id)`)
 * and `_entities` alike, so neither shows more than the other: the entity when the viewer may
 * see it, FORBIDDEN at its path when not (never a silent null). An id this subgraph does not
 * know answers null, as the unguarded entities (User, Listing) do and as federation expects.
 */
export function visibleEntity<T>(kind: string, entity: T | null | undefined, maySee: (entity: T) => boolean): T | null {
  if (!entity) return null;
  if (!maySee(entity)) throw new Forbidden(`this ${kind} is visible only to those it concerns`);
  return entity;
}
