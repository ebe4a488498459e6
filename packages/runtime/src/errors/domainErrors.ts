/**
 * Domain errors are values with a stable `code`; resolvers throw them and the one mapping in
 * `formatError.ts` turns them into GraphQL errors with `extensions.code`.
 */
export abstract class DomainError extends Error {
  abstract readonly code: string;
  readonly extensions: Record<string, unknown>;

  protected constructor(message: string, extensions: Record<string, unknown> = {}) {
    super(message);
    this.name = new.target.name;
    this.extensions = extensions;
  }
}

/** Input that is well-typed but breaks a rule; `field` names the argument path at fault. */
export class InvalidInput extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`, { field });
  }
}

/** A uniqueness rule (email taken, slot taken) that the database enforced. */
export class Conflict extends DomainError {
  readonly code: string;
  constructor(code: string, message: string, extensions: Record<string, unknown> = {}) {
    super(message, extensions);
    this.code = code;
  }
}

/** The caller is known but this object is not theirs to see or change. */
export class Forbidden extends DomainError {
  readonly code = 'FORBIDDEN';
  constructor(message: string) {
    super(`Forbidden: ${message}`);
  }
}

/** A retry key that was first used with other arguments: the caller mixed up two requests. */
export class IdempotencyKeyReused extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor(what: string) {
    super(`This idempotencyKey was already used for a different ${what}`, { field: 'idempotencyKey' });
  }
}

/** An id named in a mutation that does not exist (queries answer null instead). */
export class NotFound extends DomainError {
  readonly code = 'NOT_FOUND';
  constructor(kind: string, id: string) {
    super(`No ${kind} ${id}`, { id });
  }
}

/**
 * The request asked this subgraph for more work than one request may take (a resolved-field
 * budget); what was resolved before is returned, the rest is null, explained by this error.
 */
export class WorkLimitExceeded extends DomainError {
  readonly code = 'SUBGRAPH_WORK_LIMIT';
  constructor(limit: number) {
    super(
      `This request needs more than ${limit} resolved fields from one subgraph (SUBGRAPH_MAX_RESOLVED_FIELDS); ` +
        'it was stopped there. Ask for smaller pages or less nesting.',
      { limit },
    );
  }
}

/** The caller (the router) closed the connection; nobody is waiting for the rest. */
export class RequestAborted extends DomainError {
  readonly code = 'REQUEST_ABORTED';
  constructor() {
    super('The caller went away; work on this request stopped');
  }
}

/** A deprecated unpaginated list had more items than it may return; the connection field pages them. */
export class ListTruncated extends DomainError {
  readonly code = 'LIST_TRUNCATED';
  constructor(field: string, limit: number, replacement: string) {
    super(`${field} returns at most ${limit} items and this one has more; use ${replacement} to page through all of them`, {
      limit,
      replacement,
    });
  }
}

/**
 * A value a custom scalar cannot read (a malformed date-time). graphql-js puts it in an error
 * that names the variable or the literal; its code is BAD_USER_INPUT wherever it is reported,
 * never a validation failure or a subgraph's HTTP error.
 */
export class InvalidScalarValue extends DomainError {
  readonly code = 'BAD_USER_INPUT';
  constructor(
    readonly scalar: string,
    reason: string,
    example: string,
  ) {
    super(`${reason.replace(/\.?$/, '.')} ${scalar} takes a value such as ${example}.`, { scalar });
  }
}
