import { Client, fetchExchange, subscriptionExchange } from '@urql/vue';
import { createClient as createWsClient } from 'graphql-ws';
import { accessToken, GRAPHQL_PATH, onSignedOut, session } from './auth/session';

const wsUrl = () => `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${GRAPHQL_PATH}`;

/**
 * graphql-ws over the same origin. It authenticates in connection_init with a fresh token
 * each time it connects; the router closes with 4401 when the token expires or is revoked,
 * and the client reconnects with the rotated one.
 */
const ws = createWsClient({
  url: wsUrl,
  lazy: true,
  connectionParams: async () => ({ authorization: `Bearer ${(await accessToken()) ?? ''}` }),
  // 4401 (token expired or revoked) included: reconnect with the rotated token, while signed in
  shouldRetry: () => session.signedIn,
  retryAttempts: Number.MAX_SAFE_INTEGER,
});
onSignedOut(() => ws.terminate());

/** Queries and mutations over HTTP with the in-memory access token, subscriptions over graphql-ws. */
export const client = new Client({
  url: GRAPHQL_PATH,
  requestPolicy: 'network-only',
  // the router takes POST only (GET is refused: no queries in URLs and logs)
  preferGetMethod: false,
  fetch: async (input, init) => {
    const token = await accessToken();
    const headers = new Headers(init?.headers);
    if (token) headers.set('authorization', `Bearer ${token}`);
    return fetch(input, { ...init, headers });
  },
  exchanges: [
    fetchExchange,
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({ unsubscribe: ws.subscribe({ ...request, query: request.query ?? '' }, sink) }),
      }),
    }),
  ],
});
