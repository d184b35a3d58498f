"""The property tests' own checks, beside Schemathesis' (``_properties_policy.JUDGED`` says why).

* :func:`documented_or_standard_response` runs Schemathesis'
  ``response_schema_conformance`` and lets an error answer pass that the fragment does
  not type when it is a standard vAPI error whose standard status is the answer's.
* :func:`documented_status` runs Schemathesis' ``status_code_conformance`` and lets a
  400 standard vAPI error pass for a request naming an id the target never gave (a
  server may find a generated id malformed rather than unknown).
* :func:`sandbox_object_found` fails a 404 for a session or item the sandbox made and
  nothing deleted.
* :func:`deleted_session_gone` (stateful test) fails a session that a delete removed
  and that still answers as if it existed.
"""

from __future__ import annotations

from typing import Any

from schemathesis import CheckFunction, Response

from conformance.checks import ConformanceFailure, check_error_body, check_standard_error
from conformance.client import Exchange

from ._properties_shaping import MAY_BE_MISSING, UNKNOWN_NAME_IS_404, CaseShaper
from ._schemathesis_compat import (
    AnyCase,
    Failure,
    FailureGroup,
    operation_id_of,
    response_schema_conformance,
    status_code_conformance,
)

#: The requirement a standard error is judged under when the suite asks (never reported:
#: a mismatch there only means "not a standard error", and the schema failure stands).
_STANDARD_ERROR_PROBE = "PROP-CONTRACT"


def documented_or_standard_response(ctx: Any, response: Response, case: AnyCase) -> bool | None:
    """``response_schema_conformance``, but a standard vAPI error the fragment does not list
    passes when its standard status is the response's (e.g. 400 INVALID_REQUEST)."""
    try:
        return response_schema_conformance(ctx, response, case)
    except (Failure, FailureGroup):
        if is_standard_error(response, case):
            return None
        raise


def is_standard_error(response: Response, case: AnyCase) -> bool:
    """Whether ``response`` is a vAPI standard error whose standard status is its status."""
    if response.status_code < 400:
        return False
    exchange = _exchange(response, case)
    try:
        check_error_body(exchange)
        check_standard_error(exchange, _STANDARD_ERROR_PROBE, case.operation.label)
    except ConformanceFailure:
        return False
    return isinstance(exchange.json, dict) and isinstance(exchange.json.get("error_type"), str)


def _exchange(response: Response, case: AnyCase) -> Exchange:
    request = response.request
    return Exchange(
        method=case.method.upper(),
        url=str(getattr(request, "url", case.formatted_path)),
        request_headers={},
        request_body=None,
        status=response.status_code,
        response_headers={name: ", ".join(values) for name, values in response.headers.items()},
        response_text=response.content.decode("utf-8", errors="replace"),
        elapsed_ms=response.elapsed * 1000,
    )


class SandboxObjectNotFound(Failure):
    """404 for a session or item the sandbox made and nothing deleted."""

    code = "ST901"
    kind_title = "Sandbox object not found"


def sandbox_object_found(shaper: CaseShaper) -> CheckFunction:
    """The check ``sandbox_object_found`` over ``shaper``'s knowledge of what exists."""

    def sandbox_object_found(ctx: Any, response: Response, case: AnyCase) -> bool | None:
        if response.status_code != 404 or case.method.upper() != case.operation.method.upper():
            return None
        sent = shaper.sent(case)
        if sent is None or not sent.live or operation_id_of(case.operation) in MAY_BE_MISSING:
            return None
        also_names = operation_id_of(case.operation) in UNKNOWN_NAME_IS_404
        if also_names and not sent.name_known:
            return None  # 404 also documents a name the item does not hold
        raise SandboxObjectNotFound(
            operation=case.operation.label,
            message=(
                f"Got 404 for {', '.join(sent.live)}, which the sandbox made and nothing "
                "deleted"
                + (", and which holds the file named" if also_names else "")
                + ". The fragment documents 404 only for "
                + (
                    "an id or a file name that does not exist."
                    if also_names
                    else "an id that does not exist."
                )
            ),
        )

    return sandbox_object_found


class DeletedSessionFound(Failure):
    """A session a delete removed still answers as if it existed."""

    code = "ST902"
    kind_title = "Deleted session still exists"


def deleted_session_gone(shaper: CaseShaper) -> CheckFunction:
    """The check ``deleted_session_gone``: after a delete of a session answered 2xx, the
    session's operations (another delete too) answer 404, not 2xx and not a state error.

    Schemathesis' ``use_after_free`` judges only reads of the deleted path (GET, PATCH),
    not the ``?action=`` POSTs or a second DELETE, which is most of what a sequence
    sends after a delete. A 400 of another type (e.g. INVALID_ARGUMENT for the body) is
    not judged: which fault a server reports first is not documented.
    """

    def deleted_session_gone(ctx: Any, response: Response, case: AnyCase) -> bool | None:
        sent = shaper.sent(case)
        if sent is None or not sent.deleted:
            return None
        error_type = None
        if response.status_code == 400:
            body = _exchange(response, case).json
            error_type = body.get("error_type") if isinstance(body, dict) else None
        if 200 <= response.status_code < 300 or error_type == "NOT_ALLOWED_IN_CURRENT_STATE":
            raise DeletedSessionFound(
                operation=case.operation.label,
                message=(
                    f"Got {response.status_code}"
                    + (f" {error_type}" if error_type else "")
                    + f" for {', '.join(sent.deleted)}, which an earlier delete removed "
                    '(answered 2xx). "This removes the session and all information '
                    'associated with it"; the operations document 404 "if the update session '
                    'does not exist".'
                ),
            )
        return None

    return deleted_session_gone


def documented_status(shaper: CaseShaper) -> CheckFunction:
    """The check ``documented_status``: ``status_code_conformance``, but a request naming an
    id the target never gave may also be answered 400 with a standard vAPI error."""

    def documented_status(ctx: Any, response: Response, case: AnyCase) -> bool | None:
        try:
            return status_code_conformance(ctx, response, case)
        except (Failure, FailureGroup):
            sent = shaper.sent(case)
            if (
                sent is not None
                and sent.foreign
                and response.status_code == 400
                and is_standard_error(response, case)
            ):
                return None
            raise

    return documented_status


def additional_checks(shaper: CaseShaper, *, stateful: bool = False) -> list[CheckFunction]:
    """The checks the suite adds to Schemathesis' enabled ones."""
    checks = [
        documented_or_standard_response,
        documented_status(shaper),
        sandbox_object_found(shaper),
    ]
    if stateful:
        checks.append(deleted_session_gone(shaper))
    return checks
