"""Meta-Wiki's Translate extension (REL1_39): the message bundle, unit pages, fuzzy state, its API.

:mod:`.extension` holds the whole extension: bundle validation, FuzzyBot's ``/en`` units,
``!!FUZZY!!`` and fuzzy tags, ``messagecollection``/``messagegroups``/``messagegroupstats``/
``messagetranslations``/``translationreview``, and the seeding helpers. It hooks into
MediaWiki core's ``action=edit`` (:mod:`capxl10n.sandbox.mediawiki`) and sits on the API frame
and the store. This package imports nothing here: import each name from its module.
"""
