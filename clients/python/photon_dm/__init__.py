"""Photon DM client for Python: start workflows, wait for jobs and search the catalog from beamline scripts.

Standard library only (Python >= 3.9), so it installs anywhere: ``pip install ./clients/python``, or copy this
file as ``photon_dm.py`` next to your script.

    from photon_dm import Client
    client = Client("http://dm.example.org:8080", token)   # or DM_URL and DM_TOKEN in the environment
    job = client.start_job("xpcs-reduce", experiment="2026-1-smith", file_path="scan_7.h5", qmap="default")
    job = client.wait_job(job["id"], timeout=600)
    if job["status"] != "done":
        print(job["errorMessage"])

Every failure raises ``PhotonError`` with the server's ``code``, ``message`` and ``details``.
"""

from __future__ import annotations

import json
import os
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterator, List, Optional, Tuple

__all__ = ["Client", "EventStream", "PhotonError", "FINISHED_STATUSES", "ServerSentEvent", "parse_event_stream"]
__version__ = "0.1.0"

#: A job in one of these states never changes again.
FINISHED_STATUSES = frozenset(["done", "failed", "aborted"])

_API = "/api/v1"


class PhotonError(Exception):
    """An error the server answered with (``{"error": {code, message, details}}``), or the client's own:
    ``server_unreachable`` (status 0) and ``invalid_response`` (an answer that is not the API's JSON)."""

    def __init__(self, status: int, code: str, message: str, details: Optional[Dict[str, Any]] = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details or {}

    def __str__(self) -> str:
        return "%s (%s)" % (self.message, self.code)


class ServerSentEvent(object):
    """One event of ``GET /api/v1/events``: its id (for resuming), type and JSON data."""

    __slots__ = ("id", "type", "data")

    def __init__(self, id: Optional[str], type: str, data: Any):
        self.id = id
        self.type = type
        self.data = data

    def __repr__(self) -> str:
        return "ServerSentEvent(id=%r, type=%r, data=%r)" % (self.id, self.type, self.data)


class Client(object):
    """The Photon DM HTTP API (see docs/api.md). ``url`` and ``token`` default to ``DM_URL`` (or
    ``DM_SERVER``, as the ``dm`` command reads it) and ``DM_TOKEN``; ``timeout`` is per request, in seconds."""

    def __init__(self, url: Optional[str] = None, token: Optional[str] = None, timeout: float = 30.0):
        url = url or os.environ.get("DM_URL") or os.environ.get("DM_SERVER")
        if not url:
            raise PhotonError(0, "no_server", "no server: pass url= or set DM_URL")
        # A trailing slash would make every path start with `//`.
        self.url = url.rstrip("/")
        self.token = token if token is not None else os.environ.get("DM_TOKEN")
        self.timeout = timeout

    # --- transport -------------------------------------------------------------------------------------

    def request(self, method: str, path: str, query: Optional[Dict[str, Any]] = None, body: Any = None) -> Any:
        """One JSON exchange; ``path`` is below ``/api/v1``. Returns the parsed answer (None for 204)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(self._url(path, query), data=data, method=method)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        self._authorize(request)
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                text = response.read().decode("utf-8")
                status = response.status
        except urllib.error.HTTPError as error:
            raise _error_from(error.code, error.read().decode("utf-8", "replace"), self.url) from None
        except (urllib.error.URLError, OSError) as error:
            raise _unreachable(self.url, error) from None
        if status == 204 or text == "":
            return None
        try:
            return json.loads(text)
        except ValueError:
            raise PhotonError(status, "invalid_response", "%s answered with a body that is not JSON" % self.url)

    def _url(self, path: str, query: Optional[Dict[str, Any]] = None) -> str:
        pairs: List[Tuple[str, str]] = []
        for key, value in (query or {}).items():
            if value is None:
                continue
            for item in value if isinstance(value, (list, tuple)) else [value]:
                pairs.append((key, _text(item)))
        return self.url + _API + path + ("?" + urllib.parse.urlencode(pairs) if pairs else "")

    def _authorize(self, request: urllib.request.Request) -> None:
        if self.token:
            request.add_header("Authorization", "Bearer " + self.token)

    def _pages(self, path: str, query: Dict[str, Any], limit: Optional[int]) -> List[Dict[str, Any]]:
        """Follows ``nextCursor`` until the list ends or ``limit`` items were read."""
        items: List[Dict[str, Any]] = []
        cursor = None
        while limit is None or len(items) < limit:
            want = 1000 if limit is None else min(1000, limit - len(items))
            page = self.request("GET", path, dict(query, limit=want, cursor=cursor))
            items.extend(page["items"][: want])
            cursor = page.get("nextCursor")
            if cursor is None or not page["items"]:
                break
        return items

    # --- workflows and jobs ----------------------------------------------------------------------------

    def upsert_workflow(self, definition: Dict[str, Any]) -> Dict[str, Any]:
        """Creates the workflow or stores a new revision of it (APS: dm-upsert-workflow)."""
        return self.request("POST", "/workflows", body={"definition": definition})

    def get_workflow(self, name: str, owner: str) -> Dict[str, Any]:
        return self.request("GET", "/workflows/%s/%s" % (_segment(owner), _segment(name)))

    def start_job(
        self,
        workflow: str,
        owner: Optional[str] = None,
        experiment: Optional[str] = None,
        file_path: Optional[str] = None,
        **arguments: Any
    ) -> Dict[str, Any]:
        """Starts a job; ``owner`` is the workflow's owner (default: you), ``file_path`` is relative to the
        experiment's data directory, and every other keyword is a workflow argument (sent as text)."""
        body: Dict[str, Any] = {"workflow": workflow}
        if owner is not None:
            body["owner"] = owner
        if experiment is not None:
            body["experiment"] = experiment
        if file_path is not None:
            body["filePath"] = file_path
        if arguments:
            body["arguments"] = dict((key, _text(value)) for key, value in arguments.items())
        return self.request("POST", "/jobs", body=body)

    def get_job(self, job_id: int) -> Dict[str, Any]:
        return self.request("GET", "/jobs/%d" % job_id)

    def list_jobs(
        self,
        status: Optional[str] = None,
        workflow: Optional[str] = None,
        owner: Optional[str] = None,
        experiment: Optional[str] = None,
        limit: Optional[int] = 100,
    ) -> List[Dict[str, Any]]:
        """Newest first; ``limit=None`` reads every page."""
        query = {"status": status, "workflow": workflow, "owner": owner, "experiment": experiment}
        return self._pages("/jobs", query, limit)

    def stop_job(self, job_id: int) -> Dict[str, Any]:
        return self.request("POST", "/jobs/%d/stop" % job_id)

    def resubmit_job(self, job_id: int, from_stage: Optional[str] = None) -> Dict[str, Any]:
        body = {} if from_stage is None else {"fromStage": from_stage}
        return self.request("POST", "/jobs/%d/resubmit" % job_id, body=body)

    def wait_job(self, job_id: int, timeout: Optional[float] = None, poll_interval: float = 1.0) -> Dict[str, Any]:
        """Returns the job's record once it has ended (check ``status``: done, failed or aborted); raises
        ``TimeoutError`` after ``timeout`` seconds. Listens to the server's event stream, and looks at the job
        every ``poll_interval`` seconds instead when the server has no stream."""
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            return self._wait_with_events(job_id, deadline)
        except _NoEventStream:
            return self._wait_by_polling(job_id, deadline, poll_interval)

    def _wait_with_events(self, job_id: int, deadline: Optional[float]) -> Dict[str, Any]:
        last_id = None
        while True:
            # The stream is opened before the job is read: a change between the two is then in the stream.
            stream = self._open_job_stream(job_id, last_id, deadline)
            try:
                job = self.get_job(job_id)
                checked = time.monotonic()
                if job["status"] in FINISHED_STATUSES:
                    return job
                for event in stream:
                    last_id = event.id or last_id
                    if event.type == "job.status" and _event_status(event) in FINISHED_STATUSES:
                        return self.get_job(job_id)
                    if time.monotonic() - checked >= _RECHECK_SECONDS:
                        # Heartbeats keep a quiet stream open; look at the job now and then all the same, so a
                        # server that does not publish job events still ends the wait.
                        job, checked = self.get_job(job_id), time.monotonic()
                        if job["status"] in FINISHED_STATUSES:
                            return job
                    _check_deadline(job_id, deadline, job)
            except (socket.timeout, OSError):
                # No heartbeat in time, or a dropped connection: look at the job again and resume the stream
                # after the last event seen, so nothing between is missed.
                pass
            finally:
                stream.close()
            _check_deadline(job_id, deadline)
            # A server that keeps closing the stream must not be asked again in a tight loop.
            time.sleep(0.5 if deadline is None else max(0.0, min(0.5, deadline - time.monotonic())))

    def _open_job_stream(self, job_id: int, last_id: Optional[str], deadline: Optional[float]) -> "EventStream":
        _check_deadline(job_id, deadline)
        remaining = None if deadline is None else deadline - time.monotonic()
        # The server sends a heartbeat every 15 s: a read that waits longer than that means a dead connection.
        read_timeout = _RECHECK_SECONDS if remaining is None else max(0.1, min(_RECHECK_SECONDS, remaining))
        try:
            return self.events(["job.status"], job_id, last_id, read_timeout, comments=True)
        except PhotonError as error:
            if error.status in (404, 405, 501):
                raise _NoEventStream()
            raise

    def _wait_by_polling(self, job_id: int, deadline: Optional[float], poll_interval: float) -> Dict[str, Any]:
        while True:
            job = self.get_job(job_id)
            if job["status"] in FINISHED_STATUSES:
                return job
            _check_deadline(job_id, deadline, job)
            pause = poll_interval if deadline is None else min(poll_interval, deadline - time.monotonic())
            time.sleep(max(0.0, pause))

    # --- experiments and files -------------------------------------------------------------------------

    def list_experiments(
        self, station: Optional[str] = None, user: Optional[str] = None, limit: Optional[int] = 100
    ) -> List[Dict[str, Any]]:
        return self._pages("/experiments", {"station": station, "user": user}, limit)

    def list_files(
        self,
        experiment: str,
        where: Any = None,
        path_glob: Optional[str] = None,
        limit: Optional[int] = 1000,
    ) -> List[Dict[str, Any]]:
        """Cataloged files of an experiment; ``where`` is one condition or a list (``"temperature>=300"``,
        ``"quality = good"``, ``"sample exists"``), all of which must hold."""
        conditions = [where] if isinstance(where, str) else list(where or [])
        query = {"where": conditions, "pathGlob": path_glob}
        return self._pages("/experiments/%s/files" % _segment(experiment), query, limit)

    # --- events ----------------------------------------------------------------------------------------

    def events(
        self,
        types: Optional[List[str]] = None,
        subject: Any = None,
        last_event_id: Optional[str] = None,
        read_timeout: Optional[float] = None,
        comments: bool = False,
    ) -> "EventStream":
        """The server's live events (``GET /api/v1/events``), as they come: ``data`` is the published event,
        ``{id, type, experimentName, username, subjectId, createdAt, payload}``. ``read_timeout`` bounds the
        wait for the next line (``socket.timeout`` then); the server's heartbeats (comments, also yielded with
        ``comments=True`` as events of type ``""``) reset it."""
        query = {"types": ",".join(types) if types else None, "subject": subject}
        request = urllib.request.Request(self._url("/events", query), method="GET")
        request.add_header("Accept", "text/event-stream")
        if last_event_id is not None:
            request.add_header("Last-Event-ID", last_event_id)
        self._authorize(request)
        try:
            response = urllib.request.urlopen(request, timeout=read_timeout or self.timeout)
        except urllib.error.HTTPError as error:
            raise _error_from(error.code, error.read().decode("utf-8", "replace"), self.url) from None
        except (urllib.error.URLError, OSError) as error:
            raise _unreachable(self.url, error) from None
        return EventStream(response, comments)


class EventStream(object):
    """An open ``GET /api/v1/events``: iterate for its events; ``close()`` (or ``with``) ends the request."""

    def __init__(self, response: Any, comments: bool = False):
        self._response = response
        self._events = parse_event_stream(response, comments)

    def __iter__(self) -> "EventStream":
        return self

    def __next__(self) -> ServerSentEvent:
        return next(self._events)

    def close(self) -> None:
        self._response.close()

    def __enter__(self) -> "EventStream":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def parse_event_stream(lines: Iterator[bytes], comments: bool = False) -> Iterator[ServerSentEvent]:
    """Events from the lines of a ``text/event-stream`` (the WHATWG format): ``id:``, ``event:`` and ``data:``
    fields, a blank line ending each event, data parsed as JSON. ``:`` comments (heartbeats) are skipped, or
    with ``comments=True`` yielded as events of type ``""`` with the comment as data."""
    event_id: Optional[str] = None
    event_type = "message"
    data: List[str] = []
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                text = "\n".join(data)
                try:
                    payload: Any = json.loads(text)
                except ValueError:
                    payload = text
                yield ServerSentEvent(event_id, event_type, payload)
            event_type, data = "message", []
            continue
        if line.startswith(":"):
            if comments:
                yield ServerSentEvent(event_id, "", line[1:].strip())
            continue
        field, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field == "id":
            event_id = value
        elif field == "event":
            event_type = value
        elif field == "data":
            data.append(value)


# How often a wait on the event stream looks at the job anyway (and how long a silent connection may last).
_RECHECK_SECONDS = 20.0


def _event_status(event: ServerSentEvent) -> Optional[str]:
    """The job status a ``job.status`` event reports (in its ``payload``, as the server publishes it)."""
    data = event.data if isinstance(event.data, dict) else {}
    payload = data.get("payload") if isinstance(data.get("payload"), dict) else data
    status = payload.get("status")
    return status if isinstance(status, str) else None


class _NoEventStream(Exception):
    """The server has no event stream (an older server): wait by looking at the job instead."""


def _check_deadline(job_id: int, deadline: Optional[float], job: Optional[Dict[str, Any]] = None) -> None:
    if deadline is not None and time.monotonic() >= deadline:
        state = "" if job is None else " (still %s)" % job["status"]
        raise TimeoutError("job %d has not ended in time%s" % (job_id, state))


def _text(value: Any) -> str:
    """Query and argument values as the API takes them: text, with booleans as JSON writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _segment(value: str) -> str:
    """A path segment, encoded so that a name can never step into another route (``a/b``, ``..``)."""
    return urllib.parse.quote(str(value), safe="")


def _error_from(status: int, text: str, url: str) -> PhotonError:
    try:
        error = json.loads(text)["error"]
        return PhotonError(status, error["code"], error["message"], error.get("details") or {})
    except (ValueError, KeyError, TypeError):
        return PhotonError(status, "http_error", "%s answered %d" % (url, status))


def _unreachable(url: str, error: BaseException) -> PhotonError:
    reason = getattr(error, "reason", error)
    return PhotonError(0, "server_unreachable", "cannot reach the Photon DM server at %s (%s)" % (url, reason))
