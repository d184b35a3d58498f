"""Fixtures the sessions need: one datastore, local libraries and their items.

Only as much of the content-library model as the session suites use: libraries and
items can be created, read, listed and deleted; deleting cascades to items and sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import errors
from .common import new_id
from .files import ItemFile

if TYPE_CHECKING:
    from .backend import Backend

__all__ = ["DATASTORES", "ContentLibrary", "Datastore", "Item", "Library", "StorageBacking"]

MAX_ITEM_NAME = 80
MAX_DESCRIPTION = 2000


@dataclass(frozen=True, slots=True)
class Datastore:
    id: str
    name: str
    type: str
    free_space: int
    capacity: int


DATASTORES: tuple[Datastore, ...] = (
    Datastore("datastore-101", "mock-datastore-1", "VMFS", 400 * 2**30, 1024 * 2**30),
)


@dataclass(frozen=True, slots=True)
class StorageBacking:
    type: str
    datastore_id: str | None = None
    storage_uri: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type}
        if self.datastore_id is not None:
            out["datastore_id"] = self.datastore_id
        if self.storage_uri is not None:
            out["storage_uri"] = self.storage_uri
        return out


@dataclass(eq=False)
class Library:
    id: str
    name: str
    description: str | None
    storage_backing: StorageBacking
    created_at: float
    server_guid: str


@dataclass(eq=False)
class Item:
    id: str
    library_id: str
    name: str
    type: str | None
    description: str | None
    created_at: float
    modified_at: float
    content_version: int = 1
    metadata_version: int = 1
    # The item's content: name -> file, filled by completed update sessions.
    files: dict[str, ItemFile] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files.values())


class ContentLibrary:
    """Local libraries and their items."""

    def __init__(self, backend: Backend) -> None:
        self._b = backend
        self._libraries: dict[str, Library] = {}
        self._items: dict[str, Item] = {}
        self._server_guid = new_id()

    def reset(self) -> None:
        self._libraries.clear()
        self._items.clear()

    # -- datastores --------------------------------------------------------------------
    @staticmethod
    def datastores() -> tuple[Datastore, ...]:
        return DATASTORES

    # -- libraries ---------------------------------------------------------------------
    def create_library(
        self,
        name: str,
        description: str | None,
        backings: Sequence[StorageBacking],
        client_token: str | None,
    ) -> str:
        self._b.tokens.check(client_token, uuid_only=not self._b.varied("client-token-any-format"))
        reused = self._b.tokens.lookup("library", client_token, self._libraries.__contains__)
        if reused is not None:
            return reused
        if not name:
            raise errors.invalid_argument(
                "com.vmware.vdcs.cls-main.invalid_library_name",
                "The library name must not be empty.",
            )
        if len(backings) > 1:
            raise errors.several_backings(len(backings))
        if not backings:
            raise errors.invalid_argument(
                "com.vmware.vdcs.cls-main.missing_storage_backing",
                "A local library needs exactly one storage backing.",
            )
        backing = backings[0]
        known = {d.id for d in DATASTORES}
        if backing.type != "DATASTORE" or backing.datastore_id not in known:
            raise errors.invalid_argument(
                "com.vmware.vdcs.cls-main.invalid_storage_backing",
                f"The storage backing {backing.to_json()} is not a known datastore.",
                str(backing.datastore_id),
            )
        library = Library(
            id=self._b.new_id(),
            name=name,
            description=description,
            storage_backing=backing,
            created_at=self._b.clock.now(),
            server_guid=self._server_guid,
        )
        self._libraries[library.id] = library
        self._b.tokens.remember("library", client_token, library.id)
        return library.id

    def get_library(self, library_id: str) -> Library:
        library = self._libraries.get(library_id)
        if library is None:
            raise errors.not_found("library", library_id)
        return library

    def list_libraries(self) -> list[str]:
        return list(self._libraries)

    def delete_library(self, library_id: str) -> None:
        self.get_library(library_id)
        for item in [i for i in self._items.values() if i.library_id == library_id]:
            self.delete_item(item.id)
        del self._libraries[library_id]

    # -- items -------------------------------------------------------------------------
    def create_item(
        self,
        library_id: str,
        name: str,
        item_type: str | None,
        description: str | None,
        client_token: str | None,
    ) -> str:
        self._b.tokens.check(client_token, uuid_only=not self._b.varied("client-token-any-format"))
        reused = self._b.tokens.lookup("item", client_token, self.item_exists)
        if reused is not None:
            return reused
        library = self.get_library(library_id)
        if not 1 <= len(name) <= MAX_ITEM_NAME:
            raise errors.invalid_argument(
                "com.vmware.vdcs.cls-main.invalid_item_name",
                f"The library item name must be 1 to {MAX_ITEM_NAME} characters long.",
                name,
            )
        if description is not None and len(description) > MAX_DESCRIPTION:
            raise errors.invalid_argument(
                "com.vmware.vdcs.cls-main.invalid_item_description",
                f"The library item description must be at most {MAX_DESCRIPTION} characters long.",
            )
        for other in self._items.values():
            if other.library_id == library_id and other.name == name:
                raise errors.duplicate_item_name(name, library.name, library.id)
        now = self._b.clock.now()
        item = Item(
            id=self._b.new_id(),
            library_id=library_id,
            name=name,
            type=item_type,
            description=description,
            created_at=now,
            modified_at=now,
        )
        self._items[item.id] = item
        self._b.tokens.remember("item", client_token, item.id)
        return item.id

    def item_exists(self, item_id: str) -> bool:
        return item_id in self._items

    def get_item(self, item_id: str) -> Item:
        self._b.check_id_format(item_id, "library item")
        item = self._items.get(item_id)
        if item is None:
            raise errors.not_found("library item", item_id)
        return item

    def list_items(self, library_id: str) -> list[str]:
        self.get_library(library_id)
        return [i.id for i in self._items.values() if i.library_id == library_id]

    def delete_item(self, item_id: str) -> None:
        self.get_item(item_id)
        self._b.update_sessions.forget_item(item_id)
        self._b.download_sessions.forget_item(item_id)
        for file in self._items.pop(item_id).files.values():
            self._b.storage.discard(file.data)

    def bump_content_version(self, item_id: str) -> None:
        """A completed update session changed the item's content."""
        item = self.get_item(item_id)
        item.content_version += 1
        item.modified_at = self._b.clock.now()

    def dump(self) -> dict[str, Any]:
        return {
            "libraries": [
                {
                    "id": lib.id,
                    "name": lib.name,
                    "storage_backing": lib.storage_backing.to_json(),
                    "created_at": lib.created_at,
                }
                for lib in self._libraries.values()
            ],
            "items": [
                {
                    "id": it.id,
                    "library_id": it.library_id,
                    "name": it.name,
                    "type": it.type,
                    "content_version": it.content_version,
                }
                for it in self._items.values()
            ],
        }
