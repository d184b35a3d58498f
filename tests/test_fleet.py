"""``fleet`` and ``merge``: many targets' runs, one summary with the worst verdict."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from suite_runner import PASSWORD, PASSWORD_VAR, USER

from conformance.config import ConfigError
from conformance.fleet import FleetOptions, FleetTarget, load_fleet, run_fleet
from conformance.mock import MockServer, MockSettings
from conformance.reporting.fleet import FleetRun, FleetSummary, load_run, render_text

FLAW = "complete-keeps-active"
FLAW_BREAKS = "US-COMPLETE-DONE"
#: the tests that judge FLAW, and the logout: short, and no expiry wait
SELECTION = "complete_then_delete or logout"


# -- the fleet file ------------------------------------------------------------
def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "fleet.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_fleet_file_becomes_one_run_command_per_target(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [defaults]
        user = "auditor@vsphere.local"
        timeout = 10
        [[target]]
        name = "vc-01"
        url = "https://vc01.example.com"
        password_env = "VC01_PW"
        insecure = true
        [[target]]
        name = "mock"
        requirements = ["US-DELETE-ACTIVE-400"]
        """,
    )
    vc01, mock = load_fleet(path, env={"VC01_PW": "s3cret"})
    assert vc01.url == "https://vc01.example.com"
    assert vc01.arguments[:6] == (
        "--target",
        "https://vc01.example.com",
        "--user",
        "auditor@vsphere.local",
        "--password-env",
        "VC01_PW",
    )
    assert "--insecure" in vc01.arguments
    assert vc01.arguments[-2:] == ("--timeout", "10.0")
    assert "s3cret" not in " ".join(vc01.arguments)
    assert mock.url is None and "--target" not in mock.arguments
    assert mock.arguments[-2:] == ("--requirement", "US-DELETE-ACTIVE-400")


@pytest.mark.parametrize(
    ("text", "env", "names"),
    [
        ('[[target]]\nname = "a"\nurl = "https://a"\npassword = "x"\n', {}, "target 'a': password"),
        (
            '[[target]]\nname = "a"\nurl = "https://a"\npassword_env = "NOPE"\n',
            {},
            "target 'a': password_env: the environment variable NOPE is not set",
        ),
        ('[[target]]\nname = "a"\nurl = "https://a"\n', {}, "target 'a': password_env"),
        (
            '[[target]]\nname = "a"\nurl = "ftp://a"\npassword_env = "P"\n',
            {"P": "x"},
            "target 'a': url: 'ftp://a' is not an http(s) URL. Give the vCenter base URL",
        ),
        ('[[target]]\nname = "a b"\n', {}, "target 'a b': name: 'a b' is not a run id"),
        ('[[target]]\nname = "a"\ncolour = "red"\n', {}, "target 'a': colour: unknown key"),
        ('[[target]]\nname = "a"\n[[target]]\nname = "a"\n', {}, "name: is used twice"),
        ("[defaults]\nuser = 'x'\n", {}, "target: no [[target]] table"),
        ('[[target]]\nurl = "https://a"\n', {}, "target 1: name: is missing"),
    ],
)
def test_a_bad_fleet_file_names_the_target_the_key_and_the_fix(
    tmp_path: Path, text: str, env: dict[str, str], names: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load_fleet(write(tmp_path, text), env=env)
    assert names in str(raised.value)


def test_a_password_in_the_fleet_file_is_refused_without_echoing_it(tmp_path: Path) -> None:
    path = write(tmp_path, '[[target]]\nname = "a"\nurl = "https://a"\npassword = "hunter2"\n')
    with pytest.raises(ConfigError) as raised:
        load_fleet(path, env={})
    assert "hunter2" not in str(raised.value)
    assert "password_env" in str(raised.value)


def test_the_readme_example_fleet_file_loads(tmp_path: Path) -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    example = readme.split("```toml\n# fleet.toml\n", 1)[1].split("```", 1)[0]
    ca = tmp_path / "corp-ca.pem"
    ca.write_text("not read here\n", encoding="utf-8")
    example = example.replace("/etc/vcenter-conformance/corp-ca.pem", str(ca))
    env = {"VC_PROD_EU_PASSWORD": "a", "VC_LAB_PASSWORD": "b"}
    prod, lab = load_fleet(write(tmp_path, example), env=env)
    assert ("--ca-bundle", str(ca)) == prod.arguments[6:8]
    assert "--insecure" in lab.arguments and "--ca-bundle" not in lab.arguments


# -- the summary ---------------------------------------------------------------
def results(run_id: str, verdict: str, **statuses: str) -> dict[str, Any]:
    code = {"PASS": 0, "FAIL": 1, "INCOMPLETE": 3}[verdict]
    return {
        "schema_version": 1,
        "run": {"id": run_id, "target": f"https://{run_id}"},
        "verdict": verdict,
        "exit_code": code,
        "verdict_line": f"{verdict} (exit {code}): ...",
        "requirements": [
            {"id": rid.replace("_", "-"), "level": "MUST", "title": rid, "status": status}
            for rid, status in statuses.items()
        ],
    }


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        (["PASS", "PASS"], ("PASS", 0)),
        (["PASS", "INCOMPLETE"], ("INCOMPLETE", 3)),
        (["INCOMPLETE", "FAIL", "PASS"], ("FAIL", 1)),
        (["PASS", None], ("INCOMPLETE", 3)),
    ],
)
def test_the_fleet_takes_the_worst_verdict_and_a_run_without_results_is_incomplete(
    verdicts: list[str | None], expected: tuple[str, int]
) -> None:
    runs = [
        FleetRun(f"vc{i}", "", results(f"vc{i}", v, A_1="pass") if v else None, "crashed")
        for i, v in enumerate(verdicts)
    ]
    summary = FleetSummary(runs)
    assert (summary.verdict.value, summary.exit_code) == expected


def test_the_matrix_has_every_requirement_of_any_run_and_the_console_names_failures() -> None:
    summary = FleetSummary(
        [
            FleetRun("vc1", "", results("vc1", "PASS", A_1="pass", A_2="pass")),
            FleetRun("vc2", "", results("vc2", "FAIL", A_1="fail", B_1="pass")),
            FleetRun("vc3", "", results("vc3", "PASS", A_2="known_deviation", B_1="pass")),
        ]
    )
    matrix = {r["id"]: r["statuses"] for r in summary.requirements()}
    assert matrix == {
        "A-1": {"vc1": "pass", "vc2": "fail", "vc3": "not_run"},
        "A-2": {"vc1": "pass", "vc2": "not_run", "vc3": "known_deviation"},
        "B-1": {"vc1": "not_run", "vc2": "pass", "vc3": "pass"},
    }
    text = render_text(summary)
    assert text.startswith("FLEET FAIL (exit 1): 3 targets: 1 FAIL, 2 PASS")
    # only what does not pass somewhere: a failure, and a known deviation shown as one
    assert "A-1" in text and "A-2" in text and "B-1" not in text
    assert "KNOWN DEVIATION" in text


def test_a_directory_without_results_is_an_incomplete_run_not_a_crash(tmp_path: Path) -> None:
    run = load_run(tmp_path / "missing")
    assert run.results is None and run.verdict.value == "INCOMPLETE"
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "results.json").write_text("{not json", encoding="utf-8")
    assert load_run(tmp_path / "broken").exit_code == 3


# -- end to end: two bundled mocks, a flawed twin, an unreachable vCenter ------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, PASSWORD_VAR: PASSWORD}
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=cwd,
        check=False,
    )


@pytest.fixture(scope="module")
def fleet_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    tmp = tmp_path_factory.mktemp("fleet")
    flawed = MockSettings(user=USER, password=PASSWORD, flaws=frozenset({FLAW}))
    with MockServer(flawed) as server:
        fleet_file = tmp / "fleet.toml"
        fleet_file.write_text(
            f"""
            [[target]]
            name = "mock-a"
            [[target]]
            name = "mock-b"
            [[target]]
            name = "flawed"
            url = "{server.url}"
            user = "{USER}"
            password_env = "{PASSWORD_VAR}"
            [[target]]
            name = "unreachable"
            url = "http://127.0.0.1:{free_port()}"
            password_env = "{PASSWORD_VAR}"
            timeout = 5
            """,
            encoding="utf-8",
        )
        proc = cli(
            "fleet",
            str(fleet_file),
            "--jobs",
            "2",
            "--reports-dir",
            str(tmp / "reports"),
            "--fleet-id",
            "f1",
            "--no-property-tests",
            "-k",
            SELECTION,
            cwd=tmp,
        )
    return proc, tmp / "reports" / "f1"


def summary_of(directory: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((directory / "fleet.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.slow
def test_fleet_fails_on_the_flawed_twin_only_and_the_unreachable_one_is_incomplete(
    fleet_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    proc, directory = fleet_run
    assert proc.returncode == 1, proc.stdout + proc.stderr
    summary = summary_of(directory)
    verdicts = {t["name"]: t["verdict"] for t in summary["targets"]}
    assert verdicts == {
        "mock-a": "PASS",
        "mock-b": "PASS",
        "flawed": "FAIL",
        "unreachable": "INCOMPLETE",
    }
    failing = {
        (req["id"], name)
        for req in summary["requirements"]
        for name, status in req["statuses"].items()
        if status == "fail"
    }
    assert failing == {(FLAW_BREAKS, "flawed")}
    assert (
        "cannot reach" in next(t for t in summary["targets"] if t["name"] == "unreachable")["error"]
    )
    for name in verdicts:
        assert (directory / name / "results.json").is_file()
        assert (directory / name / "report.html").is_file() or name == "unreachable"
    assert f"{FLAW_BREAKS}" in proc.stdout and "FLEET FAIL (exit 1)" in proc.stdout
    html = (directory / "fleet.html").read_text(encoding="utf-8")
    assert FLAW_BREAKS in html and "src=" not in html and "<link" not in html  # self-contained


@pytest.mark.slow
def test_merge_of_the_run_directories_gives_the_same_summary(
    fleet_run: tuple[subprocess.CompletedProcess[str], Path], tmp_path: Path
) -> None:
    _, directory = fleet_run
    names = ["mock-a", "mock-b", "flawed", "unreachable"]
    proc = cli("merge", *(str(directory / n) for n in names), "-o", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    merged, fleet = summary_of(tmp_path), summary_of(directory)
    for key in ("verdict", "exit_code", "verdict_line", "requirements"):
        assert merged[key] == fleet[key], key
    assert [t["verdict"] for t in merged["targets"]] == [t["verdict"] for t in fleet["targets"]]


@pytest.mark.slow
def test_no_secret_reaches_the_fleet_files(
    fleet_run: tuple[subprocess.CompletedProcess[str], Path],
) -> None:
    proc, directory = fleet_run
    written = [p for p in directory.rglob("*") if p.is_file()]
    assert any(p.name == "fleet.json" for p in written)
    for path in written:
        assert PASSWORD not in path.read_text(encoding="utf-8", errors="replace"), path
    assert PASSWORD not in proc.stdout + proc.stderr


def test_merge_refuses_two_runs_of_one_run_id(tmp_path: Path) -> None:
    for parent in ("a", "b"):
        (tmp_path / parent / "vc").mkdir(parents=True)
        (tmp_path / parent / "vc" / "results.json").write_text(
            json.dumps(results("vc", "PASS", A_1="pass")), encoding="utf-8"
        )
    proc = cli("merge", str(tmp_path / "a" / "vc"), str(tmp_path / "b" / "vc"), cwd=tmp_path)
    assert proc.returncode == 2 and "given twice" in proc.stderr


def test_a_run_that_crashes_is_incomplete_and_the_others_still_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crashed one exits 70 and leaves a results.json saying PASS: it is not trusted."""
    script = (
        "import json, pathlib, sys\n"
        "name = sys.argv[1]\n"
        "d = pathlib.Path(sys.argv[2]) / name\n"
        "d.mkdir(parents=True)\n"
        "(d / 'results.json').write_text(json.dumps({'schema_version': 1, 'run': {'id': name},"
        " 'verdict': 'PASS', 'exit_code': 0, 'requirements': []}))\n"
        "sys.exit(70 if name == 'crashes' else 0)\n"
    )

    def command(target: FleetTarget, options: FleetOptions) -> list[str]:
        return [sys.executable, "-c", script, target.name, str(options.directory)]

    monkeypatch.setattr("conformance.fleet.run_command", command)
    targets = [FleetTarget("fine", None), FleetTarget("crashes", None)]
    summary = run_fleet(targets, FleetOptions(directory=tmp_path / "f", jobs=2))
    assert [(r.name, r.verdict.value) for r in summary.runs] == [
        ("fine", "PASS"),
        ("crashes", "INCOMPLETE"),
    ]
    assert "exited 70" in summary.runs[1].error
    assert summary.exit_code == 3
