"""The campaign files a server knows: ``*.toml`` in one directory (``<store>/campaigns`` unless
``serve --campaigns DIR``), loaded when they change and looked up by their ``id``.

A file that does not load is listed with its error (naming the file, never its path on the
server) instead of breaking the listing; when two files declare one id, the first by file name
wins and the other is listed as invalid.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from devicepark.api.errors import ApiError, scrub
from devicepark.campaign.spec import Campaign, load_campaign, summary
from devicepark.errors import DeviceparkError


class CampaignDir:
    """Campaign files of one directory, re-read when a file's mtime or size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._loaded: dict[Path, tuple[tuple[int, int], Campaign | str]] = {}

    def _scan(self) -> list[tuple[Path, Campaign | str]]:
        files = sorted(self.path.glob("*.toml")) if self.path.is_dir() else []
        out = []
        with self._lock:
            for f in files:
                try:
                    st = f.stat()
                except OSError:
                    continue
                sig = (st.st_mtime_ns, st.st_size)
                cached = self._loaded.get(f)
                if cached is None or cached[0] != sig:
                    try:
                        item: Campaign | str = load_campaign(f)
                    except DeviceparkError as exc:
                        item = scrub(str(exc).replace(str(f), f.name))
                    cached = (sig, item)
                    self._loaded[f] = cached
                out.append((f, cached[1]))
            for gone in set(self._loaded) - set(files):
                del self._loaded[gone]
        return out

    def listing(self) -> dict[str, Any]:
        """``{"campaigns": [summary, ...], "invalid": [{"file", "error"}]}``."""
        campaigns, invalid, seen = [], [], set()
        for f, item in self._scan():
            if isinstance(item, str):
                invalid.append({"file": f.name, "error": item})
            elif item.id in seen:
                invalid.append({"file": f.name, "error": f"duplicate campaign id {item.id!r}"})
            else:
                seen.add(item.id)
                campaigns.append({**summary(item), "file": f.name})
        return {"campaigns": campaigns, "invalid": invalid}

    def get(self, campaign_id: str) -> Campaign:
        """The campaign with this id (404 in the one error shape when there is none)."""
        for _, item in self._scan():
            if not isinstance(item, str) and item.id == campaign_id:
                return item
        raise ApiError(404, f"no campaign {campaign_id!r} in {self.path.name}/")
