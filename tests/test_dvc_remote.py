"""Datasets kept in a DVC remote: `benchgate ci` pulls exactly the ones it runs, a dataset not
pulled is named with the command that fetches it, and a failed pull is an infrastructure error.

Against a real S3-compatible server (moto, in server mode on 127.0.0.1) through dvc-s3, and a
local directory remote. One origin repository serves every test: its base commit's dataset was
never pushed anywhere, so a clone that gates against the base proves the base needs no pull.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from benchgate import dvc as dvc_module
from benchgate.crash import redact
from benchmarks.synthetic import DIGEST_METRICS, PARAMS, lower_metric, write_dataset
from tests.conftest import ROOT, benchgate, commit_all, dvc, git
from tests.fakes.github_server import FakeGitHub
from tests.test_ci import BOT, OWNER, PR, REPO, TOKEN, actions_env

BIG, OTHER = "big", "other"
BIG_DATASET = f"data/scenarios/{BIG}/dataset.jsonl"
OTHER_DATASET = f"data/scenarios/{OTHER}/dataset.jsonl"
BUCKET = "benchgate-data"
SECRET = "moto-secret-key-0123456789"
NOT_PULLED = "is tracked by DVC but not in the work tree: run `dvc pull {path}.dvc`"


@dataclass(frozen=True)
class Origin:
    """The project repository that tests clone, and its two commits."""

    path: Path
    base: str
    head: str
    objects: dict[str, str]
    """Cache object (md5) of each dataset at the head commit."""


def quiet_env() -> dict[str, str]:
    """Outside GitHub Actions, with no AWS configuration of the machine and no DVC analytics."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "AWS_"))}
    nowhere = str(ROOT / "no-such-aws-file")  # botocore refuses /dev/null; a missing file is none
    env.update(
        {
            "AWS_CONFIG_FILE": nowhere,
            "AWS_SHARED_CREDENTIALS_FILE": nowhere,
            "AWS_EC2_METADATA_DISABLED": "true",
            "DVC_NO_ANALYTICS": "1",
        }
    )
    return env


def aws_env() -> dict[str, str]:
    """Dummy credentials, as CI hands a real remote's from its secrets."""
    return {
        **quiet_env(),
        "AWS_ACCESS_KEY_ID": "moto-key-id",
        "AWS_SECRET_ACCESS_KEY": SECRET,
        "AWS_DEFAULT_REGION": "us-east-1",
    }


@dataclass(frozen=True)
class S3:
    """The moto server: its endpoint and a client of its bucket."""

    endpoint: str
    client: Any

    def objects(self) -> set[str]:
        """md5 of every object DVC stored in the bucket."""
        listed = self.client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
        return {"".join(item["Key"].split("/")[-2:]) for item in listed}


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    """A moto S3 server with one bucket, for the module."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one log line per request otherwise
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    credentials = aws_env()
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        region_name=credentials["AWS_DEFAULT_REGION"],
    )
    try:
        client.create_bucket(Bucket=BUCKET)
        yield S3(endpoint, client)
    finally:
        server.stop()


def two_scenarios() -> str:
    """params.yaml with scenarios `big` and `other` and the `live:` list dvc.yaml reads."""
    big, other = (
        PARAMS.format(name=name, version="synthetic-v1", metrics="\n".join(DIGEST_METRICS))
        for name in (BIG, OTHER)
    )
    block = other[other.index(f"  {OTHER}:") : other.index("gate:")]
    return big.replace("gate:", block + "gate:", 1) + "live: []\n"


def object_of(pointer: Path) -> str:
    """The md5 a `.dvc` file records for its output."""
    match = re.search(r"md5: ([0-9a-f]{32})", pointer.read_text())
    assert match, pointer.read_text()
    return match.group(1)


def cached_objects(repo: Path) -> set[str]:
    """md5 of every object in a repository's DVC cache."""
    files = repo / ".dvc" / "cache" / "files" / "md5"
    return {p.parent.name + p.name for p in files.glob("*/*")} if files.is_dir() else set()


def run_ok(done: subprocess.CompletedProcess[str]) -> None:
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="module")
def origin(s3: S3, tmp_path_factory: pytest.TempPathFactory) -> Origin:
    """base: both datasets DVC-tracked, results committed; head: `big` loses coverage on 20 samples.

    Only the head's data is pushed, to S3 (the default remote) and to a directory remote.
    """
    root = tmp_path_factory.mktemp("dvc-origin") / "project"
    directory_remote = root.parent / "directory-remote"
    for name, n in ((BIG, 60), (OTHER, 30)):
        scenario = root / "data" / "scenarios" / name
        scenario.mkdir(parents=True)
        (scenario / "prompt.md").write_text("Digest of {{channel}}:\n{{posts}}\n", encoding="utf-8")
        write_dataset(scenario / "dataset.jsonl", n, seed=n)
    (root / "params.yaml").write_text(two_scenarios(), encoding="utf-8")
    shutil.copy(ROOT / "dvc.yaml", root / "dvc.yaml")
    git(root, "init", "-q", "-b", "main")
    env = aws_env()
    run_ok(dvc(root, "init", "-q", env=env))
    (root / ".dvc" / "config").write_text(
        "[core]\n    remote = s3\n"
        f"['remote \"s3\"']\n    url = s3://{BUCKET}/store\n    endpointurl = {s3.endpoint}\n"
        f"['remote \"directory\"']\n    url = {directory_remote}\n"
    )
    for name in (BIG, OTHER):
        run_ok(benchgate(root, "run", "--scenario", name, env=env))
    run_ok(dvc(root, "add", "-q", BIG_DATASET, OTHER_DATASET, env=env))
    base = commit_all(root, "base: datasets in DVC, results in git")
    lower_metric(root / BIG_DATASET, "coverage", 20, 0.3)
    run_ok(benchgate(root, "run", "--scenario", BIG, env=env))
    run_ok(dvc(root, "add", "-q", BIG_DATASET, env=env))
    run_ok(dvc(root, "push", env=env))
    run_ok(dvc(root, "push", "-r", "directory", env=env))
    head = commit_all(root, "head: coverage lowered")
    objects = {path: object_of(root / f"{path}.dvc") for path in (BIG_DATASET, OTHER_DATASET)}
    return Origin(root, base, head, objects)


def fresh_clone(origin: Origin, tmp_path: Path, *, remote: str | None = None) -> Path:
    """A clone as CI checks it out: datasets absent, no DVC cache; `remote` picks a non-default one."""
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(origin.path), str(clone))
    assert not (clone / BIG_DATASET).exists() and not (clone / OTHER_DATASET).exists()
    assert cached_objects(clone) == set()
    if remote is not None:  # a developer's own setting, kept out of git
        (clone / ".dvc" / "config.local").write_text(f"[core]\n    remote = {remote}\n")
    return clone


def gate_of(clone: Path, scenario: str) -> Any:
    """One scenario's gate.json out of `benchgate ci`'s combined one."""
    return json.loads((clone / ".benchgate/ci/gate.json").read_text(encoding="utf-8"))["scenarios"][scenario]


def test_a_dataset_pushed_to_s3_is_pulled_and_gated_by_ci_in_a_fresh_clone(
    origin: Origin, s3: S3, tmp_path: Path
) -> None:
    assert s3.objects() == set(origin.objects.values()), "the base's dataset is in no remote"
    clone = fresh_clone(origin, tmp_path)
    with FakeGitHub({TOKEN: {"login": BOT, "write": True}}) as github:
        github.add_issue(OWNER, REPO, PR)
        env = {**aws_env(), **actions_env(clone, github, origin.base, origin.head)}
        done = benchgate(clone, "ci", env={**env, "BENCHGATE_SCENARIOS": BIG})
        comments = github.comments(OWNER, REPO, PR)
    assert done.returncode == 1, done.stdout + done.stderr  # the gate failed: coverage regressed
    gate = gate_of(clone, BIG)
    assert gate["metrics"]["coverage"]["verdict"] == "regressed"
    assert gate["base"]["sha"] == origin.base
    assert gate["samples"]["paired"] == 60
    assert [str(c["body"]).splitlines()[0] for c in comments] == [f"<!-- benchgate:{BIG} -->"]
    # Exactly the dataset of the scenario run: not the other scenario's, not the base's.
    assert cached_objects(clone) == {origin.objects[BIG_DATASET]}
    assert not (clone / OTHER_DATASET).exists()
    assert (clone / BIG_DATASET).read_bytes() == (origin.path / BIG_DATASET).read_bytes()
    assert f"dvc pull {BIG_DATASET}.dvc" not in done.stderr, "no error"
    assert SECRET not in done.stdout + done.stderr


def test_ci_pulls_every_scenarios_dataset_from_a_directory_remote(origin: Origin, tmp_path: Path) -> None:
    clone = fresh_clone(origin, tmp_path, remote="directory")
    done = benchgate(clone, "ci", "--base", origin.base, env=quiet_env())  # no AWS credentials at all
    assert done.returncode == 1, done.stdout + done.stderr
    assert cached_objects(clone) == set(origin.objects.values())
    assert gate_of(clone, BIG)["metrics"]["coverage"]["verdict"] == "regressed"
    assert gate_of(clone, OTHER)["status"] == "pass"
    assert "benchgate ci: FAIL" in done.stdout


def test_dvc_repro_pull_fetches_the_stages_dataset_and_the_gate_reads_the_base_from_git(
    origin: Origin, tmp_path: Path
) -> None:
    clone = fresh_clone(origin, tmp_path, remote="directory")
    repro = dvc(clone, "repro", "--pull", f"bench@{BIG}-dry-run", env=quiet_env())
    assert repro.returncode == 0, repro.stdout + repro.stderr
    # The stage ran `benchgate run --scenario big` with the other scenario's dataset still remote.
    assert f"Running stage 'bench@{BIG}-dry-run'" in repro.stdout
    assert not (clone / OTHER_DATASET).exists()
    assert git(clone, "status", "--porcelain", "data/results") == "", "the rerun reproduced the commit"
    done = benchgate(clone, "gate", "--scenario", BIG, "--base", origin.base, env=quiet_env())
    assert done.returncode == 1, done.stderr
    assert cached_objects(clone) == {origin.objects[BIG_DATASET]}


def test_a_dataset_not_pulled_names_the_command_that_fetches_it(origin: Origin, tmp_path: Path) -> None:
    clone = fresh_clone(origin, tmp_path)
    message = f"{BIG_DATASET} {NOT_PULLED.format(path=BIG_DATASET)}"
    for args in (("run", "--scenario", BIG), ("gate", "--scenario", BIG, "--base", origin.base)):
        done = benchgate(clone, *args, env=quiet_env())
        assert done.returncode == 2, done.stderr
        assert done.stderr.splitlines() == [f"benchgate: error: {message}"]
    done = benchgate(clone, "validate", "params.yaml", env=quiet_env())
    assert done.returncode == 2
    for path in (BIG_DATASET, OTHER_DATASET):
        assert f"{path}: {NOT_PULLED.format(path=path).removeprefix('is ')}" in done.stdout + done.stderr
    assert "no such file" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_pull_without_credentials_is_exit_3_with_dvcs_error(origin: Origin, tmp_path: Path) -> None:
    clone = fresh_clone(origin, tmp_path)
    env = {**quiet_env(), "BENCHGATE_SCENARIOS": BIG}  # as a fork's PR run: no secrets
    done = benchgate(clone, "ci", "--base", origin.base, env=env)
    assert done.returncode == 3, done.stdout + done.stderr
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith(f"benchgate: error: dvc pull {BIG_DATASET}.dvc failed: ")
    assert "Unable to locate credentials" in last, "the cause DVC names first"
    assert last.endswith("failed to pull data from the cloud - 1 files failed to download"), last
    assert "Traceback" not in done.stderr
    assert not (clone / ".benchgate/ci/gate.json").exists()


def test_dvcs_error_is_one_line_without_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    stderr = (
        "WARNING: Some of the cache files do not exist\n"
        f"ERROR: failed to connect to s3 (https://ci:{SECRET}@minio.internal/store) - denied\n"
        "ERROR: failed to connect to s3 (another try)\n"
        f"ERROR: failed to pull data from the cloud - key {SECRET} refused\n"
        "<https://error.dvc.org/missing-files>\n"
    )
    line = dvc_module.failure(stderr)
    assert line == (
        "failed to connect to s3 (https://[redacted]@minio.internal/store) - denied; "
        "failed to pull data from the cloud - key [redacted] refused"
    )
    assert dvc_module.failure("No remote provided and no default remote set.\n\n") == (
        "No remote provided and no default remote set."
    )
    assert redact("http://user:pw@host/x and https://token@host/y") == (
        "http://[redacted]@host/x and https://[redacted]@host/y"
    )


def test_nothing_tracked_and_missing_runs_no_dvc(tmp_path: Path) -> None:
    (tmp_path / "here.jsonl").write_text("{}\n")
    (tmp_path / "here.jsonl.dvc").write_text("outs: []\n")
    # Outside any DVC repository a `dvc pull` would fail: none runs.
    assert dvc_module.pull(tmp_path, ["here.jsonl", "absent.jsonl"]) == []
    assert dvc_module.not_pulled(tmp_path / "absent.jsonl") is None
    (tmp_path / "gone.jsonl.dvc").write_text("outs: []\n")
    assert dvc_module.not_pulled(tmp_path / "gone.jsonl") == (
        f"tracked by DVC but not in the work tree: run `dvc pull {tmp_path / 'gone.jsonl.dvc'}`"
    )
