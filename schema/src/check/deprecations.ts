import { buildSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType, isIntrospectionType } from 'graphql';

/**
 * Schema coordinates (`Type.field`, `Type.field.argument`, `Input.field`, `Enum.VALUE`) marked
 * `@deprecated` in an SDL: what a breaking change may remove or change once the deprecation has
 * been out for long enough.
 */
export function deprecatedCoordinates(sdl: string): Set<string> {
  const schema = buildSchema(sdl);
  const deprecated = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (isIntrospectionType(type)) continue;
    if (isObjectType(type) || isInterfaceType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (field.deprecationReason != null) deprecated.add(`${type.name}.${field.name}`);
        for (const argument of field.args) {
          if (argument.deprecationReason != null) deprecated.add(`${type.name}.${field.name}.${argument.name}`);
        }
      }
    } else if (isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (field.deprecationReason != null) deprecated.add(`${type.name}.${field.name}`);
      }
    } else if (isEnumType(type)) {
      for (const value of type.getValues()) {
        if (value.deprecationReason != null) deprecated.add(`${type.name}.${value.name}`);
      }
    }
  }
  return deprecated;
}

/** One committed version of the API schema file, newest first when listed. */
export interface SchemaVersion {
  readonly committedAt: Date;
  /** The file at that commit; undefined when the commit deleted it. */
  readonly sdl: string | undefined;
}

/**
 * Since when each coordinate deprecated on the base has been deprecated without a break: walking
 * the file's versions from the base back, a coordinate's date is that of the oldest version in
 * the unbroken run that deprecates it (a deprecation withdrawn and made again starts over).
 * Stops reading versions once every coordinate has found where its run began.
 */
export function deprecatedSince(baseDeprecated: ReadonlySet<string>, versionsNewestFirst: Iterable<SchemaVersion>): Map<string, Date> {
  const since = new Map<string, Date>();
  let open = new Set(baseDeprecated);
  for (const version of versionsNewestFirst) {
    if (open.size === 0) break;
    const deprecatedHere = version.sdl === undefined ? new Set<string>() : deprecatedCoordinates(version.sdl);
    const stillOpen = new Set<string>();
    for (const coordinate of open) {
      if (deprecatedHere.has(coordinate)) {
        since.set(coordinate, version.committedAt);
        stillOpen.add(coordinate);
      }
    }
    open = stillOpen;
  }
  return since;
}
