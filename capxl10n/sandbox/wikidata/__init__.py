"""wikidata.org on the sandbox: a read-only Wikibase with Wikidata's layout and ``mul``.

:mod:`.site`: Wikidata's repository layout (items in the main namespace, properties in
``Property:``), its installation on a sandbox site and its seeding with the linked
concepts. It reuses :mod:`capxl10n.sandbox.wikibase` unchanged. This package imports
nothing here: import each name from its module.
"""
