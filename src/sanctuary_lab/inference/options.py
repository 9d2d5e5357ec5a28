"""The inference options every design shares, and the checks that go with them.

:data:`INFERENCE_CHOICES` is the one list of inference option strings; a design accepts a subset
(its ``inference`` field's ``Literal``) and the multiverse kernel another.
"""

from __future__ import annotations

from typing import Literal, get_args

import pandas as pd

from sanctuary_lab.core.errors import SpecError

Inference = Literal["iid", "hc1", "crv1", "crv3", "wild", "ri"]
INFERENCE_CHOICES: tuple[str, ...] = get_args(Inference)
CLUSTERED: frozenset[str] = frozenset({"crv1", "crv3", "wild"})
#: Below this many clusters CRV1/CRV3 t-tests over-reject; a wild bootstrap is advised.
FEW_CLUSTERS = 10


def check_inference(inference: str, cluster: str | None, what: str) -> None:
    """Validate the inference option and that a cluster column is given when needed."""
    if inference not in INFERENCE_CHOICES:
        raise SpecError(
            f"{what}: unknown inference {inference!r}; choose one of {list(INFERENCE_CHOICES)}"
        )
    if inference in CLUSTERED and not cluster:
        raise SpecError(
            f"{what}: inference={inference!r} needs a cluster column; set cluster='state_fips' "
            "(or similar), or use inference='hc1'"
        )


def check_clusters(n_clusters: int, inference: str, what: str = "design") -> list[str]:
    """Validate the number of clusters for the chosen inference.

    Fewer than 2 clusters is an error for clustered inference; fewer than :data:`FEW_CLUSTERS`
    with CRV1/CRV3 gives a warning recommending the wild cluster bootstrap.
    """
    if inference not in CLUSTERED:
        return []
    if n_clusters < 2:
        raise SpecError(
            f"{what}: inference={inference!r} needs at least 2 clusters, found {n_clusters}; "
            "choose a coarser sample or inference='hc1'"
        )
    if n_clusters < FEW_CLUSTERS and inference in ("crv1", "crv3"):
        return [
            f"only {n_clusters} clusters: {inference.upper()} tests over-reject with few "
            "clusters; consider inference='wild' (wild cluster bootstrap)"
        ]
    return []


def n_clusters(df: pd.DataFrame, cluster: str | None) -> int | None:
    """Number of distinct cluster ids, or ``None`` when unclustered."""
    return None if not cluster else int(df[cluster].nunique())
