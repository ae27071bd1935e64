// urql with graphql-ws against a running Relay Log, as in the README: subscribe to
// logChanged with the token in connection_init, print "ready" once subscribed, then print
// the first change as JSON and exit (1 on an error or after 30 s).
//
// Input: RELAYLOG_SUBSCRIPTION_CHECK, JSON {wsUrl, httpUrl, token, logId}.
// Run by tests/live/test_subscriptions.py (pytest starts two servers and makes the change).

import { Client, cacheExchange, fetchExchange, subscriptionExchange } from "@urql/core";
import { createClient as createWSClient } from "graphql-ws";
import WebSocket from "ws";

const config = JSON.parse(process.env.RELAYLOG_SUBSCRIPTION_CHECK);
const freshToken = async () => config.token;
const currentToken = () => config.token;

const ws = createWSClient({
  url: config.wsUrl,
  webSocketImpl: WebSocket, // node 20 has none built in; a browser needs no such line
  connectionParams: async () => ({ Authorization: `Bearer ${await freshToken()}` }),
  on: {
    connected: () => setTimeout(() => console.log("ready"), 500),
  },
});
const client = new Client({
  url: config.httpUrl,
  fetchOptions: () => ({ headers: { Authorization: `Bearer ${currentToken()}` } }),
  exchanges: [
    cacheExchange,
    fetchExchange,
    subscriptionExchange({
      forwardSubscription: (request) => ({
        subscribe: (sink) => ({
          unsubscribe: ws.subscribe({ ...request, query: request.query ?? "" }, sink),
        }),
      }),
    }),
  ],
});

const LOG_CHANGED = `subscription LogChanged($logId: ID!) {
  logChanged(logId: $logId) {
    kind logId
    node { id __typename ... on Sparkle { text occurredOn } ... on Note { text } }
  }
}`;

const timer = setTimeout(() => {
  console.log("timed out");
  process.exit(1);
}, 30_000);
const { unsubscribe } = client
  .subscription(LOG_CHANGED, { logId: config.logId })
  .subscribe(({ data, error }) => {
    if (error) {
      console.log(`error ${error.message}`);
      process.exit(1);
    }
    if (data) {
      console.log(JSON.stringify(data.logChanged));
      clearTimeout(timer);
      unsubscribe();
      ws.dispose();
      process.exit(0);
    }
  });
