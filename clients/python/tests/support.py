"""A real ``dm serve`` for the tests: free loopback port, temporary data directory, SQLite, the admin password
from DM_ADMIN_PASSWORD; stopped by its PID. ``DM_NODE`` names the node binary (default: ``node`` on PATH)."""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from typing import Any, Dict, Optional

TESTS = os.path.dirname(os.path.abspath(__file__))
PACKAGE_ROOT = os.path.dirname(TESTS)
REPOSITORY = os.path.dirname(os.path.dirname(PACKAGE_ROOT))
sys.path.insert(0, PACKAGE_ROOT)

from photon_dm import Client  # noqa: E402

ADMIN_PASSWORD = "python-client-admin-password"


class DmServer(object):
    """``with DmServer() as server:`` or ``start()`` / ``stop()``; ``admin`` is a Client signed in as admin."""

    def __init__(self) -> None:
        self.root = tempfile.mkdtemp(prefix="photon-dm-python-")
        self.process: Optional[subprocess.Popen] = None
        self.url = ""
        self.output: "queue.Queue[str]" = queue.Queue()
        self.lines: list = []
        self.admin: Client

    def start(self, timeout: float = 120.0) -> "DmServer":
        env = dict((key, value) for key, value in os.environ.items() if not key.startswith("DM_"))
        env["DM_ADMIN_PASSWORD"] = ADMIN_PASSWORD
        # The client's stories are not about who a stage runs as: stages run as the server itself (a personal
        # installation), so they read the experiment's files like the test does.
        env["DM_STAGE_SWITCH"] = "none"
        node = os.environ.get("DM_NODE") or shutil.which("node") or "node"
        command = [node, os.path.join(REPOSITORY, "packages", "cli", "bin", "dm.js"), "serve", "--host",
                   "127.0.0.1", "--port", "0", "--data-dir", os.path.join(self.root, "data"), "--log-level", "warn"]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                        universal_newlines=True)
        threading.Thread(target=self._read_output, daemon=True).start()
        deadline = time.monotonic() + timeout
        while not self.url:
            try:
                line = self.output.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                self.stop()
                raise RuntimeError("dm serve did not start in %ds:\n%s" % (timeout, "".join(self.lines)))
            if line.startswith("Photon DM listening on "):
                self.url = line.split()[-1]
            elif line == "":
                raise RuntimeError("dm serve exited before listening:\n%s" % "".join(self.lines))
        self.admin = Client(self.url, self.login("admin", ADMIN_PASSWORD))
        return self

    def _read_output(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            self.output.put(line)
        self.output.put("")

    def login(self, username: str, password: str) -> str:
        body = json.dumps({"username": username, "password": password}).encode()
        request = urllib.request.Request(self.url + "/api/v1/auth/login", data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())["token"]

    def stop(self) -> None:
        """SIGTERM by PID, as an operator stops it; the server must exit cleanly (0) within a minute."""
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                code = self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
                raise RuntimeError("dm serve did not stop within 60 s of SIGTERM")
            if code != 0:
                raise RuntimeError("dm serve exited with %s:\n%s" % (code, "".join(self.lines)))
        shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> "DmServer":
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # --- facility set-up through the API --------------------------------------------------------------

    def experiment_with_files(self, name: str, files: Dict[str, bytes], timeout: float = 60.0) -> str:
        """An experiment whose data directory holds ``files`` (relative path -> content), uploaded and
        cataloged; returns the directory the files were written in first."""
        admin = self.admin
        try:
            admin.request("POST", "/stations", body={"name": "8-ID-I"})
        except Exception as error:  # the station exists after the first experiment
            if getattr(error, "code", None) != "station_exists":
                raise
        admin.request("POST", "/experiments", body={"name": name, "station": "8-ID-I"})
        source = os.path.join(self.root, "beamline-" + name)
        for path, content in files.items():
            os.makedirs(os.path.dirname(os.path.join(source, path)), exist_ok=True)
            with open(os.path.join(source, path), "wb") as handle:
                handle.write(content)
        upload = admin.request("POST", "/uploads", body={"experiment": name, "dataDirectory": source})
        deadline = time.monotonic() + timeout
        while upload["status"] not in ("done", "failed", "aborted"):
            if time.monotonic() > deadline:
                raise RuntimeError("upload did not end: %r" % upload)
            time.sleep(0.2)
            upload = admin.request("GET", "/uploads/%d" % upload["id"])
        if upload["status"] != "done":
            raise RuntimeError("upload %s: %r" % (upload["status"], upload["errors"]))
        return source
