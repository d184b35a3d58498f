"""``vcenter-conformance fleet FILE``: the suite against many vCenters at once.

The fleet file is TOML, one ``[[target]]`` table per vCenter (and an optional
``[defaults]`` table every target inherits). Its values follow the same rules
as ``run``'s settings (:mod:`conformance.config`), and like them a password is
refused in the file: ``password_env`` names the environment variable holding it.

Each target is one ``vcenter-conformance run`` in a subprocess (a crash or a
hang there cannot take the others down), at most ``jobs`` at a time, with the
target's name as its run id, its run directory under the fleet's directory.
The summary is then built from those run directories exactly as ``merge``
builds it from directories made elsewhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import ConfigError, load_config, read_toml
from .reporting.fleet import FleetRun, FleetSummary, load_run

#: keys a ``[[target]]`` (or ``[defaults]``) table may hold, with what each does
TARGET_KEYS = {
    "name": "the target's name: its run id and its column in the summary (required)",
    "url": "the vCenter base URL (unset: the bundled mock, started for this target)",
    "user": "the vCenter user",
    "password_env": "the environment variable holding the password (required with url)",
    "ca_bundle": "PEM file of the CA that signed the vCenter certificate",
    "insecure": "true: do not verify the TLS certificate",
    "datastore": "datastore id backing the sandbox library",
    "profile": "vendor profile (name or file)",
    "timeout": "per-request timeout in seconds",
    "session_timeout": "the update-session expiration timeout the target is configured with",
    "expiry_wait": "the most seconds the expiry test may wait (0 skips it)",
    "strict": "true: a broken SHOULD counts as a Fail",
    "property_tests": "false: skip the Schemathesis tests",
    "max_examples": "generated examples per operation",
    "k": "only tests matching this pytest -k expression",
    "requirements": "only the tests citing these catalog requirement ids (a list)",
}


@dataclass(frozen=True)
class FleetTarget:
    """One vCenter of the fleet: its name and the ``run`` arguments that test it."""

    name: str
    url: str | None
    #: ``run``'s command-line arguments (never a secret: the password travels by variable)
    arguments: tuple[str, ...] = field(default=())


def _fleet_error(origin: str, key: str, problem: str, fix: str) -> ConfigError:
    return ConfigError(f"{origin}: {key}", problem, fix)


def load_fleet(path: Path, env: Mapping[str, str] | None = None) -> list[FleetTarget]:
    """The fleet file's targets, every value checked as ``run`` would check it.

    Raises :class:`ConfigError` ("<setting>: <problem>. <fix>") on the first bad value.
    """
    env = os.environ if env is None else env
    data = read_toml(path, "fleet file", "TOML fleet file")
    unknown_tables = set(data) - {"defaults", "target"}
    if unknown_tables:
        raise ConfigError(
            f"{path}: {sorted(unknown_tables)[0]}",
            "unknown table",
            "Use [defaults] and one [[target]] table per vCenter",
        )
    defaults = data.get("defaults", {})
    tables = data.get("target", [])
    if not isinstance(defaults, dict) or not isinstance(tables, list) or not tables:
        raise ConfigError(
            f"{path}: target",
            "no [[target]] table",
            "Add one [[target]] table per vCenter, each with a name (and a url and password_env)",
        )
    _check_keys(defaults, f"{path}: [defaults]")
    if "name" in defaults or "url" in defaults:
        raise ConfigError(
            f"{path}: [defaults]", "holds name or url", "Give them in each [[target]] table"
        )
    targets: list[FleetTarget] = []
    for index, table in enumerate(tables, start=1):
        origin = f"{path}: target {index}"
        if not isinstance(table, dict):
            raise ConfigError(origin, "is not a table", "Write it as a [[target]] table")
        name = table.get("name")
        if name is not None:
            origin = f"{path}: target {name!r}"
        _check_keys(table, origin)
        inherited = dict(defaults)
        # A target's own TLS choice replaces the inherited one (not a conflict with it).
        if "insecure" in table or "ca_bundle" in table:
            inherited.pop("insecure", None)
            inherited.pop("ca_bundle", None)
        target = _target(origin, {**inherited, **table}, env)
        if any(t.name == target.name for t in targets):
            raise _fleet_error(origin, "name", "is used twice", "Give every target its own name")
        targets.append(target)
    return targets


def _check_keys(table: dict[str, Any], origin: str) -> None:
    if "password" in table:
        raise _fleet_error(
            origin,
            "password",
            "a password is not accepted in the fleet file",
            "Remove it and set password_env to the name of an environment variable holding it",
        )
    for key in table:
        if key not in TARGET_KEYS:
            raise _fleet_error(
                origin, key, "unknown key", f"Known keys: {', '.join(sorted(TARGET_KEYS))}"
            )


def _target(origin: str, table: dict[str, Any], env: Mapping[str, str]) -> FleetTarget:
    name = table.get("name")
    if not isinstance(name, str) or not name:
        raise _fleet_error(origin, "name", "is missing", "Give each [[target]] a name, e.g. vc-01")
    url = table.get("url")
    password_env = table.get("password_env")
    password: str | None = None
    if password_env is not None:
        if not isinstance(password_env, str) or not password_env:
            raise _fleet_error(
                origin, "password_env", "is not a variable name", "Give e.g. VC01_PASSWORD"
            )
        password = env.get(password_env) or None
        if password is None:
            raise _fleet_error(
                origin,
                "password_env",
                f"the environment variable {password_env} is not set or empty",
                f"Set {password_env} to the password of this target's user",
            )
    elif url is not None:
        raise _fleet_error(
            origin,
            "password_env",
            f"no password for {url}",
            "Set password_env to the name of an environment variable holding it",
        )
    # Checked by the one set of rules ``run`` uses; the errors name this target.
    overrides = {
        "run_id": name,
        "target": url,
        "user": table.get("user"),
        "password": password if url is not None else None,
        "ca_bundle": table.get("ca_bundle"),
        "verify_tls": (not table["insecure"]) if "insecure" in table else None,
        "datastore": table.get("datastore"),
        "profile": table.get("profile"),
        "timeout": table.get("timeout"),
        "session_timeout": table.get("session_timeout"),
        "expiry_wait": table.get("expiry_wait"),
        "strict": table.get("strict"),
        "property_tests": table.get("property_tests"),
        "max_examples": table.get("max_examples"),
        "requirements": table.get("requirements"),
    }
    if "insecure" in table and not isinstance(table["insecure"], bool):
        raise _fleet_error(
            origin, "insecure", f"{table['insecure']!r} is not true or false", "Use true or false"
        )
    try:
        config = load_config(env={}, overrides=overrides)
    except ConfigError as exc:
        raise _TargetConfigError(origin, exc) from None
    arguments: list[str] = []
    if url is not None:
        arguments += ["--target", url, "--user", config.user, "--password-env", str(password_env)]
    elif "user" in table:
        arguments += ["--user", config.user]
    if config.ca_bundle is not None:
        arguments += ["--ca-bundle", str(config.ca_bundle)]
    if not config.verify_tls:
        arguments.append("--insecure")
    for key, flag in (
        ("datastore", "--datastore"),
        ("profile", "--profile"),
        ("timeout", "--timeout"),
        ("session_timeout", "--session-timeout"),
        ("expiry_wait", "--expiry-wait"),
        ("max_examples", "--max-examples"),
    ):
        if table.get(key) is not None:
            arguments += [flag, str(getattr(config, key))]
    if config.strict:
        arguments.append("--strict")
    if not config.property_tests:
        arguments.append("--no-property-tests")
    for requirement in config.requirements:
        arguments += ["--requirement", requirement]
    if table.get("k") is not None:
        if not isinstance(table["k"], str) or not table["k"].strip():
            raise _fleet_error(origin, "k", "is not a -k expression", "Give e.g. 'not fuzz'")
        arguments += ["-k", table["k"]]
    return FleetTarget(name, url, tuple(arguments))


#: ``run``'s setting names as the fleet file spells them
_FILE_KEY = {"target": "url", "verify_tls": "insecure", "run_id": "name"}


class _TargetConfigError(ConfigError):
    """``run``'s verdict on a value, said of the fleet file's key in its target."""

    def __init__(self, origin: str, exc: ConfigError) -> None:
        setting = exc.setting.removeprefix("--").replace("-", "_")
        key = _FILE_KEY.get(setting, setting)
        self.setting = f"{origin}: {key}"
        ValueError.__init__(self, f"{self.setting}: {str(exc).removeprefix(exc.setting + ': ')}")


@dataclass(frozen=True)
class FleetOptions:
    """What ``fleet`` adds to every target's run."""

    directory: Path
    jobs: int = 4
    #: appended to every target's ``run`` arguments (e.g. ``--no-property-tests``)
    extra_arguments: tuple[str, ...] = ()
    #: the most seconds one target's run may take before it is stopped (None: no limit)
    run_timeout: float | None = None


def run_command(target: FleetTarget, options: FleetOptions) -> list[str]:
    """The ``run`` command line for ``target`` (it holds no secret)."""
    return [
        sys.executable,
        "-m",
        "conformance",
        "run",
        "--reports-dir",
        str(options.directory),
        "--run-id",
        target.name,
        *target.arguments,
        *options.extra_arguments,
    ]


def run_target(target: FleetTarget, options: FleetOptions) -> FleetRun:
    """One target's run in a subprocess; its console output goes to ``<name>.log``."""
    run_dir = options.directory / target.name
    log = options.directory / f"{target.name}.log"
    problem = ""
    with log.open("w", encoding="utf-8") as out:
        try:
            proc = subprocess.run(
                run_command(target, options),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=options.run_timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            problem = f"the run took longer than {options.run_timeout:g} s and was stopped"
        except OSError as exc:
            problem = f"the run could not start: {exc}"
        else:
            if proc.returncode not in (0, 1, 3):
                problem = f"the run exited {proc.returncode} (see {log})"
    run = load_run(run_dir, name=target.name, problem=problem)
    if problem and run.results is not None:
        # results.json from a run that then broke: keep it, but it cannot be a PASS
        return FleetRun(target.name, run.run_dir, None, problem)
    return run


def run_fleet(
    targets: list[FleetTarget],
    options: FleetOptions,
    on_done: Callable[[FleetRun], None] | None = None,
) -> FleetSummary:
    """Every target's run, ``options.jobs`` at a time; the summary keeps the file's order."""
    options.directory.mkdir(parents=True, exist_ok=True)

    def one(target: FleetTarget) -> FleetRun:
        run = run_target(target, options)
        if on_done is not None:
            on_done(run)
        return run

    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        runs = list(pool.map(one, targets))
    return FleetSummary(runs)


__all__ = [
    "TARGET_KEYS",
    "FleetOptions",
    "FleetTarget",
    "load_fleet",
    "run_command",
    "run_fleet",
    "run_target",
]
