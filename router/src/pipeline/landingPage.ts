import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import type { HttpRefusal } from '@booking/runtime/dist/router';
import type { GraphiqlPage } from '../landingPage/graphiqlPage';
import type { RequestStage } from './requestPipeline';
import { asksForPage } from './pageRequest';

/** What a browser opening /graphql gets (LANDING_PAGE). */
export type LandingPageMode = 'sandbox' | 'graphiql' | 'off';

/**
 * GraphiQL from the router's own files where people build against it (it works without
 * network); nothing in the production profile, where a page for people has no audience.
 */
export function landingPageModeOf(configured: LandingPageMode | null, profile: 'production' | 'development'): LandingPageMode {
  return configured ?? (profile === 'production' ? 'off' : 'graphiql');
}

/** The mode in force, with the GraphiQL page (read at start) when that is the mode. */
export type LandingPage = { readonly mode: 'sandbox' | 'off' } | { readonly mode: 'graphiql'; readonly page: GraphiqlPage };

/** Apollo Server renders a page only for `sandbox`; otherwise this stage owns every page request. */
export function apolloLandingPagePlugin(mode: LandingPageMode): ApolloServerPlugin {
  return mode === 'sandbox' ? ApolloServerPluginLandingPageLocalDefault({ embed: true }) : ApolloServerPluginLandingPageDisabled();
}


const NO_PAGE: HttpRefusal = {
  status: 404,
  code: 'NOT_FOUND',
  message: 'No landing page here (LANDING_PAGE=off): send GraphQL operations as a POST with content-type application/json',
};

/**
 * The landing page: a GET that asks for HTML is a browser opening /graphql, answered with a page
 * (as Apollo Server does for its own: whatever the query string says, nothing is executed).
 * `graphiql`: the IDE page, answered here. `off`: 404 NOT_FOUND, so such a GET never reaches
 * an executor either. `sandbox`: let through; CSRF prevention and the operation intake leave
 * it to Apollo Server, which renders Sandbox.
 */
export function landingPageStage(landingPage: LandingPage): RequestStage {
  return (request, response) => {
    if (!asksForPage(request)) return undefined;
    switch (landingPage.mode) {
      case 'sandbox':
        return undefined;
      case 'off':
        return NO_PAGE;
      case 'graphiql':
        const page = landingPage.page.render();
        response.writeHead(200, page.headers).end(page.html);
        return 'answered';
    }
  };
}
