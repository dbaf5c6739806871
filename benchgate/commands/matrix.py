"""`benchgate ci` on a CI matrix: one job scores a shard of every scenario, one merges them all.

Both halves agree on one layout, the shards directory: `<dir>/<scenario>/<i>-of-<N>/` holds
shard i's scores.jsonl, metrics.json and run.json. A matrix job writes its shard there (the
workflow uploads the directory as an artifact); the gating job downloads every artifact into
one directory and merges each scenario's shards into its results, which it then gates.
"""

from __future__ import annotations

from pathlib import Path

from benchgate.commands.merge import merge_shards
from benchgate.commands.run import LiveOptions, needs_offline_only, run_scenario
from benchgate.errors import UsageError
from benchgate.params_file import Project
from benchgate.results import Mode, Shard


def shard_directory(shards_dir: Path, scenario: str, shard: Shard) -> Path:
    """Where shard i of N of a scenario goes in the shards directory."""
    return shards_dir / scenario / f"{shard.index}-of-{shard.count}"


def run_shards(
    project: Project, names: list[str], mode: Mode, shard: Shard, shards_dir: Path, *, base: str | None
) -> dict[str, Path]:
    """Score this shard of every scenario into the shards directory; scenario -> its directory.

    A live scenario without an endpoint scores offline only, as an unsharded `benchgate ci`
    would, and it reuses from and compares pairwise with the same base: the merged shards are
    what one job would have written.
    """
    written = {}
    for name in names:
        offline = mode == "live" and needs_offline_only(project, name)
        target = shard_directory(shards_dir, name, shard)
        live = LiveOptions(reuse_from=base)
        run_scenario(
            project.params_path,
            name,
            mode,
            out=target,
            live=live,
            offline_only=offline,
            shard=shard,
            base=base,
        )
        written[name] = target
    return written


def merge_all(project: Project, names: list[str], mode: Mode, shards_dir: Path) -> dict[str, Path]:
    """Merge each scenario's shards from the shards directory into its results; scenario -> results."""
    merged = {}
    for name in names:
        found = shards_dir / name
        directories = sorted(p for p in found.iterdir() if p.is_dir()) if found.is_dir() else []
        if not directories:
            raise UsageError(
                f"{shards_dir}: no shards of scenario {name} (expected {name}/<i>-of-<N>/ in it)"
            )
        merged[name] = merge_shards(project.params_path, name, mode, directories, None).directory
    return merged
