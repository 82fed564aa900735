"""Configuration: TOML plus environment overrides; bad config is one clear line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import run_cli
from voice_router.platform.settings import ConfigError, load_settings


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "voice-router.toml"
    path.write_text(text)
    return path


def test_no_file_and_no_variables_gives_the_embedded_defaults(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(env={})
    assert settings.database_url == "sqlite:///voice_router.db"
    assert settings.redis_url == "" and settings.sources == {}
    assert settings.jira.project == "PROD" and settings.jira.min_customers == 1


def test_a_source_gets_default_tag_patterns(tmp_path):
    path = write(tmp_path, '[sources.hs]\nkind = "helpscout"\nsecret = "s"\n')
    source = load_settings(path, env={}).sources["hs"]
    assert source.tag_patterns == ("pain-*", "pain:*") and source.writeback is False


def test_environment_overrides_top_level_and_jira_keys(tmp_path):
    path = write(tmp_path, 'redis_url = "redis://file"\n[jira]\nproject = "FILE"\n')
    env = {
        "VOICE_ROUTER_REDIS_URL": "redis://env",
        "VOICE_ROUTER_MAX_BODY_BYTES": "2048",
        "VOICE_ROUTER_JIRA_PROJECT": "ENV",
        "VOICE_ROUTER_JIRA_LABELS": "vr, customer-voice",
        "VOICE_ROUTER_JIRA_MIN_CUSTOMERS": "3",
    }
    settings = load_settings(path, env=env)
    assert settings.redis_url == "redis://env" and settings.max_body_bytes == 2048
    assert settings.jira.project == "ENV" and settings.jira.min_customers == 3
    assert settings.jira.labels == ("vr", "customer-voice")


def test_log_format_is_auto_unless_the_file_or_the_environment_says(tmp_path):
    assert load_settings(write(tmp_path, ""), env={}).log_format == "auto"
    path = write(tmp_path, 'log_format = "text"\n')
    assert load_settings(path, env={}).log_format == "text"
    assert load_settings(path, env={"VOICE_ROUTER_LOG_FORMAT": " JSON "}).log_format == "json"


def test_auto_merge_is_off_unless_a_score_is_set(tmp_path):
    assert load_settings(write(tmp_path, ""), env={}).auto_merge_above == 0.0
    env = {"VOICE_ROUTER_AUTO_MERGE_ABOVE": "0.9"}
    assert load_settings(write(tmp_path, ""), env=env).auto_merge_above == 0.9
    assert load_settings(write(tmp_path, "auto_merge_above = 1\n"), env={}).auto_merge_above == 1.0


def test_outbound_calls_are_given_ten_seconds_unless_set(tmp_path):
    assert load_settings(write(tmp_path, ""), env={}).outbound_timeout_seconds == 10.0
    path = write(tmp_path, "outbound_timeout_seconds = 2.5\n")
    assert load_settings(path, env={}).outbound_timeout_seconds == 2.5
    env = {"VOICE_ROUTER_OUTBOUND_TIMEOUT_SECONDS": "30"}
    assert load_settings(path, env=env).outbound_timeout_seconds == 30.0


@pytest.mark.parametrize("value", ["0", "-1", "121", "nan", "inf", '"ten"', "true"])
def test_an_outbound_timeout_that_cannot_work_is_refused_naming_the_key(tmp_path, value):
    """No deadline, a negative one, or one longer than two minutes (a lane waits on each call,
    and rq's job timeouts leave room for a few) is refused at start-up, in one line."""
    path = write(tmp_path, f"outbound_timeout_seconds = {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    said = str(caught.value)
    assert said.startswith(f"{path}: outbound_timeout_seconds: "), said
    assert "must be a number of seconds above 0, at most 120" in said or (
        "expected a number" in said
    )


def test_currency_is_usd_unless_set_and_is_upper_cased(tmp_path):
    assert load_settings(write(tmp_path, ""), env={}).currency == "USD"
    path = write(tmp_path, 'currency = "eur"\n')
    assert load_settings(path, env={}).currency == "EUR"
    assert load_settings(path, env={"VOICE_ROUTER_CURRENCY": "GBP"}).currency == "GBP"


def test_config_file_named_by_environment(tmp_path):
    path = write(tmp_path, 'base_url = "https://vr.example"\n')
    assert load_settings(env={"VOICE_ROUTER_CONFIG": str(path)}).base_url == "https://vr.example"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("database_url = ", "not valid TOML"),
        ('databse_url = "x"\n', "unknown key 'databse_url'"),
        ('[sources.hs]\nkind = "hubspot"\nsecret = "s"\n', "[sources.hs].kind"),
        ('[sources.hs]\nkind = "helpscout"\n', "[sources.hs].secret"),
        ('[sources.hs]\nkind = "helpscout"\nsecret = "s"\ncolour = 1\n', "unknown key 'colour'"),
        ('[jira]\nshipped_when = "soon"\n', "shipped_when"),
        ('max_body_bytes = "big"\n', "max_body_bytes"),
        ('log_format = "xml"\n', "log_format: must be auto, json or text"),
        ("auto_merge_above = 1.5\n", "auto_merge_above: must be 0 (off) or a score up to 1"),
        ('auto_merge_above = "sure"\n', "auto_merge_above: expected a number"),
        ('currency = "dollars"\n', "currency: must be a three-letter ISO 4217 code"),
        (
            '[sources.hs]\nkind = "helpscout"\nsecret = "s"\napp_id = "a"\n',
            "[sources.hs].app_secret: app_id and app_secret go together",
        ),
        (
            '[sources.hs]\nkind = "helpscout"\nsecret = "s"\napp_secret = "x"\n',
            "[sources.hs].app_id: app_id and app_secret go together",
        ),
        (
            '[sources.zd]\nkind = "zendesk"\nsecret = "s"\napp_id = "a"\napp_secret = "x"\n',
            "[sources.zd].app_id: app_id and app_secret are for Help Scout sources",
        ),
    ],
)
def test_bad_config_names_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(path) in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[sources.hs]\nkind = "helpscout"\nsecret = "   "\n', "[sources.hs].secret: a source"),
        ("delivery_max_attempts = 0\n", ": delivery_max_attempts: must be 1 or more"),
        ("reconcile_seconds = 0\n", ": reconcile_seconds: must be 1 or more"),
        ("max_body_bytes = -1\n", ": max_body_bytes: must be 1 or more"),
        ("[jira]\nmin_customers = 0\n", "[jira].min_customers: must be 1 or more"),
        ("[jira]\nupdate_interval_seconds = -5\n", "[jira].update_interval_seconds: must be 0 or"),
        ("[notify]\nweekly_top = -2\n", "[notify].weekly_top: must be 0 or more"),
        ("[notify]\nreopen_grace_seconds = -1\n", "[notify].reopen_grace_seconds: must be 0 or"),
        ('[jira]\nurl = "jira.example.com"\n', "[jira].url: expected the site's address with"),
        ('[sources."a/b"]\nkind = "generic"\nsecret = "s"\n', "[sources.a/b]: the name is the"),
        ('[sources."a b"]\nkind = "generic"\nsecret = "s"\n', "[sources.a b]: the name is the"),
        ('redis_url = "localhost:6379"\n', ": redis_url: needs its scheme: redis://"),
        ('database_url = "mysql://u@h/db"\n', ": database_url: mysql is not supported"),
        ("[jira]\nlabels = []\n", "[jira].labels: needs at least one label"),
        # Jira sync without the credentials its auth needs failed at the first sync only.
        (
            '[jira]\nurl = "https://acme.atlassian.net"\nemail = "bot@acme.com"\n',
            "[jira].api_token: Jira sync (url is set) needs an API token",
        ),
        (
            '[jira]\nurl = "https://acme.atlassian.net"\napi_token = "t"\n',
            '[jira].email: Jira sync with auth = "basic" needs the e-mail address',
        ),
        (
            '[jira]\nurl = "https://jira.acme.com"\nauth = "token"\napi_token = " "\n',
            "[jira].api_token: Jira sync (url is set) needs a personal access token",
        ),
        # A whole number past an integer column was taken, and failed where it was used
        # (process_batch_size as the claim's SQL LIMIT: no batch ever ran).
        ("process_batch_size = 100000000000000000000\n", ": process_batch_size: must be 2,147"),
        ("[jira]\nmin_customers = 2147483648\n", "[jira].min_customers: must be 2,147,483,647"),
        (
            'database_url = "postgresql+psycopg://vr:change-me-please@db/vr"\n',
            ": database_url: the password is still the example's placeholder (change-me…)",
        ),
        # Links from Jira back to a problem, and what [notify] sends once a fix ships: each
        # message would fail for good then, days after start-up.
        ('base_url = "vr.example.com"\n', ": base_url: expected an address with its scheme"),
        ('base_url = ""\n', ": base_url: expected an address with its scheme"),
        (
            '[notify]\nsmtp_url = "mail.example.com"\n',
            "[notify].smtp_url: expected smtp://[user:pass@]host[:port] or smtps://",
        ),
        ('[notify]\nslack_webhook_url = "hooks"\n', "[notify].slack_webhook_url: expected an"),
        (
            '[notify]\nsmtp_url = "smtp://h"\nfrom_addr = "voice-router"\n',
            "[notify].from_addr: 'voice-router' is not one e-mail address",
        ),
        (
            '[notify]\nweekly_to = ["pm@example.com", "cpo"]\n',
            "[notify].weekly_to: 'cpo' is not one e-mail address",
        ),
        ('secret_key = "change-me-to-64-random-hex"\n', ": secret_key: still the example's"),
        (
            '[sources.hs]\nkind = "helpscout"\nsecret = "change-me-helpscout-secret"\n',
            "[sources.hs].secret: still the example's placeholder (change-me…)",
        ),
        ('[jira]\nwebhook_secret = "Change-Me"\n', "[jira].webhook_secret: still the example's"),
        (
            '[sources.zd]\nkind = "zendesk"\nsecret = "s"\nwriteback = true\napi_token = "t"\n',
            "[sources.zd].api_base: write-back needs the helpdesk's API address",
        ),
        (
            '[sources.hs]\nkind = "helpscout"\nsecret = "s"\napi_base = "api.helpscout.net"\n',
            "[sources.hs].api_base: write-back needs the helpdesk's API address",
        ),
    ],
)
def test_values_that_cannot_work_are_refused_naming_file_and_key(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env={})
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)


def test_write_back_to_a_helpdesk_with_one_api_host_needs_no_api_base(tmp_path):
    path = write(
        tmp_path,
        '[sources.hs]\nkind = "helpscout"\nsecret = "s"\nwriteback = true\napi_token = "t"\n',
    )
    assert load_settings(path, env={}).sources["hs"].api_base == ""


def test_usable_notify_values_and_an_unused_empty_sender_are_accepted(tmp_path):
    path = write(
        tmp_path,
        '[notify]\nsmtp_url = "smtps://u:p%40ss@mail.example.com"\n'
        'from_addr = "Voice Router <vr@example.com>"\nweekly_to = ["pm@example.com"]\n'
        'slack_webhook_url = "https://hooks.slack.com/services/T/B/x"\n',
    )
    assert load_settings(path, env={}).notify.weekly_to == ("pm@example.com",)
    assert load_settings(write(tmp_path, '[notify]\nfrom_addr = ""\n'), env={}).notify


def test_zero_means_at_once_or_off_where_the_docs_say_so(tmp_path):
    path = write(
        tmp_path,
        "[jira]\nupdate_interval_seconds = 0\n[notify]\nweekly_top = 0\nreopen_grace_seconds = 0\n",
    )
    settings = load_settings(path, env={})
    assert settings.jira.update_interval_seconds == 0 and settings.notify.weekly_top == 0
    assert settings.notify.reopen_grace_seconds == 0


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("VOICE_ROUTER_MAX_BODY_BYTES", "1MB", "expected a whole number, got '1MB'"),
        ("VOICE_ROUTER_MAX_BODY_BYTES", "", "expected a whole number, got ''"),
        ("VOICE_ROUTER_DELIVERY_MAX_ATTEMPTS", "-3", "must be 1 or more"),
        ("VOICE_ROUTER_LOG_FORMAT", "xml", "must be auto, json or text"),
        ("VOICE_ROUTER_JIRA_NOTIFY_WATCHERS", "maybe", "expected true or false"),
        ("VOICE_ROUTER_JIRA_URL", "not-a-url", "expected the site's address with its scheme"),
        ("VOICE_ROUTER_NOTIFY_WEEKLY_TOP", "-2", "must be 0 or more"),
        ("VOICE_ROUTER_PROCESS_BATCH_SIZE", "1" + "0" * 20, "must be 2,147,483,647 or less"),
        ("VOICE_ROUTER_JIRA_UPDATE_INTERVAL_SECONDS", "9" * 30, "must be 2,147,483,647 or"),
        ("VOICE_ROUTER_BASE_URL", "localhost:8000", "expected an address with its scheme"),
        ("VOICE_ROUTER_OUTBOUND_TIMEOUT_SECONDS", "10s", "expected a number, got '10s'"),
        ("VOICE_ROUTER_OUTBOUND_TIMEOUT_SECONDS", "0", "must be a number of seconds above 0"),
        # A misspelt [jira]/[notify] key, or a source, was ignored without a word.
        ("VOICE_ROUTER_JIRA_TOKEN", "t", "not a [jira] key (did you mean VOICE_ROUTER_JIRA_API"),
        ("VOICE_ROUTER_NOTIFY_SMTP", "smtp://h", "not a [notify] key (did you mean VOICE_ROUTER_"),
        ("VOICE_ROUTER_SOURCES_HS_SECRET", "s", "sources are configured in the file only"),
        ("VOICE_ROUTER_NOTIFY_SMTP_URL", "smtp://u:pw@", "expected smtp://"),
    ],
)
def test_a_bad_environment_variable_is_named_not_a_file(
    tmp_path, monkeypatch, variable, value, message
):
    """All settings from the environment (Kubernetes, compose), no file: the message names
    the variable, not a voice-router.toml that does not exist."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as caught:
        load_settings(env={variable: value})
    assert str(caught.value) == f"{variable}: {message}" or (
        str(caught.value).startswith(f"{variable}: ") and message in str(caught.value)
    )
    assert "voice-router.toml" not in str(caught.value)


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "voice-router.toml"
    path.write_bytes('\ufeffbase_url = "https://vr.example"\n'.encode())
    assert load_settings(path, env={}).base_url == "https://vr.example"


def test_a_help_scout_source_can_write_back_with_app_credentials_alone(tmp_path):
    path = write(
        tmp_path,
        '[sources.hs]\nkind = "helpscout"\nsecret = "s"\nwriteback = true\n'
        'app_id = "app-1"\napp_secret = "shh"\n',
    )
    source = load_settings(path, env={}).sources["hs"]
    assert (source.app_id, source.app_secret, source.api_token) == ("app-1", "shh", "")
    assert source.has_api_credentials


def test_bad_config_stops_the_cli_with_one_line_and_no_traceback(tmp_path):
    path = write(tmp_path, '[sources.hs]\nkind = "hubspot"\nsecret = "s"\n')
    result = run_cli(path, "db", "upgrade", timeout=60)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and "kind" in lines[0]
    assert "Traceback" not in result.stderr


def test_jira_sync_without_its_credentials_stops_the_cli_at_start_up(tmp_path):
    """A [jira] url without api_token was taken: every command started, and the first Jira
    sync failed (unauthorized) long after whoever wrote the file had gone."""
    path = write(tmp_path, '[jira]\nurl = "https://acme.atlassian.net"\nemail = "bot@acme.com"\n')
    result = run_cli(path, "reconcile", timeout=60)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == (
        f"voice-router: configuration error: {path}: [jira].api_token: Jira sync (url is set) "
        "needs an API token"
    )


def test_jira_from_the_environment_names_the_variable_it_misses(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no voice-router.toml: a message naming one would mislead
    env = {"VOICE_ROUTER_JIRA_URL": "https://acme.atlassian.net"}
    with pytest.raises(ConfigError, match=r"^VOICE_ROUTER_JIRA_API_TOKEN: Jira sync"):
        load_settings(env=env)
    with pytest.raises(ConfigError, match=r"^VOICE_ROUTER_JIRA_EMAIL: Jira sync"):
        load_settings(env={**env, "VOICE_ROUTER_JIRA_API_TOKEN": "t"})


def test_jira_with_a_personal_access_token_needs_no_e_mail(tmp_path):
    path = write(
        tmp_path, '[jira]\nurl = "https://jira.acme.com"\nauth = "token"\napi_token = "pat"\n'
    )
    assert load_settings(path, env={}).jira.api_token == "pat"
