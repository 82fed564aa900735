"""One settings object: the TOML file named by VOICE_ROUTER_CONFIG plus environment overrides.

A bad configuration raises ConfigError with one line naming the file and the key; the CLI
prints that line and exits, never a traceback.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from integrations import registry
from voice_router.platform.config_file import PLACEHOLDER, coerce, read_toml
from voice_router.platform.config_file import ConfigError as ConfigError
from voice_router.platform.urls import (
    database_url_problem,
    http_url_problem,
    notify_problems,
    redis_url_problem,
)
from voice_router.platform.urls import is_http_url as _is_http_url

DEFAULT_CONFIG_FILE = "voice-router.toml"
ENV_PREFIX = "VOICE_ROUTER_"
CONFIG_VARIABLE = ENV_PREFIX + "CONFIG"  # names the file

_T = TypeVar("_T")


@dataclass(frozen=True)
class SourceSettings:
    name: str
    kind: str
    secret: str
    tag_patterns: tuple[str, ...] = ("pain-*", "pain:*")
    api_base: str = ""
    api_token: str = ""
    app_id: str = ""  # Help Scout OAuth2 app (client credentials), instead of api_token
    app_secret: str = ""
    writeback: bool = False

    @property
    def has_api_credentials(self) -> bool:
        """Whether write-back can authenticate: a token, or Help Scout app credentials."""
        return bool(self.api_token.strip() or (self.app_id.strip() and self.app_secret.strip()))


@dataclass(frozen=True)
class JiraSettings:
    url: str = ""
    email: str = ""
    api_token: str = ""
    project: str = "PROD"
    issue_type: str = "Bug"
    labels: tuple[str, ...] = ("voice-router",)
    webhook_secret: str = ""
    shipped_when: str = "done"
    impact_field: str = ""
    min_customers: int = 1
    update_interval_seconds: int = 300
    auth: str = "basic"
    notify_watchers: bool = True
    # Resolutions and done statuses that close a problem as won't fix, besides the English
    # names voice-router knows (closing/shipping.py): a Jira that names them in another
    # language ("Wird nicht erledigt") or a workflow's own ("Parked").
    not_a_fix: tuple[str, ...] = ()


@dataclass(frozen=True)
class NotifySettings:
    slack_webhook_url: str = ""
    smtp_url: str = ""
    from_addr: str = "voice-router@localhost"
    weekly_top: int = 0
    weekly_to: tuple[str, ...] = ()
    # A reopened issue's heads-up to the agents told of its fix waits this long: a Done
    # again before then (a mis-click) sends nothing.
    reopen_grace_seconds: int = 600


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///voice_router.db"
    redis_url: str = ""
    base_url: str = "http://localhost:8000"
    secret_key: str = ""
    log_level: str = "info"
    log_format: str = "auto"
    max_body_bytes: int = 1048576
    max_pain_tags: int = 20
    process_batch_size: int = 1000
    delivery_max_attempts: int = 5
    reconcile_seconds: int = 300
    # Every call to Jira, a helpdesk's write-back, Slack and SMTP: the whole exchange.
    outbound_timeout_seconds: float = 10.0
    auto_merge_above: float = 0.0  # 0: off; else merge suggestions scoring at least this
    currency: str = "USD"  # ISO 4217 code that MRR and ARR amounts are in
    sources: Mapping[str, SourceSettings] = field(default_factory=dict)
    jira: JiraSettings = field(default_factory=JiraSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)


_TABLES = {"sources", "jira", "notify"}
_SHIPPED_WHEN = ("done", "released")
JIRA_AUTH = ("basic", "token")
LOG_FORMATS = ("auto", "json", "text")
# The least value that means something, per numeric key (each one's meaning in
# docs/configuration.md): a size, a batch, a count of tries or customers below it cannot
# work; zero is "at once" for update_interval_seconds and reopen_grace_seconds, and "off"
# for weekly_top.
_AT_LEAST = {
    "Settings": {
        "max_body_bytes": 1,
        "max_pain_tags": 1,
        "process_batch_size": 1,
        "delivery_max_attempts": 1,
        "reconcile_seconds": 1,
    },
    "JiraSettings": {"min_customers": 1, "update_interval_seconds": 0},
    "NotifySettings": {"weekly_top": 0, "reopen_grace_seconds": 0},
}
# The largest whole number a setting takes: what an integer column holds. Larger ones were
# taken and failed where they were used (a process_batch_size of 10**20 as the claim's SQL
# LIMIT stopped every batch).
MAX_WHOLE = 2**31 - 1
# A call may take this long at most: a lane (every Jira sync, every message behind it) waits
# on it, and rq's job timeouts (300 s a Jira sync) must leave room for several calls.
MAX_OUTBOUND_TIMEOUT = 120
# A source's name is the URL segment of its webhook: letters, digits, `-`, `_`, `.`, `~`,
# as long as the deliveries' `source` column.
_SOURCE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,99}")


@dataclass(frozen=True)
class _Where:
    """Where a table's values came from, for messages: the file and table (`/etc/vr.toml:
    [jira].url`), or the environment variable that set a key (`VOICE_ROUTER_JIRA_URL`)."""

    file: str
    table: str = ""  # "" (top level), "[jira]", "[sources.hs]"
    env: Mapping[str, str] = field(default_factory=dict)  # key -> variable that set it

    def __str__(self) -> str:
        return f"{self.file}: {self.table}" if self.table else self.file

    def of(self, key: str) -> str:
        if key in self.env:
            return self.env[key]
        return f"{self}.{key}" if self.table else f"{self.file}: {key}"


def _scalar_fields(cls: type) -> dict[str, Any]:
    return {f.name: f for f in fields(cls) if f.name not in _TABLES and f.name != "name"}


def _build(cls: type[_T], table: Mapping[str, Any], where: _Where, **fixed: Any) -> _T:
    known = _scalar_fields(cls)
    values: dict[str, Any] = dict(fixed)
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r}")
        values[key] = coerce(value, known[key].default, where.of(key))
    built = cls(**values)
    for key, least in _AT_LEAST.get(cls.__name__, {}).items():
        if getattr(built, key) < least:
            raise ConfigError(f"{where.of(key)}: must be {least} or more")
    for key in values:
        if type(getattr(built, key)) is int and getattr(built, key) > MAX_WHOLE:
            raise ConfigError(f"{where.of(key)}: must be {MAX_WHOLE:,} or less")
    return built


def _with_env(
    table: Mapping[str, Any], env: Mapping[str, str], prefix: str, cls: type, where: _Where
) -> tuple[dict[str, Any], _Where]:
    """`table` with the environment's overrides, and where each value came from."""
    names = {name: prefix + name.upper() for name in _scalar_fields(cls)}
    found = {name: variable for name, variable in names.items() if variable in env}
    merged = {**table, **{name: env[variable] for name, variable in found.items()}}
    return merged, _Where(where.file, where.table, found)


def _source(name: str, table: Any, where: _Where) -> SourceSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    if not _SOURCE_NAME.fullmatch(name):
        raise ConfigError(
            f"{where}: the name is the webhook's URL segment (POST /webhooks/<name>): letters, "
            "digits, '-', '_', '.' or '~', up to 100"
        )
    kind = table.get("kind")
    kinds = registry.kinds()
    if kind not in kinds:
        raise ConfigError(
            f"{where.of('kind')}: unknown source kind {kind!r} (one of {', '.join(kinds)})"
        )
    secret = table.get("secret")
    if not secret or (isinstance(secret, str) and not secret.strip()):
        raise ConfigError(f"{where.of('secret')}: a source needs its webhook secret (not blank)")
    source = _build(SourceSettings, table, where, name=name)
    _no_placeholders(source, where, ("secret", "api_token", "app_secret"))
    if not source.tag_patterns:
        raise ConfigError(f"{where.of('tag_patterns')}: needs at least one pattern")
    app_id, app_secret = source.app_id.strip(), source.app_secret.strip()
    client = registry.helpdesk(kind).writeback
    api_base = source.api_base.strip() or (getattr(client, "default_api_base", "") or "")
    if (source.api_base.strip() or (source.writeback and client)) and not _is_http_url(api_base):
        raise ConfigError(
            f"{where.of('api_base')}: write-back needs the helpdesk's API address with its "
            "https:// (Zendesk: https://<subdomain>.zendesk.com)"
        )
    if (app_id or app_secret) and not (client and client.app_credentials):
        titles = " and ".join(registry.app_credential_titles())
        raise ConfigError(f"{where.of('app_id')}: app_id and app_secret are for {titles} sources")
    if bool(app_id) != bool(app_secret):
        missing = "app_secret" if app_id else "app_id"
        raise ConfigError(f"{where.of(missing)}: app_id and app_secret go together")
    return source


def _no_placeholders(values: object, where: _Where, keys: tuple[str, ...]) -> None:
    """An example file copied unedited would run on secrets anyone can read in this
    repository (a webhook secret that lets anyone send signed deliveries)."""
    for key in keys:
        if str(getattr(values, key)).strip().lower().startswith(PLACEHOLDER):
            raise ConfigError(
                f"{where.of(key)}: still the example's placeholder ({PLACEHOLDER}…): "
                "set a secret of your own"
            )


def _jira_credentials(jira: JiraSettings, where: _Where) -> None:
    """A Jira URL without the credentials its `auth` needs was taken, and failed at the
    first sync."""
    if not jira.url.strip():
        return

    def named(key: str) -> str:  # where the url was given: the file, or a variable
        given_in_env = key not in where.env and "url" in where.env
        return f"{ENV_PREFIX}JIRA_{key.upper()}" if given_in_env else where.of(key)

    if not jira.api_token.strip():
        what = "an API token" if jira.auth == "basic" else "a personal access token"
        raise ConfigError(f"{named('api_token')}: Jira sync (url is set) needs {what}")
    if jira.auth == "basic" and not jira.email.strip():
        raise ConfigError(
            f'{named("email")}: Jira sync with auth = "basic" needs the e-mail address '
            "the API token belongs to"
        )


def _no_stray_variables(env: Mapping[str, str]) -> None:
    """A variable for a [jira] or [notify] key that does not exist (VOICE_ROUTER_JIRA_TOKEN)
    or for a source was ignored without a word, as an unknown key in the file is not."""
    for variable in env:
        if variable.startswith(ENV_PREFIX + "SOURCES_"):
            raise ConfigError(f"{variable}: sources are configured in the file only")
        for table, cls in (("JIRA_", JiraSettings), ("NOTIFY_", NotifySettings)):
            prefix = ENV_PREFIX + table
            names = [prefix + name.upper() for name in _scalar_fields(cls)]
            if variable.startswith(prefix) and variable not in names:
                like = difflib.get_close_matches(variable, names, 1, 0.7)
                hint = f" (did you mean {like[0]}?)" if like else ""
                raise ConfigError(f"{variable}: not a [{table[:-1].lower()}] key{hint}")


def parse_settings(data: Mapping[str, Any], env: Mapping[str, str], origin: str) -> Settings:
    _no_stray_variables(env)
    top, where = _with_env(
        {k: v for k, v in data.items() if k not in _TABLES},
        env,
        ENV_PREFIX,
        Settings,
        _Where(origin),
    )
    settings = _build(Settings, top, where)
    _no_placeholders(settings, where, ("secret_key",))

    jira_table = data.get("jira", {})
    notify_table = data.get("notify", {})
    sources_table = data.get("sources", {})
    for key, value in (("jira", jira_table), ("notify", notify_table), ("sources", sources_table)):
        if not isinstance(value, dict):
            raise ConfigError(f"{origin}: [{key}] must be a table")
    jira_values, jira_where = _with_env(
        jira_table, env, ENV_PREFIX + "JIRA_", JiraSettings, _Where(origin, "[jira]")
    )
    jira = _build(JiraSettings, jira_values, jira_where)
    _no_placeholders(jira, jira_where, ("api_token", "webhook_secret"))
    if not jira.labels:  # reconcile finds voice-router's issues by the first label
        raise ConfigError(f"{jira_where.of('labels')}: needs at least one label")
    if jira.shipped_when not in _SHIPPED_WHEN:
        raise ConfigError(f"{jira_where.of('shipped_when')}: must be 'done' or 'released'")
    if jira.auth not in JIRA_AUTH:
        raise ConfigError(
            f"{jira_where.of('auth')}: must be 'basic' (e-mail and API token) or 'token' "
            "(a personal access token)"
        )
    if jira.url.strip() and not _is_http_url(jira.url.strip()):
        raise ConfigError(
            f"{jira_where.of('url')}: expected the site's address with its scheme, "
            "e.g. https://example.atlassian.net"
        )
    _jira_credentials(jira, jira_where)
    notify_values, notify_where = _with_env(
        notify_table, env, ENV_PREFIX + "NOTIFY_", NotifySettings, _Where(origin, "[notify]")
    )
    notify = _build(NotifySettings, notify_values, notify_where)
    for key, problem in notify_problems(  # else found out when a fix ships
        notify.slack_webhook_url,
        notify.smtp_url,
        (notify.from_addr,) if notify.from_addr.strip() or notify.smtp_url.strip() else (),
        notify.weekly_to,
    ):
        raise ConfigError(f"{notify_where.of(key)}: {problem}")
    sources = {
        name: _source(name, table, _Where(origin, f"[sources.{name}]"))
        for name, table in sources_table.items()
    }
    if "jira" in sources:
        raise ConfigError(f"{origin}: [sources.jira]: 'jira' is reserved for Jira's own webhook")
    if settings.log_level.lower() not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"{where.of('log_level')}: must be debug, info, warning or error")
    log_format = settings.log_format.strip().lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"{where.of('log_format')}: must be auto, json or text")
    currency = settings.currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(f"{where.of('currency')}: must be a three-letter ISO 4217 code, e.g. USD")
    if not 0 < settings.outbound_timeout_seconds <= MAX_OUTBOUND_TIMEOUT:
        raise ConfigError(
            f"{where.of('outbound_timeout_seconds')}: must be a number of seconds above 0, "
            f"at most {MAX_OUTBOUND_TIMEOUT}"
        )
    if not 0 <= settings.auto_merge_above <= 1:
        raise ConfigError(f"{where.of('auto_merge_above')}: must be 0 (off) or a score up to 1")
    for key, problem in (
        ("database_url", database_url_problem(settings.database_url)),
        ("redis_url", redis_url_problem(settings.redis_url)),
        ("base_url", http_url_problem(settings.base_url, "https://vr.example.com", True)),
    ):
        if problem:
            raise ConfigError(f"{where.of(key)}: {problem}")
    return Settings(
        **{
            f.name: getattr(settings, f.name)
            for f in fields(Settings)
            if f.name not in _TABLES and f.name not in ("log_format", "currency")
        },
        log_format=log_format,
        currency=currency,
        sources=sources,
        jira=jira,
        notify=notify,
    )


def load_settings(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> Settings:
    """Read the config file (explicit path, $VOICE_ROUTER_CONFIG, or ./voice-router.toml if
    present) and apply environment overrides. No file and no variables: embedded defaults."""
    env = os.environ if env is None else env
    explicit = path or env.get(CONFIG_VARIABLE)
    file = Path(explicit) if explicit else Path(DEFAULT_CONFIG_FILE)
    data: dict[str, Any] = {}
    if explicit or file.exists():
        data = read_toml(file)
    return parse_settings(data, env, str(file))
