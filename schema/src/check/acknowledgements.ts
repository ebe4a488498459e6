/**
 * A breaking change the team has decided to ship anyway, committed in
 * schema/acknowledged-changes.json with the reason, so the decision is reviewed like code.
 */
export interface Acknowledgement {
  /** The change's schema coordinate as the check prints it: `Type`, `Type.field`, `Type.field.argument`, `Enum.VALUE`. */
  readonly path: string;
  readonly reason: string;
}

const COORDINATE = /^@?[_A-Za-z][_0-9A-Za-z]*(\.[_A-Za-z][_0-9A-Za-z]*){0,2}$/;

/** Parses the acknowledgements file; anything malformed is an error naming the entry. */
export function parseAcknowledgements(text: string, source: string): Acknowledgement[] {
  const fail = (message: string): never => {
    throw new Error(`${source}: ${message}`);
  };
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  const changes = (document as { changes?: unknown } | null)?.changes;
  if (!Array.isArray(changes)) return fail('expected {"changes": [{"path": "Type.field", "reason": "why"}, …]}');
  return changes.map((entry: unknown, index) => {
    const { path, reason } = (entry ?? {}) as { path?: unknown; reason?: unknown };
    if (typeof path !== 'string' || !COORDINATE.test(path)) fail(`changes[${index}].path must be a schema coordinate like Type.field (got ${JSON.stringify(path)})`);
    if (typeof reason !== 'string' || reason.trim() === '') fail(`changes[${index}] (${String(path)}) needs a reason: say why breaking clients is acceptable`);
    return { path: path as string, reason: (reason as string).trim() };
  });
}
