import type { EntityManager } from '@mikro-orm/postgresql';
import type { EntityName, FilterQuery } from '@mikro-orm/core';
import { Max, Min } from 'class-validator';
import { ArgsType, Directive, Field, Int, ObjectType, type ClassType } from 'type-graphql';
import { InvalidInput, ListTruncated } from '../errors/domainErrors';

@Directive('@shareable')
@ObjectType({ description: 'Relay-style page information for cursor pagination.' })
export class PageInfo {
  @Field(() => Boolean)
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` to fetch the next page.' })
  endCursor!: string | null;
}

@ArgsType()
export class ConnectionArgs {
  @Field(() => Int, { defaultValue: 20, description: 'Page size, 1 to 100.' })
  @Min(1)
  @Max(100)
  first: number = 20;

  @Field(() => String, { nullable: true, description: 'Cursor from `pageInfo.endCursor` of the previous page.' })
  after?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Connection<T> {
  edges: Edge<T>[];
  pageInfo: PageInfo;
}

/** Concrete `<Name>Edge` / `<Name>Connection` object types for one node type. */
export function connectionType<T extends object>(name: string, node: ClassType<T>): ClassType<Connection<T>> {
  @ObjectType(`${name}Edge`)
  class EdgeType implements Edge<T> {
    @Field(() => String)
    cursor!: string;

    @Field(() => node)
    node!: T;
  }

  @ObjectType(`${name}Connection`, { description: `A page of ${name} values.` })
  class ConnectionType implements Connection<T> {
    @Field(() => [EdgeType])
    edges!: EdgeType[];

    @Field(() => PageInfo)
    pageInfo!: PageInfo;
  }
  return ConnectionType;
}

export interface Paginated {
  id: string;
  createdAt: Date;
}

interface CursorPosition {
  createdAt: Date;
  id: string;
}

export function encodeCursor(item: Paginated): string {
  return Buffer.from(JSON.stringify([item.createdAt.toISOString(), item.id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const decoded: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2 && typeof decoded[0] === 'string' && typeof decoded[1] === 'string') {
      const createdAt = new Date(decoded[0]);
      if (!Number.isNaN(createdAt.getTime())) return { createdAt, id: decoded[1] };
    }
  } catch {
    // fall through to the coded error below
  }
  throw new InvalidInput('after', 'is not a cursor returned by this API');
}

/** Rows after the cursor in (createdAt, id) order. */
export function afterCursor<T extends Paginated>(after: string): FilterQuery<T> {
  const position = decodeCursor(after);
  return {
    $and: [
      // Redundant with the OR, but PostgreSQL can start the index range scan at it; with the
      // OR alone it walks the index from the first row and filters (4.8 ms at row 19,000).
      { createdAt: { $gte: position.createdAt } },
      { $or: [{ createdAt: { $gt: position.createdAt } }, { createdAt: position.createdAt, id: { $gt: position.id } }] },
    ],
  } as FilterQuery<T>;
}

/** A page from up to `first + 1` rows in order: the extra row only says there is a next page. */
export function connectionOf<T extends Paginated>(rows: readonly T[], first: number): Connection<T> {
  const edges = rows.slice(0, first).map((node) => ({ cursor: encodeCursor(node), node }));
  const last = edges[edges.length - 1];
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: last ? last.cursor : null } };
}

/**
 * Keyset pagination over (createdAt, id): stable under inserts and one indexed range scan
 * per page, unlike OFFSET.
 */
export async function findPage<T extends Paginated>(
  em: EntityManager,
  entity: EntityName<T>,
  where: FilterQuery<T>,
  args: ConnectionArgs,
): Promise<Connection<T>> {
  const conditions: FilterQuery<T>[] = args.after ? [where, afterCursor<T>(args.after)] : [where];
  const rows = await em.find(entity, { $and: conditions } as FilterQuery<T>, {
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] as never,
    limit: args.first + 1,
  });
  return connectionOf(rows, args.first);
}

/**
 * How a deprecated, unpaginated list field keeps working without growing: it answers the first
 * `limit` items and, when there are more, reports LIST_TRUNCATED at its path instead of
 * dropping them silently. `report` is `context.work.report` bound to the field's path.
 */
export const LEGACY_LIST_LIMIT = 100;

export function truncatedList<T>(page: Connection<T>, report: (error: ListTruncated) => void, field: string, replacement: string): T[] {
  if (page.pageInfo.hasNextPage) report(new ListTruncated(field, page.edges.length, replacement));
  return page.edges.map((edge) => edge.node);
}
