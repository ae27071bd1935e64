"""The log on paper: PDF/A through ONE autoescaped Jinja2 template and xhtml2pdf
(``exports.pdf``), rendered from the answer of the ``ExportLog`` trusted document that the
caller executed as the reader (``exports.printed``: decides nothing about access); and the
archive package with its Noark 5 style metadata (``exports.archive``). Imports auth and
models only; the schema's mutations call it."""
