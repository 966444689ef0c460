"""Starting Photon DM workflows from Bluesky plans without blocking the RunEngine.

The RunEngine runs plans on one thread (and one asyncio loop): a callback or plan that waits for a job there
stops data collection. These helpers start the job and wait for it on a worker thread and hand back a
``concurrent.futures.Future``, which a plan can wait on with ``bps.wait_for`` (as an asyncio future) or by
polling with ``bps.sleep``. Bluesky itself is not needed to import this module.
"""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Dict, Generator, List, Optional, Union

from photon_dm import Client

__all__ = ["WorkflowOnStop", "as_asyncio_future", "start_and_wait", "wait_for_jobs_plan"]

Documents = Callable[[Dict[str, Any], Dict[str, Any]], Any]


def start_and_wait(
    client: Client,
    workflow: str,
    executor: Optional[ThreadPoolExecutor] = None,
    timeout: Optional[float] = None,
    **start: Any
) -> "Future[Dict[str, Any]]":
    """Starts a job and waits for it on a worker thread; the future's result is the ended job's record (or
    the ``PhotonError`` / ``TimeoutError`` that happened). ``start`` takes ``Client.start_job``'s keywords."""

    def run() -> Dict[str, Any]:
        job = client.start_job(workflow, **start)
        return client.wait_job(job["id"], timeout=timeout)

    if executor is not None:
        return executor.submit(run)
    future: "Future[Dict[str, Any]]" = Future()

    def thread() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(run())
        except BaseException as error:  # handed to whoever waits on the future
            future.set_exception(error)

    threading.Thread(target=thread, name="photon-dm-%s" % workflow, daemon=True).start()
    return future


class WorkflowOnStop(object):
    """A callback for ``RE.subscribe``: when a run ends (its ``stop`` document), starts ``workflow`` for it
    and waits for the job on a worker thread. ``arguments`` and ``file_path`` may be fixed values or
    functions of the run's ``start`` and ``stop`` documents. Runs that did not succeed start nothing unless
    ``only_successful=False``. ``futures`` holds one future per run, in order."""

    def __init__(
        self,
        client: Client,
        workflow: str,
        owner: Optional[str] = None,
        experiment: Optional[str] = None,
        file_path: Union[None, str, Documents] = None,
        arguments: Union[None, Dict[str, Any], Documents] = None,
        only_successful: bool = True,
        timeout: Optional[float] = None,
        max_workers: int = 4,
    ):
        self.client = client
        self.workflow = workflow
        self.owner = owner
        self.experiment = experiment
        self.file_path = file_path
        self.arguments = arguments
        self.only_successful = only_successful
        self.timeout = timeout
        self.futures: List["Future[Dict[str, Any]]"] = []
        self._executor = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="photon-dm")
        self._start_document: Dict[str, Any] = {}

    def __call__(self, name: str, document: Dict[str, Any]) -> None:
        if name == "start":
            self._start_document = document
        elif name == "stop":
            if self.only_successful and document.get("exit_status", "success") != "success":
                return
            self.futures.append(self._submit(self._start_document, document))

    def _submit(self, start: Dict[str, Any], stop: Dict[str, Any]) -> "Future[Dict[str, Any]]":
        arguments = self.arguments(start, stop) if callable(self.arguments) else dict(self.arguments or {})
        file_path = self.file_path(start, stop) if callable(self.file_path) else self.file_path
        return start_and_wait(
            self.client,
            self.workflow,
            executor=self._executor,
            timeout=self.timeout,
            owner=self.owner,
            experiment=self.experiment,
            file_path=file_path,
            **arguments
        )

    def wait(self, timeout: Optional[float] = None) -> List[Dict[str, Any]]:
        """The ended jobs of every run so far (blocking: for the end of a script, not inside a plan)."""
        return [future.result(timeout) for future in list(self.futures)]

    def close(self) -> None:
        """Stops taking work; jobs already started keep running on the server."""
        self._executor.shutdown(wait=False)


def as_asyncio_future(future: "Future[Any]") -> "asyncio.Future[Any]":
    """The future on the running asyncio loop, for ``bps.wait_for([lambda: as_asyncio_future(f)])``: the
    lambda runs on the RunEngine's loop, where the asyncio future must be made."""
    return asyncio.wrap_future(future)


def wait_for_jobs_plan(
    futures: List["Future[Any]"],
    poll_interval: float = 1.0,
    sleep: Optional[Callable[[float], Generator[Any, Any, Any]]] = None,
) -> Generator[Any, Any, List[Any]]:
    """A plan that waits for the futures with ``bps.sleep`` between looks, so the RunEngine stays responsive
    (pause, abort); returns their results: ``jobs = yield from wait_for_jobs_plan(callback.futures)``."""
    if sleep is None:
        from bluesky import plan_stubs  # only when running under Bluesky

        sleep = plan_stubs.sleep
    pending = list(futures)
    while not all(future.done() for future in pending):
        yield from sleep(poll_interval)
    return [future.result() for future in pending]
