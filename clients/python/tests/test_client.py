"""The client against a real ``dm serve``: finding experiments and files, and the errors a script sees."""

from __future__ import annotations

import os
import socket
import unittest
from unittest import mock

import support
from photon_dm import Client, PhotonError

server = support.DmServer()


def setUpModule() -> None:
    server.start()
    server.experiment_with_files(
        "xpcs-python",
        {"scan_1/a.h5": b"a" * 10, "scan_1/b.h5": b"b" * 2000, "scan_2/c.h5": b"c" * 30, "notes.txt": b"n"},
    )
    # What a beamline script would record about each scan.
    for path, temperature in (("scan_1/a.h5", 290), ("scan_1/b.h5", 310), ("scan_2/c.h5", 300)):
        server.admin.request(
            "PATCH",
            "/experiments/xpcs-python/file",
            query={"path": path},
            body={"metadata": {"temperature": temperature, "sample": "gel" if path != "scan_2/c.h5" else "sol"}},
        )


def tearDownModule() -> None:
    server.stop()


class ExperimentsAndFiles(unittest.TestCase):
    def test_lists_the_experiments_a_user_may_see(self) -> None:
        names = [experiment["name"] for experiment in server.admin.list_experiments(station="8-ID-I")]
        self.assertIn("xpcs-python", names)

    def test_finds_files_by_glob_and_condition(self) -> None:
        paths = lambda files: sorted(f["experimentFilePath"] for f in files)  # noqa: E731
        self.assertEqual(
            paths(server.admin.list_files("xpcs-python")),
            ["notes.txt", "scan_1/a.h5", "scan_1/b.h5", "scan_2/c.h5"],
        )
        self.assertEqual(
            paths(server.admin.list_files("xpcs-python", path_glob="scan_1/*")), ["scan_1/a.h5", "scan_1/b.h5"]
        )
        self.assertEqual(
            paths(server.admin.list_files("xpcs-python", where=["temperature>=300", "sample exists"])),
            ["scan_1/b.h5", "scan_2/c.h5"],
        )
        self.assertEqual(paths(server.admin.list_files("xpcs-python", where="sample=sol")), ["scan_2/c.h5"])

    def test_follows_pages_up_to_the_limit(self) -> None:
        first_two = server.admin.list_files("xpcs-python", limit=2)
        self.assertEqual(len(first_two), 2)
        everything = server.admin.list_files("xpcs-python", limit=None)
        self.assertEqual(len(everything), 4)
        self.assertEqual(everything[:2], first_two)


class Errors(unittest.TestCase):
    def test_raises_the_servers_error_with_code_message_and_details(self) -> None:
        with self.assertRaises(PhotonError) as raised:
            server.admin.list_files("no-such-experiment")
        self.assertEqual(raised.exception.status, 404)
        self.assertEqual(raised.exception.code, "experiment_not_found")
        self.assertIn("no-such-experiment", raised.exception.message)

        with self.assertRaises(PhotonError) as raised:
            server.admin.list_files("xpcs-python", where="temperature >>> 3")
        self.assertEqual(raised.exception.status, 400)
        self.assertIsInstance(raised.exception.details, dict)

    def test_refuses_a_wrong_token(self) -> None:
        with self.assertRaises(PhotonError) as raised:
            Client(server.url, "dm_not-a-token").list_experiments()
        self.assertEqual((raised.exception.status, raised.exception.code), (401, "unauthenticated"))

    def test_says_when_the_server_cannot_be_reached(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with self.assertRaises(PhotonError) as raised:
            Client("http://127.0.0.1:%d" % port, "t").list_experiments()
        self.assertEqual((raised.exception.status, raised.exception.code), (0, "server_unreachable"))


class Configuration(unittest.TestCase):
    def test_takes_url_and_token_from_the_environment(self) -> None:
        token = server.admin.token
        with mock.patch.dict(os.environ, {"DM_URL": server.url + "/", "DM_TOKEN": token}):
            client = Client()
        self.assertEqual(client.url, server.url)
        self.assertIn("xpcs-python", [e["name"] for e in client.list_experiments()])

    def test_needs_a_server(self) -> None:
        with mock.patch.dict(os.environ, {}, clear=True):
            with self.assertRaises(PhotonError) as raised:
                Client()
        self.assertEqual(raised.exception.code, "no_server")


if __name__ == "__main__":
    unittest.main()
