"""vAPI standard errors, raised by the models and rendered by one handler (``app.py``).

Hierarchy; the status is the one VMware's published 8.0.2 /api spec gives (contract §6.3)::

    VapiError                     500 ERROR
    ├── NotFound                  404 NOT_FOUND
    ├── OperationNotFound         404 OPERATION_NOT_FOUND
    ├── NotAllowedInCurrentState  400 NOT_ALLOWED_IN_CURRENT_STATE
    ├── InvalidArgument           400 INVALID_ARGUMENT
    ├── InvalidElementType        400 INVALID_ELEMENT_TYPE
    ├── AlreadyExists             400 ALREADY_EXISTS
    ├── Unsupported               400 UNSUPPORTED
    ├── Unauthenticated           401 UNAUTHENTICATED
    ├── Unauthorized              403 UNAUTHORIZED
    ├── ResourceBusy              500 RESOURCE_BUSY   (the runtime's own map says 400)
    ├── InternalServerError       500 INTERNAL_SERVER_ERROR
    └── ServiceUnavailable        503 SERVICE_UNAVAILABLE

The factory functions at the bottom hold the message catalog, so the wording of every
message lives in one place and looks like vCenter's (ids, ``default_message`` with the
arguments already substituted, ``args`` as strings).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "AlreadyExists",
    "InternalServerError",
    "InvalidArgument",
    "InvalidElementType",
    "Message",
    "NotAllowedInCurrentState",
    "NotFound",
    "OperationNotFound",
    "ResourceBusy",
    "ServiceUnavailable",
    "Unauthenticated",
    "Unauthorized",
    "Unsupported",
    "VapiError",
]


@dataclass(frozen=True, slots=True)
class Message:
    """A LocalizableMessage (§6.2): ``id``, ``default_message`` and ``args`` are required."""

    id: str
    default_message: str
    args: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "default_message": self.default_message, "args": list(self.args)}


class VapiError(Exception):
    """Base of every error the mock answers with; subclasses fix ``status`` and ``error_type``."""

    status: ClassVar[int] = 500
    error_type: ClassVar[str] = "ERROR"

    def __init__(
        self,
        message: Message,
        *causes: Message,
        data: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message.default_message)
        self.messages: tuple[Message, ...] = (message, *causes)
        self.data = data
        self.headers = headers

    def body(self, *, with_error_type: bool = True) -> dict[str, Any]:
        """The /api error struct (§6.1); ``with_error_type=False`` only for a flaw."""
        out: dict[str, Any] = {}
        if with_error_type:
            out["error_type"] = self.error_type
        out["messages"] = [m.to_json() for m in self.messages]
        if self.data is not None:
            out["data"] = dict(self.data)
        return out

    @property
    def legacy_type(self) -> str:
        """The legacy /rest discriminator, e.g. ``com.vmware.vapi.std.errors.not_found``."""
        return "com.vmware.vapi.std.errors." + self.error_type.lower()


class NotFound(VapiError):
    status = 404
    error_type = "NOT_FOUND"


class OperationNotFound(VapiError):
    status = 404
    error_type = "OPERATION_NOT_FOUND"


class NotAllowedInCurrentState(VapiError):
    status = 400
    error_type = "NOT_ALLOWED_IN_CURRENT_STATE"


class InvalidArgument(VapiError):
    status = 400
    error_type = "INVALID_ARGUMENT"


class InvalidRequest(VapiError):
    status = 400
    error_type = "INVALID_REQUEST"


class UnexpectedInput(VapiError):
    status = 400
    error_type = "UNEXPECTED_INPUT"


class InvalidElementType(VapiError):
    status = 400
    error_type = "INVALID_ELEMENT_TYPE"


class AlreadyExists(VapiError):
    status = 400
    error_type = "ALREADY_EXISTS"


class Unsupported(VapiError):
    status = 400
    error_type = "UNSUPPORTED"


class Unauthenticated(VapiError):
    status = 401
    error_type = "UNAUTHENTICATED"


class Unauthorized(VapiError):
    status = 403
    error_type = "UNAUTHORIZED"


class ResourceBusy(VapiError):
    status = 500
    error_type = "RESOURCE_BUSY"


class InternalServerError(VapiError):
    status = 500
    error_type = "INTERNAL_SERVER_ERROR"


class ServiceUnavailable(VapiError):
    status = 503
    error_type = "SERVICE_UNAVAILABLE"


# --- message catalog -------------------------------------------------------------------

_CLS = "com.vmware.vdcs.cls-main."


def authentication_required() -> Unauthenticated:
    """What vCenter answers to a call without (or with a dead) session or bad credentials."""
    return Unauthenticated(
        Message(
            "com.vmware.vapi.endpoint.method.authentication.required", "Authentication required."
        ),
        headers={"WWW-Authenticate": 'Basic realm="VAPI endpoint"'},
    )


def no_operation_for_url(path: str) -> NotFound:
    """Unknown route; wording of a real 7.0.3 reply (vmware-openapi-generator#72)."""
    return NotFound(
        Message(
            "com.vmware.vapi.rest.operationsForUrlNotFound",
            f"Unable to find operations for URL: {path}.",
            (path,),
        )
    )


def no_operation_for_method(method: str, path: str, allowed: str) -> OperationNotFound:
    return OperationNotFound(
        Message(
            "com.vmware.vapi.rest.operationNotFoundForMethod",
            f"Unable to find an operation for HTTP method {method} on URL: {path}.",
            (method, path),
        ),
        headers={"Allow": allowed},
    )


def unknown_service(service: str) -> OperationNotFound:
    """A JSON-RPC call to a service the mock does not serve (wording of §9's 6.7 reply)."""
    return OperationNotFound(
        Message(
            "vapi.method.input.invalid.interface", f"Cannot find service '{service}'.", (service,)
        )
    )


def unknown_operation(service: str, operation: str) -> OperationNotFound:
    return OperationNotFound(
        Message(
            "vapi.method.input.invalid.method",
            f"Cannot find operation '{operation}' in service '{service}'.",
            (operation, service),
        )
    )


def invalid_argument(message_id: str, text: str, *args: str) -> InvalidArgument:
    return InvalidArgument(Message(message_id, text, args))


def bad_body(reason: str) -> InvalidArgument:
    """The request body is not JSON, not an object, or has a field of the wrong type."""
    return invalid_argument(
        "com.vmware.vapi.rest.badRequest", f"Invalid request body: {reason}.", reason
    )


def unparseable_body() -> InvalidRequest:
    """What VMware's vAPI server runtime answers for a body it cannot parse."""
    return InvalidRequest(
        Message("vapi.server.invalid.request", "Invalid request: the body is not valid JSON.")
    )


def unknown_field(field: str, *, unexpected_input: bool) -> VapiError:
    """An unknown property in a request body, as real vCenters (or vAPI's UnexpectedInput)
    refuse it."""
    if unexpected_input:
        return UnexpectedInput(
            Message(
                "vapi.data.structure.field.unexpected",
                f"Unexpected field '{field}' in the input.",
                (field,),
            )
        )
    return invalid_argument(
        "com.vmware.vapi.rest.unsupportedProperty",
        f"Unsupported property '{field}' in the request body.",
        field,
    )


def missing_field(field: str) -> InvalidArgument:
    return invalid_argument(
        "vapi.data.structure.field.missing",
        f"Structure is missing the required field '{field}'.",
        field,
    )


def wrong_type(field: str, expected: str) -> InvalidArgument:
    return invalid_argument(
        "vapi.data.structure.field.invalid",
        f"Field '{field}' has an invalid value: expected {expected}.",
        field,
        expected,
    )


def not_found(kind: str, ident: str) -> NotFound:
    """``kind`` is a noun such as ``update session`` or ``library item``."""
    return NotFound(
        Message(
            _CLS + kind.replace(" ", "_") + "_not_found",
            f"The {kind} with ID '{ident}' could not be found.",
            (ident,),
        )
    )


def not_allowed(operation: str, state: str, noun: str) -> NotAllowedInCurrentState:
    """NACS with args ``[operation, state]``, as in the real reply of §9."""
    return NotAllowedInCurrentState(
        Message(
            _CLS + noun.replace(" ", "_") + "_invalid_state",
            f"The operation {operation} can not be invoked when the {noun} is in the "
            f"{state} state.",
            (operation, state),
        )
    )


def update_session_busy(item_id: str, session_id: str) -> ResourceBusy:
    return ResourceBusy(
        Message(
            _CLS + "library_item_has_active_update_session",
            f"Library item '{item_id}' already has an active update session '{session_id}'. "
            "Only one update session can be active for a library item.",
            (item_id, session_id),
        )
    )


def duplicate_item_name(name: str, library_name: str, library_id: str) -> AlreadyExists:
    """Wording and id of the real reply in govmomi#2958."""
    return AlreadyExists(
        Message(
            _CLS + "duplicate_item_name_unsupported_in_library",
            f"Operation is not supported since a library item with the name '{name}' exists "
            f"in the library '{library_name}' (ID: {library_id}).",
            (name, library_name, library_id),
        )
    )


def several_backings(count: int) -> Unsupported:
    return Unsupported(
        Message(
            _CLS + "multiple_storage_backings_unsupported",
            f"A local library supports exactly one storage backing; {count} were given.",
            (str(count),),
        )
    )


def internal_error(reason: str) -> InternalServerError:
    return InternalServerError(
        Message(
            "com.vmware.vapi.rest.internalServerError",
            f"Internal server error: {reason}.",
            (reason,),
        )
    )


# -- files and transfers (update/download-session file services, §3, §8, §9) ------------
# File names arrive here already escaped (``models.files.shown``): never raw client text.


def invalid_file_name(name: str, reason: str) -> InvalidArgument:
    return invalid_argument(
        _CLS + "invalid_file_name", f"The file name '{name}' is invalid: {reason}.", name, reason
    )


def unknown_file(name: str, kind: str, session_id: str, *, as_404: bool) -> VapiError:
    """An unknown file name in an existing session: 400 (§10 item 8), 404 under a flaw."""
    message = Message(
        _CLS + "file_not_found_in_session",
        f"The file '{name}' does not exist in the {kind} '{session_id}'.",
        (name, session_id),
    )
    return NotFound(message) if as_404 else InvalidArgument(message)


def item_file_not_found(name: str, item_id: str) -> NotFound:
    return NotFound(
        Message(
            _CLS + "library_item_file_not_found",
            f"The file '{name}' could not be found in the library item '{item_id}'.",
            (name, item_id),
        )
    )


def unsupported_source(uri: str) -> InvalidArgument:
    return invalid_argument(
        _CLS + "invalid_source_endpoint",
        f"The source endpoint '{uri}' is not supported: only http and https URIs can be pulled.",
        uri,
    )


def transfer_endpoint_not_found(path: str) -> NotFound:
    return NotFound(
        Message(
            _CLS + "transfer_endpoint_not_found",
            f"The transfer endpoint {path} does not exist or is no longer valid.",
            (path,),
        )
    )


def file_busy(name: str) -> NotAllowedInCurrentState:
    return NotAllowedInCurrentState(
        Message(
            _CLS + "file_transfer_in_progress",
            f"The file '{name}' is already being transferred.",
            (name, "TRANSFERRING"),
        )
    )


def import_failed(operation: str, reason: str) -> NotAllowedInCurrentState:
    """NACS after a transfer failure, args ``[op, "ERROR", reason]`` as in the §9 reply."""
    return NotAllowedInCurrentState(
        Message(
            _CLS + "import_session_invalid_state",
            f"The operation {operation} can not be invoked when the import session is in the "
            f"ERROR state. Reason: {reason}",
            (operation, "ERROR", reason),
        )
    )


def files_missing(operation: str, names: Sequence[str]) -> NotAllowedInCurrentState:
    reason = "files missing: " + ", ".join(names)
    return NotAllowedInCurrentState(
        Message(
            _CLS + "import_session_files_missing",
            f"The operation {operation} can not be invoked when the import session is in the "
            f"ACTIVE state. Reason: {reason}",
            (operation, "ACTIVE", reason),
        )
    )


def direct_transfer_unauthorized() -> Unauthorized:
    return Unauthorized(
        Message(
            _CLS + "direct_transfer_unauthorized",
            "A DIRECT endpoint needs the privilege ContentLibrary.ReadStorage.",
            ("ContentLibrary.ReadStorage",),
        )
    )


# File and session error_message values (LocalizableMessage, not errors).


def size_mismatch(name: str, expected: int, actual: int) -> Message:
    return Message(
        _CLS + "file_size_mismatch",
        f"The size of file {name} is {actual} bytes, but {expected} bytes were expected.",
        (name, str(expected), str(actual)),
    )


def checksum_mismatch(name: str, algorithm: str, expected: str, actual: str) -> Message:
    return Message(
        _CLS + "file_checksum_mismatch",
        f"The {algorithm} checksum of file {name} is {actual}, but {expected} was expected.",
        (name, algorithm, expected, actual),
    )


def transfer_error(name: str, reason: str) -> Message:
    """Wording of the real reply in §9 ("Error transferring file …. Reason: …")."""
    return Message(
        _CLS + "file_transfer_error",
        f"Error transferring file {name}. Reason: {reason}",
        (name, reason),
    )


def import_failure(item_id: str, reason: str) -> Message:
    """The session's error_message after a failed complete (govmomi PR#3429 wording)."""
    return Message(
        _CLS + "library_item_import_failed",
        f"The import of library item {item_id} has failed. Reason: {reason}",
        (item_id, reason),
    )
