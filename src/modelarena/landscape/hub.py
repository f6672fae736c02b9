"""A Hub metadata snapshot fetched live with the ``huggingface_hub`` client.

``GET {endpoint}/api/models`` is listed page by page (``Link: <...>; rel="next"``), each page
appended to a JSON Lines file as it arrives with the Hub's own field names, and a small state
file beside it (``<out>.state.json``) says where the next page starts. An interrupted fetch
is resumed from there (``resume=True``): the file is cut back to the last whole page, so no
row is lost or written twice. A 429 is waited out for as long as its ``Retry-After`` says
(exponential backoff when it does not say), and requests are spaced by ``min_interval``
seconds: the Hub allows anonymous clients about 1,000 requests per 5 minutes.

The listing carries the lineage tags (``base_model:<relation>:<repo>``) but not the
``baseModels`` field; parents that are not in the listing (a ``limit``-ed or filtered fetch)
are then fetched one by one with ``HfApi.model_info(expand=[... "baseModels"])`` so the
lineage reaches its roots (``parents=True``, up to ``parent_depth`` generations).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEFAULT_ENDPOINT = "https://huggingface.co"
LIST_FIELDS = (
    "author",
    "cardData",
    "createdAt",
    "downloads",
    "downloadsAllTime",
    "gguf",
    "lastModified",
    "library_name",
    "likes",
    "pipeline_tag",
    "tags",
    "trendingScore",
)
INFO_FIELDS = (*LIST_FIELDS, "baseModels")
INSTALL_HINT = "fetching from the Hub needs huggingface_hub: pip install 'modelarena[landscape]'"


class HubFetchError(RuntimeError):
    """The fetch cannot go on; the message says why and what to do."""


@dataclass
class FetchState:
    endpoint: str
    next_url: str | None
    rows: int = 0
    offset: int = 0  # bytes of whole pages in the output file
    pages: int = 0
    listing_complete: bool = False  # the listing reached its last page
    stopped_at_limit: bool = False
    filtered: bool = False  # a search or pipeline filter: a part of the Hub, not all of it
    parents_done: bool = False
    parents_fetched: int = 0
    parents_missing: list[str] = field(default_factory=list)
    waits: int = 0  # 429s and retries waited out
    waited_seconds: float = 0.0
    started_at: str = ""
    updated_at: str = ""

    @property
    def complete(self) -> bool:
        """The whole Hub listing was fetched (no limit, no filter): a full snapshot."""
        return self.listing_complete and not self.stopped_at_limit and not self.filtered


def state_path(out: Path) -> Path:
    return out.with_name(out.name + ".state.json")


def read_state(out: str | Path) -> FetchState | None:
    path = state_path(Path(out))
    if not path.exists():
        return None
    try:
        return FetchState(**json.loads(path.read_text("utf-8")))
    except (ValueError, TypeError) as exc:
        raise HubFetchError(f"{path} is not a fetch state file ({exc}); delete it") from exc


def _write_state(out: Path, state: FetchState) -> None:
    state.updated_at = datetime.now(UTC).isoformat(timespec="seconds")
    tmp = state_path(out).with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state), indent=1), "utf-8")
    os.replace(tmp, state_path(out))


def retry_after_seconds(headers: Any) -> float | None:
    """Seconds a ``Retry-After`` header asks for (a number or an HTTP date), or None."""
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return None
    value = str(value).strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(UTC)).total_seconds())
    return None


def _parents_of(row: dict[str, Any]) -> list[str]:
    """Every parent id a row names (baseModels, base_model tags, card base_model)."""
    out: list[str] = []
    base = row.get("baseModels")
    if isinstance(base, dict):
        out += [m["id"] for m in base.get("models") or [] if isinstance(m, dict) and m.get("id")]
    for tag in row.get("tags") or []:
        parts = str(tag).split(":")
        if len(parts) == 3 and parts[0] == "base_model":
            out.append(parts[2])
    card = row.get("cardData")
    if isinstance(card, dict):
        bm = card.get("base_model")
        out += [bm] if isinstance(bm, str) else [b for b in bm or [] if isinstance(b, str)]
    return out


def _info_row(info: Any) -> dict[str, Any]:
    """A ``ModelInfo`` back in the Hub's own field names (as the listing gives them)."""

    def iso(value: Any) -> Any:
        return value.isoformat() if isinstance(value, datetime) else value

    card = getattr(info, "card_data", None)
    if card is not None and hasattr(card, "to_dict"):
        card = card.to_dict()
    base = getattr(info, "base_models", None) or getattr(info, "baseModels", None)
    gguf = getattr(info, "gguf", None)
    return {
        "id": info.id,
        "author": getattr(info, "author", None),
        "createdAt": iso(getattr(info, "created_at", None)),
        "lastModified": iso(getattr(info, "last_modified", None)),
        "downloads": getattr(info, "downloads", None),
        "downloadsAllTime": getattr(info, "downloads_all_time", None),
        "likes": getattr(info, "likes", None),
        "trendingScore": getattr(info, "trending_score", None),
        "tags": getattr(info, "tags", None),
        "cardData": card,
        "baseModels": base,
        "pipeline_tag": getattr(info, "pipeline_tag", None),
        "library_name": getattr(info, "library_name", None),
        "gguf": gguf if isinstance(gguf, dict) or gguf is None else None,
    }


class HubFetcher:
    """Fetch a snapshot: ``HubFetcher(endpoint).fetch(Path("snapshot.jsonl"))``."""

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        token: str | None = None,
        page_size: int = 1000,
        min_interval: float = 0.3,
        max_retries: int = 8,
        timeout: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        search: str | None = None,
        pipeline_tag: str | None = None,
    ) -> None:
        try:
            import huggingface_hub  # noqa: F401
        except ImportError as exc:
            raise HubFetchError(INSTALL_HINT) from exc
        self.endpoint = endpoint.rstrip("/")
        self.token = token
        self.page_size = page_size
        self.min_interval = min_interval
        self.max_retries = max_retries
        self.timeout = timeout
        self.sleep = sleep
        self.search = search
        self.pipeline_tag = pipeline_tag
        self._last_request = 0.0

    # -- requests -------------------------------------------------------------------------

    def _space(self) -> None:
        gap = self.min_interval - (time.monotonic() - self._last_request)
        if gap > 0:
            self.sleep(gap)
        self._last_request = time.monotonic()

    def _wait(self, state: FetchState, seconds: float) -> None:
        state.waits += 1
        state.waited_seconds += seconds
        self.sleep(seconds)

    def _get(self, url: str, params: list[tuple[str, str]] | None, state: FetchState) -> Any:
        from huggingface_hub.utils import (  # type: ignore[attr-defined]
            build_hf_headers,
            get_session,
            hf_raise_for_status,
        )

        headers = build_hf_headers(token=self.token, library_name="modelarena")
        backoff = 1.0
        for attempt in range(self.max_retries + 1):
            self._space()
            try:
                response = get_session().get(
                    url,
                    params=params,  # type: ignore[arg-type]
                    headers=headers,
                    timeout=self.timeout,
                )
            except Exception as exc:  # noqa: BLE001 - the client's own network errors vary
                if attempt == self.max_retries:
                    raise HubFetchError(f"cannot reach {self.endpoint}: {exc}") from exc
                self._wait(state, backoff)
                backoff = min(60.0, backoff * 2)
                continue
            if response.status_code == 429 or response.status_code >= 500:
                if attempt == self.max_retries:
                    break
                asked = retry_after_seconds(response.headers)
                self._wait(state, asked if asked is not None else backoff)
                backoff = min(60.0, backoff * 2)
                continue
            try:
                hf_raise_for_status(response)
            except Exception as exc:  # noqa: BLE001 - HfHubHTTPError and its kin
                raise HubFetchError(f"{url}: {str(exc).splitlines()[0]}") from exc
            return response
        raise HubFetchError(
            f"{self.endpoint} kept refusing after {self.max_retries} retries "
            f"(HTTP {response.status_code}); run again later with --resume"
        )

    def _model_info(self, repo_id: str, state: FetchState) -> dict[str, Any] | None:
        from huggingface_hub import HfApi
        from huggingface_hub.errors import HfHubHTTPError

        api = HfApi(endpoint=self.endpoint, token=self.token, library_name="modelarena")
        backoff = 1.0
        for _ in range(self.max_retries + 1):
            self._space()
            try:
                info = api.model_info(repo_id, expand=list(INFO_FIELDS))  # type: ignore[arg-type]
            except HfHubHTTPError as exc:
                status = exc.response.status_code if exc.response is not None else 0
                if status in (401, 403, 404):  # gone, gated or private: a root we cannot see
                    return None
                if status != 429 and status < 500:
                    raise HubFetchError(f"model info for {repo_id}: {exc}") from exc
                asked = retry_after_seconds(exc.response.headers)
                self._wait(state, asked if asked is not None else backoff)
                backoff = min(60.0, backoff * 2)
                continue
            return _info_row(info)
        raise HubFetchError(
            f"{self.endpoint} kept refusing model info after {self.max_retries} retries; "
            "run again later with --resume"
        )

    # -- the fetch ------------------------------------------------------------------------

    def _first_params(self) -> list[tuple[str, str]]:
        params = [("limit", str(self.page_size))] + [("expand", f) for f in LIST_FIELDS]
        if self.search:
            params.append(("search", self.search))
        if self.pipeline_tag:
            params.append(("pipeline_tag", self.pipeline_tag))
        return params

    def fetch(
        self,
        out: str | Path,
        *,
        limit: int | None = None,
        resume: bool = False,
        parents: bool = True,
        parent_depth: int = 10,
        on_progress: Callable[[FetchState], None] | None = None,
    ) -> FetchState:
        """List models into ``out`` (JSON Lines), then fetch missing parents; the returned
        state says how far it got. ``resume`` continues an interrupted fetch."""
        out = Path(out)
        state = read_state(out)
        if resume and state is None and out.exists():
            raise HubFetchError(f"{out} exists but has no state file to resume from")
        if not resume and (state is not None or out.exists()):
            raise HubFetchError(
                f"{out} already exists: add --resume to continue it, or choose another --out"
            )
        if state is None:
            now = datetime.now(UTC).isoformat(timespec="seconds")
            state = FetchState(
                endpoint=self.endpoint,
                next_url=None,
                started_at=now,
                filtered=bool(self.search or self.pipeline_tag),
            )
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(b"")
            first = True
        else:
            if state.endpoint != self.endpoint:
                raise HubFetchError(f"{out} was fetched from {state.endpoint}, not {self.endpoint}")
            with out.open("r+b") as fh:  # drop a page written after the last checkpoint
                fh.truncate(state.offset)
            first = False
        if limit is not None and state.rows >= limit:
            state.stopped_at_limit = True
        while not state.listing_complete and not state.stopped_at_limit:
            if first:
                response = self._get(f"{self.endpoint}/api/models", self._first_params(), state)
                first = False
            elif state.next_url:
                response = self._get(state.next_url, None, state)
            else:
                break
            page = response.json()
            if limit is not None and state.rows + len(page) >= limit:
                page = page[: limit - state.rows]
                state.stopped_at_limit = True
            self._append(out, page, state)
            nxt = response.links.get("next", {}).get("url")
            state.next_url = nxt
            state.listing_complete = nxt is None
            state.pages += 1
            _write_state(out, state)
            if on_progress:
                on_progress(state)
        if parents and not state.parents_done:
            self._fetch_parents(out, state, parent_depth, on_progress)
        return state

    def _append(self, out: Path, rows: list[dict[str, Any]], state: FetchState) -> None:
        data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()
        with out.open("ab") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        state.rows += len(rows)
        state.offset += len(data)

    def _fetch_parents(
        self,
        out: Path,
        state: FetchState,
        depth: int,
        on_progress: Callable[[FetchState], None] | None,
    ) -> None:
        have: set[str] = set()
        wanted: set[str] = set()
        for row in _rows(out):
            have.add(str(row["id"]).lower())
            wanted.update(p for p in _parents_of(row))
        missing = set(state.parents_missing)
        for _ in range(depth):
            todo = sorted(p for p in wanted if p.lower() not in have and p not in missing)
            if not todo:
                break
            wanted = set()
            for repo in todo:
                info = self._model_info(repo, state)
                if info is None:
                    missing.add(repo)
                    state.parents_missing.append(repo)
                else:
                    self._append(out, [info], state)
                    state.parents_fetched += 1
                    have.add(str(info["id"]).lower())
                    have.add(repo.lower())
                    wanted.update(_parents_of(info))
                _write_state(out, state)
                if on_progress:
                    on_progress(state)
        state.parents_done = True
        _write_state(out, state)


def _rows(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("r", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


__all__ = [
    "DEFAULT_ENDPOINT",
    "INFO_FIELDS",
    "LIST_FIELDS",
    "FetchState",
    "HubFetchError",
    "HubFetcher",
    "read_state",
    "retry_after_seconds",
    "state_path",
]
