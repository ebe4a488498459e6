import { createHash } from 'node:crypto';
import { ApolloServer, HeaderMap, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import { APOLLO_LANDING_PAGE_SOURCES, landingPageHeaders } from '../src/landingPage/apolloLandingPage';
import { contentSecurityPolicy, inlineCodeOf } from '../src/landingPage/contentSecurityPolicy';

const sha256 = (code: string) => `'sha256-${createHash('sha256').update(code).digest('base64')}'`;

function directivesOf(policy: string): Map<string, string[]> {
  return new Map(
    policy.split(';').map((directive) => {
      const [name = '', ...sources] = directive.trim().split(/\s+/);
      return [name, sources];
    }),
  );
}

/** The page Apollo Server serves a browser with this landing page plugin (rendered by Apollo Server itself). */
async function renderedBy(plugin: ApolloServerPlugin): Promise<string> {
  const server = new ApolloServer({ typeDefs: 'type Query { ok: Boolean }', plugins: [plugin] });
  await server.start();
  try {
    const headers = new HeaderMap([['accept', 'text/html']]);
    const result = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest: { method: 'GET', headers, search: '', body: undefined }, context: async () => ({}) });
    if (result.body.kind !== 'complete') throw new Error('a landing page is one complete body');
    expect(result.headers.get('content-type')).toMatch(/^text\/html/);
    return result.body.string;
  } finally {
    await server.stop();
  }
}

const origins = (html: string, pattern: RegExp) => [...html.matchAll(pattern)].map(([, url = '']) => new URL(url).origin);

describe('the landing page Content-Security-Policy', () => {
  it('hashes inline scripts and styles exactly as served, and not scripts loaded by src', () => {
    const html = `<style nonce=x>\n  body { margin: 0 }\n</style><script src="https://cdn.example/a.js"></script><script nonce="y">run()</script><script>run()</script>`;
    expect(inlineCodeOf(html)).toEqual({ scriptHashes: [sha256('run()')], styleHashes: [sha256('\n  body { margin: 0 }\n')] });
  });

  it("starts from default-src 'none' and names 'none' for a kind with no source", () => {
    const policy = contentSecurityPolicy({ scripts: ['https://cdn.example'], styles: [], fonts: [], images: [], manifests: [], frames: [], connect: ["'self'"] }, { scriptHashes: ["'sha256-abc'"], styleHashes: [] });
    const directives = directivesOf(policy);
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'sha256-abc'", 'https://cdn.example']);
    expect(directives.get('style-src')).toEqual(["'none'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
  });

  it.each([
    ["Apollo's embedded Sandbox (development)", () => ApolloServerPluginLandingPageLocalDefault({ embed: true })],
    ["Apollo's production landing page", () => ApolloServerPluginLandingPageProductionDefault({ footer: false })],
  ])("allows everything %s holds, and no inline code it does not", async (_page, plugin) => {
    const html = await renderedBy(plugin());
    const directives = directivesOf(landingPageHeaders(html)['content-security-policy'] ?? '');
    const scriptSources = directives.get('script-src') ?? [];
    const inline = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)].filter(([, attributes = '']) => !/\bsrc=/.test(attributes));
    expect(inline.length).toBeGreaterThan(0);
    for (const [, , code = ''] of inline) expect(scriptSources).toContain(sha256(code));
    for (const [, code = ''] of html.matchAll(/<style\b[^>]*>([\s\S]*?)<\/style>/g)) expect(directives.get('style-src')).toContain(sha256(code));
    expect(scriptSources.filter((source) => source.startsWith("'"))).toEqual(inline.map(([, , code = '']) => sha256(code)).filter((hash, i, all) => all.indexOf(hash) === i));
    for (const origin of origins(html, /<script\b[^>]*\bsrc="([^"]+)"/g)) expect(scriptSources).toContain(origin);
    for (const origin of origins(html, /<link\b[^>]*\bhref="([^"]+)"[^>]*rel="stylesheet"/g)) expect(directives.get('style-src')).toContain(origin);
    for (const origin of origins(html, /<link\s+rel="stylesheet"\s+href="([^"]+)"/g)) expect(directives.get('style-src')).toContain(origin);
    const icons = origins(html, /<link\s+rel="(?:icon|apple-touch-icon)"\s+href="([^"]+)"/g);
    const manifests = origins(html, /<link\s+rel="manifest"\s+href="([^"]+)"/g);
    expect([icons.length, manifests.length]).toEqual([2, 1]);
    for (const origin of icons) expect(directives.get('img-src')).toContain(origin);
    for (const origin of manifests) expect(directives.get('manifest-src')).toContain(origin);
    expect(directives.get('frame-src')).toEqual([...APOLLO_LANDING_PAGE_SOURCES.frames]);
  });
});
