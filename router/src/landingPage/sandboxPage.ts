import type { GraphQLServerContext, LandingPage } from '@apollo/server';
import type { Logger } from '@booking/runtime/dist/router';
import type { GraphQLSchema } from 'graphql';
import { apolloLandingPagePlugin } from '../pipeline/landingPage';

/**
 * A cache that keeps nothing: what a plugin gets to start with here. The landing page plugin
 * stores nothing; a plugin that did would only miss.
 */
const KEEPS_NOTHING: GraphQLServerContext['cache'] = {
  get: async () => undefined,
  set: async () => undefined,
  delete: async () => undefined,
};

/**
 * Apollo Sandbox (LANDING_PAGE=sandbox) rendered by Apollo Server's own landing page plugin,
 * configured as the one Apollo Server is given (apolloLandingPagePlugin), without Apollo Server:
 * the page is its very bytes (a fresh nonce per render, as Apollo makes it), and opening
 * /graphql in a browser does not build the gateway. The plugin is started once, as Apollo
 * Server starts it (its `serverWillStart`, then `renderLandingPage`); each page is rendered anew.
 */
export class SandboxPage {
  private landingPage: Promise<LandingPage> | undefined;

  constructor(
    /** The API schema Apollo Server would hand the plugin at its start. */
    private readonly apiSchema: () => GraphQLSchema,
    private readonly logger: Logger,
  ) {}

  /** One render of the page's HTML. */
  async render(): Promise<string> {
    // A start that failed is not kept: the next page request starts the plugin again.
    this.landingPage ??= this.start().catch((error: unknown) => {
      this.landingPage = undefined;
      throw error;
    });
    const { html } = await this.landingPage;
    return typeof html === 'string' ? html : html();
  }

  private async start(): Promise<LandingPage> {
    // What Apollo Server hands its plugins when it starts (no Apollo key or graph ref configured).
    const context: GraphQLServerContext = { logger: this.logger, cache: KEEPS_NOTHING, schema: this.apiSchema(), apollo: {}, startedInBackground: false };
    const listener = await apolloLandingPagePlugin('sandbox').serverWillStart?.(context);
    const landingPage = await listener?.renderLandingPage?.();
    if (!landingPage) throw new Error("Apollo Server's landing page plugin rendered no page for LANDING_PAGE=sandbox");
    return landingPage;
  }
}
