/**
 * Response keys are client-chosen aliases, so they may be `__proto__`, `constructor` or
 * `toString`: names every plain object inherits. Reading such a key must see only the
 * object's own value, and writing `__proto__` must create a property (assignment would set
 * the prototype instead, losing the data — or, merged into, polluting `Object.prototype`).
 */
type JsonObject = Record<string, unknown>;

/** True for response keys plain objects inherit a member under. */
export function isInheritedKey(key: string): boolean {
  return key in Object.prototype;
}

export function ownValue(object: JsonObject, key: string): unknown {
  return Object.hasOwn(object, key) ? object[key] : undefined;
}

export function setOwnValue(object: JsonObject, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, writable: true, enumerable: true, configurable: true });
  else object[key] = value;
}
