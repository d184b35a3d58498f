"""Run results: statuses, roll-up by requirement, results.json and the HTML report."""

from ._results import (
    RESULTS_SCHEMA_VERSION,
    CaseOutcome,
    RequirementResult,
    Status,
    Verdict,
    build_results,
    exit_code_for,
    read_results,
    roll_up,
    verdict_for,
)

__all__ = [
    "RESULTS_SCHEMA_VERSION",
    "CaseOutcome",
    "RequirementResult",
    "Status",
    "Verdict",
    "build_results",
    "exit_code_for",
    "read_results",
    "roll_up",
    "verdict_for",
]
