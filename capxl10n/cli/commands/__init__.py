"""The commands of ``capxl10n``, one module per topic; :mod:`capxl10n.cli.main` registers them.

The command modules import ``Env`` and ``pass_env`` from :mod:`capxl10n.cli.main`, and the CLI imports
every command by name, so the CLI is loaded first whichever module is imported first.
"""
import capxl10n.cli.main  # noqa: F401
