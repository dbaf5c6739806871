"""The `benchgate` command line: parse, call one library function, map the result to an exit code.

Heavy modules (pydantic, numpy, dvc) are imported inside the commands so that
`benchgate --help` stays fast.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from benchgate import __version__, console
from benchgate.errors import EXIT_GATE_FAILED, EXIT_INTERNAL, EXIT_OK, EXIT_USAGE, BenchgateError

if TYPE_CHECKING:
    from benchgate.results import Mode, Shard

MODES = click.Choice(["dry-run", "live"])

params_option = click.option(
    "--params",
    type=click.Path(path_type=Path, dir_okay=False),
    default="params.yaml",
    show_default=True,
    envvar="BENCHGATE_PARAMS",
    help="The project's params.yaml; relative paths in it start from its directory.",
)


class _ShardSpec(click.ParamType):  # type: ignore[type-arg]
    """`i/N`: the i-th of N shards (parsed only when given, so `--help` imports nothing)."""

    name = "i/N"

    def convert(self, value: object, param: click.Parameter | None, ctx: click.Context | None) -> Shard:
        from benchgate.shards import parse

        try:
            return value if not isinstance(value, str) else parse(value)  # type: ignore[return-value]
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


scenario_option = click.option(
    "--scenario",
    "-s",
    metavar="NAME",
    help="Scenario from params.yaml (optional when there is only one).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="benchgate")
def cli() -> None:
    """Turn LLM benchmark runs into a CI quality gate.

    Typical use: `dvc repro` (or `benchgate run`) to judge each scenario, then
    `benchgate gate --base main` to compare with thresholds and the base commit.

    Exit codes: 0 gate passed (or warned without fail-on-warn), 1 gate failed,
    2 usage, config or data error, 3 infrastructure error (git, LLM, GitHub),
    4 unexpected error (a bug; the traceback is in .benchgate/logs/).
    """


@cli.command()
@params_option
@scenario_option
@click.option(
    "--mode",
    type=MODES,
    default="dry-run",
    show_default=True,
    help="dry-run judges with stored ground truth; live calls the LLM judge (and the generator).",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write results here instead of data/results/<scenario>/<mode>/.",
)
@click.option(
    "--limit", type=click.IntRange(min=1), metavar="N", help="Judge only the first N samples of the dataset."
)
@click.option(
    "--cache",
    "cache_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Live mode: response cache file [default: .benchgate/cache.sqlite].",
)
@click.option("--no-cache", is_flag=True, help="Live mode: neither read nor fill the response cache.")
@click.option(
    "--allow-missing",
    is_flag=True,
    help="Dry-run: leave samples without a stored output or rating unscored instead of refusing them.",
)
@click.option(
    "--offline-only",
    is_flag=True,
    envvar="BENCHGATE_OFFLINE_ONLY",
    help="Live mode: make no LLM calls; metrics whose scorer needs one are skipped (and recorded as "
    "such), the rest are scored. `benchgate ci` sets it when no endpoint is configured.",
)
@click.option(
    "--shard",
    type=_ShardSpec(),
    envvar="BENCHGATE_SHARD",
    help="Score only shard i of N (samples split by a hash of their id), into "
    "<results>/shards/<i>-of-<N>/; `benchgate merge` puts the shards back together.",
)
@click.option(
    "--estimate",
    is_flag=True,
    help="Live mode: print the calls, prompt/completion tokens and cost per model the run would send "
    "(cached and reused calls apart), and send nothing.",
)
@click.option(
    "--max-cost",
    type=click.FloatRange(min=0, min_open=True),
    metavar="USD",
    envvar="BENCHGATE_MAX_COST",
    help="Live mode: stop sending before the calls could cost more than this (default llm.max_cost_usd); "
    "the run then exits 3 with its partial results marked budget-truncated, and a rerun resumes.",
)
@click.option(
    "--reuse-from",
    metavar="REV",
    envvar="BENCHGATE_REUSE_FROM",
    help="Live mode: copy this commit's committed judgements whose inputs are byte-identical instead of "
    "asking again [default: the base `benchgate gate` would choose].",
)
@click.option("--no-reuse", is_flag=True, help="Live mode: ask every judgement, reuse none from the base.")
@click.option(
    "--base",
    metavar="REV",
    envvar="BENCHGATE_BASE",
    help="Live mode: the commit whose outputs pairwise metrics compare with [default: the base "
    "`benchgate gate` picks].",
)
def run(
    params: Path,
    scenario: str | None,
    mode: Mode,
    out: Path | None,
    limit: int | None,
    cache_path: Path | None,
    no_cache: bool,
    allow_missing: bool,
    offline_only: bool,
    shard: Shard | None,
    estimate: bool,
    max_cost: float | None,
    reuse_from: str | None,
    no_reuse: bool,
    base: str | None,
) -> int:
    """Score a scenario and write scores.jsonl, metrics.json and run.json.

    This is the command each dvc.yaml stage runs. Every metric's scorer runs: the judge
    (stored ground truth in dry-run, the LLM in live mode) or a deterministic or python
    scorer (both modes, no network). Live mode reads the endpoint from LLM_URL (or llm.url
    in params.yaml) and an optional key from LLM_API_KEY; every response is cached, so a
    second identical run makes no requests and a killed run resumes where it stopped.
    Judgements whose inputs are byte-identical to the base commit's committed ones are
    copied, not asked (--reuse-from, --no-reuse). --estimate prints what the run would cost;
    --max-cost (or llm.max_cost_usd) is a hard cap.
    """
    from benchgate.commands.run import LiveOptions, run_scenario

    live = LiveOptions(
        cache=cache_path,
        use_cache=not no_cache,
        max_cost_usd=max_cost,
        reuse=not no_reuse,
        reuse_from=reuse_from,
    )
    if estimate:
        from benchgate.commands.estimate import estimate_run

        if mode != "live":
            raise click.UsageError("--estimate is for live runs (--mode live); a dry-run makes no calls")
        console.print_estimate(estimate_run(params, scenario, limit=limit, shard=shard, live=live, base=base))
        return EXIT_OK
    outcome = run_scenario(
        params,
        scenario,
        mode,
        out=out,
        limit=limit,
        live=live,
        allow_missing=allow_missing,
        offline_only=offline_only,
        shard=shard,
        base=base,
    )
    console.print_run(outcome)
    return EXIT_OK


@cli.command()
@params_option
@scenario_option
@click.option(
    "--mode", type=MODES, default="dry-run", show_default=True, help="Which run's shards these are."
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    help="Write the merged run here instead of data/results/<scenario>/<mode>/.",
)
@click.argument("directories", nargs=-1, required=True, type=click.Path(path_type=Path, file_okay=False))
def merge(
    params: Path, scenario: str | None, mode: Mode, out: Path | None, directories: tuple[Path, ...]
) -> int:
    """Merge shard results (from `benchgate run --shard i/N`) into one run.

    DIRECTORIES hold one shard's scores.jsonl and run.json each. They must be every shard
    of one split, disjoint, and computed from the work tree's dataset, prompt and scorers;
    the merged files are byte for byte what one unsharded run writes.
    """
    from benchgate.commands.merge import merge_shards

    outcome = merge_shards(params, scenario, mode, list(directories), out)
    shards, samples = outcome.shards, outcome.samples
    click.echo(f"{outcome.scenario} ({mode}): {shards} shards, {samples} samples -> {outcome.directory}")
    return EXIT_OK


@cli.command()
@params_option
@scenario_option
@click.option("--mode", type=MODES, default="dry-run", show_default=True, help="Which run's results to gate.")
@click.option(
    "--base",
    metavar="REV",
    help="Commit to compare with. Default: the merge-base with the default branch, "
    "or the previous commit when on it.",
)
@click.option(
    "--fail-on-warn/--no-fail-on-warn",
    default=None,
    help="Fail on an overall warn (default: gate.fail_on_warn in params.yaml).",
)
@click.option(
    "--json",
    "json_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write gate.json [default: .benchgate/reports/<scenario>/<mode>/gate.json].",
)
@click.option(
    "--report",
    "report_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the Markdown report [default: next to gate.json]; report.html goes beside it.",
)
@click.option(
    "--junit",
    "junit_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Also write JUnit XML here (a test case per metric, for CI test views).",
)
def gate(
    params: Path,
    scenario: str | None,
    mode: Mode,
    base: str | None,
    fail_on_warn: bool | None,
    json_path: Path | None,
    report_path: Path | None,
    junit_path: Path | None,
) -> int:
    """Check a scenario's results against its thresholds and the base commit.

    Reads the base commit's committed results straight from git (no DVC cache or
    remote needed), pairs samples by id and tests every metric's change with a
    seeded paired test. Writes gate.json, report.md and report.html (every sample,
    head beside base, with a word diff); exits 1 when the gate fails.
    """
    from benchgate.commands.gate import gate_scenario

    outcome = gate_scenario(
        params,
        scenario,
        mode,
        base=base,
        fail_on_warn=fail_on_warn,
        json_path=json_path,
        report_path=report_path,
        junit_path=junit_path,
    )
    console.print_gate(outcome)
    return EXIT_GATE_FAILED if outcome.result.failed else EXIT_OK


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--allow-missing", is_flag=True, help="Do not require what a dry-run reads (stored outputs, ratings)."
)
def validate(paths: tuple[Path, ...], allow_missing: bool) -> int:
    """Check params files and datasets; list every problem with file and line.

    PATHS are params files (*.yaml) and datasets (*.jsonl); default: params.yaml and
    every dataset it names. A dataset given alone is checked against ./params.yaml when
    there is one. Exits 2 when anything is wrong.
    """
    from benchgate.commands.validate import validate as check

    validation = check(list(paths) or [Path("params.yaml")], complete=not allow_missing)
    for problem in validation.problems:
        click.echo(str(problem), err=True)
    count = len(validation.problems)
    noun = "file" if validation.files == 1 else "files"
    if count:
        click.echo(f"{count} problem{'s' * (count != 1)} in {validation.files} {noun}", err=True)
        return EXIT_USAGE
    click.echo(f"ok: {validation.files} {noun}, no problems")
    return EXIT_OK


@cli.command()
@params_option
@click.option(
    "--scenario",
    "-s",
    "scenarios",
    multiple=True,
    metavar="NAME",
    envvar="BENCHGATE_SCENARIOS",
    help="Scenario to run (repeatable; env: space-separated). Default: all in params.yaml.",
)
@click.option(
    "--mode",
    type=MODES,
    default="dry-run",
    show_default=True,
    envvar="BENCHGATE_MODE",
    help="dry-run (stored ground truth) or live (LLM judge; needs LLM_URL).",
)
@click.option(
    "--base",
    metavar="REV",
    envvar="BENCHGATE_BASE",
    help="Commit to compare with. Default: the PR's base via merge-base, or the commit before a push.",
)
@click.option(
    "--fail-on-warn/--no-fail-on-warn",
    default=None,
    envvar="BENCHGATE_FAIL_ON_WARN",
    help="Fail on an overall warn (default: gate.fail_on_warn in params.yaml).",
)
@click.option(
    "--comment/--no-comment",
    default=True,
    show_default=True,
    envvar="BENCHGATE_COMMENT",
    help="Upsert the sticky PR comment (needs GITHUB_TOKEN with pull-requests: write).",
)
@click.option(
    "--comment-author",
    metavar="LOGIN",
    envvar="BENCHGATE_COMMENT_AUTHOR",
    help="Login that owns the sticky comment when not a bot (e.g. a personal access token's user).",
)
@click.option(
    "--run/--no-run",
    "run_stages",
    default=True,
    show_default=True,
    envvar="BENCHGATE_RUN",
    help="Run the stages first; --no-run gates the results already in place (e.g. merged shards).",
)
@click.option(
    "--shard",
    type=_ShardSpec(),
    envvar="BENCHGATE_SHARD",
    help="A CI matrix job: score only shard i of N of each scenario into the shards directory "
    "(<dir>/<scenario>/<i>-of-<N>/), with no gate and no comment.",
)
@click.option(
    "--shards-dir",
    type=click.Path(path_type=Path, file_okay=False),
    envvar="BENCHGATE_SHARDS_DIR",
    help="The shards directory [default: .benchgate/shards]. Without --shard: merge every "
    "scenario's shards found there into its results, then gate them (no run).",
)
def ci(
    params: Path,
    scenarios: tuple[str, ...],
    mode: Mode,
    base: str | None,
    fail_on_warn: bool | None,
    comment: bool,
    comment_author: str | None,
    run_stages: bool,
    shard: Shard | None,
    shards_dir: Path | None,
) -> int:
    """What the GitHub Action runs: run each scenario, gate it, publish the report.

    Reads GITHUB_EVENT_PATH and GITHUB_* for the pull request and its base (fetched into
    shallow clones), runs the stages (`dvc repro` when dvc.yaml defines them), gates
    against the base, appends the report to $GITHUB_STEP_SUMMARY, sets $GITHUB_OUTPUT
    (status, report-path, gate-json, junit-path, report-html, comment-url), annotates failing
    and warning metrics, and upserts one sticky comment per scenario on the PR. Without
    permission to comment it warns and keeps the gate's exit code. Outside GitHub Actions it
    runs and gates only.
    """
    from benchgate.commands.ci import CIOptions, run_ci

    names = [name for item in scenarios for name in item.replace(",", " ").split()]
    options = CIOptions(
        params=params,
        scenarios=names,
        mode=mode,
        base=base,
        fail_on_warn=fail_on_warn,
        comment=comment,
        comment_author=comment_author,
        run=run_stages,
        shard=shard,
        shards_dir=shards_dir,
    )
    outcome = run_ci(options)
    if shard is not None:
        for name, directory in outcome.shards.items():
            click.echo(f"benchgate ci: {name} ({mode}) shard {shard.index}/{shard.count} -> {directory}")
        return EXIT_OK
    for note in outcome.notes:
        click.echo(f"benchgate ci: {note}")
    for gate in outcome.gates.values():
        console.print_gate(gate)
    for url in outcome.comment_urls.values():
        click.echo(f"comment: {url}")
    verdict = "fails" if outcome.failed else "passes"
    click.echo(f"benchgate ci: {outcome.status.upper()}, the gate {verdict} ({outcome.report_path})")
    return EXIT_GATE_FAILED if outcome.failed else EXIT_OK


@cli.command()
@click.option(
    "--gate-json",
    "gate_json",
    type=click.Path(path_type=Path, dir_okay=False),
    required=True,
    help="gate.json from `benchgate gate`, or .benchgate/ci/gate.json from `benchgate ci`.",
)
@click.option("--pr", type=click.IntRange(min=1), required=True, help="Pull request number.")
@click.option(
    "--expect-head-sha",
    metavar="SHA",
    help="Refuse to post unless the PR's head is this commit (the run the results came from).",
)
@click.option("--comment-author", metavar="LOGIN", envvar="BENCHGATE_COMMENT_AUTHOR", help="See `ci`.")
def publish(gate_json: Path, pr: int, expect_head_sha: str | None, comment_author: str | None) -> int:
    """Post gate results as the sticky PR comment (the fork-safe workflow_run half).

    The gate.json is treated as untrusted: it is validated and re-rendered, never posted
    as given. Needs GITHUB_TOKEN and GITHUB_REPOSITORY (and GITHUB_API_URL off github.com).
    Exits 0 once posted, whatever the gate's status: the PR check reports that.
    """
    from benchgate.commands.publish import publish as post

    published = post(gate_json, pr, expect_head_sha=expect_head_sha, author=comment_author)
    for name, url in published.urls.items():
        click.echo(f"{name}: {url}")
    return EXIT_OK


@cli.command()
@click.argument("subject", type=click.Choice(["params", "dataset"]), default="params")
@click.option(
    "--format",
    "form",
    type=click.Choice(["json", "markdown"]),
    default="json",
    show_default=True,
    help="json: a JSON Schema (draft 2020-12); markdown: the reference page of every key.",
)
def schema(subject: Literal["params", "dataset"], form: Literal["json", "markdown"]) -> int:
    """Print the JSON Schema of params.yaml (or of one dataset line) for editors and checkers.

    Save it and name it on params.yaml's first line for completion and checking in an editor
    with a YAML language server:

    \b
        benchgate schema > params.schema.json
        # yaml-language-server: $schema=params.schema.json

    SUBJECT is `params` (default) or `dataset`. `--format markdown` prints the reference of
    the installed version (docs/params.md, docs/dataset.md). Cross-field rules are checked by
    `benchgate validate`, with the line of each problem.
    """
    from benchgate.commands.schema import print_schema

    print_schema(subject, form)
    return EXIT_OK


INIT_TEMPLATES = ("qa", "summarise", "classify", "digest-ru")
"""`benchgate init --template` choices (benchgate/commands/init.py: TEMPLATES)."""


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default=".")
@click.option(
    "--template",
    "-t",
    type=click.Choice(INIT_TEMPLATES),
    default="qa",
    show_default=True,
    help="qa: English support answers (an LLM judge with a rubric, plus deterministic checks); "
    "summarise: article summaries (judge, ROUGE-L, length); classify: ticket labels (exact match, "
    "regex; no judge); digest-ru: the bundled Russian channel-digest example.",
)
@click.option("--force", is_flag=True, help="Overwrite files that exist already.")
def init(directory: Path, template: str, force: bool) -> int:
    """Start a new benchmark project in DIRECTORY (default: here).

    Writes params.yaml (a comment on every key), a 3-sample dataset with stored outputs, the
    prompt, dvc.yaml, .gitignore, .github/workflows/benchgate.yml and a README. Existing files
    are never overwritten without --force. Then:

    \b
        git init && git add -A && git commit -m init
        dvc repro && benchgate gate
    """
    from benchgate.commands.init import init_project

    written = init_project(directory, template, force=force)
    for name in written.files:
        click.echo(f"wrote {directory / name}")
    where = "" if directory == Path(".") else f"cd {directory} && "
    click.echo(f"next: {where}git init && git add -A && git commit -m init && dvc repro && benchgate gate")
    return EXIT_OK


def main(argv: list[str] | None = None) -> None:
    """Entry point: the one place where errors become messages and exit codes."""
    # Datasets load as hundreds of thousands of small objects; default GC thresholds
    # rescan them over and over (mypy raises gen0 the same way). Cycles are still collected.
    gc.set_threshold(200_000, 20, 20)
    try:
        code = cli.main(args=argv, prog_name="benchgate", standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("benchgate: interrupted", err=True)
        sys.exit(130)
    except BenchgateError as exc:
        click.echo(f"benchgate: error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: say so in one line, keep the traceback, never exit 1
        from benchgate import crash

        log = crash.write_log(exc)
        click.echo(f"benchgate: unexpected error ({crash.summary(exc)}); details in {log}", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code if isinstance(code, int) else EXIT_OK)
