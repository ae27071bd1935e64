// Apollo Client and urql against a running Relay Log: do their normalised caches keep what
// two queries selected (no answer evicting another's fields), answer every trusted document
// again from the cache alone, and merge pages of myLogs?
//
// Input: RELAYLOG_CLIENT_CHECK, JSON {url, staffToken, familyToken, logId, logCount,
// operationsDir, readmeQuery}. Prints one line per check; exits 1 on the first failure.
// Run by tests/clients/test_client_caches.py (pytest starts the server and the data).

import { readFileSync, readdirSync } from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { isDeepStrictEqual } from "node:util";

import { ApolloClient, HttpLink, InMemoryCache, gql } from "@apollo/client/core/index.js";
import { createPersistedQueryLink } from "@apollo/client/link/persisted-queries/index.js";
import { getOperationName, relayStylePagination } from "@apollo/client/utilities/index.js";
import { Client, fetchExchange } from "@urql/core";
import { cacheExchange } from "@urql/exchange-graphcache";
import { relayPagination } from "@urql/exchange-graphcache/extras";
import { persistedExchange } from "@urql/exchange-persisted";

const config = JSON.parse(process.env.RELAYLOG_CLIENT_CHECK);
const warnings = [];
const originalWarn = console.warn;
console.warn = (...args) => {
  warnings.push(args.map(String).join(" "));
};
const originalError = console.error;
console.error = (...args) => {
  warnings.push(args.map(String).join(" "));
};

function check(ok, what, detail) {
  if (!ok) {
    originalError(`FAIL ${what}${detail === undefined ? "" : ": " + JSON.stringify(detail)}`);
    if (warnings.length) originalError(`warnings: ${JSON.stringify(warnings)}`);
    process.exit(1);
  }
  console.log(`ok ${what}`);
}

function noWarnings(what) {
  const seen = warnings.splice(0);
  check(seen.length === 0, `${what}: the cache warned of nothing`, seen);
}

// The committed trusted documents, by operation name, with their ids (sha256 of the file).
const documents = {};
for (const file of readdirSync(config.operationsDir).filter((f) => f.endsWith(".graphql"))) {
  const text = readFileSync(join(config.operationsDir, file), "utf8");
  const audiences = text.split("\n")[0].replace("# audiences:", "").split(",").map((a) => a.trim());
  const operation = /^(?:query|mutation)\s+(\w+)/m.exec(text);
  if (!operation) continue; // a subscription: tests/live runs those over websockets
  const name = operation[1];
  documents[name] = { text, id: createHash("sha256").update(text).digest("hex"), audiences };
}
const idFor = (name) => documents[name].id;

const CHILD_BIRTH_DATE = gql`
  query ChildBirthDate($id: ID!) {
    node(id: $id) { id ... on RelayLog { child { id birthDate } } }
  }
`;
const PAGE = gql`
  query Page($after: String) {
    myLogs(first: 1, after: $after) {
      edges { cursor node { id level child { id name } } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;
// Value types: no id of their own, kept inside their parent (schema descriptions say which).
const VALUE_TYPES = ["RelayLogConnection", "RelayLogEdge", "PageInfo", "Health", "MutationError"];

// ---------------------------------------------------------------- Apollo Client (staff)
async function apollo() {
  const headers = { authorization: `Bearer ${config.staffToken}` };
  const http = new HttpLink({ uri: `${config.url}/graphql`, headers, fetch });
  const persisted = createPersistedQueryLink({
    generateHash: (document) => idFor(getOperationName(document)),
    useGETForHashedQueries: true,
  });
  const cache = new InMemoryCache({
    typePolicies: {
      Query: { fields: { myLogs: relayStylePagination(["status", "level", "organisationId"]) } },
    },
  });
  const client = new ApolloClient({ link: http, cache });

  // The README's query, then a second one about the same child.
  const readme = gql(config.readmeQuery);
  const first = await client.query({ query: readme });
  check(!first.errors && first.data.myLogs.edges.length === config.logCount, "apollo: README query", first.errors);
  await client.query({ query: CHILD_BIRTH_DATE, variables: { id: config.logId } });
  const again = client.readQuery({ query: readme });
  check(again !== null, "apollo: the README query is still answered by the cache alone");
  check(isDeepStrictEqual(again, first.data), "apollo: no field of the first answer was evicted");
  const child = again.myLogs.edges.find((e) => e.node.id === config.logId).node.child;
  check(typeof child.name === "string" && child.name.length > 0, "apollo: child.name survives child { birthDate }");
  noWarnings("apollo: README query and a second one");

  // Every staff trusted document, sent by id, then answered again from the cache alone.
  const trusted = new ApolloClient({ link: persisted.concat(http), cache: new InMemoryCache() });
  for (const [name, doc] of Object.entries(documents)) {
    if (!doc.audiences.includes("STAFF") || name === "PassiveReport" || name === "ExportLog") continue;
    const query = gql(doc.text);
    const variables = { id: config.logId };
    const answer = await trusted.query({ query, variables });
    check(!answer.errors && answer.data, `apollo: ${name} by id`, answer.errors);
    const cached = trusted.readQuery({ query, variables });
    check(isDeepStrictEqual(cached, answer.data), `apollo: ${name} again from the cache alone`);
  }
  // The two log views together in one cache: neither evicts the other's fields.
  const holder = gql(documents.HolderLogView.text);
  const myLogs = gql(documents.HolderMyLogs.text);
  const full = trusted.readQuery({ query: holder, variables: { id: config.logId } });
  const list = trusted.readQuery({ query: myLogs });
  check(full !== null && list !== null, "apollo: HolderLogView and HolderMyLogs share one cache");
  noWarnings("apollo: trusted documents");

  // Pages: one log per page, merged by relayStylePagination.
  let page = await client.query({ query: PAGE, fetchPolicy: "network-only" });
  while (page.data.myLogs.pageInfo.hasNextPage) {
    page = await client.query({
      query: PAGE,
      variables: { after: page.data.myLogs.pageInfo.endCursor },
      fetchPolicy: "network-only",
    });
  }
  const merged = client.readQuery({ query: PAGE });
  const ids = merged.myLogs.edges.map((e) => e.node.id);
  check(ids.length === config.logCount && new Set(ids).size === ids.length, "apollo: pages merge, each log once", ids);
  check(merged.myLogs.pageInfo.hasNextPage === false, "apollo: the last page says so");
  noWarnings("apollo: pages");
}

// ---------------------------------------------------------------- urql + graphcache (family)
async function urql() {
  const keys = Object.fromEntries(VALUE_TYPES.map((name) => [name, () => null]));
  const cache = cacheExchange({ keys, resolvers: { Query: { myLogs: relayPagination() } } });
  const fetchOptions = { headers: { authorization: `Bearer ${config.familyToken}` } };
  const client = new Client({
    url: `${config.url}/graphql/family`,
    exchanges: [
      cache,
      persistedExchange({
        enforcePersistedQueries: true,
        preferGetForPersistedQueries: true,
        generateHash: async (_query, document) => idFor(getOperationName(document)),
      }),
      fetchExchange,
    ],
    fetchOptions,
    preferGetMethod: false,
  });

  const family = gql(documents.FamilyLogView.text);
  const variables = { id: config.familyLogId };
  const answer = await client.query(family, variables).toPromise();
  check(!answer.error && answer.data?.node?.child?.name, "urql: FamilyLogView by id", answer.error?.message ?? answer.data);
  const dashboard = await client.query(gql(documents.GuardianDashboard.text), {}).toPromise();
  check(!dashboard.error && dashboard.data.myLogs.edges.length === config.familyLogCount, "urql: GuardianDashboard by id", dashboard.error?.message);

  const plain = new Client({
    url: `${config.url}/graphql/family`,
    exchanges: [cache, fetchExchange],
    fetchOptions,
  });
  await plain.query(CHILD_BIRTH_DATE, variables).toPromise();
  const cached = await client.query(family, variables, { requestPolicy: "cache-only" }).toPromise();
  check(isDeepStrictEqual(cached.data, answer.data), "urql: FamilyLogView again from the cache, child { birthDate } evicted nothing");
  const board = await client.query(gql(documents.GuardianDashboard.text), {}, { requestPolicy: "cache-only" }).toPromise();
  check(isDeepStrictEqual(board.data, dashboard.data), "urql: GuardianDashboard again from the cache alone");
  noWarnings("urql: trusted documents");

  let after = null;
  let last;
  do {
    last = await plain.query(PAGE, { after }, { requestPolicy: "network-only" }).toPromise();
    check(!last.error, "urql: a page", last.error?.message);
    after = last.data.myLogs.pageInfo.endCursor;
  } while (last.data.myLogs.pageInfo.hasNextPage);
  const merged = await plain.query(PAGE, { after: null }, { requestPolicy: "cache-only" }).toPromise();
  const ids = merged.data.myLogs.edges.map((e) => e.node.id);
  check(ids.length === config.familyLogCount && new Set(ids).size === ids.length, "urql: pages merge, each log once", ids);
  noWarnings("urql: pages");
}

try {
  await apollo();
  await urql();
  console.log("all client cache checks passed");
} catch (error) {
  originalError(`FAIL ${error && error.stack ? error.stack : error}`);
  process.exit(1);
}
console.warn = originalWarn;
