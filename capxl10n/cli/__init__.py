"""The command line: one click group, one module per command family, the renderers."""
