"""MediaWiki core's own API modules (MediaWiki 1.39), registered on the API frame.

:mod:`.modules`: login, tokens, siteinfo, userinfo, edit (with the edit filters
extensions hook into), delete, paraminfo, and ``install`` that registers them all;
:mod:`.query`: the page readers (prop=revisions|info, allpages, recentchanges,
backlinks) with MediaWiki's limits and continuation. Every sandbox site has them.
They sit on the API frame (:mod:`capxl10n.sandbox.api`) and the store
(:mod:`capxl10n.sandbox.store`). This package imports nothing here: import each
name from its module.
"""
