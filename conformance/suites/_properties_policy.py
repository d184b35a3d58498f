"""What the property tests judge, and the sentence of the sources behind each judgement.

Schemathesis 4.32.5 ships checks that encode general HTTP guesses; the suite keeps
only those a sentence of the sources (the seed pages, contract.md, the published
spec as written into ``schemas/``) makes a rule for the target, and narrows some.
:data:`JUDGED` names, for each check left on, the sentence it enforces (the
PROP-CONTRACT and PROP-STATEFUL entries of the catalog quote them);
:data:`NOT_JUDGED` says why each other check is off. A test asserts that every
check Schemathesis runs is in one or the other.

Inputs, and what a target may do with them (:class:`InputJudgement`, decided per
request by ``_properties_shaping.judge_input``):

* **must accept**: a request valid for the fragment, with no property the fragment
  does not name (the request bodies are generated with ``additionalProperties:
  false``). ``positive_data_acceptance`` judges it, allowing the statuses the state
  of the session decides (:data:`STATE_DECIDES`).
* **must refuse**: a request the sources say is refused: a value of the wrong JSON
  type, a missing required field, a value outside a documented enum.
  ``negative_data_rejection`` judges it.
* **open**: a request whose only fault is one the sources do not make a refusal: an
  unknown property (real vCenters answer 400 INVALID_ARGUMENT
  ``com.vmware.vapi.rest.unsupportedProperty``; vAPI also has UNEXPECTED_INPUT;
  another server ignores it) or a ``client_token`` that is not a UUID (the docs say
  it "should be" one). Sent, and judged by every check but those two: accepted or
  refused, the answer must be documented.
* **not sent**: a body value outside an undocumented range or format (keep-alive
  progress 101, a negative file size), or an empty file name (USF-ADD-EMPTY-NAME-400
  judges that, as a SHOULD: no source says that add refuses it). No sentence makes
  the target refuse it; a target that accepts it stores it and then, rightly,
  answers gets and lists with a value outside the fragment's response schema.

Every create carries a fresh ``client_token`` (or none): a repeated token returns
the earlier id by idempotency (contract.md §10 item 14), which is no acceptance of
an invalid request.

Forward-compatible answers never fail: ``response_schema_conformance`` is wrapped
(:func:`~conformance.suites._properties.documented_or_standard_response`) so that an
error answer whose ``error_type`` the fragment does not list passes when it is a
standard vAPI error whose standard status is the response's (``conformance.checks.
standard_error_types``); the response schemas allow unknown properties (none says
``additionalProperties: false``); ``content_type_conformance`` compares type and
subtype only (``application/json; charset=utf-8`` passes); ``format: date-time``
is RFC 3339 (any zone, with or without fractions).

A 502, 503 or 504 (after the client's two retries) or a connection failure during a
property test makes it an Error ("target unavailable"), never a Fail.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from schemathesis.config import SchemathesisConfig

from conformance.checks import contract
from conformance.config import Config

#: Every run generates the same requests for the same ``max_examples``.
SEED = 96534510

UPDATE_FRAGMENT = "update-session.openapi.yaml"
DOWNLOAD_FRAGMENT = "download-session.openapi.yaml"
SESSION_FRAGMENT = "session.openapi.yaml"
UPDATE_FILE_FRAGMENT = "update-session-file.openapi.yaml"
DOWNLOAD_FILE_FRAGMENT = "download-session-file.openapi.yaml"
ITEM_FILE_FRAGMENT = "item-file.openapi.yaml"
FILE_FRAGMENTS = (UPDATE_FILE_FRAGMENT, DOWNLOAD_FILE_FRAGMENT, ITEM_FILE_FRAGMENT)
#: The contract test covers these fragments, but neither login (Basic auth; it
#: mints tokens) nor logout (it would end the suite's own API session).
CONTRACT_FRAGMENTS = (UPDATE_FRAGMENT, DOWNLOAD_FRAGMENT, SESSION_FRAGMENT, *FILE_FRAGMENTS)
EXCLUDED_OPERATIONS = frozenset({"session_create", "session_delete"})
#: The stateful test walks these fragments, each scenario starting with one of the
#: operations named here (the item-file fragment has no links).
ROOT_OPERATIONS: dict[str, tuple[str, ...]] = {
    UPDATE_FRAGMENT: ("update_session_create",),
    DOWNLOAD_FRAGMENT: ("download_session_create",),
    UPDATE_FILE_FRAGMENT: ("update_session_file_add", "update_session_file_add_action"),
    DOWNLOAD_FILE_FRAGMENT: ("download_session_file_prepare",),
}
WORKFLOW_FRAGMENTS = tuple(ROOT_OPERATIONS)

#: The suite's own checks and the wrapper of ``response_schema_conformance``, by the
#: names Schemathesis reports.
SANDBOX_OBJECT_FOUND = "sandbox_object_found"
DOCUMENTED_STATUS = "documented_status"
DELETED_SESSION_GONE = "deleted_session_gone"
DOCUMENTED_OR_STANDARD_RESPONSE = "documented_or_standard_response"


@dataclass(frozen=True)
class Judged:
    """A check the property tests run: the sentence it enforces, where it is from, how narrowed."""

    sentence: str
    source: str
    narrowed: str = ""
    #: Judged in the stateful test only (it needs the earlier steps of a sequence).
    stateful_only: bool = False


#: Every check the property tests run -> the sentence of the sources it enforces.
JUDGED: dict[str, Judged] = {
    "not_a_server_error": Judged(
        'Each operation lists its responses ("204 Success!", "400 if the update session '
        'is in the ... ACTIVE state", "404 if the update session does not exist"); '
        "no operation lists a 5xx but the create's ResourceBusy 500.",
        "seeds/000_c032353c98a108a2.txt; contract.md §3, §6.3",
        "500 is allowed on update_session_create (ResourceBusy, the published spec's status).",
    ),
    DOCUMENTED_STATUS: Judged(
        '"Statuses: 201 for create and file add, 200 for get/list/validate/prepare, 204 for '
        'void operations"; the errors each operation lists, with their statuses.',
        "contract.md §3, §10 item 3; seeds/000_c032353c98a108a2.txt",
        "Replaces status_code_conformance: a request naming an id the target never gave "
        "(generated) may also be answered 400 with a standard vAPI error (a server may find "
        "the id malformed rather than unknown).",
    ),
    "content_type_conformance": Judged(
        '"Returns Vapi Std Errors NotFound of type(s) application/json"; "Every JSON '
        'response has Content-Type: application/json".',
        "seeds/000_c032353c98a108a2.txt; contract.md §10 item 13",
        "Type and subtype are compared; parameters such as charset are allowed.",
    ),
    DOCUMENTED_OR_STANDARD_RESPONSE: Judged(
        'The bodies the fragments write down ("It will always be present in the response '
        'of the get or list operations", "It will not be present in the response of the '
        'get or list operations", "Returns Vapi Std Errors NotFound").',
        "seeds/003_85c7770abf0c5f5e.txt; contract.md §5, §6",
        "Replaces response_schema_conformance: an error the fragment does not list passes "
        "when it is a standard vAPI error whose standard status is the response's; unknown "
        "response properties pass (no schema forbids them).",
    ),
    "negative_data_rejection": Judged(
        '"Vapi Std Errors InvalidArgument if the update session specification is not '
        'valid"; "This property must be provided for the create operation".',
        "seeds/003_85c7770abf0c5f5e.txt; contract.md §5, §6.3",
        "Only for a wrong JSON type, a missing required field or a value outside a documented "
        "enum; not for unknown properties, undocumented formats, lengths or ranges.",
    ),
    "positive_data_acceptance": Judged(
        'Each operation\'s success response ("204 Success!", "201" for create and file '
        'add, "200" for get, list, validate and prepare) for a valid request.',
        "seeds/000_c032353c98a108a2.txt; contract.md §3, §10 item 3",
        "400 is also accepted where the session's state decides (NOT_ALLOWED_IN_CURRENT_STATE, "
        "RESOURCE_BUSY); unknown file names, names that are not plain and ids the target "
        "never gave are not judged.",
    ),
    "ignored_auth": Judged(
        '"Any call without or after deleting the session gives 401".',
        "contract.md §2, §10 item 1",
        "Once per operation, on its first 2xx answer.",
    ),
    "use_after_free": Judged(
        '"Deletes an update session. This removes the session and all information '
        'associated with it."; "delete ... gives 204, and then get gives 404".',
        "seeds/000_c032353c98a108a2.txt; contract.md §10 item 6",
        'Not on a file get after a file remove: "The file will only be effectively removed '
        'when the update session is completed" (the session may still list it).',
        stateful_only=True,
    ),
    "ensure_resource_availability": Judged(
        '"404 if the update session does not exist": a session a create returned exists.',
        "seeds/000_c032353c98a108a2.txt; contract.md §10 item 3",
        "Not judged on a session an earlier step deleted.",
        stateful_only=True,
    ),
    DELETED_SESSION_GONE: Judged(
        '"Deletes an update session. This removes the session and all information '
        'associated with it."; each operation on a session documents "404 if the update '
        'session does not exist".',
        "seeds/000_c032353c98a108a2.txt; contract.md §10 items 6, 7",
        "After a delete answered 2xx, a 2xx or a 400 NOT_ALLOWED_IN_CURRENT_STATE for the "
        "session fails; a 400 of another type is not judged (which fault comes first is "
        "not documented).",
        stateful_only=True,
    ),
    SANDBOX_OBJECT_FOUND: Judged(
        '"404 if the update session does not exist": a session or item the sandbox made '
        "and nothing deleted exists.",
        "seeds/000_c032353c98a108a2.txt; contract.md §10 items 7, 8",
        "Not judged on POST …/file?action=add (a target without that form: USF-ADD-ACTION-FORM).",
    ),
}

#: Every check Schemathesis would run that the property tests do not -> why.
NOT_JUDGED: dict[str, str] = {
    "status_code_conformance": (
        f"replaced by {DOCUMENTED_STATUS}, which calls it and also accepts a 400 standard "
        "vAPI error for an id the target never gave"
    ),
    "response_schema_conformance": (
        f"replaced by {DOCUMENTED_OR_STANDARD_RESPONSE}, which calls it and also accepts a "
        "standard vAPI error whose standard status is the response's"
    ),
    "unsupported_method": (
        "the fragments key the ?action= operations as paths (/{id}?action=complete, as "
        "VMware's spec does); for such a path it wants 405 and an Allow header listing one "
        "method, which no server routing on path + method + action can give, and no "
        "sentence asks for 405"
    ),
    "allow_header_conformance": "as unsupported_method: no sentence documents Allow headers",
    "response_headers_conformance": "the fragments document no response headers",
    "missing_required_header": "no operation has a required header parameter",
    "object_level_authorization": (
        "needs a second user; the sources say nothing about another user's sessions"
    ),
    "max_response_time": "no sentence gives a response time (off unless configured)",
}
#: Checks of NOT_JUDGED that Schemathesis runs only when configured (nothing to turn off).
OPT_IN_CHECKS = frozenset({"max_response_time"})


class InputJudgement(Enum):
    """What a target may do with a request (module docstring)."""

    MUST_ACCEPT = "must accept"
    MUST_REFUSE = "must refuse"
    OPEN = "open"
    NOT_SENT = "not sent"


#: Constraints of request schemas that no sentence makes a refusal: a value breaking
#: only these is open (a parameter) or not sent (a body value). Valid requests keep
#: them (a target may refuse what breaks them).
UNDOCUMENTED_CONSTRAINTS = frozenset(
    {
        "format",
        "pattern",
        "minLength",
        "maxLength",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minProperties",
        "maxProperties",
    }
)

POSITIVE_DEFAULT = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
SERVER_ERROR_DEFAULT = ["2xx", "3xx", "4xx"]
#: Operations whose valid requests the session's state may refuse with 400 ...
STATE_DECIDES = (
    "update_session_create",  # RESOURCE_BUSY (400 in the runtime's map)
    "update_session_update",
    "update_session_delete",  # refused while ACTIVE
    "update_session_complete",
    "update_session_cancel",
    "update_session_fail",
    "update_session_keep_alive",
    "download_session_keep_alive",
    "download_session_cancel",
    "download_session_fail",
)
#: ... and those of them that do so in the contract test, whose live session stays
#: ACTIVE until one of these ends it.
STATE_DECIDES_ONE_SESSION = (
    "update_session_create",
    "update_session_delete",
    "update_session_complete",
    "update_session_cancel",
    "update_session_fail",
    "download_session_cancel",
    "download_session_fail",
)

#: What each operation reads of its body: (model, properties, required). The property
#: tests send only these; seed 003 says of every other property of the model "This
#: property is not used for the create operation" / "not used for the update operation".
BODY_READS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "update_session_create": (
        "UpdateSessionModel",
        ("library_item_id", "warning_behavior"),
        ("library_item_id",),
    ),
    "update_session_update": ("UpdateSessionModel", ("warning_behavior",), ()),
    "download_session_create": ("DownloadSessionModel", ("library_item_id",), ("library_item_id",)),
    "update_session_file_add": (
        "UpdateSessionFileAddSpec",
        ("name", "source_type", "size", "checksum_info"),
        ("name", "source_type"),
    ),
    "update_session_file_add_action": (
        "UpdateSessionFileAddSpec",
        ("name", "source_type", "size", "checksum_info"),
        ("name", "source_type"),
    ),
}
#: What the property tests send of some of those properties (``load_schema``).
PROPERTY_NARROWING: dict[str, dict[str, Any]] = {
    "UpdateSessionFileAddSpec": {
        # PULL would make the target fetch generated URLs; NONE brings no content.
        "source_type": {"type": "string", "enum": ["PUSH"]},
        # "It cannot be an empty string" (File.Info name, published spec): no valid add has
        # one; an add with one is not sent (USF-ADD-EMPTY-NAME-400 judges it, as a SHOULD).
        "name": {"type": "string", "minLength": 1},
    },
}
#: Required properties of the bodies (and of the objects in them): null there is no unset.
REQUIRED_PROPERTIES = frozenset(
    {"library_item_id", "client_error_message", "name", "source_type", "checksum", "file_name"}
)


def contract_operation_ids() -> list[str]:
    """The operations the contract test judges, in the fragments' order."""
    return [
        op.operation_id
        for op in contract().operations.values()
        if op.fragment in CONTRACT_FRAGMENTS and op.operation_id not in EXCLUDED_OPERATIONS
    ]


def fragment_of(operation_id: str) -> str:
    return contract().operations[operation_id].fragment


def workflow_size(max_examples: int) -> tuple[int, int]:
    """(scenarios, steps per scenario) of the stateful test for ``max_examples``."""
    return max(2, max_examples // 3), 6


def schemathesis_config(settings: Config, token: str) -> SchemathesisConfig:
    """The run's Schemathesis configuration: the checks of :data:`JUDGED`, narrowed as it says.

    The coverage phase sends no requests with undocumented methods
    (``unexpected-methods: []``): they exist for ``unsupported_method`` (off), every
    other check but ``not_a_server_error`` skips them, and they were a quarter of
    the requests. ``POST …/file?action=add`` skips the coverage phase: its cases go
    to ``POST …/file``, which has the same body schema.
    """
    if settings.target is None:
        raise RuntimeError("the property tests need a target URL")
    _, steps = workflow_size(settings.max_examples)
    accept_400 = {
        "positive_data_acceptance": {"expected-statuses": [*POSITIVE_DEFAULT, "400"]},
    }
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "base-url": settings.target,
            "tls-verify": settings.tls_verify,
            "request-timeout": settings.timeout,
            # The fragments' apiKey scheme: the vmware-api-session-id header. Failure
            # reports print it as [Filtered] ("session" is a sensitive marker).
            "auth": {"openapi": {"session_id": {"api_key": token}}},
            "cache": {"enabled": False},  # write nothing to the working directory
            "generation": {
                "max-examples": settings.max_examples,
                "deterministic": True,
                "database": "none",
            },
            "phases": {
                "examples": {"enabled": True},
                "coverage": {"enabled": True, "unexpected-methods": []},
                "fuzzing": {"enabled": True},
                # Sequences of valid requests: invalid ones are the contract test's job,
                # and a scenario is too short to spend steps on them.
                "stateful": {
                    "enabled": True,
                    "max-steps": steps,
                    "generation": {"mode": "positive"},
                },
            },
            "checks": {
                name: {"enabled": False} for name in NOT_JUDGED if name not in OPT_IN_CHECKS
            },
            "operations": [
                {"include-operation-id": list(STATE_DECIDES_ONE_SESSION), "checks": accept_400},
                {
                    "include-operation-id": list(STATE_DECIDES),
                    "phases": {"stateful": {"checks": accept_400}},
                },
                {
                    "include-operation-id": "update_session_create",
                    "checks": {
                        "not_a_server_error": {"expected-statuses": [*SERVER_ERROR_DEFAULT, "500"]}
                    },
                },
                {
                    # A removed file may stay in the session until complete (USF-REMOVE).
                    "include-operation-id": "update_session_file_get",
                    "checks": {"use_after_free": {"enabled": False}},
                },
                {
                    # POST .../file gets the coverage phase's cases of the same body.
                    "include-operation-id": "update_session_file_add_action",
                    "phases": {"coverage": {"enabled": False}},
                },
            ],
        }
    )
