"""An MLflow Model Registry alias, moved over MLflow's REST API (the 2.0 endpoints of MLflow 2.x and 3.x)
with httpx; mlflow itself is never imported.

A move is idempotent across retries and processes. Its intent is written first, as a tag of the
registered model keyed by the action's idempotency key (`monitor.action.<hash>` = `champion:4->3`), and
only then is the alias moved. A retry (after a crash, a lost answer, a failing webhook) finds the tag
and completes or confirms that move; it never computes a new target, so a retried rollback cannot walk
back two versions. Network errors, 408, 429 and 5xx are worth a retry; any other 4xx is not."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

import httpx

from monitor.notify.http import USER_AGENT, retry_after_seconds
from monitor.notify.redact import Redactor, quiet_logger

API = "/api/2.0/mlflow/"
TAG_PREFIX = "monitor.action."
_RECORDED = re.compile(r"^(?P<alias>[^:]+):(?P<old>\d*)->(?P<new>\d+)$")
_MAX_PAGES = 100
_EXCERPT = 300


class RegistryError(Exception):
    """The registry could not do it; `retryable` says whether a later attempt may succeed."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status_code = status_code
        self.retry_after = retry_after


@dataclass(frozen=True)
class Move:
    """An alias from one version (None: it was not set) to another."""

    alias: str
    old: str | None
    new: str

    @property
    def text(self) -> str:
        return f"{self.alias}:{self.old or ''}->{self.new}"

    @classmethod
    def parse(cls, text: str | None) -> Move | None:
        found = _RECORDED.match(text or "")
        if found is None:
            return None
        return cls(found["alias"], found["old"] or None, found["new"])


@dataclass(frozen=True)
class MoveResult:
    """What a rollback or promotion did. `outcome`: moved (now), done (by an earlier attempt of the same
    action), unchanged (the alias was on the version already), overtaken (the alias was moved by someone
    else after this action recorded its move: left as it is)."""

    model: str
    move: Move
    outcome: str
    now: str | None  # the alias's version afterwards

    def describe(self) -> str:
        head = f"MLflow {self.model} alias {self.move.alias}"
        arrow = f"{self.move.old or '(unset)'} -> {self.move.new}"
        if self.outcome == "unchanged":
            return f"{head} already on version {self.move.new}: nothing to move"
        if self.outcome == "overtaken":
            return f"{head}: {arrow} was recorded, but it is now on {self.now or '(unset)'}: left as it is"
        return f"{head}: {arrow}" + (" (done by an earlier attempt)" if self.outcome == "done" else "")

    def payload(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "alias": self.move.alias,
            "from_version": self.move.old,
            "to_version": self.move.new,
            "outcome": self.outcome,
        }


@dataclass(frozen=True)
class _Model:
    aliases: dict[str, str]
    tags: dict[str, str]


def tag_key(idempotency_key: str) -> str:
    return TAG_PREFIX + hashlib.sha256(idempotency_key.encode()).hexdigest()[:16]


class MlflowRegistry:
    def __init__(
        self,
        tracking_uri: str,
        model: str,
        *,
        alias: str,
        previous_alias: str,
        token: str | None = None,
        timeout: float = 10,
        redact: Redactor | None = None,
    ) -> None:
        self.model = model
        self.alias = alias
        self.previous_alias = previous_alias
        self._base = tracking_uri.rstrip("/") + API
        self._token = token
        self._timeout = timeout
        self._redact = redact or Redactor([token])
        # httpx logs each request's URL at INFO (and httpcore its steps at DEBUG); a tracking URI's path
        # may hold a credential.
        for library in ("httpx", "httpcore"):
            quiet_logger(library, self._redact)

    def rollback(self, key: str) -> MoveResult:
        """The alias back to the version `previous_alias` holds, else to the highest version below it."""
        with self._client() as client:
            model = self._read(client)
            recorded = Move.parse(model.tags.get(tag_key(key)))
            if recorded is not None:
                return self._complete(client, model, recorded, keep_previous=False, earlier=True)
            current = model.aliases.get(self.alias)
            if current is None:
                raise RegistryError(
                    f"MLflow model {self.model!r} has no alias {self.alias!r}: nothing to roll back",
                    retryable=False,
                )
            previous = model.aliases.get(self.previous_alias)
            target = previous if previous not in (None, current) else self._version_below(client, current)
            move = Move(self.alias, current, target)
            self._call(client, "POST", "registered-models/set-tag", body=self._tag(key, move))
            return self._complete(client, model, move, keep_previous=False)

    def promote(self, key: str, version: str) -> MoveResult:
        """The alias to registry version `version`, the version it left kept as `previous_alias`."""
        with self._client() as client:
            model = self._read(client)
            recorded = Move.parse(model.tags.get(tag_key(key)))
            if recorded is not None:
                return self._complete(client, model, recorded, keep_previous=True, earlier=True)
            if not version.isdigit():
                raise RegistryError(
                    f"{version!r} is not a version number of MLflow model {self.model!r}; "
                    "map it to one in the channel's mlflow.versions",
                    retryable=False,
                )
            params = {"name": self.model, "version": version}
            self._call(client, "GET", "model-versions/get", params=params)  # 404 if there is none
            move = Move(self.alias, model.aliases.get(self.alias), version)
            if move.old == move.new:
                return MoveResult(self.model, move, "unchanged", move.new)
            self._call(client, "POST", "registered-models/set-tag", body=self._tag(key, move))
            return self._complete(client, model, move, keep_previous=True)

    def describe(self) -> str:
        """Where the aliases are now (for a channel test); reads only."""
        with self._client() as client:
            model = self._read(client)
        where = {a: model.aliases.get(a, "(unset)") for a in (self.alias, self.previous_alias)}
        return f"MLflow {self.model}: " + ", ".join(f"alias {a} on {v}" for a, v in where.items())

    def _complete(
        self, client: httpx.Client, model: _Model, move: Move, *, keep_previous: bool, earlier: bool = False
    ) -> MoveResult:
        """Carries out a recorded move if the alias is still where the move starts from."""
        now = model.aliases.get(move.alias)
        if now == move.new:
            return MoveResult(self.model, move, "done" if earlier else "unchanged", now)
        if now != move.old:
            return MoveResult(self.model, move, "overtaken", now)
        if keep_previous and move.old is not None:
            self._set_alias(client, self.previous_alias, move.old)
        self._set_alias(client, move.alias, move.new)
        return MoveResult(self.model, move, "moved", move.new)

    def _read(self, client: httpx.Client) -> _Model:
        found = self._call(client, "GET", "registered-models/get", params={"name": self.model})
        model = found.get("registered_model") or {}
        aliases = {str(a["alias"]): str(a["version"]) for a in model.get("aliases") or ()}
        tags = {str(t["key"]): str(t.get("value") or "") for t in model.get("tags") or ()}
        return _Model(aliases, tags)

    def _version_below(self, client: httpx.Client, current: str) -> str:
        quote = "'" if "'" not in self.model else '"'
        params: dict[str, Any] = {"filter": f"name={quote}{self.model}{quote}", "max_results": 1000}
        below: list[int] = []
        for _ in range(_MAX_PAGES):
            page = self._call(client, "GET", "model-versions/search", params=params)
            for version in page.get("model_versions") or ():
                number = str(version.get("version", ""))
                ready = version.get("status", "READY") == "READY"
                if ready and number.isdigit() and current.isdigit() and int(number) < int(current):
                    below.append(int(number))
            params["page_token"] = page.get("next_page_token")
            if not params["page_token"]:
                break
        if not below:
            raise RegistryError(
                f"MLflow model {self.model!r} has no version below {current} to roll back to", retryable=False
            )
        return str(max(below))

    def _tag(self, key: str, move: Move) -> dict[str, str]:
        return {"name": self.model, "key": tag_key(key), "value": move.text}

    def _set_alias(self, client: httpx.Client, alias: str, version: str) -> None:
        body = {"name": self.model, "alias": alias, "version": version}
        self._call(client, "POST", "registered-models/alias", body=body)

    def _client(self) -> httpx.Client:
        headers = {"User-Agent": USER_AGENT}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        return httpx.Client(base_url=self._base, headers=headers, timeout=self._timeout)

    def _call(
        self,
        client: httpx.Client,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        what = f"MLflow ({method} {path}, model {self.model!r})"
        try:
            response = client.request(method, path, params=params, json=body)
        except httpx.HTTPError as exc:
            raise RegistryError(self._redact(f"{what} unreachable: {exc}"), retryable=True) from None
        if response.is_success:
            try:
                found = response.json()
            except ValueError:
                raise RegistryError(f"{what} answered something other than JSON", retryable=True) from None
            return found if isinstance(found, dict) else {}
        raise self._refusal(what, response)

    def _refusal(self, what: str, response: httpx.Response) -> RegistryError:
        status = response.status_code
        try:
            error = response.json()
            reason = f"{error.get('error_code', '')}: {error.get('message', '')}"
        except ValueError:
            reason = " ".join(response.text.split())[:_EXCERPT]
        retryable = status in (408, 429) or status >= 500
        return RegistryError(
            self._redact(f"{what} answered HTTP {status} {reason}" + ("" if retryable else "; not retried")),
            retryable=retryable,
            status_code=status,
            retry_after=retry_after_seconds(response.headers.get("retry-after")) if status == 429 else None,
        )
