"""Target date-times: one reader that never crashes, and a format fault reported where it belongs.

A target that sends ``expiration_time`` without a time zone once made two
requirements end as Error with ``TypeError: can't subtract offset-naive and
offset-aware datetimes`` (issue 13, item 3): the suite broke, and the target's
real fault was buried.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from suite_runner import PASSWORD, USER, run_suite

from conformance.checks import (
    ConformanceFailure,
    NotJudged,
    check_datetime,
    instant,
    is_later,
    is_rfc3339,
    read_datetime,
    read_http_date,
)
from conformance.mock import MockServer, MockSettings

FIELD, REQ = "expiration_time", "US-KEEPALIVE-EXTENDS"
NOON = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)

#: The forms contract §7.3 says the official bindings reject, and what each one names.
NOT_RFC3339 = {
    "no time zone": ("2026-12-06T12:00:00.000", NOON.replace(tzinfo=None)),
    "a space instead of T": ("2026-12-06 12:00:00Z", NOON),
    "epoch seconds": (1796558400, NOON),
    "epoch milliseconds": (1796558400000, NOON),
    "epoch seconds as text": ("1796558400", NOON),
}


def test_a_leap_second_is_rfc3339() -> None:
    assert is_rfc3339("2016-12-31T23:59:60Z")


@pytest.mark.parametrize(
    "value",
    ["2026-12-06T12:00:00Z", "2026-12-06T12:00:00.123456789Z", "2026-12-06T13:00:00+01:00"],
)
def test_rfc3339_date_times_pass_and_read_as_instants(value: str) -> None:
    assert is_rfc3339(value)
    check_datetime(value, FIELD)
    assert instant(value, FIELD, REQ).replace(microsecond=0) == NOON


@pytest.mark.parametrize("form", list(NOT_RFC3339))
def test_the_forms_the_bindings_reject_fail_the_format_but_still_read(form: str) -> None:
    value, named = NOT_RFC3339[form]
    assert not is_rfc3339(value)
    with pytest.raises(ConformanceFailure) as failed:
        check_datetime(value, FIELD)
    assert failed.value.requirement_id == "WIRE-DATETIME-FORMAT"
    assert read_datetime(value) == named


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        "",
        "tomorrow",
        "2026-13-45T00:00:00Z",
        "\u0968\u0966\u0968\u096c-12-06T12:00:00Z",  # Devanagari digits: \d matches them
        float("nan"),
        10**30,
        ["2026-12-06T12:00:00Z"],
    ],
)
def test_unreadable_values_read_as_nothing_and_are_not_rfc3339(value: object) -> None:
    assert not is_rfc3339(value)
    assert read_datetime(value) is None


def test_surrounding_white_space_is_read_but_is_not_rfc3339() -> None:
    assert not is_rfc3339("2026-12-06T12:00:00Z\n")
    assert read_datetime(" 2026-12-06T12:00:00Z\n") == NOON


def test_a_zone_less_time_has_no_instant_and_the_reason_names_the_format_requirement() -> None:
    with pytest.raises(NotJudged, match=r"US-EXPIRATION-DEFAULT not judged.*WIRE-DATETIME-FORMAT"):
        instant("2026-12-06T12:00:00", FIELD, "US-EXPIRATION-DEFAULT")
    with pytest.raises(NotJudged, match="has no expiration_time"):
        instant(None, FIELD, "US-EXPIRATION-DEFAULT")
    assert instant(1796558400, FIELD, "US-EXPIRATION-DEFAULT") == NOON


def test_two_zone_less_times_of_one_target_still_compare() -> None:
    assert is_later("2026-12-06T12:00:05", "2026-12-06T12:00:00", FIELD, REQ)
    assert not is_later("2026-12-06T12:00:00", "2026-12-06T12:00:00", FIELD, REQ)
    assert is_later(1796558405, "2026-12-06T12:00:00Z", FIELD, REQ)


@pytest.mark.parametrize(
    ("after", "before"),
    [("2026-12-06T12:00:05", "2026-12-06T12:00:00Z"), ("soon", "2026-12-06T12:00:00Z")],
)
def test_times_that_cannot_be_compared_are_not_judged_never_a_type_error(
    after: str, before: str
) -> None:
    with pytest.raises(NotJudged, match=rf"{REQ} not judged.*WIRE-DATETIME-FORMAT fails"):
        is_later(after, before, FIELD, REQ)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Sun, 06 Dec 2026 12:00:00 GMT", NOON),
        ("Sun, 06 Dec 2026 12:00:00 -0000", NOON),  # naive from the stdlib: GMT all the same
        ("Sun, 06 Dec 2026 13:00:00 +0100", NOON),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_http_dates_read_as_instants(header: str | None, expected: datetime | None) -> None:
    assert read_http_date(header) == expected


@pytest.mark.slow
def test_a_target_without_time_zones_fails_only_the_format_requirement(tmp_path: Path) -> None:
    settings = MockSettings(user=USER, password=PASSWORD, flaws=frozenset({"datetime-no-timezone"}))
    with MockServer(settings) as server:
        run = run_suite(tmp_path, "--no-property-tests", target=server.url)
    assert run.returncode == 1, run.explain()
    text = (run.run_dir / "results.json").read_text()
    assert "TypeError" not in text
    statuses = run.statuses()
    assert {req for req, status in statuses.items() if status == "fail"} == {"WIRE-DATETIME-FORMAT"}
    errors = {req for req, status in statuses.items() if status == "error"}
    assert errors <= {"US-EXPIRATION-DEFAULT", "US-EXPIRY-DELETES"}, statuses
    for test in run.results["tests"]:
        if test["status"] == "error":
            assert "not judged" in test["message"], test
            assert "WIRE-DATETIME-FORMAT" in test["message"], test
    # Two zone-less readings of one target still compare: keep-alive is judged.
    assert statuses["US-KEEPALIVE-EXTENDS"] == "pass"
    assert statuses["DS-KEEPALIVE-EXTENDS"] == "pass"
