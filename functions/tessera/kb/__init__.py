"""The knowledge base: markdown articles published as static, sanitized pages.

``kb/`` in the repository is the source (docs as code): ``kb/<language>/<category>/<slug>.md``
with a YAML front matter, ``kb/categories.yaml`` (names and order per language) and
``kb/portal.yaml`` (the portal's brand). :mod:`tessera.kb.source` reads and checks it,
:mod:`tessera.kb.render` turns each article into sanitized HTML inside Jinja2 templates,
:mod:`tessera.kb.search` writes the per-language search index the pages query offline, and
:mod:`tessera.kb.publish` writes everything to the portal bucket. :mod:`tessera.kb.feedback`
records what readers tell us: helpful votes, deflected tickets, searches (and those that found
nothing), tickets opened after viewing articles.
"""
