"""Inference for the linear designs: analytic (HC1, CRV1, CRV3 via pyfixest), wild cluster
bootstrap (WCR, Rademacher/Webb) and randomization inference (units or treatment paths).

Choose it with the design options ``inference``, ``cluster``, ``n_boot``, ``weights_type`` and
``seed``, or recompute it on a fitted result with :func:`with_inference`.
"""

from sanctuary_lab.inference.linear import LinearModel, with_inference
from sanctuary_lab.inference.ri import randomization_inference
from sanctuary_lab.inference.wild import wild_cluster_bootstrap

__all__ = ["LinearModel", "randomization_inference", "wild_cluster_bootstrap", "with_inference"]
