"""What each reference documents: its model, how its pages are regenerated, and a worked example.

The examples are hand-written, so tests/test_reference.py validates them against the models
(and against each other: the dataset lines rate the example's metrics) to keep them from rotting.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from benchgate.config import Params
from benchgate.dataset import Sample

Subject = Literal["params", "dataset"]
SUBJECTS: tuple[Subject, ...] = ("params", "dataset")


@dataclass(frozen=True)
class Reference:
    """One documented file format."""

    name: str
    """What `benchgate schema` calls it; part of the schema's `$id`."""
    model: type[BaseModel]
    title: str
    """The JSON Schema's title."""
    heading: str
    """The page's title."""
    root: str
    """The heading of the top-level keys' section."""
    doc: str
    """The generated page, relative to the repository root."""
    command: str
    """The command that prints the page (redirected into `doc` to regenerate it)."""
    source: str
    """Where the descriptions come from: the docstring under each field."""
    intro: str
    example_intro: str
    example: str
    example_language: str


PARAMS_INTRO = """\
Every key of `params.yaml`, the file that defines a project's scenarios, thresholds and gate
policy. Unknown keys are errors, and so are values of the wrong type: benchgate reads no YAML
leniently (`"0.9"` is not a number). `benchgate validate` lists every problem with its file and
line; it also checks what a schema cannot, such as `warn` being looser than `pass` or every
`live` entry naming a scenario with a judge.

For completion and checking in an editor with a YAML language server (e.g. VS Code's YAML
extension), save the schema and name it on the first line of `params.yaml`:

```bash
benchgate schema > params.schema.json
```

```yaml
# yaml-language-server: $schema=params.schema.json
```"""

PARAMS_EXAMPLE_INTRO = """\
A customer-support assistant gated on two judged metrics and latency. In dry-run every sample's
stored `output` is scored with its `ground_truth` ratings (see the [dataset reference](dataset.md),
whose example is this scenario's dataset); in live mode the judge rates the outputs instead."""

PARAMS_EXAMPLE = """\
scenarios:
  support_en:
    dataset: data/support_en/dataset.jsonl
    prompt: data/support_en/prompt.md        # uses {{question}} from each sample's input
    prompt_version: support-2025-06-v2
    model: support-assistant-7b
    judge: {model: gpt-4o, samples: 1}        # live mode only
    metrics:
      helpfulness:
        pass: 0.85                            # mean score must reach 0.85 ...
        warn: 0.80                            # ... 0.80 to 0.85 warns, below 0.80 fails
        description: Does the answer solve the customer's problem?
      politeness: {pass: 0.90}
      latency_s: {pass: 2.0, warn: 3.0, direction: lower, aggregate: p95, max_drop: 0.25}
    regression: {max_drop: 0.02, alpha: 0.05, on_regression: fail}
gate:
  min_samples: 20
  policy_from: base                           # a pull request cannot relax its own gate
  trend: 20                                   # chart the default branch's last 20 result commits
llm:
  prices:
    gpt-4o: {prompt_per_mtok: 2.5, completion_per_mtok: 10}
live: []                                      # `dvc repro` stays offline
governance:                                   # the PR's reviews fill these roles
  approvers:
    Tech Lead: [alice, acme/leads]
    Analyst: [bob]
  required: true                              # until then the status is `pending`
"""

DATASET_INTRO = """\
Each scenario's dataset is a JSONL file: one JSON object per line, UTF-8, blank lines
ignored. Unknown fields are errors, ids must be unique, and `ground_truth` may rate only the
scenario's judged metrics. `benchgate validate` lists every problem as
`file:line: field: message`; a dry-run also needs each sample's `output` and a rating for each
judged metric (`--allow-missing` leaves what is missing unscored instead).

`benchgate schema dataset` prints the JSON Schema of one line, for tools that check JSON."""

DATASET_EXAMPLE_INTRO = """\
Two samples of the `support_en` scenario from the [params.yaml reference](params.md)'s example:
each input fills the prompt's `{{question}}`, and each sample carries the stored answer, its
ratings for both judged metrics, and how long the answer took."""

DATASET_EXAMPLE = """\
{"id": "refund-001", "input": {"question": "My order arrived broken. Can I get a refund?"}, \
"output": "I'm sorry it arrived damaged. Reply with a photo and we will refund you within 3 days.", \
"reference": "Apologise, ask for a photo of the damage, promise a refund within 3 business days.", \
"ground_truth": {"helpfulness": 1.0, "politeness": 1.0}, "latency_s": 1.4, "meta": {"channel": "email"}}
{"id": "login-002", "input": {"question": "I can't log in since the update."}, \
"output": "Try again later.", "ground_truth": {"helpfulness": 0.25, "politeness": 0.5}, "latency_s": 0.9}
"""

REFERENCES: dict[Subject, Reference] = {
    "params": Reference(
        name="params",
        model=Params,
        title="benchgate params.yaml",
        heading="params.yaml reference",
        root="Top level",
        doc="docs/params.md",
        command="benchgate schema params --format markdown",
        source="benchgate/config.py",
        intro=PARAMS_INTRO,
        example_intro=PARAMS_EXAMPLE_INTRO,
        example=PARAMS_EXAMPLE,
        example_language="yaml",
    ),
    "dataset": Reference(
        name="dataset",
        model=Sample,
        title="benchgate dataset line",
        heading="Dataset reference",
        root="Each line",
        doc="docs/dataset.md",
        command="benchgate schema dataset --format markdown",
        source="benchgate/dataset.py",
        intro=DATASET_INTRO,
        example_intro=DATASET_EXAMPLE_INTRO,
        example=DATASET_EXAMPLE,
        example_language="json",
    ),
}
