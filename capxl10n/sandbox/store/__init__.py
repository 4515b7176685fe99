"""MediaWiki core's storage, below any API: users, sessions, pages, revisions, recent changes.

It imitates what MediaWiki 1.39 keeps in its database and how EditPage saves into it
(:mod:`.wiki`: edit conflicts, ``basetimestamp``/``baserevid``, own-edit suppression) with
``wfMerge``'s three-way text merge (:mod:`.merge3`, GNU diff3's rules in pure Python).
One in-memory store per sandbox site. The bottom layer of the sandbox: it imports no
other part of it. This package imports nothing here: import each name from its module.
"""
