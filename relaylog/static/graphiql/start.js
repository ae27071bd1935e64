// Relay Log's GraphiQL page: the endpoint it was opened on, headers kept in this browser
// (paste {"Authorization": "Bearer <token>"} under Headers). Nothing goes into the URL:
// a query can name a person, and URLs end up in browser history and proxy logs.
(function () {
  const url = window.location.origin + window.location.pathname;
  const fetcher = GraphiQL.createFetcher({ url: url });
  const explorer = GraphiQLPluginExplorer.explorerPlugin();
  const root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      plugins: [explorer],
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: true,
      inputValueDeprecation: true,
    }),
  );
})();
