"""How close `benchgate run --estimate` comes to what the fake server counts, and the cost cap at half of it.

A synthetic scenario is judged live on `main` and committed; a PR changes the judge's seed,
so no judgement can be reused and no reply is cached. The PR's estimate is then compared
with the tokens the fake server reports for the PR's run (it counts about four characters a
token, as the estimate does for a model tiktoken does not know), first run with
`--max-cost` at half the estimated cost (it stops, exit 3), then resumed without a cap.
Usage: python -m benchmarks.estimate [--samples 1000]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.pr_cost import GIT_ENV, JUDGE, git, prepare
from tests.fakes.openai_server import FakeConfig, FakeOpenAIServer

PRICES = f"llm: {{prices: {{{JUDGE}: {{prompt_per_mtok: 2.5, completion_per_mtok: 10}}}}}}\n"
LINE = re.compile(
    rf"{JUDGE}: (?P<calls>[\d,]+) calls, (?P<prompt>[\d,]+) prompt tokens .*?, "
    r"(?P<completion>[\d,]+) completion tokens .*?, \$(?P<cost>[\d.]+)"
)


def run(root: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`benchgate run --mode live` in a separate process; any exit code."""
    import os

    env = {**os.environ, **GIT_ENV, "LLM_URL": url}
    command = [sys.executable, "-m", "benchgate", "run", "--mode", "live", *args]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, env=env, check=False)


def main() -> int:
    """Print estimate vs counted, and what the capped run did."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=1000)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="benchgate-estimate-"))
    try:
        prepare(root, args.samples)
        params = root / "params.yaml"
        params.write_text(params.read_text() + PRICES)
        with FakeOpenAIServer(FakeConfig(seed=1, models=(JUDGE,))) as server:
            assert run(root, server.url).returncode == 0
            git(root, "add", "-A")
            git(root, "commit", "-q", "-m", "baseline")
            git(root, "checkout", "-q", "-b", "pr")
            params.write_text(
                params.read_text().replace(f"{{model: {JUDGE}}}", f"{{model: {JUDGE}, seed: 1}}")
            )
            git(root, "commit", "-q", "-am", "judge seed")
            shown = run(root, server.url, "--estimate").stdout
            found = LINE.search(shown)
            assert found is not None, shown
            estimate = {k: int(found[k].replace(",", "")) for k in ("calls", "prompt", "completion")}
            cost = float(found["cost"])
            server.reset_stats()
            capped = run(root, server.url, "--max-cost", f"{cost / 2:.6f}")
            first = server.stats()
            server.reset_stats()
            resumed = run(root, server.url)
            second = server.stats()
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(shown.strip())
    for what, key in (
        ("calls", "total_requests"),
        ("prompt", "prompt_tokens"),
        ("completion", "completion_tokens"),
    ):
        counted = first[key] + second[key]
        off = estimate[what] / counted - 1
        print(f"{what:<10} estimated {estimate[what]:>9,}  counted {counted:>9,}  ({off:+.2%})")
    print(f"--max-cost {cost / 2:.4f}: exit {capped.returncode}; {capped.stderr.strip().splitlines()[-1]}")
    print(f"resumed without a cap: exit {resumed.returncode}, {second['total_requests']} calls sent")
    return 0


if __name__ == "__main__":
    sys.exit(main())
