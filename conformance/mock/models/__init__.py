"""State and rules of the mock vCenter, with no HTTP in sight (moto's ``models.py``).

``Backend`` owns one store per service; the handlers call it and serialize what it returns.
"""

from .backend import Backend
from .download_session import DOWNLOAD_TRANSITIONS, DownloadSession, DownloadState
from .update_session import (
    UPDATE_DELETABLE,
    UPDATE_TRANSITIONS,
    UpdateSession,
    UpdateState,
    WarningBehavior,
)

__all__ = [
    "DOWNLOAD_TRANSITIONS",
    "UPDATE_DELETABLE",
    "UPDATE_TRANSITIONS",
    "Backend",
    "DownloadSession",
    "DownloadState",
    "UpdateSession",
    "UpdateState",
    "WarningBehavior",
]
