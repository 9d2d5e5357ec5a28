"""Study files: the TOML schema, parsing and validation.

A study file names the analysis frame to build from the warehouse, its parameters, the analyses to
run (each a registered design with options), optional sensitivity runs over a parameter, optional
descriptive series, and the published numbers it reproduces. Every problem is a
:class:`~sanctuary_lab.core.errors.SpecError` whose message names the file and the key.

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
    frame = "county_cross_section"   # a builder in sanctuary_lab.studies.data.FRAMES
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
    builder = "detainer_declines_by_year"  # a builder in sanctuary_lab.studies.data.DESCRIPTIVES
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

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from sanctuary_lab.core.errors import SpecError
from sanctuary_lab.core.filters import parse_filter

STUDY_SECTIONS = frozenset(
    {
        "study",
        "data",
        "parameters",
        "sample",
        "treatment",
        "outcomes",
        "covariates",
        "controls",
        "inference",
        "analysis",
        "sensitivity",
        "descriptive",
        "published",
        "comparison",
        "multiverse",
    }
)
_STUDY_KEYS = frozenset(
    {"id", "title", "citation", "design", "summary", "identifies", "cannot_identify", "caveats"}
)
_DATA_KEYS = frozenset({"frame", "tables"})
_ANALYSIS_KEYS = frozenset({"label", "design", "outcomes", "subset", "options", "notes"})
_SENSITIVITY_KEYS = frozenset({"parameter", "values", "analyses", "notes"})
_DESCRIPTIVE_KEYS = frozenset({"name", "builder", "options", "notes"})
_PUBLISHED_KEYS = frozenset(
    {"quantity", "value", "unit", "source", "result", "term", "n", "notes", "scale"}
)
# ``[comparison.published]`` describes the published study, ``[comparison.ours]`` what this study
# file tests; the verdict's comparability grade is derived from the differences.
COMPARISON_SIDES = ("published", "ours")
COMPARISON_KEYS = frozenset(
    {
        "unit",  # unit of analysis, e.g. "county", "city (police agency)", "state"
        "geography",  # e.g. "United States", "North Carolina"
        "years",  # [first, last] outcome years
        "treatment",  # treatment definition in words
        "outcome",  # outcome definition in words (say "arrests" for arrest outcomes)
        "design",  # e.g. "cross-section with controls", "staggered DiD"
        "data",  # data source(s)
        "n_units",  # number of units (published side; ours is computed at run time)
        "n_treated",  # number of treated units
        "notes",
    }
)


@dataclass(frozen=True)
class Analysis:
    """One design fit (or one per outcome) declared by a study."""

    label: str
    design: str
    options: dict[str, Any]
    outcomes: tuple[str, ...] = ()
    subset: str | None = None
    notes: str = ""


@dataclass(frozen=True)
class Sensitivity:
    """Re-run some analyses with other values of one parameter."""

    parameter: str
    values: tuple[Any, ...]
    analyses: tuple[str, ...]
    notes: str = ""


@dataclass(frozen=True)
class Descriptive:
    """A descriptive series computed by a named builder."""

    name: str
    builder: str
    options: dict[str, Any] = field(default_factory=dict)
    notes: str = ""


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


def _err(path: Path, key: str, message: str) -> SpecError:
    return SpecError(f"{path}: key '{key}': {message}")


def _str(doc: dict[str, Any], key: str, path: Path, prefix: str, required: bool = False) -> str:
    if key not in doc:
        if required:
            raise _err(path, f"{prefix}{key}", "is required (a string)")
        return ""
    value = doc[key]
    if not isinstance(value, str) or (required and not value.strip()):
        raise _err(path, f"{prefix}{key}", f"must be a non-empty string, got {value!r}")
    return value


def _table(doc: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = doc.get(key, {})
    if not isinstance(value, dict):
        raise _err(path, key, f"must be a table ([{key}]), got {type(value).__name__}")
    return value


def _array_of_tables(doc: dict[str, Any], key: str, path: Path) -> list[dict[str, Any]]:
    value = doc.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise _err(path, key, f"must be an array of tables ([[{key}]])")
    return value


def _parse_comparison(doc: dict[str, Any], path: Path) -> dict[str, dict[str, Any]]:
    """``[comparison.published]`` / ``[comparison.ours]``: declared study metadata (see
    ``COMPARISON_KEYS``); ``years`` is ``[first, last]``, ``n_*`` are non-negative integers."""
    comp = _table(doc, "comparison", path)
    out: dict[str, dict[str, Any]] = {}
    for side in sorted(comp):
        if side not in COMPARISON_SIDES:
            raise _err(
                path, f"comparison.{side}", f"unknown key; allowed keys: {list(COMPARISON_SIDES)}"
            )
        entry = comp[side]
        if not isinstance(entry, dict):
            raise _err(path, f"comparison.{side}", "must be a table")
        _unknown(entry, COMPARISON_KEYS, path, f"comparison.{side}.")
        years = entry.get("years")
        if years is not None and not (
            isinstance(years, list)
            and len(years) == 2
            and all(isinstance(y, int) and not isinstance(y, bool) for y in years)
            and years[0] <= years[1]
        ):
            raise _err(
                path, f"comparison.{side}.years", f"must be [first, last] years, got {years!r}"
            )
        for key in ("n_units", "n_treated"):
            v = entry.get(key)
            if v is not None and (not isinstance(v, int) or isinstance(v, bool) or v < 0):
                raise _err(
                    path, f"comparison.{side}.{key}", f"must be a non-negative integer, got {v!r}"
                )
        for key in ("unit", "geography", "treatment", "outcome", "design", "data", "notes"):
            if key in entry and not isinstance(entry[key], str):
                raise _err(path, f"comparison.{side}.{key}", "must be a string")
        out[side] = dict(entry)
    return out


def _unknown(entry: dict[str, Any], allowed: frozenset[str], path: Path, prefix: str) -> None:
    extra = sorted(set(entry) - allowed)
    if extra:
        raise _err(path, f"{prefix}{extra[0]}", f"unknown key; allowed keys: {sorted(allowed)}")


def _parse_analysis(entry: dict[str, Any], i: int, path: Path, known: set[str] | None) -> Analysis:
    prefix = f"analysis[{i}]."
    _unknown(entry, _ANALYSIS_KEYS, path, prefix)
    label = _str(entry, "label", path, prefix, required=True)
    design = _str(entry, "design", path, prefix, required=True)
    if known is not None and design not in known:
        raise _err(
            path, f"{prefix}design", f"unknown design {design!r}; choose one of {sorted(known)}"
        )
    options = entry.get("options", {})
    if not isinstance(options, dict):
        raise _err(path, f"{prefix}options", "must be an inline table of design options")
    outcomes = entry.get("outcomes", [])
    if not isinstance(outcomes, list) or not all(isinstance(o, str) for o in outcomes):
        raise _err(path, f"{prefix}outcomes", "must be a list of column names")
    if len(outcomes) > 1 and "{outcome}" not in label:
        raise _err(
            path, f"{prefix}label", "must contain {outcome} when several outcomes are listed"
        )
    subset = entry.get("subset")
    if subset is not None:
        if not isinstance(subset, str):
            raise _err(path, f"{prefix}subset", "must be a filter expression string")
        # checked now (whitelist: columns, literals, comparisons, and/or/not), never executed
        parse_filter(subset, f"{path}: {prefix}subset")
    return Analysis(label, design, options, tuple(outcomes), subset, str(entry.get("notes", "")))


def parse_study(path: str | Path, check_designs: bool = True) -> Study:
    """Read and validate one study file.

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
    if not path.is_file():
        raise SpecError(f"{path}: study file not found")
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise SpecError(f"{path}: not UTF-8 text") from None
    extra = sorted(set(doc) - STUDY_SECTIONS)
    if extra:
        raise _err(path, extra[0], f"unknown section; allowed: {sorted(STUDY_SECTIONS)}")
    if "study" not in doc:
        raise _err(path, "study", "missing [study] section (title, citation, ...)")
    meta = _table(doc, "study", path)
    _unknown(meta, _STUDY_KEYS, path, "study.")
    study_id = _str(meta, "id", path, "study.") or path.stem
    title = _str(meta, "title", path, "study.", required=True)
    citation = _str(meta, "citation", path, "study.", required=True)
    caveats = meta.get("caveats", [])
    if not isinstance(caveats, list) or not all(isinstance(c, str) for c in caveats):
        raise _err(path, "study.caveats", "must be a list of strings")

    data = _table(doc, "data", path)
    _unknown(data, _DATA_KEYS, path, "data.")
    frame = data.get("frame")
    if frame is not None:
        from sanctuary_lab.studies.data import FRAMES

        if frame not in FRAMES:
            raise _err(
                path, "data.frame", f"unknown frame {frame!r}; choose one of {sorted(FRAMES)}"
            )
    tables = data.get("tables", [])
    if not isinstance(tables, list):
        raise _err(path, "data.tables", "must be a list of warehouse table names")
    parameters = _table(doc, "parameters", path)
    _table(doc, "inference", path)
    if frame is not None:
        _check_parameters(frame, parameters, path)

    known = None
    if check_designs:
        from sanctuary_lab.designs.registry import designs

        known = set(designs())
        _check_inference_keys(_table(doc, "inference", path), designs(), path)
    analyses = [
        _parse_analysis(e, i, path, known)
        for i, e in enumerate(_array_of_tables(doc, "analysis", path))
    ]
    if analyses and frame is None:
        raise _err(path, "data.frame", "is required when the study declares [[analysis]] entries")

    sensitivity = []
    for i, e in enumerate(_array_of_tables(doc, "sensitivity", path)):
        prefix = f"sensitivity[{i}]."
        _unknown(e, _SENSITIVITY_KEYS, path, prefix)
        param = _str(e, "parameter", path, prefix, required=True)
        if param not in parameters:
            raise _err(
                path, f"{prefix}parameter", f"{param!r} is not in [parameters] {sorted(parameters)}"
            )
        values = e.get("values")
        if not isinstance(values, list) or not values:
            raise _err(path, f"{prefix}values", "must be a non-empty list of parameter values")
        names = e.get("analyses", [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _err(path, f"{prefix}analyses", "must be a list of analysis labels")
        sensitivity.append(Sensitivity(param, tuple(values), tuple(names), str(e.get("notes", ""))))

    descriptive = []
    for i, e in enumerate(_array_of_tables(doc, "descriptive", path)):
        prefix = f"descriptive[{i}]."
        _unknown(e, _DESCRIPTIVE_KEYS, path, prefix)
        from sanctuary_lab.studies.data import DESCRIPTIVES

        name = _str(e, "name", path, prefix, required=True)
        builder = _str(e, "builder", path, prefix, required=True)
        if builder not in DESCRIPTIVES:
            raise _err(
                path,
                f"{prefix}builder",
                f"unknown builder {builder!r}; choose one of {sorted(DESCRIPTIVES)}",
            )
        options = e.get("options", {})
        if not isinstance(options, dict):
            raise _err(path, f"{prefix}options", "must be an inline table")
        descriptive.append(Descriptive(name, builder, options, str(e.get("notes", ""))))

    comparison = _parse_comparison(doc, path)

    published = _array_of_tables(doc, "published", path)
    for i, e in enumerate(published):
        prefix = f"published[{i}]."
        _unknown(e, _PUBLISHED_KEYS, path, prefix)
        _str(e, "quantity", path, prefix, required=True)
        if "value" in e and not isinstance(e["value"], (int, float)):
            raise _err(path, f"{prefix}value", f"must be a number, got {e['value']!r}")

    if not analyses and not descriptive and "multiverse" not in doc:
        raise _err(
            path, "analysis", "the study declares nothing to run ([[analysis]] or [[descriptive]])"
        )

    study = Study(
        id=study_id,
        path=path,
        title=title,
        citation=citation,
        design=_str(meta, "design", path, "study."),
        summary=_str(meta, "summary", path, "study."),
        identifies=_str(meta, "identifies", path, "study."),
        cannot_identify=_str(meta, "cannot_identify", path, "study."),
        caveats=list(caveats),
        frame=frame,
        tables=list(tables),
        parameters=dict(parameters),
        sample=_table(doc, "sample", path),
        treatment=_table(doc, "treatment", path),
        analyses=analyses,
        sensitivity=sensitivity,
        descriptive=descriptive,
        published=published,
        raw=doc,
        comparison=comparison,
    )
    expanded = study.expanded_analyses()
    labels = [label for label, _, _ in expanded]
    dupes = sorted({lab for lab in labels if labels.count(lab) > 1})
    if dupes:
        raise _err(path, "analysis", f"duplicate analysis label(s) {dupes}; labels must be unique")
    for i, s in enumerate(sensitivity):
        missing = [n for n in s.analyses if n not in labels]
        if missing:
            raise _err(
                path, f"sensitivity[{i}].analyses", f"unknown label(s) {missing}; labels: {labels}"
            )
    if check_designs:
        from sanctuary_lab.designs.registry import design_from_dict

        index = {id(a): i for i, a in enumerate(analyses)}
        for label, a, options in expanded:
            try:
                design_from_dict(a.design, options)
            except SpecError as exc:
                raise _err(path, f"analysis[{index[id(a)]}].options", f"{label!r}: {exc}") from None
    return study


#: Stated bounds of frame parameters (inclusive), by name; a value outside is an error, in a study
#: file and in ``run -p KEY=VALUE`` alike. Year-like parameters share :data:`YEAR_BOUNDS`.
PARAMETER_BOUNDS: dict[str, tuple[float, float]] = {
    "decline_threshold": (0.0, 1.0),  # a share of detainers
    "event_threshold": (0.0, 1.0),  # a share of population covered
    "min_months": (0, 12),  # months of UCR reporting in a year
    "min_detainers": (0, 10_000_000),
}
#: accepted range of any year parameter (``*_year``, ``years``, ``vintage_years``)
YEAR_BOUNDS = (1900, 2100)


def _is_year_param(name: str) -> bool:
    return name.endswith("_year") or name in ("years", "vintage_years")


def check_parameter(frame: str, key: str, value: Any, where: str) -> Any:
    """Check one frame parameter against the builder's declared type and the stated bounds.

    Types come from the frame builder's annotations (``int``, ``float``, ``bool``, ``str``,
    ``list[int]``, ``list[str]``, optionally ``| None``); bounds from :data:`PARAMETER_BOUNDS` and
    :data:`YEAR_BOUNDS`. Returns the value (an int given for a float parameter becomes a float).

    Raises
    ------
    SpecError
        One line naming ``where``, the parameter, the value and what is expected.
    """
    import inspect
    import math

    from sanctuary_lab.studies.data import FRAMES

    sig = inspect.signature(FRAMES[frame])
    accepted = [n for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY]
    if key not in accepted:
        raise SpecError(f"{where}: frame {frame!r} takes no parameter {key!r}; it takes {accepted}")
    ann = str(sig.parameters[key].annotation).replace(" ", "")
    optional = ann.endswith("|None") or ann.startswith("None|")
    base = ann.replace("|None", "").replace("None|", "")

    def bad(expected: str) -> SpecError:
        return SpecError(f"{where}: parameter {key!r} must be {expected}, got {value!r}")

    def check_scalar(v: Any, typ: str) -> Any:
        if typ == "bool":
            if not isinstance(v, bool):
                raise bad("true or false")
            return v
        if typ == "str":
            if not isinstance(v, str):
                raise bad("a string")
            return v
        if typ in ("int", "float"):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise bad("an integer" if typ == "int" else "a number")
            if typ == "int" and not isinstance(v, int):
                raise bad("an integer")
            if isinstance(v, float) and not math.isfinite(v):
                raise bad("a finite number")
            lo_hi = YEAR_BOUNDS if _is_year_param(key) else PARAMETER_BOUNDS.get(key)
            if lo_hi is not None and not lo_hi[0] <= v <= lo_hi[1]:
                raise bad(f"between {lo_hi[0]} and {lo_hi[1]}")
            return float(v) if typ == "float" else v
        return v  # an annotation this checker does not know: leave it to the builder

    if value is None:
        if optional:
            return None
        raise bad(f"a value of type {base}")
    if base.startswith("list[") and base.endswith("]"):
        if not isinstance(value, list):
            raise bad(f"a list ({base})")
        return [check_scalar(v, base[5:-1]) for v in value]
    return check_scalar(value, base)


def _check_inference_keys(defaults: dict[str, Any], registry: dict[str, Any], path: Path) -> None:
    """``[inference]`` keys must be options of at least one design (a typo is not ignored)."""
    import dataclasses

    accepted: set[str] = set()
    for cls in registry.values():
        if dataclasses.is_dataclass(cls):
            accepted |= {f.name for f in dataclasses.fields(cls)}
    for key in defaults:
        if key not in accepted:
            raise _err(path, f"inference.{key}", "unknown key: no design has this option")


def _check_parameters(frame: str, parameters: dict[str, Any], path: Path) -> None:
    """Parameters must be keyword arguments the frame builder accepts, of its types and bounds."""
    for key, value in parameters.items():
        check_parameter(frame, key, value, f"{path}: key 'parameters.{key}'")
    first, last = parameters.get("first_year"), parameters.get("last_year")
    if isinstance(first, int) and isinstance(last, int) and first > last:
        raise SpecError(f"{path}: parameters: first_year {first} is after last_year {last}")


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
    for p in bundled_study_paths():
        try:
            doc = tomllib.loads(p.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError:
            continue
        if doc.get("study", {}).get("id") == text:
            return p
    known = [p.stem for p in bundled_study_paths()]
    raise SpecError(
        f"unknown study {text!r}; run `sanctuary-lab studies` to list them ({', '.join(known)}) or pass a .toml path"
    )
