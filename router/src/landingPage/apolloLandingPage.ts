import { contentSecurityPolicy, inlineCodeOf, type PageSources } from './contentSecurityPolicy';

const LANDING_PAGE_CDN = 'https://apollo-server-landing-page.cdn.apollographql.com';
const SANDBOX_CDN = 'https://embeddable-sandbox.cdn.apollographql.com';
const EXPLORER_CDN = 'https://embeddable-explorer.cdn.apollographql.com';

/**
 * What Apollo Server's landing pages load (@apollo/server 5.5's `landingPage/default`): the
 * page scripts and styles from Apollo's three CDNs, Google Fonts' stylesheet and fonts, the
 * favicon and manifest, and the Sandbox/Explorer iframe. These are the hosts Apollo's own
 * `<meta>` policy in the page names; that policy leaves everything else open, this one does
 * not. `connect-src 'self'`: embedded Sandbox sends the operations from this page to this
 * endpoint (that is how it can include cookies).
 */
export const APOLLO_LANDING_PAGE_SOURCES: PageSources = {
  scripts: [LANDING_PAGE_CDN, SANDBOX_CDN, EXPLORER_CDN],
  styles: [LANDING_PAGE_CDN, SANDBOX_CDN, EXPLORER_CDN, 'https://fonts.googleapis.com'],
  fonts: ['https://fonts.gstatic.com', LANDING_PAGE_CDN],
  images: [LANDING_PAGE_CDN],
  manifests: [LANDING_PAGE_CDN],
  frames: ['https://sandbox.embed.apollographql.com', 'https://explorer.embed.apollographql.com'],
  connect: ["'self'"],
};

/**
 * The headers of the landing page Apollo Server rendered: a CSP allowing its inline code by
 * hash (Apollo makes a fresh nonce per render, so the hashes are taken from the page served).
 */
export function landingPageHeaders(html: string): Readonly<Record<string, string>> {
  return { 'content-security-policy': contentSecurityPolicy(APOLLO_LANDING_PAGE_SOURCES, inlineCodeOf(html)) };
}
