"""The log on paper: PDF/A through ONE autoescaped Jinja2 template and xhtml2pdf
(``exports.pdf``), rendered from a read model built through the policy table, never through
GraphQL types (``exports.log_view``); and the archive package with its Noark 5 style
metadata (``exports.archive``). Imports auth and models only; resolvers call it."""
