"""One settings object: the TOML file named by VOICE_ROUTER_CONFIG plus environment overrides.

A bad configuration raises ConfigError with one line naming the file and the key; the CLI
prints that line and exits, never a traceback.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

from integrations import registry

DEFAULT_CONFIG_FILE = "voice-router.toml"
ENV_PREFIX = "VOICE_ROUTER_"

_T = TypeVar("_T")


class ConfigError(Exception):
    """A configuration problem, already phrased as one line for the user."""


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


@dataclass(frozen=True)
class NotifySettings:
    slack_webhook_url: str = ""
    smtp_url: str = ""
    from_addr: str = "voice-router@localhost"
    weekly_top: int = 0
    weekly_to: tuple[str, ...] = ()


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
    auto_merge_above: float = 0.0  # 0: off; else merge suggestions scoring at least this
    currency: str = "USD"  # ISO 4217 code that MRR and ARR amounts are in
    sources: Mapping[str, SourceSettings] = field(default_factory=dict)
    jira: JiraSettings = field(default_factory=JiraSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)


_TABLES = {"sources", "jira", "notify"}
_SHIPPED_WHEN = ("done", "released")
JIRA_AUTH = ("basic", "token")
LOG_FORMATS = ("auto", "json", "text")


def _scalar_fields(cls: type) -> dict[str, Any]:
    return {f.name: f for f in fields(cls) if f.name not in _TABLES and f.name != "name"}


def _coerce(value: Any, default: Any, where: str) -> Any:
    """Check a TOML value's type against the field default, or convert an env string."""
    if isinstance(default, bool):
        if isinstance(value, str):
            low = value.strip().lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if isinstance(default, float):
        if isinstance(value, str):
            try:
                return float(value.strip() or 0)
            except ValueError:
                raise ConfigError(f"{where}: expected a number, got {value!r}") from None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if isinstance(default, int):
        if isinstance(value, str):
            try:
                return int(value.strip())
            except ValueError:
                raise ConfigError(f"{where}: expected a whole number, got {value!r}") from None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected a whole number, got {value!r}")
    if isinstance(default, tuple):
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(f"{where}: expected a list of strings, got {value!r}")
    if isinstance(value, str):
        return value
    raise ConfigError(f"{where}: expected a string, got {value!r}")


def _build(cls: type[_T], table: Mapping[str, Any], where: str, **fixed: Any) -> _T:
    known = _scalar_fields(cls)
    values: dict[str, Any] = dict(fixed)
    for key, value in table.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown key {key!r}")
        values[key] = _coerce(value, known[key].default, f"{where}.{key}")
    return cls(**values)


def _env_overrides(env: Mapping[str, str], prefix: str, cls: type) -> dict[str, str]:
    return {
        name: env[prefix + name.upper()]
        for name in _scalar_fields(cls)
        if prefix + name.upper() in env
    }


def _source(name: str, table: Any, where: str) -> SourceSettings:
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: expected a table")
    kind = table.get("kind")
    kinds = registry.kinds()
    if kind not in kinds:
        raise ConfigError(f"{where}.kind: unknown source kind {kind!r} (one of {', '.join(kinds)})")
    if not table.get("secret"):
        raise ConfigError(f"{where}.secret: a source needs its webhook secret")
    source = _build(SourceSettings, table, where, name=name)
    if not source.tag_patterns:
        raise ConfigError(f"{where}.tag_patterns: needs at least one pattern")
    app_id, app_secret = source.app_id.strip(), source.app_secret.strip()
    client = registry.helpdesk(kind).writeback
    if (app_id or app_secret) and not (client and client.app_credentials):
        titles = " and ".join(registry.app_credential_titles())
        raise ConfigError(f"{where}.app_id: app_id and app_secret are for {titles} sources")
    if bool(app_id) != bool(app_secret):
        missing = "app_secret" if app_id else "app_id"
        raise ConfigError(f"{where}.{missing}: app_id and app_secret go together")
    return source


def parse_settings(data: Mapping[str, Any], env: Mapping[str, str], origin: str) -> Settings:
    top = {k: v for k, v in data.items() if k not in _TABLES}
    top.update(_env_overrides(env, ENV_PREFIX, Settings))
    settings = _build(Settings, top, origin)

    jira_table = data.get("jira", {})
    notify_table = data.get("notify", {})
    sources_table = data.get("sources", {})
    for key, value in (("jira", jira_table), ("notify", notify_table), ("sources", sources_table)):
        if not isinstance(value, dict):
            raise ConfigError(f"{origin}: [{key}] must be a table")
    jira_values = {**jira_table, **_env_overrides(env, ENV_PREFIX + "JIRA_", JiraSettings)}
    jira = _build(JiraSettings, jira_values, f"{origin}: [jira]")
    if jira.shipped_when not in _SHIPPED_WHEN:
        raise ConfigError(f"{origin}: [jira].shipped_when: must be 'done' or 'released'")
    if jira.auth not in JIRA_AUTH:
        raise ConfigError(
            f"{origin}: [jira].auth: must be 'basic' (e-mail and API token) or 'token' "
            "(a personal access token)"
        )
    notify_values = {**notify_table, **_env_overrides(env, ENV_PREFIX + "NOTIFY_", NotifySettings)}
    notify = _build(NotifySettings, notify_values, f"{origin}: [notify]")
    sources = {
        name: _source(name, table, f"{origin}: [sources.{name}]")
        for name, table in sources_table.items()
    }
    if "jira" in sources:
        raise ConfigError(f"{origin}: [sources.jira]: 'jira' is reserved for Jira's own webhook")
    if settings.log_level.lower() not in ("debug", "info", "warning", "error"):
        raise ConfigError(f"{origin}: log_level: must be debug, info, warning or error")
    log_format = settings.log_format.strip().lower()
    if log_format not in LOG_FORMATS:
        raise ConfigError(f"{origin}: log_format: must be auto, json or text")
    currency = settings.currency.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise ConfigError(f"{origin}: currency: must be a three-letter ISO 4217 code, e.g. USD")
    for name in ("max_body_bytes", "process_batch_size", "max_pain_tags"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{origin}: {name}: must be positive")
    if not 0 <= settings.auto_merge_above <= 1:
        raise ConfigError(f"{origin}: auto_merge_above: must be 0 (off) or a score up to 1")
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
    explicit = path or env.get(ENV_PREFIX + "CONFIG")
    file = Path(explicit) if explicit else Path(DEFAULT_CONFIG_FILE)
    data: dict[str, Any] = {}
    if explicit or file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"{file}: config file not found") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: not valid TOML ({exc})") from None
    return parse_settings(data, env, str(file))
