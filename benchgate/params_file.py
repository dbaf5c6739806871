"""Reading params.yaml: YAML with line numbers -> validated `Params`, or every problem found."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from benchgate import dvc
from benchgate.config import Params, Scenario
from benchgate.errors import InputError, Problem, UsageError
from benchgate.results import Mode

DEFAULT_PARAMS = "params.yaml"


@dataclass(frozen=True)
class Project:
    """A params.yaml and the directory its relative paths start from."""

    root: Path
    params_path: Path
    params: Params

    def scenario(self, name: str | None, *, check_pulled: bool = True) -> tuple[str, Scenario]:
        """The named scenario, or the only one when `name` is None.

        A dataset kept in a DVC remote must be in the work tree too, unless `check_pulled` is False
        (for a caller that pulls it next).
        """
        names = sorted(self.params.scenarios)
        if name is None:
            if len(names) != 1:
                raise UsageError(
                    f"{self.params_path} defines several scenarios; "
                    f"pick one with --scenario ({', '.join(names)})"
                )
            name = names[0]
        if name not in self.params.scenarios:
            raise UsageError(f"no scenario {name!r} in {self.params_path} (defined: {', '.join(names)})")
        spec = self.params.scenarios[name]
        missing = dvc.not_pulled(self.path(spec.dataset)) if check_pulled else None
        if missing:
            raise UsageError(f"{self.path(spec.dataset)} is {missing}")
        return name, spec

    def path(self, relative: str) -> Path:
        """A path from params.yaml, resolved against the project root."""
        return self.root / relative

    def results_dir(self, name: str, mode: Mode) -> str:
        """Where a scenario's stage writes its outputs, relative to the root (posix)."""
        base = self.params.scenarios[name].results or f"data/results/{name}"
        return f"{base.rstrip('/')}/{mode}"


def load_project(params_path: str | Path = DEFAULT_PARAMS) -> Project:
    """Read and validate params.yaml; raise `InputError` listing every problem."""
    path = Path(params_path)
    params, problems = read_params(path)
    if params is None or problems:
        raise InputError(problems)
    return Project(root=path.parent, params_path=path, params=params)


def read_params(path: Path) -> tuple[Params | None, list[Problem]]:
    """Validate params.yaml; return the model (when valid) and all problems found."""
    shown = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None, [
            Problem(shown, None, None, "file not found (run from the project root or pass --params)")
        ]
    except OSError as exc:
        return None, [Problem(shown, None, None, f"cannot read: {exc.strerror}")]
    params, problems, document = _validate(raw, shown)
    if params is None or problems:
        return params, problems
    return params, _missing_files(shown, path.parent, document, params)


def parse_params(raw: bytes, shown: str) -> tuple[Params | None, list[Problem]]:
    """Validate params.yaml's bytes (from disk or from a commit); files it names are not checked."""
    params, problems, _ = _validate(raw, shown)
    return params, problems


def _validate(raw: bytes, shown: str) -> tuple[Params | None, list[Problem], Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(shown, line, None, "not valid UTF-8")], None
    document, problem = _parse_yaml(shown, text)
    if problem is not None:
        return None, [problem], None
    if document is None:
        return (
            None,
            [Problem(shown, 1, None, "file is empty; it needs at least a `scenarios:` mapping")],
            None,
        )
    if not isinstance(document, Mapping):
        return None, [Problem(shown, 1, None, "top level must be a mapping with a `scenarios:` key")], None
    try:
        params = Params.model_validate(_plain(document), by_name=False)  # `pass`, never `pass_`
    except ValidationError as exc:
        return None, [_problem_from_error(shown, document, err) for err in exc.errors()], document
    located = params.problems()
    problems = [Problem(shown, line_of(document, loc), _dotted(loc), message) for loc, message in located]
    return params, problems, document


def _dotted(loc: Sequence[str | int]) -> str:
    return ".".join(str(part) for part in loc)


def _parse_yaml(shown: str, text: str) -> tuple[Any, Problem | None]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return YAML(typ="rt").load(text), None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        reason = (exc.problem or exc.context or "invalid YAML").split("\n")[0]
        return None, Problem(shown, line, None, f"invalid YAML: {reason}")
    except YAMLError as exc:
        return None, Problem(shown, None, None, f"invalid YAML: {str(exc).splitlines()[0]}")


def _plain(node: Any) -> Any:
    """ruamel's round-trip types -> plain dicts, lists and scalars, as strict validation expects."""
    if isinstance(node, Mapping):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, Sequence) and not isinstance(node, str):
        return [_plain(item) for item in node]
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, float):
        return float(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, str):
        return str(node)
    return node


def problems_at(path: Path, found: Sequence[tuple[Sequence[str | int], str]]) -> list[Problem]:
    """Problems found after validation (e.g. a scorer's schema file), each at its key's line."""
    document, _ = _parse_yaml(str(path), path.read_text(encoding="utf-8"))
    return [Problem(str(path), line_of(document, loc), _dotted(loc), message) for loc, message in found]


def _problem_from_error(shown: str, document: Any, error: Any) -> Problem:
    loc = _document_loc(document, [part for part in error["loc"] if isinstance(part, (str, int))])
    field = _dotted(loc) or None
    message = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        message = "unknown key"
    elif error["type"] == "missing":
        message = "required key is missing"
    return Problem(shown, line_of(document, loc), field, message)


def _document_loc(document: Any, loc: list[str | int]) -> list[str | int]:
    """`loc` without the union tags pydantic inserts (a scorer's `type`), so it names keys of the file."""
    kept: list[str | int] = []
    node = document
    for part in loc:
        if isinstance(node, Mapping) and part not in node and isinstance(part, str):
            if part in (node.get("type"), "plugin"):
                continue
        elif isinstance(node, str) and part == node:
            continue  # the `scorer: chrf` shorthand
        kept.append(part)
        if isinstance(node, Mapping) and part in node:
            node = node[part]
        elif isinstance(node, Sequence) and not isinstance(node, str) and isinstance(part, int):
            node = node[part] if 0 <= part < len(node) else None
        else:
            node = None
    return kept


def line_of(document: Any, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest key on `loc` that exists in the round-trip document."""
    line: int | None = None
    node = document
    for part in loc:
        lc = getattr(node, "lc", None)
        if lc is None:
            break
        if isinstance(node, Mapping) and part in node:
            line = lc.key(part)[0] + 1
        elif isinstance(node, Sequence) and isinstance(part, int) and 0 <= part < len(node):
            line = lc.item(part)[0] + 1
        else:
            if line is None:
                line = lc.line + 1
            break
        node = node[part]
    return line if line is not None else 1


def _missing_files(shown: str, root: Path, document: Any, params: Params) -> list[Problem]:
    """Files params.yaml names that are not there; data in a DVC remote is there once pulled."""
    problems = []
    for name, scenario in params.scenarios.items():
        for key in ("dataset", "prompt"):
            relative = getattr(scenario, key)
            if not (root / relative).is_file() and not dvc.not_pulled(root / relative):
                loc = ["scenarios", name, key]
                problems.append(
                    Problem(shown, line_of(document, loc), _dotted(loc), f"no such file: {relative}")
                )
    return problems
