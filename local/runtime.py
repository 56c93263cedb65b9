"""Runs Lambda functions in warm worker subprocesses: pooled, lazily started, recycled on code edits."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import select
import struct
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from local.functions import FunctionSpec
from local.moto_server import DUMMY_CREDENTIALS
from local.template import REGION

log = logging.getLogger("local.runtime")
invocations = logging.getLogger("local.invocations")

WORKER_SCRIPT = str(Path(__file__).with_name("_worker_main.py"))
INIT_TIMEOUT_S = 10.0


@dataclass
class InvokeResult:
    request_id: str
    duration_ms: float
    payload: Any = None
    error: dict[str, Any] | None = None
    cold_start: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None


class WorkerGone(Exception):
    """The worker died or timed out; it cannot be reused."""


class CodeWatcher:
    """Tracks a change generation per folder by scanning mtimes in the background.

    Each folder is rescanned at an interval that grows with the cost of its last scan, so a big
    third-party layer costs next to nothing while the function code is checked about once a second.
    """

    def __init__(self, min_interval: float = 0.5) -> None:
        self.min_interval = min_interval
        self._roots: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def generation(self, paths: list[str]) -> tuple[int, ...]:
        with self._lock:
            result = []
            for path in paths:
                root = self._roots.get(path)
                if root is None:
                    fingerprint, cost = _fingerprint(path)
                    root = {"fp": fingerprint, "gen": 0, "next": time.monotonic() + self._interval(cost)}
                    self._roots[path] = root
                result.append(root["gen"])
            return tuple(result)

    def _interval(self, cost: float) -> float:
        return max(self.min_interval, cost * 50)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="code-watcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def scan_now(self) -> None:
        with self._lock:
            roots = list(self._roots.items())
        for path, root in roots:
            self._rescan(path, root)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            now = time.monotonic()
            with self._lock:
                due = [(p, r) for p, r in self._roots.items() if r["next"] <= now]
            for path, root in due:
                self._rescan(path, root)

    def _rescan(self, path: str, root: dict[str, Any]) -> None:
        fingerprint, cost = _fingerprint(path)
        with self._lock:
            if fingerprint != root["fp"]:
                root["fp"] = fingerprint
                root["gen"] += 1
                log.info("code changed under %s; workers will be recycled", path)
            root["next"] = time.monotonic() + self._interval(cost)


def _fingerprint(path: str) -> tuple[tuple[int, int, float], float]:
    started = time.perf_counter()
    count, newest, total = 0, 0, 0.0
    for dirpath, dirnames, filenames in os.walk(path):
        dirnames[:] = [d for d in dirnames if d != "__pycache__" and not d.startswith(".")]
        for name in filenames:
            if name.endswith((".pyc", ".swp", "~")):
                continue
            try:
                stat = os.stat(os.path.join(dirpath, name))
            except OSError:
                continue
            count += 1
            newest = max(newest, stat.st_mtime_ns)
            total += stat.st_size
    return (count, newest, total), time.perf_counter() - started


class Worker:
    def __init__(self, spec: FunctionSpec, env: dict[str, str], log_file: IO[bytes] | None) -> None:
        self.spec = spec
        self.generation: tuple[int, ...] = ()
        self.process = subprocess.Popen(
            [sys.executable, WORKER_SCRIPT, spec.handler, spec.code_path, *spec.layer_paths],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log_file,
            env=env,
            cwd=spec.code_path,
            start_new_session=True,  # Ctrl-C reaches the parent only; it stops workers in order
        )
        self.fresh = True
        ready = self._read(time.monotonic() + INIT_TIMEOUT_S)
        self.init_ms = float(ready.get("initMs", 0))

    def invoke(self, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        data = json.dumps(message).encode()
        try:
            assert self.process.stdin is not None
            self.process.stdin.write(struct.pack(">I", len(data)) + data)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            self.kill()
            raise WorkerGone("worker exited") from exc
        return self._read(time.monotonic() + timeout_s)

    def _read(self, deadline: float) -> dict[str, Any]:
        header = self._read_exact(4, deadline)
        (size,) = struct.unpack(">I", header)
        return dict(json.loads(self._read_exact(size, deadline)))

    def _read_exact(self, size: int, deadline: float) -> bytes:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        chunks = bytearray()
        while len(chunks) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise WorkerGone("timeout")
            readable, _, _ = select.select([fd], [], [], remaining)
            if not readable:
                continue
            chunk = os.read(fd, size - len(chunks))
            if not chunk:
                self.kill()
                raise WorkerGone(f"worker exited with code {self.process.wait()}")
            chunks += chunk
        return bytes(chunks)

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=2)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def close(self) -> None:
        """Graceful stop: EOF on stdin ends the worker's loop."""
        try:
            if self.process.stdin is not None:
                self.process.stdin.close()
            self.process.wait(timeout=1)
        except (OSError, subprocess.TimeoutExpired):
            pass
        self.kill()


class Pool:
    """Warm workers of one function; scales out to `max_workers` under concurrent invocations."""

    def __init__(self, runtime: Runtime, spec: FunctionSpec, max_workers: int) -> None:
        self.runtime = runtime
        self.spec = spec
        self.max_workers = max_workers
        self.idle: list[Worker] = []
        self.count = 0
        self.cond = threading.Condition()
        self.paths = [spec.code_path, *spec.layer_paths]

    def acquire(self, deadline: float) -> Worker:
        generation = self.runtime.watcher.generation(self.paths)
        stale: list[Worker] = []
        with self.cond:
            while True:
                while self.idle:
                    worker = self.idle.pop()
                    if worker.generation == generation and worker.process.poll() is None:
                        break
                    stale.append(worker)
                    self.count -= 1
                else:
                    worker = None
                if worker is not None:
                    break
                if self.count < self.max_workers:
                    self.count += 1
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WorkerGone("no worker became free in time")
                self.cond.wait(remaining)
        for old in stale:
            old.close()
        if worker is not None:
            return worker
        try:
            worker = Worker(self.spec, self.runtime.worker_env(self.spec), self.runtime.log_file(self.spec))
        except BaseException:
            with self.cond:
                self.count -= 1
                self.cond.notify()
            raise
        worker.generation = generation
        return worker

    def release(self, worker: Worker, healthy: bool) -> None:
        with self.cond:
            if healthy and worker.process.poll() is None and not self.runtime.stopping:
                self.idle.append(worker)
                self.cond.notify()
                return
            self.count -= 1
            self.cond.notify()
        worker.kill()

    def shutdown(self) -> None:
        with self.cond:
            workers, self.idle = self.idle, []
        for worker in workers:
            worker.close()


class Runtime:
    """Invokes functions; one pool per function; one log line per invocation."""

    def __init__(
        self,
        functions: dict[str, FunctionSpec],
        aws_endpoint: str,
        log_dir: Path | None,
        extra_env: dict[str, str] | None = None,
        max_workers: int = 4,
        verbose: bool = False,
    ) -> None:
        self.functions = functions
        self.aws_endpoint = aws_endpoint
        self.log_dir = log_dir
        self.extra_env = dict(extra_env or {})
        self.max_workers = max_workers
        self.verbose = verbose
        self.watcher = CodeWatcher()
        self.stopping = False
        self.provisioned = threading.Event()  # set once deferred provisioning is done
        self.provisioned.set()
        self._pools: dict[str, Pool] = {}
        self._logs: dict[str, IO[bytes]] = {}
        self._lock = threading.Lock()
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)

    def start(self) -> Runtime:
        self.watcher.start()
        return self

    def pool(self, spec: FunctionSpec) -> Pool:
        with self._lock:
            pool = self._pools.get(spec.logical_id)
            if pool is None:
                pool = Pool(self, spec, self.max_workers)
                self._pools[spec.logical_id] = pool
            return pool

    def log_file(self, spec: FunctionSpec) -> IO[bytes] | None:
        if self.verbose or self.log_dir is None:
            return None
        with self._lock:
            handle = self._logs.get(spec.logical_id)
            if handle is None:
                handle = open(self.log_dir / f"{spec.logical_id}.log", "ab")  # noqa: SIM115 - kept open
                self._logs[spec.logical_id] = handle
            return handle

    def worker_env(self, spec: FunctionSpec) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": "C.UTF-8",
            "TZ": "UTC",
            "HOME": os.environ.get("HOME", "/tmp"),  # noqa: S108
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        env.update(spec.environment)
        env.update(self.extra_env)
        env.update(DUMMY_CREDENTIALS)
        env.update(
            {
                "AWS_REGION": REGION,
                "AWS_DEFAULT_REGION": REGION,
                "AWS_ENDPOINT_URL": self.aws_endpoint,
                "AWS_LAMBDA_FUNCTION_NAME": spec.name,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
                "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(spec.timeout_s)),
                "AWS_LAMBDA_LOG_GROUP_NAME": spec.log_group,
                "AWS_LAMBDA_LOG_STREAM_NAME": f"{time.strftime('%Y/%m/%d')}/[$LATEST]{uuid.uuid4().hex}",
                "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start" if spec.snap_start else "on-demand",
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
                "LAMBDA_TASK_ROOT": spec.code_path,
                "_HANDLER": spec.handler,
                "POWERTOOLS_TRACE_DISABLED": "true",
                "LOCAL_FUNCTION_ARN": spec.arn,
            }
        )
        return env

    def invoke(self, spec: FunctionSpec, event: Any, timeout_s: float | None = None) -> InvokeResult:
        """Run one invocation; `timeout_s` caps the function's own Timeout (e.g. API Gateway's 29 s)."""
        request_id = str(uuid.uuid4())
        limit = spec.timeout_s if timeout_s is None else min(spec.timeout_s, timeout_s)
        started = time.monotonic()
        if self.stopping:
            return InvokeResult(
                request_id, 0.0, error=_runtime_error("the local stack is stopping", "Runtime.Stopping")
            )
        pool = self.pool(spec)
        try:
            worker = pool.acquire(started + max(limit, INIT_TIMEOUT_S))
        except WorkerGone as exc:
            return InvokeResult(
                request_id, _ms(started), error=_runtime_error(str(exc), "Runtime.Unavailable")
            )
        except (OSError, ValueError) as exc:
            return InvokeResult(request_id, _ms(started), error=_runtime_error(str(exc), "Runtime.InitError"))
        cold, worker.fresh = worker.fresh, False
        self.provisioned.wait(30)
        invoke_started = time.monotonic()
        message = {"requestId": request_id, "deadline": time.time() + limit, "event": event}
        try:
            response = worker.invoke(message, limit + 0.05)
        except WorkerGone as exc:
            pool.release(worker, healthy=False)
            if str(exc) == "timeout":
                error = _runtime_error(f"Task timed out after {limit:.2f} seconds", "Sandbox.Timedout")
            else:
                error = _runtime_error(f"Runtime exited: {exc}", "Runtime.ExitError")
            return InvokeResult(request_id, _ms(invoke_started), error=error, cold_start=cold)
        pool.release(worker, healthy=True)
        return InvokeResult(
            request_id,
            _ms(invoke_started),
            payload=response.get("result"),
            error=response.get("error"),
            cold_start=cold,
        )

    def log_invocation(
        self, spec: FunctionSpec, trigger: str, result: InvokeResult, outcome: str | None = None
    ) -> None:
        if outcome is None:
            outcome = "ok" if result.ok else f"error {(result.error or {}).get('errorType', '')}".rstrip()
        cold = " (cold start)" if result.cold_start else ""
        invocations.info(
            "%s [%s] %s %.1f ms %s%s", spec.logical_id, spec.name, trigger, result.duration_ms, outcome, cold
        )

    def stop(self) -> None:
        self.stopping = True
        self.watcher.stop()
        with self._lock:
            pools = list(self._pools.values())
        threads = [threading.Thread(target=pool.shutdown) for pool in pools]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=5)
        for handle in self._logs.values():
            handle.close()


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000


def _runtime_error(message: str, error_type: str) -> dict[str, Any]:
    return {"errorMessage": message, "errorType": error_type, "stackTrace": []}
