"""``vcenter-conformance``: run the suite, serve the mock, print the catalog.

Exit codes of ``run`` (:data:`RUN_EXIT_CODES`): 0 PASS; 1 FAIL; 2 usage or
configuration error; 3 INCOMPLETE or could not run (unreachable target, refused
login, a ``--datastore`` the target does not list). A wrong ``--datastore`` is 3,
like a refused login: both are found only by asking the target, and both write a
results.json that says why nothing ran.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import getpass
import json
import os
import secrets
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .config import Config, ConfigError, load_config
from .suites import PROPERTY_TESTS_MODULE

if TYPE_CHECKING:
    from .reporting.fleet import FleetSummary

EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_CANNOT_RUN = 0, 1, 2, 3
SUITES_DIR = Path(__file__).resolve().parent / "suites"
#: The session timeout the bundled mock is started with: expiry is judged in seconds. The
#: run makes the session it judges before pytest starts and judges it last, 1.5 s after
#: its expiration_time: a default run cannot end sooner than about this plus 2.5 s. Every
#: other session a test uses lives well under it (the longest: a property test's live
#: session, a second or two); eight default runs at once on a loaded 2-core machine,
#: 70-75 s each, all passed with it.
BUNDLED_MOCK_SESSION_TIMEOUT = 6.0
#: The keep-alive tests' pause against the bundled mock: its times have milliseconds
#: (vCenter's whole seconds need more than a second to show a keep-alive's effect).
BUNDLED_MOCK_KEEPALIVE_WAIT = 0.2

RUN_EXIT_CODES = """\
exit codes:
  0  PASS: every requirement the run judged passed; a broken SHOULD is a Warn,
     shown in every report, and still exits 0 (unless --strict)
  1  FAIL: the target broke a requirement (a MUST; a SHOULD too with --strict)
  2  usage or configuration error (the message names the setting and the fix)
  3  INCOMPLETE: the suite could not judge everything it was asked to (an Error:
     network, timeout, 5xx, broken setup; or a selected MUST that ended Skip or
     not run), or the suite could not run at all (unreachable target, refused
     login); requirements deselected with -k or --no-property-tests do not count

The verdict (PASS / FAIL / INCOMPLETE, with counts) is the first line of the
summary, the top of report.html and "verdict" in results.json.
"""


class UsageError(Exception):
    """A command-line problem the user must fix (exit 2)."""


def _password_from(args: argparse.Namespace) -> str | None:
    if getattr(args, "password_env", None):
        value = os.environ.get(args.password_env)
        if not value:
            raise UsageError(
                f"--password-env {args.password_env}: that environment variable is not set or empty"
            )
        return value
    password = getattr(args, "password", None)
    if password:
        print(
            "warning: a password on the command line is visible to other local users; "
            "prefer --password-env VAR or CONFORMANCE_PASSWORD",
            file=sys.stderr,
        )
    return password


def _config_from(args: argparse.Namespace) -> Config:
    overrides: dict[str, Any] = {
        "target": args.target,
        "user": args.user,
        "password": _password_from(args),
        "datastore": args.datastore,
        "ca_bundle": args.ca_bundle,
        "timeout": args.timeout,
        "poll_timeout": getattr(args, "poll_timeout", None),
        "deadline": getattr(args, "deadline", None),
        "reports_dir": args.reports_dir,
        "run_id": args.run_id,
        "max_examples": args.max_examples,
        "profile": getattr(args, "profile", None),
        "api": getattr(args, "api", None),
        "expiry_wait": getattr(args, "expiry_wait", None),
        "requirements": getattr(args, "requirement", None),
        "session_timeout": getattr(args, "session_timeout", None),
    }
    if getattr(args, "strict", False):
        overrides["strict"] = True
    if args.insecure:
        overrides["verify_tls"] = False
    if args.no_property_tests:
        overrides["property_tests"] = False
    try:
        return load_config(file=args.config, overrides=overrides)
    except ConfigError as exc:
        if exc.setting != "password" or not sys.stdin.isatty():
            raise
    # A target and no password, at a terminal: ask, without echo (never via argv).
    overrides["password"] = getpass.getpass(f"Password for {args.user or 'the vCenter user'}: ")
    return load_config(file=args.config, overrides=overrides)


# -- run ---------------------------------------------------------------------
@contextlib.contextmanager
def _target(settings: Config) -> Iterator[Config]:
    """The settings pointing at a live target: the given one, or a freshly started mock."""
    if not settings.uses_bundled_mock:
        yield settings
        return
    from .mock import MockServer, MockSettings  # the CLI, not the suite, knows the mock

    password = secrets.token_urlsafe(18)
    # Sessions expire after a short, announced timeout (the report header says so):
    # the run judges expiry without waiting vCenter's default five minutes.
    timeout = settings.session_timeout or BUNDLED_MOCK_SESSION_TIMEOUT
    keepalive_wait = settings.keepalive_wait
    if keepalive_wait is None:
        keepalive_wait = BUNDLED_MOCK_KEEPALIVE_WAIT
    mock = MockSettings(user=settings.user, password=password, session_timeout=timeout)
    with MockServer(mock) as server:
        yield dataclasses.replace(
            settings,
            target=server.url,
            password=password,
            session_timeout=timeout,
            keepalive_wait=keepalive_wait,
        )


def _preflight(settings: Config) -> tuple[str | None, str]:
    """Log in once before pytest starts; return why the suite cannot run, if it cannot,
    and the dialect that answered (``--api auto`` is resolved here, once, for the run)."""
    from .client import ClientError, LoginFailed, VcenterApi
    from .sandbox import connect, datastore_problem

    client = connect(settings)
    try:
        client.login()
    except LoginFailed as exc:
        return str(exc), client.dialect
    except ClientError as exc:
        return f"cannot reach {settings.target}: {exc}", client.dialect
    try:
        # A wrong --datastore would end every test in the same setup Error: say it once.
        problem = datastore_problem(VcenterApi(client), settings)
    except ClientError:
        # An outage while listing is not a wrong datastore: the tests meet it and say so
        # (each an Error with its cause), as they would meet it a moment later anyway.
        problem = None
    with contextlib.suppress(ClientError):
        client.logout()  # best effort: the suite's own login is what matters
    client.close()
    return problem, client.dialect


#: The pytest plugins a run loads, and only these: no plugin that happens to be installed
#: changes how the suite runs, and a worker of ``run -n`` starts without importing
#: Schemathesis and Hypothesis through their pytest plugins (which the suite does not use:
#: it drives them itself, and imports them when a property test runs) and without pytest
#: rewriting the asserts of every module of every plugin's distribution (it marks them
#: all). That was about 4 of a worker's 5-6 CPU seconds of start-up (bench/parallel.py).
#: pytest-html and pytest-metadata are not among them: ``cmd_run`` registers them in its
#: own process only (see :class:`~conformance.reporting.plugin.HtmlReportOptions`).
_RUN_PLUGINS = (
    "--disable-plugin-autoload",
    *("-p", "conformance.suites._startup"),  # first: see its docstring
)
#: The suite's verdicts are raised by its checks, never by a bare ``assert`` (the few it
#: has guard the suite's own invariants): pytest need not parse and rewrite every test
#: module at each start (each worker's too; there is no bytecode cache where
#: ``PYTHONDONTWRITEBYTECODE`` is set).
_RUN_ASSERT_MODE = "--assert=plain"


def _pytest_args(
    settings: Config, args: argparse.Namespace, worker_python: str | None = None
) -> list[str]:
    run_dir = settings.run_dir
    pytest_args = [
        "-c",
        str(SUITES_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITES_DIR),
        "--pyargs",
        "conformance.suites",
        f"--junitxml={run_dir / 'junit.xml'}",
        "--tb=short",
        *_RUN_PLUGINS,
        _RUN_ASSERT_MODE,
        *(["-p", "xdist"] if args.workers > 1 else []),
        "-q" if not args.verbose else "-v",
    ]
    if not settings.property_tests:
        # Their module is not even imported (it imports Schemathesis): each worker of
        # ``run -n`` starts sooner. Its tests are all ``fuzz``, so nothing else is lost.
        pytest_args += ["-m", "not fuzz", f"--ignore={SUITES_DIR / PROPERTY_TESTS_MODULE}"]
    if args.k:
        pytest_args += ["-k", args.k]
    if worker_python is not None:  # the same N popen workers, started by the launcher
        pytest_args += ["--tx", f"{args.workers}*popen//python={worker_python}", "--dist", "load"]
    elif args.workers > 1:
        pytest_args += ["-n", str(args.workers)]
    return pytest_args + list(args.pytest_args)


def cmd_run(args: argparse.Namespace) -> int:
    settings = _config_from(args)
    if args.print_config:
        print(json.dumps(settings.redacted(), indent=2))
        return EXIT_OK
    with _worker_python(args) as worker_python:
        return _run(settings, args, worker_python)


@contextlib.contextmanager
def _worker_python(args: argparse.Namespace) -> Iterator[str | None]:
    """A parallel run on Linux: the command its workers start with, forked from a process
    that is preloading the suite while this one logs in (``suites/_prefork.py``). None:
    each worker starts from scratch (``--no-prefork``, a serial run, other systems)."""
    from .suites import _prefork

    if args.workers < 2 or args.no_prefork or not _prefork.supported():
        yield None
        return
    with contextlib.ExitStack() as stack:
        try:
            command: str | None = stack.enter_context(_prefork.prefork_server(args.workers))
        except OSError:  # no private temporary directory or socket here: from scratch
            command = None
        yield command


def _run(settings: Config, args: argparse.Namespace, worker_python: str | None) -> int:
    import pytest

    from .catalog import catalog
    from .reporting import read_results
    from .reporting.plugin import ConformancePlugin

    unknown = sorted(set(settings.requirements) - set(catalog().ids))
    if unknown:
        raise UsageError(
            f"--requirement {', '.join(unknown)}: not in the catalog "
            "(`vcenter-conformance catalog` lists the ids)"
        )

    if not settings.verify_tls:
        print(
            "WARNING: --insecure: the target's TLS certificate is NOT verified; anyone on the "
            "network path could read the password. The report records this.",
            file=sys.stderr,
        )
    from .profiles import ProfileError, load_profile

    try:
        profile = (
            load_profile(settings.profile, frozenset(catalog().ids)) if settings.profile else None
        )
    except ProfileError as exc:
        raise UsageError(str(exc)) from None
    with _target(settings) as live:
        problem, dialect = _preflight(live)
        live = dataclasses.replace(live, api=dialect)
        if problem:
            print(f"vcenter-conformance: the suite cannot run: {problem}", file=sys.stderr)
            _write_unrun_results(live, problem)
            return EXIT_CANNOT_RUN
        live.run_dir.mkdir(parents=True, exist_ok=True)
        plugin = ConformancePlugin(
            live, catalog(), profile=profile, mock_started=settings.uses_bundled_mock
        )
        from .suites._parallel import ControllerExpiryProbe

        probe = ControllerExpiryProbe(
            live, args.workers, plugin.observe_exchange, plugin.record_run_error
        )
        if args.workers > 1 or not _selects_tests(settings, args):
            # Made now, while pytest starts: its lifetime runs from here. A serial run that
            # selects tests makes it with its first test, and only if the expiry test is
            # selected (the run has not collected yet: it cannot tell).
            probe.start()
        import pytest_html.plugin
        import pytest_metadata.plugin

        from .reporting.plugin import HtmlReportOptions

        plugins: list[object] = [
            pytest_metadata.plugin,
            pytest_html.plugin,
            HtmlReportOptions(live.run_dir / "report.html"),
            plugin,
            probe,
        ]
        if args.workers > 1:
            from .reporting.plugin import ParallelRun

            plugins.append(ParallelRun(plugin))
        try:
            code = pytest.main(_pytest_args(live, args, worker_python), plugins=plugins)
        except Exception as exc:  # pytest itself broke, e.g. formatting a Ctrl-C traceback
            print(
                f"vcenter-conformance: the test run stopped abnormally "
                f"({type(exc).__name__}: {exc})",
                file=sys.stderr,
            )
            code = pytest.ExitCode.INTERNAL_ERROR
    if code == pytest.ExitCode.NO_TESTS_COLLECTED:
        print("vcenter-conformance: no test matched the selection", file=sys.stderr)
        return EXIT_USAGE
    if code == pytest.ExitCode.USAGE_ERROR:
        return EXIT_USAGE
    if not plugin.results_path.exists():
        print("vcenter-conformance: the run ended before writing results", file=sys.stderr)
        return EXIT_CANNOT_RUN
    results = read_results(plugin.results_path)
    _print_summary(results, live)
    if code in (pytest.ExitCode.INTERRUPTED, pytest.ExitCode.INTERNAL_ERROR):
        return EXIT_CANNOT_RUN
    return int(results["exit_code"])


def _selects_tests(settings: Config, args: argparse.Namespace) -> bool:
    """Whether the run narrows the suite (``-k``, ``--requirement``, pytest's own options)."""
    return bool(args.k or settings.requirements or args.pytest_args)


def _write_unrun_results(settings: Config, problem: str) -> None:
    """A results.json saying the run never started, for pipelines that read it."""
    from .catalog import catalog
    from .client import GLOBAL_REDACTOR
    from .reporting import build_results
    from .reporting._results import write_json

    results = build_results(
        run={"id": settings.run_id, "target": settings.target, "config": settings.redacted()},
        catalog=catalog(),
        outcomes=[],
        selected=set(catalog().ids),
    )
    results["exit_code"] = EXIT_CANNOT_RUN
    results["error"] = GLOBAL_REDACTOR.redact(problem)
    results["verdict_line"] += f"; the suite could not run: {results['error']}"
    write_json(settings.run_dir / "results.json", results)


def _print_summary(results: dict[str, Any], settings: Config) -> None:
    print(f"\nVERDICT {results['verdict_line']}")
    print(f"vcenter-conformance run {results['run']['id']}")
    for r in results["requirements"]:
        if r["status"] in ("fail", "error", "warn") or r["unjudged_must"]:
            # the first line whole: error messages put their cause there, not past a cut
            label = r["status"].upper().replace("_", " ")
            print(f"  {label:7} {r['level']:6} {r['id']}: {r['message'].partition(chr(10))[0]}")
    if results.get("strict"):
        print("--strict: a broken SHOULD counts as a Fail")
    print(f"HTML report: {settings.run_dir / 'report.html'}")
    print(f"JUnit XML:   {settings.run_dir / 'junit.xml'}")
    print(f"Results:     {settings.run_dir / 'results.json'}")


# -- cleanup -----------------------------------------------------------------
def cmd_cleanup(args: argparse.Namespace) -> int:
    """Sweep what earlier runs left behind (e.g. after a SIGKILL), by run prefix."""
    from .client import ClientError, VcenterApi
    from .sandbox import connect, sweep

    settings = _config_from(args)
    if settings.target is None:
        raise UsageError("cleanup needs --target (the bundled mock keeps nothing between runs)")
    client = connect(settings)
    try:
        client.login()
        report = sweep(VcenterApi(client), settings.prefix, args.only_run, dry_run=args.dry_run)
    except ClientError as exc:
        print(f"vcenter-conformance: cleanup could not run: {exc}", file=sys.stderr)
        return EXIT_CANNOT_RUN
    finally:
        with contextlib.suppress(ClientError):
            client.logout()
        client.close()
    verb = "would remove" if args.dry_run else "removed"
    print(
        f"{verb} {len(report.libraries)} librar{'y' if len(report.libraries) == 1 else 'ies'}, "
        f"{report.items} item(s), {report.update_sessions} update session(s), "
        f"{report.download_sessions} download session(s)"
    )
    for name in report.libraries:
        print(f"  {name}")
    for problem in report.problems:
        print(f"  could not remove: {problem}", file=sys.stderr)
    return EXIT_FAIL if report.problems else EXIT_OK


# -- diff --------------------------------------------------------------------
def cmd_diff(args: argparse.Namespace) -> int:
    """Compare two runs; exit 1 on any regression (pass -> fail), 3 when the after-run
    could not judge (it was INCOMPLETE, or a requirement is no longer judged)."""
    from .reporting.diff import compare, load, render_html, render_text

    try:
        before, after = load(args.before), load(args.after)
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    diff = compare(before, after, strict=args.strict)
    sys.stdout.write(render_text(diff))
    html_path = args.html or (
        (args.after if args.after.is_dir() else args.after.parent) / "diff.html"
    )
    html_path.write_text(render_html(diff), encoding="utf-8")
    print(f"HTML: {html_path}")
    return diff.exit_code


# -- fleet and merge ---------------------------------------------------------
FLEET_EXIT_CODES = """\
exit codes: the worst verdict of the targets: 1 FAIL (a target broke a
requirement), else 3 INCOMPLETE (a target could not be judged, or could not
run at all), else 0 PASS; 2 a usage or configuration error (nothing ran).
"""


def cmd_fleet(args: argparse.Namespace) -> int:
    """Run the suite against every target of a fleet file, ``--jobs`` at a time."""
    from .config import new_run_id
    from .fleet import FleetOptions, load_fleet, run_fleet
    from .reporting.fleet import FleetRun

    targets = load_fleet(args.file)
    fleet_id = args.fleet_id or f"fleet-{new_run_id()}"
    directory = (args.reports_dir or Path("reports")) / fleet_id
    extra: list[str] = []
    if args.no_property_tests:
        extra.append("--no-property-tests")
    if args.k:
        extra += ["-k", args.k]
    options = FleetOptions(
        directory=directory,
        jobs=args.jobs,
        extra_arguments=tuple(extra),
        run_timeout=args.run_timeout,
    )
    print(f"fleet {fleet_id}: {len(targets)} targets, {args.jobs} at a time, in {directory}")

    def done(run: FleetRun) -> None:
        print(f"  {run.name}: {run.verdict_line}", flush=True)

    summary = run_fleet(targets, options, on_done=done)
    return _write_fleet_summary(summary, directory)


def cmd_merge(args: argparse.Namespace) -> int:
    """The fleet summary of run directories made elsewhere (e.g. one CI job per vCenter)."""
    from .reporting.fleet import FleetSummary, load_run

    runs = [load_run(path) for path in args.run_dirs]
    names = [run.name for run in runs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise UsageError(
            f"run id {duplicated[0]!r} is given twice: each directory must hold a run of its "
            "own run id (give each vCenter's run its own --run-id)"
        )
    return _write_fleet_summary(FleetSummary(runs), args.output)


def _write_fleet_summary(summary: FleetSummary, directory: Path) -> int:
    from .reporting.fleet import render_text, write_summary

    json_path, html_path = write_summary(summary, directory)
    sys.stdout.write("\n" + render_text(summary))
    print(f"HTML: {html_path}")
    print(f"JSON: {json_path}")
    return summary.exit_code


# -- mock --------------------------------------------------------------------
def cmd_mock(args: argparse.Namespace) -> int:
    from .mock import MockSettings, parse_fault_spec, serve

    password = _password_from(args) or os.environ.get("CONFORMANCE_PASSWORD")
    if not password:
        raise UsageError("the mock needs a password: --password-env VAR (or CONFORMANCE_PASSWORD)")
    try:
        faults = parse_fault_spec(",".join(args.fault_spec)) if args.fault_spec else None
        variants = frozenset(
            name.strip() for spec in args.variant or () for name in spec.split(",") if name.strip()
        )
        mock_settings = MockSettings(
            user=args.user,
            password=password,
            flaws=frozenset(args.flaw or ()),
            variants=variants,
            faults=faults,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    ssl: dict[str, str] = {}
    scheme = "http"
    if args.tls:
        from .mock.tls import make_certificates

        directory = Path(args.tls_dir or tempfile.mkdtemp(prefix="vcenter-mock-tls-"))
        files = make_certificates(directory, hosts=[args.host])
        ssl = {"ssl_certfile": str(files.cert), "ssl_keyfile": str(files.key)}
        scheme = "https"
        print(f"self-signed CA: {files.ca} (give it to `run` as --ca-bundle)", file=sys.stderr)
    print(f"mock vCenter on {scheme}://{args.host}:{args.port} (user {args.user})", file=sys.stderr)
    serve(mock_settings, host=args.host, port=args.port, **ssl)
    return EXIT_OK


#: What each ``--fault-spec`` key does (``mock --help``); a test keeps it in step with ``Faults``.
FAULT_SPEC_KEYS = {
    "drop_rate": "probability (0-1) that a matched request is dropped (connection closed)",
    "drop_every": "drop every Nth matched request (0: never)",
    "unavailable_rate": "probability (0-1) of answering 503 SERVICE_UNAVAILABLE",
    "unavailable_every": "answer 503 SERVICE_UNAVAILABLE to every Nth matched request (0: never)",
    "delay_seconds": "delay before answering (or dropping), in seconds (at most 300)",
    "delay_rate": "probability (0-1) that a matched request is delayed",
    "delay_every": "delay every Nth matched request; with delay_rate also 0, delay every one",
    "paths": "path prefix the faults apply to (whole segments; repeatable; default /api)",
    "include_login": "true: POST /api/session (login) is faulted too (default false)",
    "seed": "seed of the random choices, for a reproducible run (default none: a fresh seed)",
}


def mock_epilog() -> str:
    """The flaws and the fault-spec keys, for ``mock --help`` (imports the mock's tables)."""
    import textwrap

    from .mock import FLAWS

    lines = ["flaws (--flaw NAME; each breaks one rule, for proving the suite's checks):"]
    for name, what in FLAWS.items():
        lines += textwrap.wrap(
            f"{name}: {what}",
            width=96,
            initial_indent="  ",
            subsequent_indent="      ",
            break_on_hyphens=False,
        )
    lines += ["", "fault spec (--fault-spec key=value,...; a request under `paths` is matched):"]
    for key, what in FAULT_SPEC_KEYS.items():
        lines += textwrap.wrap(
            f"{key}: {what}",
            width=96,
            initial_indent="  ",
            subsequent_indent="      ",
            break_on_hyphens=False,
        )
    lines += ["", "example: mock --password-env MOCK_PW --fault-spec unavailable_every=5,seed=1"]
    return "\n".join(lines)


class _MockHelp(argparse.Action):
    """``mock --help``: lists the flaws and fault keys, importing the mock only when asked."""

    def __init__(self, option_strings: Sequence[str], dest: str, help: str | None = None) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, nargs=0, help=help)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        parser.epilog = mock_epilog()
        parser.print_help()
        parser.exit()


# -- catalog -----------------------------------------------------------------
def cmd_catalog(args: argparse.Namespace) -> int:
    """Write the acceptance document (md, html) or the catalog as data (json)."""
    from .catalog import catalog
    from .catalog._document import render_html, render_json, render_markdown

    cat = catalog()
    if args.format == "json":
        text = render_json(cat)
    elif args.format == "html":
        text = render_html(cat, __version__)
    else:
        text = render_markdown(cat, __version__)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return EXIT_OK


# -- parser ------------------------------------------------------------------
def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a positive whole number")
    return number


def _fleet_id(value: str) -> str:
    try:
        return load_config(env={}, overrides={"run_id": value}).run_id
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--target", help="vCenter base URL, e.g. https://vcenter.example.com")
    parser.add_argument("--user", help="vCenter user (default administrator@vsphere.local)")
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument(
        "--password-env", metavar="VAR", help="environment variable holding the password"
    )
    secret.add_argument("--password", help=argparse.SUPPRESS)
    parser.add_argument("--config", type=Path, help="TOML settings file")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument(
        "--ca-bundle", type=Path, help="PEM file of the CA that signed the vCenter certificate"
    )
    tls.add_argument("--insecure", action="store_true", help="do not verify the TLS certificate")
    parser.add_argument("--timeout", type=float, help="per-request timeout in seconds (default 30)")
    parser.add_argument(
        "--api",
        choices=("auto", "api", "rest"),
        help="API dialect to judge: api (vCenter 7.0+), rest (legacy /rest: 6.7, vcsim) or "
        "auto (default: /api if POST /api/session exists, else /rest)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="vcenter-conformance",
        description="Conformance tests for vSphere Content Library update and download sessions.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="run the suite (against the bundled mock unless --target)",
        description="Run the suite (against the bundled mock unless --target).",
        epilog=RUN_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_target_arguments(run)
    run.add_argument("--datastore", help="datastore id backing the sandbox library")
    run.add_argument("--reports-dir", type=Path, help="where run reports go (default reports/)")
    run.add_argument("--run-id", help="name of this run's report directory")
    run.add_argument(
        "--max-examples", type=int, help="generated examples per operation (property tests)"
    )
    run.add_argument("--no-property-tests", action="store_true", help="skip the Schemathesis tests")
    run.add_argument(
        "--poll-timeout",
        type=float,
        metavar="S",
        help="how long a poll waits for a change to settle, e.g. a file READY (default 30)",
    )
    run.add_argument(
        "--deadline",
        type=float,
        metavar="S",
        help="wall-time budget of the run: tests left after it are Error (default 900; 0: none)",
    )
    run.add_argument(
        "--profile", help="vendor profile: report its known deviations as such (name or file)"
    )
    run.add_argument(
        "--strict", action="store_true", help="a broken SHOULD (Warn) counts as a Fail"
    )
    run.add_argument(
        "--expiry-wait",
        type=float,
        metavar="SECONDS",
        help="the most the expiry test, run last, may wait for the session made at the start "
        "to expire (default 360; 0 skips it, and the verdict is INCOMPLETE)",
    )
    run.add_argument(
        "--session-timeout",
        type=float,
        metavar="SECONDS",
        help="the update-session expiration timeout the target is configured with "
        f"(default 300, vCenter's; the bundled mock: {BUNDLED_MOCK_SESSION_TIMEOUT:g})",
    )
    run.add_argument("-k", help="only tests matching this pytest -k expression")
    run.add_argument(
        "-n",
        "--workers",
        type=_positive_int,
        default=1,
        metavar="N",
        help="spread the tests over N processes (pytest-xdist), each with its own sandbox "
        "library; one report (default 1)",
    )
    run.add_argument(
        "--no-prefork",
        action="store_true",
        help="with -n on Linux: start each worker from scratch instead of forking it from "
        "a process that has loaded the suite (slower to start; for troubleshooting)",
    )
    run.add_argument(
        "--requirement",
        action="append",
        metavar="ID",
        help="only the tests citing this catalog requirement (repeatable), e.g. "
        "--requirement US-DELETE-ACTIVE-400",
    )
    run.add_argument("-v", "--verbose", action="store_true", help="one line per test")
    run.add_argument(
        "--print-config", action="store_true", help="show the effective settings and exit"
    )
    run.add_argument("pytest_args", nargs="*", help="extra pytest arguments, after --")
    run.set_defaults(func=cmd_run)

    cleanup = sub.add_parser("cleanup", help="remove what earlier runs left on a target")
    _add_target_arguments(cleanup)
    cleanup.add_argument("--only-run", metavar="RUN_ID", help="only what this run created")
    cleanup.add_argument("--dry-run", action="store_true", help="list, do not delete")
    cleanup.set_defaults(
        func=cmd_cleanup,
        datastore=None,
        reports_dir=None,
        run_id=None,
        max_examples=None,
        no_property_tests=False,
    )

    mock = sub.add_parser(
        "mock",
        help="serve the bundled mock vCenter",
        description="Serve the bundled mock vCenter (HTTP, or HTTPS with --tls) until Ctrl-C.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    mock.add_argument(
        "-h", "--help", action=_MockHelp, help="show this help (options, flaws, fault spec)"
    )
    mock.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default %(default)s)"
    )
    mock.add_argument(
        "--port", type=int, default=8989, help="port to listen on (default %(default)s)"
    )
    mock.add_argument(
        "--user", default="administrator@vsphere.local", help="the one user (default %(default)s)"
    )
    mock_secret = mock.add_mutually_exclusive_group()
    mock_secret.add_argument(
        "--password-env",
        metavar="VAR",
        help="environment variable holding that user's password (or set CONFORMANCE_PASSWORD)",
    )
    mock_secret.add_argument(
        "--password",
        help="the password itself (visible to other local users: prefer --password-env)",
    )
    mock.add_argument(
        "--flaw",
        action="append",
        metavar="NAME",
        help="break one rule, named below (test-only; repeatable)",
    )
    mock.add_argument(
        "--variant",
        action="append",
        metavar="NAME[,NAME]",
        help="make a legitimate choice other than the default where the docs leave room "
        "(repeatable; see conformance/mock/variants.py)",
    )
    mock.add_argument(
        "--fault-spec",
        action="append",
        metavar="SPEC",
        help="inject network faults, e.g. unavailable_every=3,delay_seconds=2; "
        "keys below (test-only; repeatable, joined with commas)",
    )
    mock.add_argument("--tls", action="store_true", help="serve HTTPS with a fresh self-signed CA")
    mock.add_argument(
        "--tls-dir",
        help="where --tls writes ca.pem, server.pem, server-key.pem (default: a temp dir)",
    )
    mock.set_defaults(func=cmd_mock)

    diff = sub.add_parser(
        "diff",
        help="compare two runs (e.g. before and after an upgrade)",
        epilog="exit codes: 0 no regression; 1 a requirement passed before and fails after "
        "(with --strict: or warns after); 2 usage error; 3 no pass -> fail, but the after-run "
        "could not judge (verdict INCOMPLETE or exit 3, or a requirement passed before and "
        "is now Error, Skip or not run)",
    )
    diff.add_argument("before", type=Path, help="results.json (or its run directory) before")
    diff.add_argument("after", type=Path, help="results.json (or its run directory) after")
    diff.add_argument("--html", type=Path, help="where to write the HTML (default: beside AFTER)")
    diff.add_argument(
        "--strict", action="store_true", help="a pass that became a Warn counts as a regression"
    )
    diff.set_defaults(func=cmd_diff)

    fleet = sub.add_parser(
        "fleet",
        help="run the suite against every vCenter of a fleet file, several at a time",
        description="Run the suite against every [[target]] of a TOML fleet file, each in its "
        "own process, --jobs at a time; then write fleet.html and fleet.json (targets x "
        "requirements) beside the run directories. Passwords come from the environment "
        "variables the file names (password_env), never from the file.",
        epilog=FLEET_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    fleet.add_argument("file", type=Path, help="the TOML fleet file")
    fleet.add_argument(
        "--jobs", "-j", type=_positive_int, default=4, help="runs at a time (default %(default)s)"
    )
    fleet.add_argument(
        "--reports-dir", type=Path, help="the fleet's directory goes here (default reports/)"
    )
    fleet.add_argument("--fleet-id", type=_fleet_id, help="name of the fleet's directory")
    fleet.add_argument(
        "--no-property-tests", action="store_true", help="skip the Schemathesis tests everywhere"
    )
    fleet.add_argument("-k", help="only tests matching this pytest -k expression, everywhere")
    fleet.add_argument(
        "--run-timeout",
        type=float,
        metavar="SECONDS",
        help="stop a target's run after this long (it is then INCOMPLETE; default: no limit)",
    )
    fleet.set_defaults(func=cmd_fleet)

    merge = sub.add_parser(
        "merge",
        help="the fleet summary of run directories made elsewhere (e.g. one CI job per vCenter)",
        epilog=FLEET_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    merge.add_argument(
        "run_dirs", nargs="+", type=Path, metavar="DIR", help="run directories (or results.json)"
    )
    merge.add_argument(
        "-o",
        "--output",
        type=Path,
        default=Path("."),
        help="where fleet.html and fleet.json go (default: the current directory)",
    )
    merge.set_defaults(func=cmd_merge)

    cat = sub.add_parser(
        "catalog", help="write the acceptance document (the requirement catalog) for vendors"
    )
    cat.add_argument("--format", choices=["md", "html", "json"], default="md")
    cat.add_argument("--output", "-o", help="write to this file instead of standard output")
    cat.set_defaults(func=cmd_catalog)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except (ConfigError, UsageError) as exc:
        print(f"vcenter-conformance: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("vcenter-conformance: interrupted", file=sys.stderr)
        return EXIT_CANNOT_RUN


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
