"""Profiles: the shipped files load; every validation error names the file, the key and what is wrong."""
from __future__ import annotations

from pathlib import Path

import pytest

from capxl10n.errors import ConfigError, redact
from capxl10n.profile import load_profile

SYNC = Path(__file__).resolve().parents[1] / "capxl10n" / "profiles"


def test_production_profile_names_the_real_sites_and_no_secrets():
    prof = load_profile(str(SYNC / "production.toml"))
    assert prof.metabase.api == "https://metabase.wikibase.cloud/w/api.php"
    assert prof.metabase.sparql == "https://metabase.wikibase.cloud/query/sparql"
    assert prof.metawiki.api == "https://meta.wikimedia.org/w/api.php"
    assert prof.wikidata.api == "https://www.wikidata.org/w/api.php"
    assert (prof.metabase.instance_of, prof.metabase.capacity_class, prof.metabase.index_term,
            prof.metabase.wikidata_qid, prof.metabase.skill_id) == ("P5", "Q34531", "P67", "P1", "P91")
    assert prof.metawiki.message_group == "messagebundle-Module:CapacityExchange/capacities.json"
    assert all(site.maxlag == 5 for site in (prof.metabase, prof.metawiki, prof.wikidata))
    assert "@" in prof.contact or "http" in prof.contact
    text = (SYNC / "production.toml").read_text()
    assert "password =" not in text.replace("password_env", "")


def test_sandbox_profile_rebases_every_endpoint():
    prof = load_profile("sandbox").rebase("http://127.0.0.1:5555")
    for url in (prof.metabase.api, prof.metabase.sparql, prof.metawiki.api, prof.wikidata.api):
        assert url.startswith("http://127.0.0.1:5555/")
    # the concept URI is an identifier: the sandbox answers with the real Metabase's, wherever it runs
    assert prof.metabase.entity_prefix == "https://metabase.wikibase.cloud/entity/"


def test_credentials_come_from_the_environment_and_are_redacted():
    prof = load_profile("sandbox")
    env = {"CAPXL10N_METAWIKI_USER": "CapxBot@capxl10n", "CAPXL10N_METAWIKI_PASSWORD": "canary-pw-5d1e0b7a"}
    creds = prof.metawiki.credentials(env)
    assert creds.user == "CapxBot@capxl10n" and "canary-pw-5d1e0b7a" not in repr(creds)
    assert "canary-pw-5d1e0b7a" not in redact("login with canary-pw-5d1e0b7a")
    assert prof.metawiki.credentials({}) is None


BASE = """name = "t"
contact = "https://example.org"
[metabase]
api = "http://x/metabase/w/api.php"
[metawiki]
api = "http://x/metawiki/w/api.php"
[wikidata]
api = "http://x/wikidata/w/api.php"
"""


@pytest.mark.parametrize("change, key, why", [
    (("[wikidata]", "[wikidata]\nmaxlagg = 5"), "wikidata.maxlagg", "not a known setting"),
    (("[metawiki]", "sparql_lag_tolerance = 60\n[metawiki]"), "metabase.sparql_lag_tolerance",
     "no longer a setting"),
    (('contact = "https://example.org"', 'contact = "  "'), "contact", "must name a URL"),
    (('contact = "https://example.org"', ""), "contact", "is missing"),
    (('api = "http://x/metawiki/w/api.php"', 'api = "ftp://x"'), "metawiki.api", "http(s) URL"),
    (('api = "http://x/metawiki/w/api.php"', ""), "metawiki.api", "is missing"),
    (("[wikidata]", "[pacing]\nmax_attempts = 0\n[wikidata]"), "pacing.max_attempts", "must be positive"),
    (("[wikidata]", "[pacing]\nedits_per_minute = \"fast\"\n[wikidata]"), "pacing.edits_per_minute", "must be float"),
    (("[wikidata]", "[policy]\ndeletions = \"maybe\"\n[wikidata]"), "policy.deletions", "must be one of"),
    (("[wikidata]", "[languages]\ninclude = [\"pt-br\", \"xx-nope\"]\n[wikidata]"), "languages.include",
     "unknown language"),
    (('api = "http://x/metawiki/w/api.php"', 'api = "http://x/metawiki/w/api.php"\nmaxlag = true'),
     "metawiki.maxlag", "must be int"),
])
def test_validation_names_file_key_and_reason(tmp_path, change, key, why):
    path = tmp_path / "bad.toml"
    path.write_text(BASE.replace(*change, 1))
    with pytest.raises(ConfigError) as err:
        load_profile(str(path))
    assert str(path) in err.value.message and key in err.value.message and why in err.value.message


def test_unknown_profile_name_and_broken_toml(tmp_path):
    with pytest.raises(ConfigError) as err:
        load_profile("no-such-profile")
    assert "production, sandbox" in str(err.value)
    broken = tmp_path / "broken.toml"
    broken.write_text("name = [")
    with pytest.raises(ConfigError) as err:
        load_profile(str(broken))
    assert "not valid TOML" in err.value.message and str(broken) in err.value.message


def test_shipped_profiles_are_found_from_any_directory(tmp_path, monkeypatch):
    """Installed from a wheel the package carries its profiles; a working directory's sync/ overrides them."""
    monkeypatch.chdir(tmp_path)
    assert load_profile("sandbox").name == "sandbox"
    (tmp_path / "sync").mkdir()
    (tmp_path / "sync" / "sandbox.toml").write_text((SYNC / "sandbox.toml").read_text().replace(
        'name = "sandbox"', 'name = "sandbox-local"'), encoding="utf-8")
    assert load_profile("sandbox").name == "sandbox-local"
