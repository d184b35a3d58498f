"""Every vAPI operation the mock serves, as data: its /api request and its output type.

One row per ``(service id, operation id)`` of the 9.1.1 bindings. The dialects (JSON-RPC,
legacy /rest) turn their input into the operation's input fields, and ``invoke.py`` makes
the /api request the row describes, so every door reaches the same handlers and state.

How an input field travels on /api (from the bindings' REST metadata, contract §3):
a ``{name}`` in ``path``; ``query`` names; ``body``, the one field that is the whole body
(``create_spec``); ``body_fields``, fields that are top-level body keys (keep-alive,
fail, prepare); ``query_struct``, a structure whose fields are query parameters (the
datastore filter); ``client_token`` as the ``Client-Token`` header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .vapi_types import BOOLEAN, INTEGER, SECRET, STRING, VOID, ListOf, Opt, Struct, VType

__all__ = ["OPERATIONS", "Operation", "find"]

# -- types (canonical names and fields of the 9.1.1 bindings) ----------------------------

_S = "com.vmware.content.library.item."
MESSAGE = Struct(
    "com.vmware.vapi.std.localizable_message",
    {
        "id": STRING,
        "default_message": STRING,
        "args": ListOf(STRING),
        "params": Opt(STRING),  # never set by the mock
        "localized": Opt(STRING),
    },
)
ENDPOINT = Struct(
    _S + "transfer_endpoint",
    {"uri": STRING, "ssl_certificate_thumbprint": Opt(STRING), "ssl_certificate": Opt(STRING)},
)
CHECKSUM = Struct(_S + "file.checksum_info", {"algorithm": Opt(STRING), "checksum": STRING})
WARNING_BEHAVIOR = Struct(
    _S + "updatesession.warning_behavior", {"type": STRING, "ignored": BOOLEAN}
)
PREVIEW_INFO = Struct(
    _S + "updatesession.preview_info",
    {
        "state": STRING,
        "certificate_info": Opt(
            Struct(
                _S + "updatesession.certificate_info",
                {"issuer": STRING, "subject": STRING, "self_signed": BOOLEAN, "x509": STRING},
            )
        ),
        "warnings": Opt(
            ListOf(
                Struct(
                    _S + "updatesession.preview_warning_info",
                    {"type": STRING, "message": MESSAGE, "ignored": BOOLEAN},
                )
            )
        ),
        "cert_chain": Opt(ListOf(STRING)),
    },
)
_SESSION_FIELDS: dict[str, VType] = {
    "id": Opt(STRING),
    "library_item_id": Opt(STRING),
    "library_item_content_version": Opt(STRING),
    "error_message": Opt(MESSAGE),
    "client_progress": Opt(INTEGER),
    "state": Opt(STRING),
    "expiration_time": Opt(STRING),
}
UPDATE_SESSION = Struct(
    "com.vmware.content.library.item.update_session_model",
    {
        **_SESSION_FIELDS,
        "preview_info": Opt(PREVIEW_INFO),
        "warning_behavior": Opt(ListOf(WARNING_BEHAVIOR)),
    },
)
DOWNLOAD_SESSION = Struct("com.vmware.content.library.item.download_session_model", _SESSION_FIELDS)
UPLOAD_FILE = Struct(
    _S + "updatesession.file.info",
    {
        "name": STRING,
        "source_type": STRING,
        "size": Opt(INTEGER),
        "checksum_info": Opt(CHECKSUM),
        "source_endpoint": Opt(ENDPOINT),
        "upload_endpoint": Opt(ENDPOINT),
        "bytes_transferred": INTEGER,
        "status": STRING,
        "error_message": Opt(MESSAGE),
        "keep_in_storage": Opt(BOOLEAN),
    },
)
VALIDATION = Struct(
    _S + "updatesession.file.validation_result",
    {
        "has_errors": BOOLEAN,
        "missing_files": ListOf(STRING),
        "invalid_files": ListOf(
            Struct(
                _S + "updatesession.file.validation_error",
                {"name": STRING, "error_message": MESSAGE},
            )
        ),
    },
)
DOWNLOAD_FILE = Struct(
    _S + "downloadsession.file.info",
    {
        "name": STRING,
        "size": Opt(INTEGER),
        "bytes_transferred": INTEGER,
        "status": STRING,
        "download_endpoint": Opt(ENDPOINT),
        "checksum_info": Opt(CHECKSUM),
        "error_message": Opt(MESSAGE),
    },
)
ITEM_FILE = Struct(
    _S + "file.info",
    {
        "checksum_info": Opt(CHECKSUM),
        "name": STRING,
        "size": INTEGER,
        "cached": BOOLEAN,
        "version": STRING,
        "file_download_endpoint": Opt(STRING),
    },
)
LIBRARY = Struct(
    "com.vmware.content.library_model",
    {
        "id": Opt(STRING),
        "creation_time": Opt(STRING),
        "description": Opt(STRING),
        "last_modified_time": Opt(STRING),
        "last_sync_time": Opt(STRING),
        "name": Opt(STRING),
        "storage_backings": Opt(
            ListOf(
                Struct(
                    "com.vmware.content.library.storage_backing",
                    {"type": Opt(STRING), "datastore_id": Opt(STRING), "storage_uri": Opt(STRING)},
                )
            )
        ),
        "type": Opt(STRING),
        "version": Opt(STRING),
        "server_guid": Opt(STRING),
    },
)
ITEM = Struct(
    "com.vmware.content.library.item_model",
    {
        "id": Opt(STRING),
        "library_id": Opt(STRING),
        "content_version": Opt(STRING),
        "creation_time": Opt(STRING),
        "description": Opt(STRING),
        "last_modified_time": Opt(STRING),
        "last_sync_time": Opt(STRING),
        "metadata_version": Opt(STRING),
        "name": Opt(STRING),
        "cached": Opt(BOOLEAN),
        "size": Opt(INTEGER),
        "type": Opt(STRING),
        "version": Opt(STRING),
        "source_id": Opt(STRING),
        "security_compliance": Opt(BOOLEAN),
    },
)
SESSION_INFO = Struct(
    "com.vmware.cis.session.info",
    {"user": STRING, "created_time": STRING, "last_accessed_time": STRING},
)
DATASTORE = Struct(
    "com.vmware.vcenter.datastore.summary",
    {
        "datastore": STRING,
        "name": STRING,
        "type": STRING,
        "free_space": Opt(INTEGER),
        "capacity": Opt(INTEGER),
    },
)
VERSION = Struct(
    "com.vmware.appliance.system.version.version_struct",
    {
        "version": STRING,
        "product": STRING,
        "build": STRING,
        "type": STRING,
        "summary": STRING,
        "releasedate": STRING,
        "install_time": STRING,
        "name": Opt(STRING),
    },
)
IDS = ListOf(STRING)

# -- operations --------------------------------------------------------------------------

_PATH_FIELD = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True, slots=True)
class Operation:
    """One vAPI operation and the /api request that performs it."""

    service: str
    name: str
    method: str
    path: str
    output: VType
    action: str | None = None
    body: str | None = None
    body_fields: tuple[str, ...] = ()
    query: tuple[str, ...] = ()
    query_struct: str | None = None
    client_token: bool = False
    path_fields: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "path_fields", tuple(_PATH_FIELD.findall(self.path)))


_CIS = "com.vmware.cis.session"
_LIB = "com.vmware.content.local_library"
_ITEM = "com.vmware.content.library.item"
_US = _ITEM + ".update_session"
_DS = _ITEM + ".download_session"
_US_FILE = _ITEM + ".updatesession.file"
_DS_FILE = _ITEM + ".downloadsession.file"
_A = "/api/content/library/item"
_US_PATH = _A + "/update-session/{update_session_id}"
_DS_PATH = _A + "/download-session/{download_session_id}"


def _ops(*rows: Operation) -> dict[tuple[str, str], Operation]:
    return {(row.service, row.name): row for row in rows}


OPERATIONS = _ops(
    Operation(_CIS, "create", "POST", "/api/session", SECRET),
    Operation(_CIS, "get", "GET", "/api/session", SESSION_INFO),
    Operation(_CIS, "delete", "DELETE", "/api/session", VOID),
    # fixtures
    Operation(
        _LIB,
        "create",
        "POST",
        "/api/content/local-library",
        STRING,
        body="create_spec",
        client_token=True,
    ),
    Operation(_LIB, "list", "GET", "/api/content/local-library", IDS),
    Operation(_LIB, "get", "GET", "/api/content/local-library/{library_id}", LIBRARY),
    Operation(_LIB, "delete", "DELETE", "/api/content/local-library/{library_id}", VOID),
    Operation(_ITEM, "create", "POST", _A, STRING, body="create_spec", client_token=True),
    Operation(_ITEM, "list", "GET", _A, IDS, query=("library_id",)),
    Operation(_ITEM, "get", "GET", _A + "/{library_item_id}", ITEM),
    Operation(_ITEM, "delete", "DELETE", _A + "/{library_item_id}", VOID),
    Operation(_ITEM + ".file", "list", "GET", _A + "/{library_item_id}/file", ListOf(ITEM_FILE)),
    Operation(
        _ITEM + ".file", "get", "GET", _A + "/{library_item_id}/file", ITEM_FILE, query=("name",)
    ),
    Operation(
        "com.vmware.vcenter.datastore",
        "list",
        "GET",
        "/api/vcenter/datastore",
        ListOf(DATASTORE),
        query_struct="filter",
    ),
    Operation(
        "com.vmware.appliance.system.version",
        "get",
        "GET",
        "/api/appliance/system/version",
        VERSION,
    ),
    # update sessions
    Operation(
        _US,
        "create",
        "POST",
        _A + "/update-session",
        STRING,
        body="create_spec",
        client_token=True,
    ),
    Operation(_US, "list", "GET", _A + "/update-session", IDS, query=("library_item_id",)),
    Operation(_US, "get", "GET", _US_PATH, UPDATE_SESSION),
    Operation(_US, "update", "PATCH", _US_PATH, VOID, body="update_spec"),
    Operation(_US, "delete", "DELETE", _US_PATH, VOID),
    Operation(_US, "complete", "POST", _US_PATH, VOID, action="complete"),
    Operation(_US, "cancel", "POST", _US_PATH, VOID, action="cancel"),
    Operation(
        _US,
        "keep_alive",
        "POST",
        _US_PATH,
        VOID,
        action="keep-alive",
        body_fields=("client_progress",),
    ),
    Operation(
        _US, "fail", "POST", _US_PATH, VOID, action="fail", body_fields=("client_error_message",)
    ),
    Operation(_US_FILE, "add", "POST", _US_PATH + "/file", UPLOAD_FILE, body="file_spec"),
    Operation(_US_FILE, "list", "GET", _US_PATH + "/file", ListOf(UPLOAD_FILE)),
    Operation(_US_FILE, "get", "GET", _US_PATH + "/file/{file_name}", UPLOAD_FILE),
    Operation(_US_FILE, "remove", "DELETE", _US_PATH + "/file/{file_name}", VOID),
    Operation(_US_FILE, "validate", "POST", _US_PATH + "/file", VALIDATION, action="validate"),
    # download sessions
    Operation(
        _DS,
        "create",
        "POST",
        _A + "/download-session",
        STRING,
        body="create_spec",
        client_token=True,
    ),
    Operation(_DS, "list", "GET", _A + "/download-session", IDS, query=("library_item_id",)),
    Operation(_DS, "get", "GET", _DS_PATH, DOWNLOAD_SESSION),
    Operation(_DS, "delete", "DELETE", _DS_PATH, VOID),
    Operation(_DS, "cancel", "POST", _DS_PATH, VOID, action="cancel"),
    Operation(
        _DS, "keep_alive", "POST", _DS_PATH, VOID, action="keep-alive", body_fields=("progress",)
    ),
    Operation(
        _DS, "fail", "POST", _DS_PATH, VOID, action="fail", body_fields=("client_error_message",)
    ),
    Operation(_DS_FILE, "list", "GET", _DS_PATH + "/file", ListOf(DOWNLOAD_FILE)),
    Operation(_DS_FILE, "get", "GET", _DS_PATH + "/file", DOWNLOAD_FILE, query=("file_name",)),
    Operation(
        _DS_FILE,
        "prepare",
        "POST",
        _DS_PATH + "/file",
        DOWNLOAD_FILE,
        action="prepare",
        body_fields=("file_name", "endpoint_type"),
    ),
)


def find(service: str, name: str) -> Operation | None:
    return OPERATIONS.get((service, name))
