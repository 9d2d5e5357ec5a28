"""pyfixest entry points used by every design, with a work-around for a pyfixest 0.60 bug.

pyfixest 0.60 builds a fit's fixed-effects frame (``fit._fe``) in an order that depends on
Python's string-hash seed, while its small-sample correction flags the fixed effects nested in
the cluster variable in formula order (``fit._fixef``). When the two orders differ, the number of
levels of the *wrong* fixed effect is removed from ``k``, so a two-way model clustered on one of
its fixed effects gets a different CRV1 standard error from one Python process to the next
(e.g. ``y ~ d | unit + year`` clustered by unit: ``k`` drops 10 year levels instead of 40 unit
levels in about half of all processes). :func:`align_fixef_order` puts ``_fe`` back in formula
order and recomputes the variance, which gives fixest's "nested" convention in every process.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyfixest as pf


def _wanted_columns(fixef: str) -> list[str]:
    return [f"__fixed_effect__({name.strip().replace('^', '_')})" for name in fixef.split("+")]


def align_fixef_order(fit: Any, vcov: Any = None) -> bool:
    """Put ``fit._fe`` in formula order and recompute a clustered variance; True if it did.

    Parameters
    ----------
    fit
        A pyfixest ``Feols``/``Fepois`` fit.
    vcov
        The ``vcov`` argument the fit was made with (``None``: the fit's own clustered spec).
    """
    fe = getattr(fit, "_fe", None)
    fixef = getattr(fit, "_fixef", None)
    if not isinstance(fe, pd.DataFrame) or not fixef or fixef == "0":
        return False
    wanted = _wanted_columns(fixef)
    if list(fe.columns) == wanted or set(fe.columns) != set(wanted):
        return False
    fit._fe = fe.loc[:, wanted]
    fit._k_fe = fit._fe.nunique(axis=0)
    if getattr(fit, "_is_clustered", False):
        spec = vcov
        if spec is None:
            spec = {fit._vcov_type_detail: "+".join(fit._clustervar)}
        fit.vcov(spec)
    return True


def feols(fml: str, data: pd.DataFrame, **kwargs: Any) -> Any:
    """:func:`pyfixest.feols` with :func:`align_fixef_order` applied."""
    fit = pf.feols(fml, data, **kwargs)
    align_fixef_order(fit, kwargs.get("vcov"))
    return fit


def fepois(fml: str, data: pd.DataFrame, **kwargs: Any) -> Any:
    """:func:`pyfixest.fepois` with :func:`align_fixef_order` applied."""
    fit = pf.fepois(fml, data, **kwargs)
    align_fixef_order(fit, kwargs.get("vcov"))
    return fit
