import { Directive, Field, ID, ObjectType } from 'type-graphql';

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
