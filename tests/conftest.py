"""Shared fixtures live in tests/plugins/, one module per concern."""
import os
import tempfile

from hypothesis import HealthCheck, Phase, settings

# `--profile sandbox` follows a sandbox a developer left running (`capxl10n sandbox serve` announces itself):
# the tests look for the announcement where no such sandbox can be.
os.environ["CAPXL10N_SANDBOX_FILE"] = os.path.join(tempfile.gettempdir(), f"capxl10n-tests-{os.getpid()}.sandbox")

pytest_plugins = [
    "plugins.common",
    "plugins.sandbox_fixtures",
    "plugins.realwiki_fixtures",
    "plugins.world",
]

# Hypothesis profiles (docs/testing-histories.md). `ci` is loaded under CI=true: derandomized, so every CI
# run tries the same histories, and sized for the 2-CPU machine (300 histories ≈ 2 minutes); `long`
# (10,000 histories; CAPX_HISTORY_LONG_EXAMPLES splits them over processes) is chosen with
# `--hypothesis-profile=long`. Tests that set max_examples themselves keep their own.
_NO_EXPLAIN = (Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink)
settings.register_profile("ci", max_examples=300, stateful_step_count=30, deadline=None, derandomize=True,
                          database=None, print_blob=True, phases=_NO_EXPLAIN,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=int(os.environ.get("CAPX_HISTORY_LONG_EXAMPLES", "10000")),
                          stateful_step_count=40, deadline=None, print_blob=True, phases=_NO_EXPLAIN,
                          suppress_health_check=[HealthCheck.too_slow])
if os.environ.get("CI") == "true":
    settings.load_profile("ci")
