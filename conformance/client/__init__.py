"""The vCenter REST client used by the suite: see ``VcenterClient`` and ``VcenterApi``."""

from ._client import SESSION_HEADER, PinnedTlsSession, VcenterClient
from ._exceptions import (
    CleanupIncomplete,
    ClientError,
    LoginFailed,
    RequestTimeout,
    ServiceUnavailable,
    TransportError,
    UnexpectedResponse,
)
from ._exchange import Exchange
from ._files import (
    Download,
    DownloadSessionFileApi,
    ItemFileApi,
    TransferApi,
    UpdateSessionFileApi,
)
from ._redact import GLOBAL_REDACTOR, REDACTED, Redactor
from ._services import (
    DOWNLOAD_SESSION_PATH,
    UPDATE_SESSION_PATH,
    DownloadSessionApi,
    SessionApi,
    UpdateSessionApi,
    VcenterApi,
)

__all__ = [
    "DOWNLOAD_SESSION_PATH",
    "GLOBAL_REDACTOR",
    "REDACTED",
    "SESSION_HEADER",
    "UPDATE_SESSION_PATH",
    "CleanupIncomplete",
    "ClientError",
    "Download",
    "DownloadSessionApi",
    "DownloadSessionFileApi",
    "Exchange",
    "ItemFileApi",
    "LoginFailed",
    "PinnedTlsSession",
    "Redactor",
    "RequestTimeout",
    "ServiceUnavailable",
    "SessionApi",
    "TransferApi",
    "TransportError",
    "UnexpectedResponse",
    "UpdateSessionApi",
    "UpdateSessionFileApi",
    "VcenterApi",
    "VcenterClient",
]
