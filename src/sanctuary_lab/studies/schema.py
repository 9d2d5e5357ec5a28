"""Study files: reading, validating and the parsed :class:`Study`.

A study file names the analysis frame to build from the warehouse, its parameters, the analyses to
run (each a registered design with options), optional sensitivity runs over a parameter, optional
descriptive series, and the published numbers it reproduces. The file is read and decoded once;
its tables are declared in :mod:`sanctuary_lab.studies.study_file` (pydantic models, unknown keys
forbidden). Every problem is a :class:`~sanctuary_lab.core.errors.SpecError` whose message names
the file and the key.

Schema (see ``docs/studies.md`` for the full description)::

    [study]                      # required
    title = "..."                # required
    citation = "..."             # required
    design = "..."               # short description of the design(s)
    summary = "..."
    identifies = "..."           # what the available data can identify
    cannot_identify = "..."      # and what it cannot
    caveats = ["...", ...]

    [data]
    frame = "county_cross_section"   # a builder in sanctuary_lab.studies.registry.FRAMES
    tables = ["counties", ...]       # warehouse tables used (documentation)

    [parameters]                     # keyword arguments of the frame builder
    decline_threshold = 0.01

    [sample]                         # published sample, differences from ours
    published_n = 2492
    differences = ["..."]

    [treatment]                      # rule in words, column name
    [inference]                      # defaults (inference, cluster, seed, ...) for every
                                     # analysis whose design has that option
    [outcomes] / covariates          # free documentation, usable as {placeholders}

    [[analysis]]
    label = "{outcome}:adjusted"
    design = "cross_section"         # a name in sanctuary_lab.designs.registry.designs()
    outcomes = ["crime_per10k"]      # optional: one fit per outcome, {outcome} substituted
    subset = "nchs_class == 1"       # optional pandas query on the frame
    options = { outcome = "{outcome}", treatment = "sanctuary", covariates = "{covariates}" }

    [[sensitivity]]
    parameter = "decline_threshold"
    values = [0.0, 0.05]
    analyses = ["crime_per10k:adjusted"]

    [[descriptive]]
    name = "declines_by_year"
    builder = "detainer_declines_by_year"  # a builder in sanctuary_lab.studies.registry.DESCRIPTIVES
    options = {}

    [[published]]
    quantity = "..."; value = -35.5; unit = "..."; source = "Table 1"
    result = "crime_per10k:adjusted"; term = "sanctuary"

    [multiverse]                     # parsed by sanctuary_lab.multiverse, ignored here

Placeholders: a string option that is exactly ``"{name}"`` is replaced by the value of ``name``
(keeping its type, e.g. a list of covariates); other strings are formatted with ``str.format``.
Names come from ``[parameters]``, the top-level ``covariates``/``controls`` lists and ``outcome``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.schema import key_error, read_toml, validate
from sanctuary_lab.studies.study_file import Analysis, Descriptive, Sensitivity, StudyFile


@dataclass
class Study:
    """A parsed, validated study file.

    Attributes
    ----------
    id
        ``[study].id`` or the file stem.
    path
        The file it was read from.
    raw
        The whole TOML document as a dict (other sections, e.g. ``[multiverse]``, live here).
    """

    id: str
    path: Path
    title: str
    citation: str
    design: str
    summary: str
    identifies: str
    cannot_identify: str
    caveats: list[str]
    frame: str | None
    tables: list[str]
    parameters: dict[str, Any]
    sample: dict[str, Any]
    treatment: dict[str, Any]
    analyses: list[Analysis]
    sensitivity: list[Sensitivity]
    descriptive: list[Descriptive]
    published: list[dict[str, Any]]
    raw: dict[str, Any]
    comparison: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def has_multiverse(self) -> bool:
        return "multiverse" in self.raw

    def context(self, parameters: dict[str, Any] | None = None) -> dict[str, Any]:
        """Names available to ``{placeholder}`` substitution."""
        ctx: dict[str, Any] = {}
        for key in ("covariates", "controls"):
            if key in self.raw:
                ctx[key] = self.raw[key]
        outcomes = self.raw.get("outcomes")
        if isinstance(outcomes, dict):
            ctx.update({f"outcomes_{k}": v for k, v in outcomes.items()})
        elif isinstance(outcomes, list):
            ctx["outcomes"] = outcomes
        ctx.update(self.parameters if parameters is None else parameters)
        return ctx

    def expanded_analyses(
        self, parameters: dict[str, Any] | None = None
    ) -> list[tuple[str, Analysis, dict[str, Any]]]:
        """``(label, analysis, resolved options)`` for every fit, outcomes expanded."""
        out = []
        base = self.context(parameters)
        for a in self.analyses:
            for outcome in a.outcomes or (None,):
                ctx = dict(base)
                if outcome is not None:
                    ctx["outcome"] = outcome
                where = f"{self.path}: analysis {a.label!r}"
                label = substitute(a.label, ctx, where)
                options = {**self.inference_defaults(a.design), **a.options}
                out.append((label, a, substitute(options, ctx, where)))
        return out

    def inference_defaults(self, design: str) -> dict[str, Any]:
        """The ``[inference]`` keys that ``design`` accepts (an analysis's own options win)."""
        defaults = self.raw.get("inference", {})
        if not defaults:
            return {}
        import dataclasses

        from sanctuary_lab.designs.registry import designs

        cls = designs().get(design)
        if cls is None or not dataclasses.is_dataclass(cls):
            return {}
        fields = {f.name for f in dataclasses.fields(cls)}
        return {k: v for k, v in defaults.items() if k in fields}


def substitute(value: Any, ctx: dict[str, Any], where: str) -> Any:
    """Replace ``{name}`` placeholders in strings, lists and dicts (see module docstring)."""
    if isinstance(value, str):
        stripped = value.strip()
        if stripped.startswith("{") and stripped.endswith("}") and stripped.count("{") == 1:
            name = stripped[1:-1]
            if name not in ctx:
                raise SpecError(f"{where}: unknown placeholder {value!r}; known: {sorted(ctx)}")
            return ctx[name]
        try:
            return value.format(**ctx)
        except KeyError as exc:
            raise SpecError(
                f"{where}: unknown placeholder {{{exc.args[0]}}} in {value!r}; known: {sorted(ctx)}"
            ) from None
        except (IndexError, ValueError) as exc:
            raise SpecError(f"{where}: bad placeholder in {value!r}: {exc}") from None
    if isinstance(value, list):
        return [substitute(v, ctx, where) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, ctx, where) for k, v in value.items()}
    return value


def studies_dir() -> Path:
    """The folder holding the bundled study files."""
    return Path(str(resources.files("sanctuary_lab.studies")))


def bundled_study_paths() -> list[Path]:
    """Bundled study TOML files, sorted by name."""
    return sorted(studies_dir().glob("*.toml"))


def parse_study(path: str | Path, check_designs: bool = True) -> Study:
    """Read and validate one study file (read and decoded once: the document is ``Study.raw``).

    Parameters
    ----------
    path
        The TOML file.
    check_designs
        Check that each analysis names a registered design.

    Raises
    ------
    SpecError
        Naming the file and the offending key.
    """
    path = Path(path)
    return study_from_document(read_toml(path), path, check_designs)


def study_from_document(doc: dict[str, Any], path: Path, check_designs: bool = True) -> Study:
    """Validate a decoded study document read from ``path`` (see :func:`parse_study`)."""
    registry = None
    if check_designs:
        from sanctuary_lab.designs.registry import designs

        registry = designs()
    declared: StudyFile = validate(
        StudyFile, doc, path, context={"path": path, "designs": registry}
    )
    meta = declared.study
    study = Study(
        id=meta.id or path.stem,
        path=path,
        title=meta.title,
        citation=meta.citation,
        design=meta.design,
        summary=meta.summary,
        identifies=meta.identifies,
        cannot_identify=meta.cannot_identify,
        caveats=list(meta.caveats),
        frame=declared.data.frame,
        tables=list(declared.data.tables),
        parameters=dict(declared.parameters),
        sample=dict(declared.sample),
        treatment=dict(declared.treatment),
        analyses=list(declared.analysis),
        sensitivity=list(declared.sensitivity),
        descriptive=list(declared.descriptive),
        published=list(doc.get("published", [])),
        raw=doc,
        comparison={side: dict(entry) for side, entry in sorted(doc.get("comparison", {}).items())},
    )
    _check_expanded(study, check_designs)
    return study


def _check_expanded(study: Study, check_designs: bool) -> None:
    """Labels unique after ``{outcome}`` expansion, sensitivity labels known, and (with
    ``check_designs``) each fit's resolved options accepted by its design."""
    path = study.path
    expanded = study.expanded_analyses()
    labels = [label for label, _, _ in expanded]
    dupes = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dupes:
        raise key_error(
            path, "analysis", f"duplicate analysis label(s) {dupes}; labels must be unique"
        )
    for i, s in enumerate(study.sensitivity):
        missing = [n for n in s.analyses if n not in labels]
        if missing:
            raise key_error(
                path, f"sensitivity[{i}].analyses", f"unknown label(s) {missing}; labels: {labels}"
            )
    if check_designs:
        from sanctuary_lab.designs.registry import design_from_dict

        index = {id(a): i for i, a in enumerate(study.analyses)}
        for label, a, options in expanded:
            try:
                design_from_dict(a.design, options)
            except SpecError as exc:
                raise key_error(
                    path, f"analysis[{index[id(a)]}].options", f"{label!r}: {exc}"
                ) from None


def resolve_study_path(id_or_path: str | Path) -> Path:
    """A bundled study id, or a path to a user's TOML file."""
    text = str(id_or_path)
    candidate = Path(text).expanduser()
    if text.endswith(".toml") or candidate.is_file():
        if not candidate.is_file():
            raise SpecError(f"{candidate}: study file not found")
        return candidate
    for p in bundled_study_paths():
        if p.stem == text:
            return p
    for p in bundled_study_paths():  # a declared [study].id that is not the file stem
        try:
            doc = read_toml(p)
        except SpecError:
            continue
        if doc.get("study", {}).get("id") == text:
            return p
    known = [p.stem for p in bundled_study_paths()]
    raise SpecError(
        f"unknown study {text!r}; run `sanctuary-lab studies` to list them ({', '.join(known)}) or pass a .toml path"
    )
