"""``wait_job`` on the event stream, against a small server speaking the API's wire format (the SSE of
``GET /api/v1/events`` and the job record of ``GET /api/v1/jobs/{id}``): events, a dropped stream resumed
with ``Last-Event-ID``, and the fallback to polling when a server has no stream."""

from __future__ import annotations

import io
import json
import threading
import time
import unittest
import urllib.parse
from unittest import mock
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional

import support  # noqa: F401  (puts photon_dm on the path)
from photon_dm import Client, parse_event_stream


class FakeDm(object):
    """Job 7 and its event stream. ``events`` are sent to each stream from ``Last-Event-ID`` on; with
    ``drop_after`` the first stream is cut after that many events."""

    def __init__(self, statuses: List[str], events: Optional[List[Dict[str, Any]]] = None,
                 drop_after: Optional[int] = None):
        self.statuses = statuses
        self.events = events
        self.drop_after = drop_after
        self.job_reads = 0
        self.streams: List[Dict[str, Optional[str]]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                url = urllib.parse.urlsplit(self.path)
                if self.headers.get("Authorization") != "Bearer secret":
                    return self.json(401, {"error": {"code": "unauthenticated", "message": "no", "details": {}}})
                if url.path == "/api/v1/jobs/7":
                    status = fake.statuses[min(fake.job_reads, len(fake.statuses) - 1)]
                    fake.job_reads += 1
                    return self.json(200, {"id": 7, "status": status, "errorMessage": None})
                if url.path == "/api/v1/events" and fake.events is not None:
                    try:
                        return self.stream(urllib.parse.parse_qs(url.query))
                    except (BrokenPipeError, ConnectionResetError):
                        return None  # the client has what it wanted and hung up

                self.json(404, {"error": {"code": "route_not_found", "message": "no route", "details": {}}})

            def json(self, status: int, body: Any) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def stream(self, query: Dict[str, List[str]]) -> None:
                last = self.headers.get("Last-Event-ID")
                fake.streams.append({"types": query.get("types", [None])[0],
                                     "subject": query.get("subject", [None])[0], "lastEventId": last})
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b": connected\n\n")
                assert fake.events is not None
                pending = [e for e in fake.events if e["id"] is None or last is None or int(e["id"]) > int(last)]
                for sent, event in enumerate(pending):
                    if len(fake.streams) == 1 and fake.drop_after is not None and sent == fake.drop_after:
                        return  # the connection closes, as a restarted server's would
                    time.sleep(0.05)
                    if event["id"] is None:
                        self.wfile.write(b": heartbeat\n\n")
                    else:
                        self.wfile.write(("id: %s\nevent: %s\ndata: %s\n\n" % (
                            event["id"], event["type"], json.dumps(event["data"]))).encode())
                    self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def status_event(event_id: int, status: str) -> Dict[str, Any]:
    """As the server publishes it: the event record, with what happened in ``payload``."""
    return {"id": str(event_id), "type": "job.status",
            "data": {"id": event_id, "type": "job.status", "experimentName": None, "username": "admin",
                     "subjectId": "7", "createdAt": "2026-11-21T10:00:00.000Z",
                     "payload": {"jobId": 7, "workflowName": "w", "owner": "admin", "status": status,
                                 "previousStatus": None, "stage": "01-A", "errorMessage": None}}}


def heartbeat() -> Dict[str, Any]:
    return {"id": None}


class WaitOnEvents(unittest.TestCase):
    def serve(self, *args: Any, **kwargs: Any) -> FakeDm:
        fake = FakeDm(*args, **kwargs)
        self.addCleanup(fake.close)
        return fake

    def test_waits_for_the_status_event_instead_of_polling(self) -> None:
        fake = self.serve(["running", "done"], events=[status_event(1, "running"), status_event(2, "done")])
        job = Client(fake.url, "secret").wait_job(7, timeout=30, poll_interval=0.01)
        self.assertEqual(job["status"], "done")
        # Once when the stream opened, once for the final record: no looking in between.
        self.assertEqual(fake.job_reads, 2)
        self.assertEqual(fake.streams, [{"types": "job.status", "subject": "7", "lastEventId": None}])

    def test_resumes_a_dropped_stream_after_the_last_event_seen(self) -> None:
        fake = self.serve(["running", "running", "failed"],
                          events=[status_event(1, "running"), status_event(2, "failed")], drop_after=1)
        job = Client(fake.url, "secret").wait_job(7, timeout=30)
        self.assertEqual(job["status"], "failed")
        self.assertEqual([stream["lastEventId"] for stream in fake.streams], [None, "1"])

    def test_looks_at_the_job_now_and_then_when_only_heartbeats_come(self) -> None:
        # A server that does not publish job events: the wait must still end.
        fake = self.serve(["running", "running", "done"], events=[heartbeat() for _ in range(40)])
        with mock.patch("photon_dm._RECHECK_SECONDS", 0.2):
            job = Client(fake.url, "secret").wait_job(7, timeout=60)
        self.assertEqual(job["status"], "done")

    def test_returns_at_once_when_the_job_had_already_ended(self) -> None:
        fake = self.serve(["aborted"], events=[])
        self.assertEqual(Client(fake.url, "secret").wait_job(7, timeout=30)["status"], "aborted")

    def test_polls_the_job_when_the_server_has_no_event_stream(self) -> None:
        fake = self.serve(["pending", "running", "running", "done"], events=None)
        job = Client(fake.url, "secret").wait_job(7, timeout=30, poll_interval=0.01)
        self.assertEqual(job["status"], "done")
        self.assertEqual(fake.job_reads, 4)

    def test_gives_up_after_the_timeout(self) -> None:
        for events in (None, [status_event(1, "running")]):
            fake = self.serve(["running"], events=events)
            with self.assertRaises(TimeoutError):
                Client(fake.url, "secret").wait_job(7, timeout=0.5, poll_interval=0.05)


class EventStreamFormat(unittest.TestCase):
    def test_reads_ids_types_multiline_data_and_skips_comments(self) -> None:
        wire = (b": keep-alive\r\n\r\nid: 5\r\nevent: job.stage\r\ndata: {\"jobId\": 7,\r\ndata: \"stage\": \"A\"}\r\n\r\n"
                b"data: plain text\n\n")
        events = list(parse_event_stream(io.BytesIO(wire)))
        self.assertEqual([(e.id, e.type, e.data) for e in events],
                         [("5", "job.stage", {"jobId": 7, "stage": "A"}), ("5", "message", "plain text")])
        with_comments = list(parse_event_stream(io.BytesIO(wire), comments=True))
        self.assertEqual([(e.type, e.data) for e in with_comments][0], ("", "keep-alive"))


if __name__ == "__main__":
    unittest.main()
