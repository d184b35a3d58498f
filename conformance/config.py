"""One frozen run configuration, from a TOML file, ``CONFORMANCE_*`` variables and flags.

Precedence: command-line flags over environment over the file over defaults.
Every value is checked once, at start-up; a bad one raises :class:`ConfigError`
naming the setting and how to fix it (the CLI turns that into exit code 2).
Secrets (the password) come from the environment or a prompt; the config's
``repr`` and :meth:`Config.redacted` never show them.
"""

from __future__ import annotations

import dataclasses
import os
import re
import secrets
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ENV_PREFIX = "CONFORMANCE_"
DEFAULT_USER = "administrator@vsphere.local"
#: vCenter's default update-session expiration timeout ("The default is five minutes")
DEFAULT_SESSION_TIMEOUT = 300.0
#: the keep-alive tests' pause: more than a second, so that expiration_time, which a
#: vCenter gives in whole seconds, can show the keep-alive's effect
DEFAULT_KEEPALIVE_WAIT = 1.1
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_PREFIX = re.compile(r"^[a-z][a-z0-9-]{1,15}$")


def user_cache_dir() -> Path:
    """The per-user cache directory of vcenter-conformance (the platform's usual place).

    ``$XDG_CACHE_HOME`` (else ``~/.cache``) on Linux and other POSIX systems,
    ``~/Library/Caches`` on macOS, ``%LOCALAPPDATA%`` on Windows; then
    ``vcenter-conformance``. It holds what is costly to compute and the same from one run
    to the next (the property tests' Unicode tables), never results: a run's output goes
    to its reports directory.
    """
    if os.name == "nt":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = str(Path.home() / "Library" / "Caches")
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "vcenter-conformance"


class ConfigError(ValueError):
    """A setting has a value the suite cannot use."""

    def __init__(self, setting: str, problem: str, fix: str) -> None:
        self.setting = setting
        super().__init__(f"{setting}: {problem}. {fix}")


def new_run_id() -> str:
    """A sortable, unique-enough run id: UTC time plus 4 random hex digits."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(2)


@dataclass(frozen=True)
class Config:
    """Everything one run needs to know. Build it with :func:`load_config`."""

    target: str | None = None
    user: str = DEFAULT_USER
    password: str = field(default="", repr=False)
    datastore: str | None = None
    verify_tls: bool = True
    ca_bundle: Path | None = None
    timeout: float = 30.0
    #: how long a poll may wait for a change the docs let happen later (a file READY, a
    #: session DONE, a file PREPARED), separate from the per-request ``timeout``
    poll_timeout: float = 30.0
    #: the run's wall-time budget in seconds: the tests left when it passes are reported as
    #: Error without running (cleanup and reports still happen); 0 means no deadline
    deadline: float = 900.0
    reports_dir: Path = Path("reports")
    run_id: str = field(default_factory=new_run_id)
    prefix: str = "vcc"
    property_tests: bool = True
    max_examples: int = 15
    #: seconds between a session's get and the keep-alive whose effect on expiration_time
    #: the keep-alive tests judge (None: 1.1, since vCenter's times have whole seconds;
    #: ``run`` gives the bundled mock, whose times have milliseconds, a shorter one)
    keepalive_wait: float | None = None
    #: the most seconds the expiry test, run last, may wait for the session the run
    #: created at its start to expire; 0 skips it (and the verdict is INCOMPLETE)
    expiry_wait: float = 360.0
    #: the update-session expiration timeout the target is configured with (None:
    #: vCenter's default, five minutes; the bundled mock is started with a short one)
    session_timeout: float | None = None
    #: a broken SHOULD (Warn) counts as a Fail
    strict: bool = False
    #: a vendor profile (packaged name or file path) whose known deviations are reported as such
    profile: str | None = None
    #: the API dialect to judge: ``api`` (7.0+), ``rest`` (legacy /rest, 6.7 and vcsim) or
    #: ``auto`` (``api`` if ``POST /api/session`` exists, else ``rest``); resolved at login
    api: str = "auto"
    #: only the tests citing these catalog requirements (empty: every test)
    requirements: tuple[str, ...] = ()

    @property
    def uses_bundled_mock(self) -> bool:
        return self.target is None

    @property
    def expected_session_timeout(self) -> float:
        """The expiration timeout new update sessions should have, in seconds."""
        return self.session_timeout or DEFAULT_SESSION_TIMEOUT

    @property
    def keepalive_pause(self) -> float:
        """The seconds the keep-alive tests wait between a get and the keep-alive."""
        return DEFAULT_KEEPALIVE_WAIT if self.keepalive_wait is None else self.keepalive_wait

    @property
    def run_prefix(self) -> str:
        """The name prefix of everything this run creates on the target."""
        return f"{self.prefix}-{self.run_id}"

    @property
    def run_dir(self) -> Path:
        return self.reports_dir / self.run_id

    @property
    def tls_verify(self) -> bool | str:
        """The ``verify`` argument for requests."""
        if not self.verify_tls:
            return False
        return str(self.ca_bundle) if self.ca_bundle else True

    def redacted(self) -> dict[str, Any]:
        """The effective settings as plain data, the password blanked."""
        data: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "password":
                value = "[REDACTED]" if value else ""
            elif isinstance(value, Path):
                value = str(value)
            data[f.name] = value
        data["target"] = self.target or "bundled mock"
        return data


class _Refused(ValueError):
    """A value refused for a reason the setting's usual fix does not cover."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.fix = fix


# name -> (parser, fix hint). The parser raises ValueError with the problem.
def _url(value: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a URL")
    # Checked first, and the value never echoed: a password in the URL would end up
    # in messages, reports and request logs (and requests would send it as Basic auth).
    if "@" in _authority(value):
        raise _Refused(
            "must not contain credentials",
            "Give the server only, e.g. https://vcenter.example.com, and the account "
            "with --user and --password-env VAR (or CONFORMANCE_USER and CONFORMANCE_PASSWORD)",
        )
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{value!r} is not an http(s) URL")
    if parts.path not in ("", "/") or parts.query:
        raise ValueError(
            f"{value!r} has a path; give the server only, e.g. https://vcenter.example.com"
        )
    return value.rstrip("/")


def _authority(url: str) -> str:
    """The ``//authority`` part of ``url`` as written (``urlsplit`` may refuse the rest)."""
    _, slashes, rest = url.partition("//")
    if not slashes:
        return ""
    for end in "/?#":
        rest = rest.split(end, 1)[0]
    return rest


def _requirement_ids(value: str | list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Requirement ids: a list (file, flags) or one comma-separated string (environment)."""
    items = value.split(",") if isinstance(value, str) else list(value)
    ids = tuple(dict.fromkeys(str(i).strip() for i in items if str(i).strip()))
    bad = [i for i in ids if not re.fullmatch(r"[A-Z][A-Z0-9-]+", i)]
    if bad:
        raise ValueError(f"{', '.join(bad)} is not a requirement id")
    return ids


def _bool(value: str | bool) -> bool:
    if isinstance(value, bool):
        return value
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{value!r} is not a boolean")


def _positive_float(value: str | float) -> float:
    number = float(value)
    if not number > 0:
        raise ValueError(f"{value!r} is not a positive number")
    return number


def _non_negative_float(value: str | float) -> float:
    number = float(value)
    if number < 0:
        raise ValueError(f"{value!r} is negative")
    return number


def _count(value: str | int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a whole number")
    number = int(value)
    if not 1 <= number <= 10_000:
        raise ValueError(f"{value!r} is not between 1 and 10000")
    return number


def _non_empty(value: str) -> str:
    if not str(value).strip():
        raise ValueError("it is empty")
    return str(value)


def _existing_file(value: str | Path) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise ValueError(f"{str(value)!r} is not a readable file")
    return path


def _run_id(value: str) -> str:
    if not _RUN_ID.match(value):
        raise ValueError(f"{value!r} is not a run id (letters, digits, '.', '_', '-'; at most 64)")
    return value


def _prefix(value: str) -> str:
    if not _PREFIX.match(value):
        raise ValueError(f"{value!r} is not a prefix (2-16 lower-case letters, digits or '-')")
    return value


API_DIALECTS = ("auto", "api", "rest")


def _api(value: str) -> str:
    lowered = str(value).strip().lower()
    if lowered not in API_DIALECTS:
        raise ValueError(f"{value!r} is not one of {', '.join(API_DIALECTS)}")
    return lowered


_SETTINGS: dict[str, tuple[Any, str]] = {
    "target": (_url, "Give the vCenter base URL, e.g. https://vcenter.example.com"),
    "user": (_non_empty, "Give the vCenter user, e.g. administrator@vsphere.local"),
    "password": (
        _non_empty,
        "Set it in the environment (CONFORMANCE_PASSWORD or --password-env VAR)",
    ),
    "datastore": (
        _non_empty,
        "Give a datastore id such as datastore-12, or leave it unset to discover one",
    ),
    "verify_tls": (_bool, "Use true or false"),
    "ca_bundle": (
        _existing_file,
        "Give the path of a PEM file with the CA that signed the vCenter certificate",
    ),
    "timeout": (_positive_float, "Give the per-request timeout in seconds, e.g. 30"),
    "poll_timeout": (
        _non_negative_float,
        "Give the seconds a poll may wait for a change to settle, e.g. 30",
    ),
    "deadline": (
        _non_negative_float,
        "Give the run's wall-time budget in seconds, e.g. 900 (0: no deadline)",
    ),
    "reports_dir": (Path, "Give a directory path"),
    "run_id": (_run_id, "Use letters, digits, '.', '_' and '-' only"),
    "prefix": (_prefix, "Use 2-16 lower-case letters, digits or '-', starting with a letter"),
    "property_tests": (_bool, "Use true or false"),
    "max_examples": (_count, "Give a whole number of generated examples per operation, e.g. 15"),
    "keepalive_wait": (_non_negative_float, "Give seconds to wait before a keep-alive, e.g. 1.1"),
    "expiry_wait": (
        _non_negative_float,
        "Give the seconds the expiry test may wait at the end of the run, e.g. 360 (0 skips it)",
    ),
    "session_timeout": (
        _positive_float,
        "Give the update-session expiration timeout the target is configured with, in "
        "seconds, e.g. 300 (vCenter's default)",
    ),
    "strict": (_bool, "Use true or false"),
    "requirements": (
        _requirement_ids,
        "Give catalog ids such as US-DELETE-ACTIVE-400 (`vcenter-conformance catalog` lists them)",
    ),
    "profile": (_non_empty, "Give a profile name (see conformance/profiles) or a profile file"),
    "api": (
        _api,
        "Use api (vCenter 7.0+), rest (legacy /rest: 6.7, vcsim) or auto (probe /api, then /rest)",
    ),
}


def env_name(setting: str) -> str:
    return ENV_PREFIX + setting.upper()


def read_toml(path: Path, setting: str, kind: str = "TOML file") -> dict[str, Any]:
    """A TOML file's contents; a missing or malformed file is a :class:`ConfigError` naming
    ``setting`` (the settings file and the fleet file alike)."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(setting, f"{path} does not exist", f"Give the path of a {kind}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(setting, f"{path} is not valid TOML ({exc})", "Fix the file") from None


def _read_file(path: Path) -> dict[str, Any]:
    data = read_toml(path, "--config")
    section = data.get("conformance", data)
    if not isinstance(section, dict):
        raise ConfigError("--config", "[conformance] is not a table", "Fix the file")
    if "password" in section:
        raise ConfigError(
            "password",
            f"{path} contains a password",
            "Remove it and set CONFORMANCE_PASSWORD (or use --password-env VAR) instead",
        )
    return section


def load_config(
    *,
    file: Path | None = None,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Merge defaults, ``file``, ``env`` and ``overrides`` (in rising precedence) and check them."""
    env = os.environ if env is None else env
    raw: dict[str, tuple[Any, str]] = {}
    if file is None and env.get(env_name("config")):
        file = Path(env[env_name("config")])
    if file is not None:
        for key, value in _read_file(file).items():
            if key not in _SETTINGS:
                known = ", ".join(sorted(_SETTINGS))
                raise ConfigError(key, f"unknown setting in {file}", f"Known settings: {known}")
            raw[key] = (value, f"{file}: {key}")
    for key in _SETTINGS:
        if env.get(env_name(key)) not in (None, ""):
            raw[key] = (env[env_name(key)], env_name(key))
    for key, value in (overrides or {}).items():
        if key not in _SETTINGS:
            raise ConfigError(
                key, "unknown setting", f"Known settings: {', '.join(sorted(_SETTINGS))}"
            )
        if value is not None:
            raw[key] = (value, f"--{key.replace('_', '-')}")
    values: dict[str, Any] = {}
    for key, (value, origin) in raw.items():
        parser, fix = _SETTINGS[key]
        try:
            values[key] = parser(value)
        except (ValueError, TypeError) as exc:
            raise ConfigError(origin, str(exc), getattr(exc, "fix", fix)) from None
    config = Config(**values)
    if config.target is not None and not config.password:
        raise ConfigError(
            "password",
            f"no password for {config.user} on {config.target}",
            f"Set {env_name('password')} (or --password-env VAR naming a variable holding it)",
        )
    if config.ca_bundle is not None and not config.verify_tls:
        raise ConfigError("ca_bundle", "given together with --insecure", "Use one or the other")
    return config


__all__ = [
    "API_DIALECTS",
    "DEFAULT_SESSION_TIMEOUT",
    "ENV_PREFIX",
    "Config",
    "ConfigError",
    "env_name",
    "load_config",
    "new_run_id",
]
