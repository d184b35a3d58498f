"""Legitimate choices a correct vCenter may make where the sources leave room, one each.

Flaws (``flaws.py``) break a documented rule and the suite must fail them; variants stay
inside what the seed pages and the contract allow, and the suite must pass them (a SHOULD
a variant departs from on purpose may warn). The default mock makes one choice at each
point; a variant makes another. Models and handlers ask ``backend.varied(name)`` at
request time, so variants can change while the server runs (``PUT /mock-api/variants``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from .flaws import check_names

__all__ = ["VARIANTS", "check_variants"]

VARIANTS: Mapping[str, str] = MappingProxyType(
    {
        # request bodies
        "malformed-json-invalid-request": (
            "A body that is not JSON is 400 INVALID_REQUEST (as VMware's vAPI server runtime "
            "answers), not 400 INVALID_ARGUMENT."
        ),
        "unknown-fields-refused": (
            "Unknown properties in a request body are refused with 400 INVALID_ARGUMENT "
            "(com.vmware.vapi.rest.unsupportedProperty, as real vCenters do), not ignored."
        ),
        "unknown-fields-unexpected-input": (
            "Unknown properties in a request body are refused with 400 UNEXPECTED_INPUT."
        ),
        "client-token-any-format": (
            "Any non-empty client_token is accepted (the docs say it should be a UUID), not "
            "only UUIDs."
        ),
        "progress-unbounded": (
            "Keep-alive progress outside 0-100 is accepted and stored (no sentence says it is "
            "refused), not refused with 400 INVALID_ARGUMENT."
        ),
        # statuses and timing where sources conflict or say "later"
        "resource-busy-400": (
            "RESOURCE_BUSY answers 400 (the vAPI runtime's map), not 500 (the published spec)."
        ),
        "checksum-mismatch-at-upload": (
            "The upload endpoint refuses bytes whose size or checksum differs from the AddSpec "
            "with 400 (the file is ERROR), instead of answering 200."
        ),
        "checksum-mismatch-at-complete": (
            "Size and checksum are verified only at complete: the file looks READY, complete "
            "answers 204 and the session ends in ERROR with nothing committed."
        ),
        "validate-missing-as-invalid": (
            "validate lists a file that was never received under invalid_files, not missing_files."
        ),
        "remove-at-complete": (
            "File remove answers 204 but the file stays in the session's list until complete, "
            "which leaves it out of the item (it is 'effectively removed' only then)."
        ),
        "complete-missing-fails-session": (
            "complete with files not received answers 400 NACS and moves the session to ERROR "
            "(instead of leaving it ACTIVE)."
        ),
        "client-token-repeat-200": (
            "A create repeated with the same client_token answers 200 (not 201) with the first id."
        ),
        "session-timeout-10min": (
            "The session expiration timeout is configured to ten minutes (the default is five)."
        ),
        "no-preview-info": "preview_info is never sent (it is optional even while ACTIVE).",
        "file-add-action-form-absent": (
            "POST .../file?action=add is not served (404 OPERATION_NOT_FOUND); the plain "
            "POST .../file works."
        ),
        # identifiers
        "opaque-ids": "Ids are opaque strings (id-<n>-<hex>), not UUIDs.",
        "malformed-id-400": (
            "A by-id operation whose id is not of the server's own format answers 400 "
            "INVALID_ARGUMENT; a well-formed unknown id still answers 404."
        ),
        # what any HTTP/JSON server may do
        "content-type-charset": "JSON answers say Content-Type: application/json; charset=utf-8.",
        "datetime-offset": "Date-times carry +00:00 and no fractions (2026-01-01T00:00:00+00:00).",
        "datetime-microseconds": "Date-times carry microseconds (2026-01-01T00:00:00.123456Z).",
        "extra-response-fields": (
            "Every object in a success or error body carries an extra, undocumented optional "
            "field (a newer server's addition)."
        ),
        "error-details": (
            "Error bodies carry data {} and messages with params and localized text."
        ),
        "lists-reversed": "Lists of ids and files come newest first.",
        "item-file-size-blocks": (
            "An item file's size is the storage it uses on a datastore of 1 MiB blocks (its "
            "length rounded up to 1 MiB), not its length."
        ),
        "rest-session-cookie": (
            "The /rest login also sets the session as a cookie (Set-Cookie: "
            "vmware-api-session-id, as vCenter's /rest does), and a /rest request with that "
            "cookie and no vmware-api-session-id header is authenticated by it."
        ),
    }
)


def check_variants(names: Iterable[str]) -> frozenset[str]:
    """Return ``names`` as a frozenset, or raise ValueError naming the unknown ones."""
    return check_names(names, VARIANTS, "variant")
