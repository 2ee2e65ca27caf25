"""The Parquet store: one folder per logical table, a manifest, and atomic commits.

A store is a directory any engine can read::

    DIR/manifest.json            the current version: config and the files of every table
    DIR/tables/<table>/*.parquet data files; only those the manifest names are live
    DIR/.staging/<txid>/         files being written by an open transaction
    DIR/.lock                    held by the one writer

A transaction writes into staging, moves its files under ``tables/`` and then replaces
``manifest.json`` with ``os.replace``: that rename is the commit. A writer killed at any moment
(or stopped by a full disk) leaves the previous manifest in force; files no manifest names are
swept by the next writer. Files of the previous version are kept one more commit, so a reader
that has just read the manifest can still read its files. A fault of the file system (the path
is a file, the store is read-only, the disk is full) is a StoreError naming it, never a
traceback.

The manifest names its format (``devicepark-store/N``). ``Store.open`` reads the current format
and the older ones this release upgrades (``upgrade.UPGRADES``) and refuses any other, newer or
unknown, with one line naming both formats. Writing needs the current format: ``upgrade.upgrade``
rewrites an older store in one transaction of its own (``devicepark store upgrade``, or the first
ingest), so a store is always wholly at one format.

The manifest records the fingerprint of the pseudonymisation key the store was built with
(``key_fingerprint``: an HMAC of a fixed string under the key, which tells keys apart and reveals
nothing of the key); ``Store.check_key`` refuses any other key.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import fcntl
import hashlib
import hmac
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from devicepark.errors import ConfigError, StoreError
from devicepark.store.schema import SCHEMAS

FORMAT = "devicepark-store/3"  # what this release writes; upgrade.py upgrades the older ones
FORMAT_PREFIX = "devicepark-store/"
MANIFEST = "manifest.json"
# {derived table: the tables it is computed from}: a change to a source drops the derived table
# in the same transaction unless the writer writes it again (the daily aggregate, base/daily.py).
DERIVED: dict[str, tuple[str, ...]] = {"daily": ("lines", "catalog", "tenures")}
# A writer's hook that brings the derived tables of a transaction up to date on a DuckDB
# connection (``answers.daily.refresh_daily``: a later stage, so ingest and upgrade take it in).
Derive = Callable[["Transaction", Any], object]
KEY_CHECK = b"devicepark/key-fingerprint/v1"
ROTATE_HINT = (
    "use the key this store was built with; to change keys, build a new store from the raw "
    "exports (README: Rotating the key)"
)
# OS errors that mean "the store cannot be written", wherever they happen in a transaction.
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG}


def key_fingerprint(key: bytes) -> str:
    """The fingerprint the manifest records: HMAC-SHA256(key, a fixed string), 32 hex
    characters. It tells two keys apart and reveals nothing about either.

    >>> one, two = key_fingerprint(bytes(range(32))), key_fingerprint(bytes(range(1, 33)))
    >>> len(one), one != two
    (32, True)
    """
    return hmac.new(key, KEY_CHECK, hashlib.sha256).hexdigest()[:32]


def _fault(root: Path, exc: OSError, doing: str) -> StoreError:
    """A file-system fault as one line naming the store, what was done and the OS's reason."""
    code = exc.errno
    reason = os.strerror(code) if code else type(exc).__name__
    if code == errno.ENOSPC:
        reason = "no space left on the device"
    return StoreError(
        f"{root}: cannot {doing} ({reason}); the store is unchanged",
        hint="free space or fix the permissions, then run again" if code else None,
    )


@dataclass(frozen=True)
class StoreConfig:
    """Settings fixed when the store is created."""

    timezone: str = "Europe/Paris"
    tenure_gap_days: int = 30  # tenures split on silences longer than this (the default lookback)
    country_code: str = "33"  # for national MSISDNs (0612345678 -> +33612345678)

    def __post_init__(self) -> None:
        import re
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(self.timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ConfigError(
                f"unknown time zone {self.timezone!r} (an IANA name such as Europe/Paris)"
            ) from None
        if not 0 < int(self.tenure_gap_days) <= 3660:
            raise ConfigError(f"tenure_gap_days must lie in 1..3660, got {self.tenure_gap_days}")
        if not re.fullmatch(r"[1-9][0-9]{0,2}", str(self.country_code)):
            raise ConfigError(f"country_code must be 1 to 3 digits, got {self.country_code!r}")


@dataclass
class Manifest:
    version: int = 0
    config: StoreConfig = field(default_factory=StoreConfig)
    tables: dict[str, list[str]] = field(default_factory=dict)
    previous: list[str] = field(
        default_factory=list
    )  # files of the previous version, kept one commit
    committed_at: str | None = None
    key_fingerprint: str | None = None  # of the key the store's pseudonyms were made with
    format: str = FORMAT  # an older one only when read from a store that awaits its upgrade
    # named subsets of a table's files, {table: {part: [files]}}: the tenures' "open" part
    parts: dict[str, dict[str, list[str]]] = field(default_factory=dict)

    def to_json(self) -> str:
        data = {
            "format": self.format,
            "version": self.version,
            "committed_at": self.committed_at,
            "config": asdict(self.config),
            "key_fingerprint": self.key_fingerprint,
            "tables": self.tables,
            "parts": self.parts,
            "previous": self.previous,
        }
        return json.dumps(data, indent=2, sort_keys=False)

    @classmethod
    def from_json(cls, text: str, where: Path) -> Manifest:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise StoreError(f"{where}: manifest is not valid JSON ({exc.msg})") from None
        fmt = _check_format(data.get("format"), where)
        return cls(
            version=int(data["version"]),
            config=StoreConfig(**data.get("config", {})),
            tables={k: list(v) for k, v in data.get("tables", {}).items()},
            parts={
                t: {name: list(files) for name, files in named.items()}
                for t, named in data.get("parts", {}).items()
            },
            previous=list(data.get("previous", [])),
            committed_at=data.get("committed_at"),
            key_fingerprint=data.get("key_fingerprint"),
            format=fmt,
        )


def format_number(fmt: object) -> int | None:
    """N of ``devicepark-store/N``; None for anything else.

    >>> format_number("devicepark-store/12"), format_number("devicepark-store/x"), format_number(3)
    (12, None, None)
    """
    if not isinstance(fmt, str) or not fmt.startswith(FORMAT_PREFIX):
        return None
    number = fmt[len(FORMAT_PREFIX) :]
    return int(number) if number.isascii() and number.isdigit() else None


def _check_format(fmt: object, where: Path) -> str:
    """The manifest's format if this release reads it (the current one, or an older one it
    upgrades); else a StoreError naming the store and both formats."""
    from devicepark.store.upgrade import UPGRADES

    if fmt == FORMAT or fmt in UPGRADES:
        return str(fmt)
    root = where.parent
    number = format_number(fmt)
    if number is None:
        raise StoreError(f"{where}: not a devicepark store manifest (format {fmt!r})")
    if number > (format_number(FORMAT) or 0):
        raise StoreError(
            f"{root}: the store is at format {fmt}, newer than this release's {FORMAT}; "
            "it was written by a newer devicepark",
            hint="upgrade devicepark to read it",
        )
    raise StoreError(
        f"{root}: the store is at format {fmt}, which this release (format {FORMAT}) can "
        "neither read nor upgrade",
        hint="upgrade it with the release that followed it, or rebuild it from the raw exports",
    )


class Store:
    """A handle on a store directory at one manifest version (a consistent snapshot)."""

    def __init__(self, path: Path, manifest: Manifest) -> None:
        self.path = path
        self.manifest = manifest

    # -- opening --------------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Store:
        """Open an existing store; raise StoreError naming the next command if there is none."""
        root = Path(path)
        mpath = root / MANIFEST
        if not mpath.is_file():
            raise StoreError(
                f"{root}: no devicepark store here",
                hint=f"create one with: devicepark ingest --store {root} --lines FILE ...",
            )
        try:
            text = mpath.read_text(encoding="utf-8")
        except OSError as exc:
            raise _fault(root, exc, "read the store's manifest") from None
        except UnicodeDecodeError:
            raise StoreError(f"{mpath}: manifest is not UTF-8 text") from None
        return cls(root, Manifest.from_json(text, mpath))

    @classmethod
    def create(cls, path: str | os.PathLike[str], config: StoreConfig | None = None) -> Store:
        """Create an empty store (version 0) or open the one already there."""
        root = Path(path)
        if (root / MANIFEST).is_file():
            return cls.open(root)
        _check_directory(root)
        try:
            root.mkdir(parents=True, exist_ok=True)
            manifest = Manifest(config=config or StoreConfig())
            _write_manifest(root, manifest)
        except OSError as exc:
            raise _fault(root, exc, "create the store") from None
        return cls(root, manifest)

    def refresh(self) -> Store:
        """The store at its newest committed version."""
        return Store.open(self.path)

    # -- reading --------------------------------------------------------------------------
    @property
    def config(self) -> StoreConfig:
        return self.manifest.config

    @property
    def version(self) -> int:
        return self.manifest.version

    @property
    def key_fingerprint(self) -> str | None:
        return self.manifest.key_fingerprint

    @property
    def format(self) -> str:
        """The store's format: ``FORMAT``, or an older one until the store is upgraded."""
        return self.manifest.format

    def check_key(self, key: bytes) -> bytes:
        """Return ``key`` if the store was built with it (or records no key yet); else raise a
        ConfigError: another key's pseudonyms would count every line twice."""
        recorded = self.manifest.key_fingerprint
        given = key_fingerprint(key)
        if recorded is not None and not hmac.compare_digest(recorded, given):
            raise ConfigError(
                f"{self.path}: this store was built with another pseudonymisation key "
                f"(key fingerprint {given[:8]}, the store's {recorded[:8]}): its pseudonyms "
                "would not match, and every line would count twice",
                hint=ROTATE_HINT,
            )
        return key

    def has(self, table: str) -> bool:
        return bool(self.manifest.tables.get(table))

    def files(self, table: str) -> list[str]:
        """Absolute paths of a table's live Parquet files (possibly none)."""
        return [str(self.path / rel) for rel in self.manifest.tables.get(table, [])]

    def part_files(self, table: str, part: str) -> list[str]:
        """Absolute paths of the files of one named part of a table (``layout.OPEN``...)."""
        return [str(self.path / rel) for rel in self.manifest.parts.get(table, {}).get(part, [])]

    def read(self, table: str, columns: list[str] | None = None) -> pa.Table:
        """Read a whole table into Arrow (small tables only: catalog, ingests, ledger)."""
        schema = SCHEMAS[table]
        files = self.files(table)
        if not files:
            empty = schema.empty_table()
            return empty.select(columns) if columns else empty
        parts = [pq.read_table(f, columns=columns) for f in files]
        target = pa.schema([schema.field(c) for c in columns]) if columns else schema
        return pa.concat_tables([p.cast(target) for p in parts])

    # -- writing --------------------------------------------------------------------------
    @contextlib.contextmanager
    def transaction(self, *, wait: bool = True, upgrade: bool = False) -> Iterator[Transaction]:
        """Open the single writer; the block's normal end commits, an exception discards.

        A store at an older format refuses any writer but the upgrade's (``upgrade=True``, run
        by ``devicepark.store.upgrade``), whose commit writes the current format."""
        _check_directory(self.path)
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            lock = open(self.path / ".lock", "a+")  # closed by the with below
        except OSError as exc:
            raise _fault(self.path, exc, "take the store's lock") from None
        with lock:
            flags = fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB)
            try:
                fcntl.flock(lock, flags)
            except BlockingIOError:
                raise StoreError(f"{self.path}: another ingest holds the store's lock") from None
            try:
                current = Store.open(self.path)
                if current.format != FORMAT and not upgrade:
                    raise StoreError(
                        f"{self.path}: the store is at format {current.format}; this release "
                        f"writes {FORMAT}",
                        hint=f"upgrade it first: devicepark store upgrade --store {self.path}",
                    )
                try:
                    _sweep(self.path, current.manifest)
                    tx = Transaction(current)
                except OSError as exc:
                    raise _fault(self.path, exc, "write into the store") from None
                try:
                    yield tx
                except OSError as exc:
                    shutil.rmtree(tx.staging, ignore_errors=True)
                    if exc.errno in _WRITE_ERRNOS:
                        raise _fault(self.path, exc, "write the store's files") from None
                    raise
                except BaseException:
                    shutil.rmtree(tx.staging, ignore_errors=True)
                    raise
                if tx.changed:
                    try:
                        tx._commit()
                    except OSError as exc:
                        shutil.rmtree(tx.staging, ignore_errors=True)
                        raise _fault(self.path, exc, "commit to the store") from None
                shutil.rmtree(tx.staging, ignore_errors=True)
                self.manifest = Store.open(self.path).manifest
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


class Transaction:
    """Staged changes to a store; committed by one atomic rename of the manifest."""

    def __init__(self, base: Store) -> None:
        self.base = base
        self.txid = f"v{base.version + 1:06d}-{uuid.uuid4().hex[:8]}"
        self.staging = base.path / ".staging" / self.txid
        self.staging.mkdir(parents=True, exist_ok=True)
        self._tables: dict[str, list[str]] = {k: list(v) for k, v in base.manifest.tables.items()}
        self._parts = {
            t: {n: list(f) for n, f in p.items()} for t, p in base.manifest.parts.items()
        }
        self._staged: list[tuple[Path, str]] = []  # (staging path, relative final path)
        self._config = base.config
        self._key_fingerprint = base.manifest.key_fingerprint
        self._counter = 0
        self.changed = False

    def bind_key(self, key: bytes) -> None:
        """Check ``key`` against the store's (``Store.check_key``); a store that records none
        (new, or made by an earlier release) records this one's fingerprint at this commit."""
        self.base.check_key(key)
        if self._key_fingerprint is None:
            self._key_fingerprint = key_fingerprint(key)
            self.changed = True

    @property
    def path(self) -> Path:
        return self.base.path

    @property
    def config(self) -> StoreConfig:
        return self._config

    def files(self, table: str) -> list[str]:
        """The table's files as this transaction would commit them, where they are now
        (staged files at their staging path)."""
        return self._where(self._tables.get(table, []))

    def part_files(self, table: str, part: str) -> list[str]:
        """The files of one named part of a table, as ``files`` gives them."""
        return self._where(self._parts.get(table, {}).get(part, []))

    def _where(self, rels: list[str]) -> list[str]:
        staged = {rel: src for src, rel in self._staged}
        return [str(staged.get(rel, self.base.path / rel)) for rel in rels]

    def new_path(self, table: str) -> Path:
        """A fresh staging path for one Parquet file of ``table``; pass it to add/replace."""
        if table not in SCHEMAS:
            raise StoreError(f"unknown table {table!r}")
        self._counter += 1
        return self.staging / f"{table}-{self._counter:04d}.parquet"

    def write(self, table: str, data: pa.Table, *, replace: bool = False) -> None:
        """Write an Arrow table (cast to the table's schema) as one new file."""
        path = self.new_path(table)
        pq.write_table(
            data.select(SCHEMAS[table].names).cast(SCHEMAS[table]), path, compression="zstd"
        )
        if replace:
            self.replace(table, [path])
        else:
            self.add(table, [path])

    def add(self, table: str, paths: list[Path]) -> None:
        """Append staged files to a table (its named parts no longer hold: they are dropped)."""
        self._tables.setdefault(table, []).extend(self._stage(table, paths))
        self._parts.pop(table, None)
        self._changed(table)

    def replace(self, table: str, paths: list[Path]) -> None:
        """Make the staged files the table's whole content (and drop its named parts)."""
        self._tables[table] = self._stage(table, paths)
        self._parts.pop(table, None)
        self._changed(table)

    def _changed(self, table: str) -> None:
        """A change to ``table``: the tables derived from it no longer hold and are dropped
        (until written again), so that no reader ever sees a stale derived table."""
        for derived, sources in DERIVED.items():
            if table in sources and self._tables.get(derived):
                self._tables[derived] = []
                self._parts.pop(derived, None)
        self.changed = True

    def rewrite(
        self, table: str, keep: list[str], add: list[Path], parts: dict[str, list[Path]]
    ) -> None:
        """Make the table ``keep`` (some of its files, as ``files`` or the base's ``files``
        give them) plus the staged files ``add``, whose named parts are ``parts`` (each a
        subset of ``add``)."""
        base_rels = self.base.manifest.tables.get(table, [])
        where = dict(zip(self.base.files(table), base_rels, strict=True))
        where.update(zip(self.files(table), self._tables.get(table, []), strict=True))
        kept = [where[f] for f in keep]
        rel = dict(zip(add, self._stage(table, add), strict=True))  # every path must exist
        self._tables[table] = kept + list(rel.values())
        self._parts[table] = {name: [rel[p] for p in paths] for name, paths in parts.items()}
        self._changed(table)

    def _stage(self, table: str, paths: list[Path]) -> list[str]:
        rels = []
        for p in paths:
            p = Path(p)
            if not p.exists():  # an empty result written by nobody
                continue
            rel = f"tables/{table}/{self.txid}-{p.name}"
            self._staged.append((p, rel))
            rels.append(rel)
        return rels

    def _commit(self) -> None:
        root = self.base.path
        for src, rel in self._staged:
            dest = root / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            _fsync_file(src)
            os.rename(src, dest)
        for d in {(root / rel).parent for _, rel in self._staged}:
            _fsync_dir(d)
        old = self.base.manifest
        live = {f for files in self._tables.values() for f in files}
        previous = sorted({f for files in old.tables.values() for f in files} - live)
        manifest = Manifest(
            version=old.version + 1,
            config=self._config,
            tables={k: v for k, v in self._tables.items()},
            previous=previous,
            committed_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            key_fingerprint=self._key_fingerprint,
            parts={t: p for t, p in self._parts.items() if p},
        )
        _write_manifest(root, manifest)


def _check_directory(root: Path) -> None:
    """A StoreError when the store's path, or a folder above it, is an existing file."""
    for part in (root, *root.parents):
        try:
            is_file = part.exists() and not part.is_dir()
        except OSError:
            return  # unreadable: the OS names the fault when the store is written
        if is_file:
            where = "is a file" if part == root else f"lies under {part}, which is a file"
            raise StoreError(
                f"{root}: {where}, not a directory", hint="give --store a directory path"
            )


def _write_manifest(root: Path, manifest: Manifest) -> None:
    tmp = root / f".{MANIFEST}.{uuid.uuid4().hex[:8]}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(manifest.to_json())
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, root / MANIFEST)
    _fsync_dir(root)


def _sweep(root: Path, manifest: Manifest) -> None:
    """Remove what no live or previous version names: leftovers of killed writers."""
    shutil.rmtree(root / ".staging", ignore_errors=True)
    keep = {f for files in manifest.tables.values() for f in files} | set(manifest.previous)
    tables = root / "tables"
    if tables.is_dir():
        for f in tables.rglob("*.parquet"):
            if f.relative_to(root).as_posix() not in keep:
                f.unlink(missing_ok=True)
    for tmp in root.glob(f".{MANIFEST}.*.tmp"):
        tmp.unlink(missing_ok=True)


def _fsync_file(path: Path) -> None:
    with open(path, "rb") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
