"""Theorem 4 (a) as stated, at the step limit where its branches meet: proved ceilings from SDP
Lyapunov certificates against the exact worst start (issue 20; docs/theory/theorem4_proof.rst,
"Certificates by semidefinite programming").

For the meeting family (``catalogue.theorem4.meeting_instance``: ``f = ||x||^2/2`` on ``N``
coordinates, the partition law into single coordinates, ``L = N^2``, ``mu = L_fD = N``,
``gamma = 1/(6L)``, ``p = pf * 2 gamma mu``) and the report's counting rule (``T = ceil(t_2) +
1``, counted over ``[T/2, T]``), each row gives:

* the counted late tightness of the worst start ``(x_0, w_0)`` on this quadratic instance,
  exactly (``theorem4_worst_start.analyse``, "free"): a lower bound on what the class reaches;
* Lemma A's ceiling at the first counted step (``mastref.theorems.svrdsg.ceiling_a``);
* the SDP ceiling there (``mastref.theorems.svrdsg_certificate.sdp_ceiling``): a proved upper
  bound over every instance of the class with these constants (``N`` convex ``L``-smooth
  atoms, ``f_D`` ``mu``-strongly convex and ``L_fD``-smooth), with the rate factor
  ``rho'/rho`` and the constant ``C`` of the certificate that gives it.

``--store`` writes the certificates the catalogue's ``N = 8`` meeting checks use (rate factor
``STORE_FACTOR``, one per side) and those of the three near-identity checks of part (b) (the
least floor over ``STORE_B_FACTORS``) to ``mastref/catalogue/data/theorem4_certificates.json``;
the checks re-verify them when they run (``catalogue.theorem4.certificate_ceiling``,
``lemma_b_ceiling``). About 4 minutes.

Usage (from the repository root; about 1 s per certificate at ``N = 2``, 40-75 s at ``N = 8``)::

    PYTHONPATH=. python verification/theorem4_certificates.py --N 2 3 4 6 --pf 1.01 0.99
    PYTHONPATH=. python verification/theorem4_certificates.py --store
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from theorem4_worst_start import analyse, meeting  # noqa: E402

from mastref import cost_budget  # noqa: E402
from mastref.catalogue import theorem4 as catalogue4  # noqa: E402
from mastref.theorems import theorem4  # noqa: E402
from mastref.theorems.claims import quietly  # noqa: E402
from mastref.theorems.svrdsg import ceiling_a  # noqa: E402
from mastref.theorems.svrdsg_certificate import (  # noqa: E402
    lyapunov_certificate,
    sdp_ceiling,
    to_record,
)
from mastref.verify.instances import claim_at  # noqa: E402

#: The stored certificates: key -> ``p / (2 gamma mu)`` of the meeting family at ``N = 8``.
STORE = {"meeting-gamma-mu-side-n8": 1.01, "meeting-p-side-n8": 0.99}
#: Their rate factor ``rho'/rho`` (the best of 1.1, 1.2, 1.25, 1.3, 1.35 at ``p = 2.02 gamma
#: mu`` and ``t = 110``: 0.825, 0.694, 0.655, 0.760, 1.05).
STORE_FACTOR = 1.25
DATA = Path(__file__).resolve().parents[1] / "mastref" / "catalogue" / "data"
#: The part (b) certificates: key -> the catalogue's instance (the near-identity checks).
STORE_B = {
    "near-identity-b": catalogue4._near_identity_best,
    "near-identity-b-gamma-mu-side": lambda: catalogue4.near_identity_side("gamma-mu"),
    "near-identity-b-p-side": lambda: catalogue4.near_identity_side("p"),
}
STORE_B_FACTORS = (1.2, 1.3, 1.4)


def constants(N: int, pf: float) -> tuple:
    """``(gamma, L, mu, L_fD, p, rho)`` of the meeting family at ``N``, ``p = pf 2 gamma mu``."""
    L, mu = float(N * N), float(N)
    gamma = 1 / (6 * L)
    p = pf * 2 * gamma * mu
    return gamma, L, mu, mu, p, min(gamma * mu, p / 2)


def part_b_constants(instance) -> dict:
    """The class and statement constants of a catalogue (b) instance (as its check takes it)."""
    obj, g = claim_at(theorem4, instance, 600)
    exact = quietly(
        theorem4, obj, x0=instance.x0, gamma=g.gamma, constants="exact", **instance.claim_kwargs
    ).values
    v = g.values
    return {
        "N": int(v["N"]),
        "b": int(v["b"]),
        "gamma": g.gamma,
        "L": exact["L_max"],
        "mu": exact["mu"],
        "L_fD": exact["L_fD"],
        "p": v["p"],
        "mu_P": v["mu"],
        "rho": 1 - g.rate,
        "K_P_over_rho": g.floor / v["sigma_star2"] if v["sigma_star2"] > 0 else math.nan,
    }


def store_b() -> dict:
    """The part (b) certificates of the three near-identity checks: for each, the best floor
    constant ``K/rho'`` over ``STORE_B_FACTORS``."""
    records = {}
    for key, instance in STORE_B.items():
        c = part_b_constants(instance())
        best = None
        for factor in STORE_B_FACTORS:
            cert = lyapunov_certificate(
                c["N"],
                c["gamma"],
                c["L"],
                c["mu"],
                c["L_fD"],
                c["p"],
                factor * c["rho"],
                b=c["b"],
                mu_P=c["mu_P"],
            )
            if cert is None:
                continue
            floor_ratio = cert.K / c["L"] ** 2 / cert.rho / c["K_P_over_rho"]
            print(key, factor, cert, f"floor ratio {floor_ratio:.4f}", flush=True)
            if best is None or floor_ratio < best[0]:
                best = (floor_ratio, cert)
        if best is None:
            raise RuntimeError(f"no certificate found for {key}")
        records[key] = to_record(best[1])
    return records


def store() -> None:
    records = store_b()
    for key, pf in STORE.items():
        gamma, L, mu, L_fD, p, rho = constants(8, pf)
        cert = lyapunov_certificate(8, gamma, L, mu, L_fD, p, STORE_FACTOR * rho)
        if cert is None:
            raise RuntimeError(f"no certificate found for {key}")
        print(key, cert, flush=True)
        records[key] = to_record(cert)
    path = DATA / "theorem4_certificates.json"
    path.write_text(json.dumps({"certificates": records}) + "\n")
    print("wrote", path)


def row(N: int, pf: float) -> dict:
    gamma, L, mu, _, p, rho = constants(N, pf)
    T = math.ceil(math.log(100) / -math.log(1 - rho)) + 1
    t1 = math.ceil(T / 2)
    started = time.perf_counter()
    sdp, cert = sdp_ceiling(N, gamma, L, mu, mu, p, rho, t=t1)
    return {
        "T": T,
        "t1": t1,
        "measured": analyse(meeting(N, pf))["free"],
        "lemma_a": ceiling_a(gamma, L, mu, mu, p, rho, t=t1),
        "sdp": sdp,
        "factor": math.nan if cert is None else cert.rho / rho,
        "C": math.nan if cert is None else cert.C,
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--N", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--pf", type=float, nargs="+", default=[1.01, 0.99])
    parser.add_argument("--store", action="store_true")
    args = parser.parse_args()
    with cost_budget(seconds=math.inf):  # N = 8: about 75 s per certificate, 11 min a row
        run(args)


def run(args) -> None:
    if args.store:
        store()
        return
    print(
        "| N | p / (2 gamma mu) | T | first counted step | worst start, exact (quadratic) | "
        "Lemma A ceiling | SDP ceiling | rho'/rho | C | measured / SDP ceiling | seconds |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for N in args.N:
        for pf in args.pf:
            r = row(N, pf)
            print(
                f"| {N} | {pf:g} | {r['T']} | {r['t1']} | {r['measured']:.4f} | "
                f"{r['lemma_a']:.4f} | {r['sdp']:.4f} | {r['factor']:.3g} | {r['C']:.4f} | "
                f"{r['measured'] / r['sdp']:.3f} | {r['seconds']:.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
