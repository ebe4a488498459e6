import { loadIdeAssets, readVendored, sriOf, VENDORED_FILES } from '../src/landingPage/graphiqlAssets';

/** The IDE's files as installed: what the pins say they are, or the router does not start. */
describe("GraphiQL's pinned files", () => {
  const [react] = VENDORED_FILES;

  it('reads every pinned file, integrity as pinned, at a content-addressed path', () => {
    const { styles, scripts } = loadIdeAssets();
    const assets = [...styles, ...scripts];
    expect(assets).toHaveLength(VENDORED_FILES.length + 2);
    for (const asset of assets) {
      expect(sriOf(asset.body)).toBe(asset.integrity);
      expect(asset.path).toMatch(/^\/ide\/[0-9a-f]{16}\/[\w.-]+\.(js|css)$/);
    }
    expect(new Set(assets.map((asset) => asset.path)).size).toBe(assets.length);
  });

  it('refuses a file that is not the pinned one, and another installed version, naming both', () => {
    expect(() => readVendored({ ...react!, integrity: 'sha384-AAAA' })).toThrow(`react/umd/react.production.min.js is not the file the IDE pins (${react!.integrity}, expected sha384-AAAA)`);
    expect(() => readVendored({ ...react!, version: '18.3.0' })).toThrow('react 18.3.1 is installed, the IDE pins 18.3.0');
  });
});
