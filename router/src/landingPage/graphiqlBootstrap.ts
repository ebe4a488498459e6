/**
 * The GraphiQL page's own script and stylesheet, served as files of their own (the page's CSP
 * allows no inline code). Plain ES2017 for the browser, not compiled: it runs after the UMD
 * globals `React`, `ReactDOM`, `graphqlWs` and `GraphiQL` are defined.
 *
 * Queries and mutations are POSTed as JSON to the page's own URL (/graphql), with the headers
 * written in GraphiQL's header editor (Authorization); subscriptions go over graphql-ws on the
 * same URL, those headers sent as the connection's `connectionParams` (the router reads
 * `authorization` there). Changed headers open a new socket: a connection is authenticated once.
 */
export const IDE_SCRIPT = `(function () {
  'use strict';
  // The page's style nonce, for the <style> GraphiQL's dialogs create (react-style-singleton
  // reads webpack's global __webpack_nonce__ when it makes one).
  var styleNonce = document.querySelector('meta[name="style-nonce"]');
  if (styleNonce && styleNonce.nonce) window.__webpack_nonce__ = styleNonce.nonce;
  var endpoint = location.origin + location.pathname;
  var socketUrl = endpoint.replace(/^http/, 'ws');
  var socket = null;

  function operationOf(documentAST, operationName) {
    var operations = (documentAST ? documentAST.definitions : []).filter(function (definition) {
      return definition.kind === 'OperationDefinition';
    });
    if (operationName) return operations.find(function (operation) { return operation.name && operation.name.value === operationName; });
    return operations.length === 1 ? operations[0] : undefined;
  }

  function socketFor(headers) {
    var key = JSON.stringify(headers);
    if (socket && socket.key === key) return socket.client;
    if (socket) socket.client.dispose();
    socket = { key: key, client: graphqlWs.createClient({ url: socketUrl, connectionParams: headers, lazy: true, retryAttempts: 0 }) };
    return socket.client;
  }

  function post(params, headers) {
    return fetch(endpoint, {
      method: 'POST',
      headers: Object.assign({ 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' }, headers),
      body: JSON.stringify(params),
    }).then(function (response) {
      return response.text().then(function (text) {
        try {
          return JSON.parse(text);
        } catch (error) {
          throw new Error('HTTP ' + response.status + ' without a GraphQL answer: ' + text.slice(0, 500));
        }
      });
    });
  }

  function fetcher(params, options) {
    var headers = (options && options.headers) || {};
    var operation = operationOf(options && options.documentAST, params.operationName);
    if (operation && operation.operation === 'subscription') return socketFor(headers).iterate(params);
    return post(params, headers);
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(React.createElement(GraphiQL, { fetcher: fetcher }));
})();
`;

export const IDE_STYLE = `html, body, #graphiql { height: 100%; margin: 0; }
`;
