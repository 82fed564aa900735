"""The configuration file read as TOML, each value of it (or of an environment variable)
taken as the type its setting has, and the error every configuration problem is: one line
naming the file or variable. voice_router.platform.settings checks what the values mean.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

PLACEHOLDER = "change-me"  # how deploy/'s example files mark a secret to fill in


class ConfigError(Exception):
    """A configuration problem, already phrased as one line for the user."""


def read_toml(file: Path) -> dict[str, Any]:
    """The file's TOML; a UTF-8 byte order mark (Windows Notepad's) is skipped."""
    try:
        raw = file.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{file}: config file not found") from None
    except IsADirectoryError:
        raise ConfigError(f"{file}: is a directory, not a config file") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read the config file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{file}: not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start}): "
            "save it as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{file}: not valid TOML ({exc})") from None


def coerce(value: Any, default: Any, where: str) -> Any:
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
