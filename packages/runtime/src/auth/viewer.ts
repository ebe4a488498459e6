/** Who is asking, as the router verified it from the bearer token. */
export interface Viewer {
  readonly userId: string;
  readonly role: string;
  readonly scopes: readonly string[];
}

export function hasScope(viewer: Viewer | null, scope: string): boolean {
  return viewer !== null && viewer.scopes.includes(scope);
}
