"""The pure core: the data model, the merge, plans, coverage, languages, the whole directory. No I/O."""
