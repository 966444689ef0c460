"""Workflows and jobs from Python against a real ``dm serve``: what a beamline script does after a scan, and
the Bluesky helpers that do it without blocking the RunEngine."""

from __future__ import annotations

import asyncio
import unittest

import support
from photon_dm import PhotonError
from photon_dm.bluesky import WorkflowOnStop, as_asyncio_future, start_and_wait, wait_for_jobs_plan

server = support.DmServer()
EXPERIMENT = "xpcs-python-jobs"

STEPS = {
    "name": "steps",
    "owner": "admin",
    "stages": {
        "01-GREET": {"command": 'echo "hello $who"', "outputVariableRegexList": ["hello (?P<greeted>.*)"]},
        "02-CHECK": {"command": 'test "$mode" != fail'},
        "03-SIZE": {"command": "wc -c < $filePath", "runIf": '"$filePath" != ""'},
    },
}


def setUpModule() -> None:
    server.start()
    server.experiment_with_files(EXPERIMENT, {"scan_1.h5": b"x" * 42})
    server.admin.upsert_workflow(STEPS)


def tearDownModule() -> None:
    server.stop()


class Workflows(unittest.TestCase):
    def test_upserting_again_makes_a_new_revision(self) -> None:
        definition = dict(STEPS, name="revised", description="first")
        first = server.admin.upsert_workflow(definition)
        second = server.admin.upsert_workflow(dict(definition, description="second"))
        self.assertEqual((first["revision"], second["revision"]), (1, 2))
        self.assertEqual(server.admin.get_workflow("revised", owner="admin")["description"], "second")

    def test_an_invalid_definition_raises_every_problem(self) -> None:
        with self.assertRaises(PhotonError) as raised:
            server.admin.upsert_workflow({"name": "bad", "owner": "admin", "stages": {"01": {"comand": "x"}}})
        self.assertEqual((raised.exception.status, raised.exception.code), (400, "workflow_invalid"))
        paths = [problem["path"] for problem in raised.exception.details["problems"]]
        self.assertIn("stages.01.command", paths)
        self.assertIn("stages.01.comand", paths)


class Jobs(unittest.TestCase):
    def test_starts_a_job_on_a_file_and_waits_for_it(self) -> None:
        job = server.admin.start_job("steps", experiment=EXPERIMENT, file_path="scan_1.h5", who="python", mode=1)
        self.assertEqual(job["status"], "pending")
        self.assertEqual(job["arguments"], {"who": "python", "mode": "1"})
        ended = server.admin.wait_job(job["id"], timeout=300)
        self.assertEqual(ended["status"], "done", ended)
        self.assertEqual(ended["greeted"], "python")
        self.assertTrue(ended["filePath"].endswith("/scan_1.h5"))
        self.assertEqual(ended["stages"]["03-SIZE"]["childProcesses"][-1]["stdOut"].strip(), "42")
        self.assertEqual(server.admin.get_job(job["id"]), ended)

    def test_a_failed_job_comes_back_failed(self) -> None:
        job = server.admin.start_job("steps", who="x", mode="fail")
        ended = server.admin.wait_job(job["id"], timeout=300)
        self.assertEqual((ended["status"], ended["stage"]), ("failed", "02-CHECK"))
        failed = server.admin.list_jobs(status="failed", workflow="steps")
        self.assertIn(job["id"], [j["id"] for j in failed])

    def test_wait_gives_up_after_the_timeout(self) -> None:
        server.admin.upsert_workflow({"name": "slow", "owner": "admin", "stages": {"01": {"command": "sleep 60"}}})
        job = server.admin.start_job("slow")
        with self.assertRaises(TimeoutError):
            server.admin.wait_job(job["id"], timeout=1)
        server.admin.stop_job(job["id"])
        self.assertEqual(server.admin.wait_job(job["id"], timeout=120)["status"], "aborted")

    def test_an_unknown_job_or_workflow_raises_not_found(self) -> None:
        with self.assertRaises(PhotonError) as raised:
            server.admin.get_job(999999)
        self.assertEqual((raised.exception.status, raised.exception.code), (404, "job_not_found"))
        with self.assertRaises(PhotonError) as raised:
            server.admin.start_job("no-such-workflow")
        self.assertEqual(raised.exception.code, "workflow_not_found")

    def test_lists_jobs_newest_first_up_to_the_limit(self) -> None:
        ids = [server.admin.start_job("steps", who="n%d" % n, mode="ok")["id"] for n in range(3)]
        newest = server.admin.list_jobs(workflow="steps", limit=2)
        self.assertEqual([job["id"] for job in newest], [ids[2], ids[1]])
        for job_id in ids:
            server.admin.wait_job(job_id, timeout=300)


class Bluesky(unittest.TestCase):
    """The RunEngine's documents, as a plan's run emits them, fed to the callback as RE.subscribe would."""

    def test_starts_the_workflow_when_a_run_stops_and_waits_off_the_calling_thread(self) -> None:
        callback = WorkflowOnStop(
            server.admin,
            "steps",
            experiment=EXPERIMENT,
            file_path=lambda start, stop: start["data_file"],
            arguments=lambda start, stop: {"who": start["sample"], "mode": "ok", "events": stop["num_events"]["primary"]},
        )
        self.addCleanup(callback.close)
        callback("start", {"uid": "run-1", "sample": "lysozyme", "data_file": "scan_1.h5"})
        callback("event", {"data": {}})
        callback("stop", {"run_start": "run-1", "exit_status": "success", "num_events": {"primary": 10}})
        # A run that was aborted starts nothing.
        callback("start", {"uid": "run-2", "sample": "x", "data_file": "scan_1.h5"})
        callback("stop", {"run_start": "run-2", "exit_status": "abort", "num_events": {}})
        self.assertEqual(len(callback.futures), 1)

        # At the end of a plan: poll with bps.sleep (here a stand-in yielding the same kind of message).
        sleeps = []

        def sleep(seconds: float):
            sleeps.append(seconds)
            yield ("sleep", None, seconds)

        plan = wait_for_jobs_plan(callback.futures, poll_interval=0.2, sleep=sleep)
        try:
            while True:
                next(plan)
        except StopIteration as finished:
            jobs = finished.value
        self.assertEqual([job["status"] for job in jobs], ["done"])
        self.assertEqual(jobs[0]["arguments"], {"who": "lysozyme", "mode": "ok", "events": "10"})
        self.assertTrue(jobs[0]["filePath"].endswith("/scan_1.h5"))
        self.assertEqual(callback.wait(timeout=10), jobs)

    def test_a_future_bps_wait_for_can_await(self) -> None:
        future = start_and_wait(server.admin, "steps", timeout=300, experiment=EXPERIMENT, file_path="scan_1.h5",
                                who="asyncio", mode="ok")

        async def plan_side() -> dict:
            # bps.wait_for([lambda: as_asyncio_future(future)]) calls the lambda on the RunEngine's loop.
            return await as_asyncio_future(future)

        job = asyncio.run(plan_side())
        self.assertEqual(job["status"], "done", job)
        self.assertEqual(job["greeted"], "asyncio")

    def test_a_failure_to_start_reaches_whoever_waits(self) -> None:
        future = start_and_wait(server.admin, "no-such-workflow")
        with self.assertRaises(PhotonError):
            future.result(timeout=60)


if __name__ == "__main__":
    unittest.main()
