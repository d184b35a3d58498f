"""The pytest plugin that turns test reports into conformance results.

It classifies each test as PASS / FAIL / WARN / SKIP / ERROR (a conformance
failure is FAIL, or WARN when every requirement it broke is a SHOULD; anything
else that stops a test is ERROR), attributes failures to the requirement they
name, decorates the pytest-html report, writes ``results.json``, makes
``junit.xml`` count what results.json counts, and finally blanks any secret
left in the run's files.
"""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

import pytest

from conformance import __version__
from conformance.catalog import Catalog
from conformance.checks import ConformanceFailure, ConformanceFailures, contract
from conformance.client import GLOBAL_REDACTOR, CleanupIncomplete, Exchange, Redactor
from conformance.config import Config
from conformance.profiles import Profile

from ._coverage import CoverageRecorder
from ._errors import has_own_message, tidy_error
from ._html import coverage_table, failure_details, requirement_table, settings_table
from ._junit import align_junit
from ._results import (
    EXIT_CODES,
    CaseOutcome,
    Status,
    build_results,
    roll_up,
    verdict_for,
    write_json,
)

#: Exchanges a test made, in order (filled by the suite's autouse fixture).
EXCHANGES_KEY = pytest.StashKey[list[Exchange]]()
#: The plugin instance, for the suite's fixtures.
PLUGIN_NAME = "vcenter-conformance-results"


def contract_version() -> str:
    versions = sorted(
        {str(doc.get("info", {}).get("version", "?")) for doc in contract().fragments.values()}
    )
    return ",".join(versions)


def requirement_ids(item: pytest.Item) -> list[str]:
    ids: list[str] = []
    for marker in item.iter_markers("requirement"):
        ids.extend(str(a) for a in marker.args)
    return list(dict.fromkeys(ids))


#: how the report header names the dialect a run judged (``run.api`` in results.json)
_DIALECT_NAMES = {
    "api": "api (/api, vCenter 7.0+)",
    "rest": "rest (legacy /rest/com/vmware, as vCenter 6.7)",
    "auto": "auto (not resolved: no login happened)",
}


class ConformancePlugin:
    """Collects outcomes during the run and writes the results at its end."""

    #: an xdist worker of a parallel run (set in ``__init__``; False for a serial run)
    worker = False

    def __init__(
        self,
        settings: Config,
        catalog: Catalog,
        redactor: Redactor = GLOBAL_REDACTOR,
        profile: Profile | None = None,
        *,
        mock_started: bool = False,
        worker: bool = False,
    ):
        self.settings = settings
        #: ``run`` started the bundled mock as the target (with a short session timeout)
        self.mock_started = mock_started
        #: an xdist worker of a parallel run: it classifies its tests and sends the
        #: outcomes with their reports; the controller writes the results
        self.worker = worker
        #: what the coverage recorder was told, for a worker to send to the controller
        self._coverage_log: list[tuple[str, str, str, int, list[str]]] = []
        self.catalog = catalog
        self.profile = profile
        self.redactor = redactor
        self.outcomes: dict[str, CaseOutcome] = {}
        self.started = datetime.now(UTC)
        self._t0 = time.monotonic()
        self.target_info: dict[str, Any] = {}
        self.results_path = settings.run_dir / "results.json"
        self.coverage = CoverageRecorder(contract())
        #: every exchange the suite's clients made, by id, until a test or setup claims it
        self._unattributed: dict[int, Exchange] = {}
        #: setup exceptions already reported, by id: (the exception, its tidy message)
        self._preconditions: dict[int, tuple[BaseException, str]] = {}
        #: requirements the selected tests cite (None until collection is over)
        self.selected: set[str] | None = None
        self._html_report: Any = None

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selected = {req for item in session.items for req in requirement_ids(item)}

    # -- classification ------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
        report = yield
        outcome = self.outcomes.get(item.nodeid)
        if outcome is None:
            requirements = requirement_ids(item)
            outcome = CaseOutcome(item.nodeid, item.name, requirements)
            self.outcomes[item.nodeid] = outcome
            for req in requirements:
                item.user_properties.append(("requirement", req))
        outcome.duration_s += report.duration
        if report.when == "call" or (report.when == "setup" and not report.passed):
            self._classify(outcome, call, report)
        elif report.when == "teardown" and report.failed and _cleanup_failed(call):
            # The run's cleanup, in the last test's teardown: an Error of the run.
            cleanup = CaseOutcome("(cleanup)", "cleanup", [], Status.ERROR)
            cleanup.message = self.redactor.redact(_exception_text(call))
            self.outcomes[cleanup.nodeid] = cleanup
            if self.worker:
                report.vcc_run_outcome = {**cleanup.to_dict(), "name": cleanup.name}
        elif report.when == "teardown" and report.failed and outcome.status is Status.PASS:
            outcome.status = Status.ERROR
            outcome.message = f"teardown: {_exception_text(call)}"
        report.vcc_requirements = outcome.requirements
        report.vcc_status = outcome.status.value  # plain data: xdist sends reports as such
        if self.worker:
            report.vcc_outcome = {**outcome.to_dict(), "name": outcome.name}
        # The failure block above shows a ConformanceFailure; its traceback adds nothing.
        report.vcc_tidy = report.when == "call" and _is_conformance_failure(call)
        if outcome.seed is None:
            outcome.seed = next((str(v) for k, v in item.user_properties if k == "seed"), None)
        if report.when == "teardown":
            # JUnit has no Error for a call that broke; the property says which it was.
            report.user_properties = [
                *report.user_properties,
                ("conformance_status", outcome.status.value),
            ]
            self.record_test_exchanges(item.stash.get(EXCHANGES_KEY, []), outcome.requirements)
        if report.when == "call" and outcome.failures:
            # imported lazily: only needed when there is a failure (and a worker of a
            # parallel run has not loaded pytest-html's plugin, which imports it)
            from pytest_html import extras as html_extras

            extras = list(getattr(report, "extras", []))
            extras.append(
                html_extras.html(
                    failure_details(
                        outcome.failures,
                        self.catalog,
                        seed=outcome.seed,
                        steps=[
                            f"{n}. {e.method} {e.url} -> {e.status}"
                            for n, e in enumerate(self._exchanges_of(item), 1)
                        ],
                    )
                )
            )
            report.extras = extras
        return report

    def record_run_error(self, message: str) -> None:
        """An Error of the run outside any test: the controller of a parallel run could
        not remove what it created (a worker's cleanup comes with its last test's report)."""
        outcome = CaseOutcome("(controller cleanup)", "cleanup", [], Status.ERROR)
        outcome.message = self.redactor.redact(message)
        self.outcomes[outcome.nodeid] = outcome

    # -- coverage --------------------------------------------------------------
    def observe_exchange(self, exchange: Exchange) -> None:
        """Every request the suite makes, in a test or not (the suite's clients call this)."""
        self._unattributed[id(exchange)] = exchange

    def record_test_exchanges(self, exchanges: list[Exchange], requirements: list[str]) -> None:
        for exchange in exchanges:
            self._unattributed.pop(id(exchange), None)
            self.coverage.record(exchange.method, exchange.url, exchange.status, requirements)
            if self.worker:
                self._coverage_log.append(
                    ("test", exchange.method, exchange.url, exchange.status, requirements)
                )

    def record_setup_exchanges(self) -> None:
        """Count what no test made (sandbox setup and cleanup, login), once."""
        for exchange in self._unattributed.values():
            self.coverage.record_setup(exchange.method, exchange.url, exchange.status)
            if self.worker:
                self._coverage_log.append(
                    ("setup", exchange.method, exchange.url, exchange.status, [])
                )
        self._unattributed.clear()

    # -- parallel runs (pytest-xdist) -------------------------------------------
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """On the controller of a parallel run: a worker's outcome, as it classified it."""
        if self.worker:
            return
        for name in ("vcc_outcome", "vcc_run_outcome"):  # the test's; the run's (cleanup)
            data = getattr(report, name, None)
            if isinstance(data, dict):
                self.outcomes[data["nodeid"]] = CaseOutcome(
                    nodeid=data["nodeid"],
                    name=data["name"],
                    requirements=list(data["requirements"]),
                    status=Status(data["status"]),
                    message=data["message"],
                    failures=list(data["failures"]),
                    not_judged=list(data["not_judged"]),
                    duration_s=float(data["duration_s"]),
                    seed=data["seed"],
                )

    def worker_output(self) -> dict[str, Any]:
        """What a worker sends the controller when it is done (plain data)."""
        self.record_setup_exchanges()
        return {
            "vcc_selected": sorted(self.selected or ()),
            "vcc_target_info": self.target_info,
            "vcc_coverage": [list(entry) for entry in self._coverage_log],
        }

    def absorb_worker_output(self, output: dict[str, Any]) -> None:
        """On the controller: a finished worker's selection, target and coverage."""
        self.selected = (self.selected or set()) | set(output.get("vcc_selected", ()))
        self.target_info = self.target_info or dict(output.get("vcc_target_info", {}))
        for kind, method, url, status, requirements in output.get("vcc_coverage", ()):
            if kind == "test":
                self.coverage.record(method, url, status, list(requirements))
            else:
                self.coverage.record_setup(method, url, status)

    @staticmethod
    def _exchanges_of(item: pytest.Item) -> list[Exchange]:
        return item.stash.get(EXCHANGES_KEY, [])

    def _classify(
        self, outcome: CaseOutcome, call: pytest.CallInfo[None], report: pytest.TestReport
    ) -> None:
        if report.passed:
            outcome.status = Status.PASS
            return
        if report.skipped:
            outcome.status = Status.SKIP
            longrepr = report.longrepr
            reason = str(longrepr[2]) if isinstance(longrepr, tuple) else str(longrepr)
            outcome.message = reason.removeprefix("Skipped: ")
            return
        exc = call.excinfo.value if call.excinfo is not None else None
        if isinstance(exc, ConformanceFailures):
            outcome.status = Status.FAIL
            outcome.failures = [f.to_dict() for f in exc.failures]
            if exc.stopped:
                outcome.not_judged = _not_judged(
                    outcome, exc.failures[-1].requirement_id, exc.judged
                )
        elif isinstance(exc, ConformanceFailure):
            outcome.status = Status.FAIL
            outcome.failures = [exc.to_dict()]
            outcome.not_judged = _not_judged(outcome, exc.requirement_id)
        elif isinstance(exc, AssertionError) and report.when == "call":
            # A Schemathesis check failure (or a bare assert): the target broke
            # what the test checks; attribute it to the test's requirements.
            outcome.status = Status.FAIL
            text = self.redactor.redact(str(exc))
            outcome.failures = [
                {
                    "requirement": req,
                    "kind": type(exc).__name__,
                    "title": "Check failed",
                    "message": text[:4000],
                    "expected": None,
                    "actual": None,
                    "exchange": None,
                    "curl": None,
                }
                for req in outcome.requirements
            ]
        else:
            outcome.status = Status.ERROR
            outcome.message = self.redactor.redact(self._error_message(call, report))
        if outcome.failures:
            outcome.message = "; ".join(
                f"[{f['requirement']}] {f['title']}" for f in outcome.failures
            )
            if not self.settings.strict and all(
                self._level(f["requirement"]) != "MUST" for f in outcome.failures
            ):
                outcome.status = Status.WARN

    def _level(self, requirement: str) -> str:
        return self.catalog.get(requirement).level if requirement in self.catalog else "MUST"

    def _error_message(self, call: pytest.CallInfo[None], report: pytest.TestReport) -> str:
        """One tidy line. A session fixture (login, sandbox) that failed is given in full
        once; pytest re-raises the same cached exception for every later test, and those
        say "precondition failed: <cause>" without the traceback again."""
        if call.excinfo is None:
            return ""
        exc = call.excinfo.value
        root = self._preconditions.get(id(exc)) if report.when == "setup" else None
        if root is not None:
            repeated = f"precondition failed: {root[1]}"
            report.longrepr = repeated
            return repeated
        message = _exception_text(call)
        if report.when == "setup":
            self._preconditions[id(exc)] = (exc, message)  # keeps exc alive: ids stay unique
        if has_own_message(exc):  # the client's own words, not requests' chained traceback
            exchange = getattr(exc, "exchange", None)
            transcript = f"\n{exchange.describe(1500)}" if isinstance(exchange, Exchange) else ""
            report.longrepr = self.redactor.redact(message + transcript)
        return message

    # -- HTML report ---------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        try:
            from pytest_metadata.plugin import metadata_key
        except ImportError:  # pragma: no cover - pytest-html depends on it
            return
        metadata = session.config.stash.get(metadata_key, None)
        if metadata is not None:
            metadata.clear()  # environment variables have no place in a shared report
            metadata.update(self.run_metadata())

    def run_metadata(self) -> dict[str, str]:
        return {
            "Target": self.settings.target or "bundled mock",
            "Run id": self.settings.run_id,
            "API dialect": _DIALECT_NAMES.get(self.settings.api, self.settings.api),
            "Suite version": __version__,
            "Contract version": contract_version(),
            "TLS verification": "off (--insecure)" if not self.settings.verify_tls else "on",
        }

    @pytest.hookimpl(optionalhook=True)  # pytest-html: loaded where the report is written
    def pytest_html_report_title(self, report: Any) -> None:
        report.title = f"vCenter conformance: {self.settings.target or 'bundled mock'}"
        self._html_report = report  # its title gets the verdict once the run is over

    @pytest.hookimpl(optionalhook=True)  # pytest-html: loaded where the report is written
    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(1, '<th class="sortable" data-column-type="requirement">Requirement</th>')
        cells.insert(2, "<th>Verdict</th>")

    @pytest.hookimpl(optionalhook=True)  # pytest-html: loaded where the report is written
    def pytest_html_results_table_row(self, report: Any, cells: list[str]) -> None:
        requirements = getattr(report, "vcc_requirements", [])
        status = getattr(report, "vcc_status", None)
        cells.insert(1, f'<td class="col-requirement">{", ".join(requirements)}</td>')
        cells.insert(2, f"<td>{str(status).upper() if status else ''}</td>")
        if status == Status.WARN and report.when == "call":
            # pytest saw a failed test; the suite calls a broken SHOULD a Warn.
            cells[0] = cells[0].replace(">Failed<", ">Warn (a SHOULD)<")

    @pytest.hookimpl(optionalhook=True)  # pytest-html: loaded where the report is written
    def pytest_html_results_table_html(self, report: Any, data: list[str]) -> None:
        """Skip rows show the reason, not a (path, line, reason) tuple; a conformance
        failure's traceback is not repeated under its failure block."""
        if report.skipped and isinstance(report.longrepr, tuple) and data:
            data[0] = escape(str(report.longrepr[2]).removeprefix("Skipped: ")) + "\n"
        elif getattr(report, "vcc_tidy", False) and data and report.longreprtext:
            data[0] = "The failure is described above (traceback omitted).\n"

    @pytest.hookimpl(optionalhook=True)  # pytest-html: loaded where the report is written
    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        outcomes = list(self.outcomes.values())
        results = roll_up(
            self.catalog,
            outcomes,
            self.profile,
            strict=self.settings.strict,
            selected=self.selected,
        )
        verdict = verdict_for(results, outcomes)
        self.record_setup_exchanges()  # pytest-html may render before our sessionfinish
        if self._html_report is not None:
            self._html_report.title = (
                f"{verdict.value}: vCenter conformance of {self.settings.redacted()['target']}"
            )
        tests = [o.status.value for o in outcomes]
        prefix.append(
            requirement_table(
                results,
                self.header_rows(),
                verdict=verdict,
                exit_code=EXIT_CODES[verdict],
                tests=tests,
            )
        )
        prefix.append(coverage_table(self.coverage.summary()))

    def header_rows(self) -> dict[str, str]:
        """The report header: what was tested, with what, when (values are HTML)."""
        info = self.target_info
        version = " ".join(v for v in (info.get("version"), info.get("build")) if v)
        settings = self.settings.redacted()
        rows = {
            "Target": f"the bundled mock, started for this run ({settings['target']})"
            if self.mock_started
            else settings["target"],
            "vCenter version": version or "not readable",
            "Suite version": __version__,
            "Contract (fragments) version": contract_version(),
            "Run id": self.settings.run_id,
            "Started": self.started.isoformat(timespec="seconds"),
            "Finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "TLS verification": "OFF (--insecure)" if not self.settings.verify_tls else "on",
            "Vendor profile": self.profile.name if self.profile else "none",
            "Session timeout": self.session_timeout_note(),
            "Strict": "yes: a broken SHOULD counts as a Fail"
            if self.settings.strict
            else "no: a broken SHOULD is a Warn",
        }
        html = {k: escape(v) for k, v in rows.items()}
        html["Settings"] = settings_table(
            {k: v for k, v in settings.items() if k not in ("target", "run_id")}
        )
        return html

    def session_timeout_note(self) -> str:
        timeout = f"{self.settings.expected_session_timeout:g} s"
        if self.settings.session_timeout is None:
            return f"{timeout} (vCenter's default; --session-timeout if the target differs)"
        if self.mock_started:
            return (
                f"{timeout}: the bundled mock was started with it, so that expiry is "
                "judged in seconds (vCenter's default is 300 s)"
            )
        return f"{timeout} (--session-timeout)"

    # -- results.json and the final sweep --------------------------------------
    def run_info(self) -> dict[str, Any]:
        return {
            "id": self.settings.run_id,
            "target": self.settings.target or "bundled mock",
            "target_info": self.target_info,
            "api": self.settings.api,
            "suite_version": __version__,
            "contract_version": contract_version(),
            "started": self.started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(time.monotonic() - self._t0, 2),
            "config": self.settings.redacted(),
            "profile": None
            if self.profile is None
            else {
                "name": self.profile.name,
                "deviations": [
                    {
                        "requirement": d.requirement,
                        "reason": d.reason,
                        "link": d.link,
                        "expires": d.expires.isoformat(),
                    }
                    for d in self.profile.deviations
                ],
            },
        }

    def results(self) -> dict[str, Any]:
        results = build_results(
            run=self.run_info(),
            catalog=self.catalog,
            outcomes=list(self.outcomes.values()),
            profile=self.profile,
            strict=self.settings.strict,
            selected=self.selected,
        )
        results["coverage"] = self.coverage.summary()
        return results

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.worker:
            session.config.workeroutput.update(self.worker_output())  # type: ignore[attr-defined]
            return
        self.record_setup_exchanges()
        write_json(self.results_path, self.results())

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.worker:
            return  # the controller writes and cleans the run's files
        junit = getattr(config.option, "xmlpath", None)
        if junit:
            align_junit(Path(junit))
        redact_tree(self.settings.run_dir, self.redactor)


class HtmlReportOptions:
    """pytest-html's options for ``run``, given here rather than on the command line.

    ``run`` registers pytest-html and pytest-metadata in its own process only. A worker of
    ``run -n`` writes no report: loaded there, they cost each worker about 25 ms of CPU
    while the workers start together on a few cores, and pytest-metadata sent each
    worker's environment (CI variables among them) back into the report's metadata, which
    the report must not show. On the command line, the options would reach the workers,
    which do not know them.
    """

    def __init__(self, report: Path) -> None:
        self.report = report

    @pytest.hookimpl(tryfirst=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        config.option.htmlpath = str(self.report)
        config.option.self_contained_html = True

    @pytest.hookimpl(tryfirst=True, optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-metadata merges each worker's metadata in here: a worker without it has
        none to give (and no environment is merged)."""
        output = getattr(node, "workeroutput", None)
        if isinstance(output, dict):
            output.setdefault("metadata", {})


class ParallelRun:
    """The controller's side of ``run -n N``: settings out to each worker, results back.

    Registered only when xdist runs (its hooks are optional), beside the plugin.
    """

    def __init__(self, plugin: ConformancePlugin) -> None:
        self.plugin = plugin

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        node.workerinput["vcc_settings"] = settings_to_wire(self.plugin.settings)
        node.workerinput["vcc_mock_started"] = self.plugin.mock_started
        # the run's start: a worker's share of the run deadline counts from it
        node.workerinput["vcc_run_started"] = self.plugin.started.isoformat()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        self.plugin.absorb_worker_output(getattr(node, "workeroutput", {}) or {})


def settings_to_wire(settings: Config) -> dict[str, Any]:
    """The settings as plain data for a worker (password included: it is the run's own)."""
    data: dict[str, Any] = {}
    for f in dataclasses.fields(settings):
        value = getattr(settings, f.name)
        data[f.name] = (
            str(value)
            if isinstance(value, Path)
            else list(value)
            if isinstance(value, tuple)
            else value
        )
    return data


def settings_from_wire(data: dict[str, Any]) -> Config:
    values = dict(data)
    for name in ("reports_dir", "ca_bundle"):
        if values.get(name) is not None:
            values[name] = Path(values[name])
    values["requirements"] = tuple(values.get("requirements") or ())
    return Config(**values)


def _not_judged(
    outcome: CaseOutcome, failed_requirement: str, judged: frozenset[str] = frozenset()
) -> list[str]:
    """The cited requirements the stopped test never got to: not the one that failed, and
    not those whose checks had all passed before it stopped."""
    return [r for r in outcome.requirements if r != failed_requirement and r not in judged]


def _is_conformance_failure(call: pytest.CallInfo[None]) -> bool:
    return call.excinfo is not None and isinstance(
        call.excinfo.value, (ConformanceFailure, ConformanceFailures)
    )


def _cleanup_failed(call: pytest.CallInfo[None]) -> bool:
    return call.excinfo is not None and isinstance(call.excinfo.value, CleanupIncomplete)


def _exception_text(call: pytest.CallInfo[None]) -> str:
    return tidy_error(call.excinfo.value) if call.excinfo is not None else ""


def redact_tree(directory: Path, redactor: Redactor) -> list[Path]:
    """Blank every registered secret in the text files under ``directory``."""
    changed: list[Path] = []
    if not directory.is_dir():
        return changed
    for path in directory.rglob("*"):
        if not path.is_file() or path.suffix not in (".html", ".xml", ".json", ".txt", ".log"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        clean = redactor.redact(text)
        if clean != text:
            path.write_text(clean, encoding="utf-8")
            changed.append(path)
    return changed
