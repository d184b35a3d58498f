"""Deliberate rule violations the suite's self-tests switch on, one rule each.

The default is no flaw. Each name maps to one line saying what breaks; the models and
handlers ask ``backend.flawed(name)`` at request time, so flaws can be changed while the
server runs (``backend.set_flaws`` or ``PUT /mock-api/flaws``). ``flawed`` rejects a
name missing from this table, so a typo in the mock fails loudly instead of silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["FLAWS", "check_flaws", "check_names"]

FLAWS: Mapping[str, str] = MappingProxyType(
    {
        # update-session state machine
        "delete-active-allowed": "DELETE of an ACTIVE update session answers 204 and removes it.",
        "delete-done-rejected": "DELETE of a DONE update session answers 400 NACS.",
        "complete-keeps-active": "complete answers 204 but the update session stays ACTIVE.",
        "non-active-ops-allowed": (
            "complete/cancel/fail/keep-alive/PATCH on a non-ACTIVE update session answer 204 "
            "and change nothing."
        ),
        "cancel-to-error": "cancel moves an update session to ERROR instead of CANCELED.",
        "fail-drops-message": "fail (update or download session) does not record error_message.",
        "complete-no-version-bump": "complete does not bump the item's content_version.",
        "second-active-allowed": "A second create on an item with an ACTIVE session succeeds.",
        "ended-session-blocks-item": (
            "A DONE, CANCELED or ERROR update session still blocks a new create on its item "
            "(RESOURCE_BUSY) until it is deleted."
        ),
        "preview-info-after-active": "preview_info is still sent after the session left ACTIVE.",
        # PATCH and keep-alive
        "patch-changes-progress": "PATCH also applies client_progress from the body.",
        "patch-ignores-warning-behavior": "PATCH answers 204 but does not change warning_behavior.",
        "patch-invalid-accepted": (
            "PATCH with a body that does not deserialize answers 204 and changes nothing."
        ),
        "keep-alive-ignores-progress": "Update-session keep-alive does not record client_progress.",
        "keep-alive-no-extend": "keep-alive (update or download) does not extend expiration_time.",
        "download-keep-alive-client-progress": (
            "Download keep-alive reads client_progress instead of progress from the body."
        ),
        "sessions-never-expire": "Update and download sessions never expire.",
        "expiry-one-hour": "Sessions expire an hour after the last activity, not five minutes.",
        # identifiers, lists and reads
        "unknown-id-400": (
            "By-id update/download session operations on an id the server never issued "
            "answer 400 INVALID_ARGUMENT instead of 404 (a deleted session's id is still 404)."
        ),
        "list-ignores-filter": "Session lists ignore ?library_item_id= and return every session.",
        "list-unknown-item-empty": "Session lists for an unknown item answer 200 [], not 404.",
        "get-includes-id": "get of an update or download session includes id.",
        "create-returns-200": "Update-session create answers 200 instead of 201.",
        "create-unknown-item-accepted": (
            "Update-session create on an unknown library item answers 201 (a session on no item)."
        ),
        "create-without-item-404": (
            "Update-session create without library_item_id answers 404 NOT_FOUND (it looks up "
            "an item with no id) instead of 400 INVALID_ARGUMENT."
        ),
        "client-token-ignored": "A repeated client_token creates a new object, not the same id.",
        "delete-keeps-session": "DELETE of a finished update session answers 204; get finds it.",
        # download sessions
        "download-delete-active-rejected": "DELETE of an ACTIVE download session answers 400 NACS.",
        "download-cancel-keeps-active": "Download cancel answers 204 but the session stays ACTIVE.",
        "download-create-returns-200": "Download-session create answers 200 instead of 201.",
        "download-create-unknown-item-accepted": (
            "Download-session create on an unknown library item answers 201 (a session on no item)."
        ),
        "download-non-active-ops-allowed": (
            "keep-alive/cancel/fail on a non-ACTIVE download session answer 204 and change nothing."
        ),
        # authentication
        "login-returns-200": "POST /api/session answers 200 instead of 201.",
        "bad-password-accepted": (
            "Login checks the user name only: a wrong password is accepted (the right one too)."
        ),
        "session-get-omits-user": "GET /api/session omits the required user.",
        "no-auth-required": "The vmware-api-session-id header is not checked.",
        "logout-keeps-token": "DELETE /api/session answers 204 but the token stays valid.",
        "api-session-never-expires": "API sessions never expire for inactivity.",
        # wire format
        "error-body-no-error-type": "Error bodies omit error_type.",
        "error-body-legacy-envelope": (
            'Error bodies are wrapped: {"type": "com.vmware.vapi.std.errors.<x>", "value": {...}}.'
        ),
        "error-messages-empty": "Error bodies carry an empty messages list.",
        "error-text-plain": "Error responses have Content-Type text/plain.",
        "success-legacy-envelope": 'Success bodies are wrapped as {"value": ...} (legacy /rest).',
        "malformed-json-500": "A request body that is not valid JSON answers 500 instead of 400.",
        "datetime-no-timezone": "expiration_time is sent without a Z or offset.",
        "void-returns-200": "Void /api operations (204 in the docs) answer 200 with an empty body.",
        # files and transfers
        "file-add-returns-200": "Update-session file add answers 200 instead of 201.",
        "file-add-action-form-rejected": (
            "POST .../file?action=add answers 400 INVALID_ARGUMENT (the plain POST .../file works)."
        ),
        "empty-file-name-accepted": "File add accepts an empty file name.",
        "upload-needs-session-header": (
            "The upload endpoint answers 401 to a request without a valid vmware-api-session-id."
        ),
        "file-unknown-session-400": (
            "Update-session file operations in an unknown session answer 400 INVALID_ARGUMENT "
            "instead of 404."
        ),
        "file-add-after-end-accepted": (
            "File add in a DONE, CANCELED or ERROR update session answers 201."
        ),
        "validate-omits-empty-invalid-files": (
            "validate leaves out invalid_files when it would be empty."
        ),
        "remove-keeps-file": (
            "File remove answers 204 but the file stays in the session (and reaches the item)."
        ),
        "item-file-size-in-kib": "Item file Info reports size in KiB (rounded up), not bytes.",
        "item-file-unknown-400": (
            "Item file get of an unknown name answers 400 INVALID_ARGUMENT instead of 404."
        ),
        "prepare-without-endpoint": (
            "prepare makes the file PREPARED but never gives it a download_endpoint."
        ),
        "download-file-list-unknown-session-empty": (
            "The file list of an unknown download session answers 200 [] instead of 404."
        ),
        "download-url-valid-after-cancel": (
            "The download endpoint still serves the file after the download session is canceled."
        ),
        "content-visible-before-complete": (
            "Item file list/get shows READY uploads of an ACTIVE update session."
        ),
        "cancel-keeps-content": "cancel still makes the session's READY files item content.",
        "upload-never-ready": (
            "An upload whose bytes all arrived leaves the file TRANSFERRING: it never gets READY."
        ),
        "checksum-not-verified": "An upload whose checksum differs from the AddSpec is READY.",
        "size-not-verified": "An upload whose size differs from the AddSpec is READY.",
        "complete-ignores-missing-files": (
            "complete answers 204 (DONE) although files were never received."
        ),
        "validate-omits-missing": "validate reports missing_files as [] (has_errors false).",
        "download-corrupts-bytes": "The download endpoint flips the first byte of the file.",
        "unknown-file-404": (
            "An unknown file name in an existing update or download session answers 404 "
            "NOT_FOUND instead of 400 INVALID_ARGUMENT."
        ),
        "hostile-name-accepted": (
            "File names with '..', '/' or '\\' are accepted (still stored under generated names)."
        ),
        "upload-after-cancel-accepted": (
            "An upload to a non-ACTIVE update session's endpoint answers 200 (bytes dropped)."
        ),
        "file-list-omits-bytes-transferred": (
            "Update- and download-session file lists omit the required bytes_transferred."
        ),
    }
)


def check_flaws(names: Iterable[str]) -> frozenset[str]:
    """Return ``names`` as a frozenset, or raise ValueError naming the unknown ones."""
    return check_names(names, FLAWS, "flaw")


def check_names(names: Iterable[str], table: Mapping[str, str], noun: str) -> frozenset[str]:
    """``names`` as a frozenset, or ValueError naming those ``table`` lacks (flaws, variants)."""
    chosen = frozenset(names)
    unknown = sorted(chosen - table.keys())
    if unknown:
        raise ValueError(
            f"unknown {noun}(s): {', '.join(unknown)}; known: {', '.join(sorted(table))}"
        )
    return chosen
