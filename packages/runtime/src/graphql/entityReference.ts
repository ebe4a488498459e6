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
 * What `_entities` answers for an entity this subgraph owns and guards: the entity when the
 * viewer may see it by the same rule as the root field, FORBIDDEN at its path when not. An id
 * this subgraph does not know answers null, as the root fields and the unguarded references
 * (User, Listing) do and as federation expects of an entity a subgraph does not have.
 */
export function guardedReference<T>(kind: string, entity: T | null | undefined, maySee: (entity: T) => boolean): T | null {
  if (!entity) return null;
  if (!maySee(entity)) throw new Forbidden(`this ${kind} is visible only to those it concerns`);
  return entity;
}
