"""Instance families for the worst-case search: a parameter vector in a box -> a MAST instance.

A family maps ``theta`` (in ``family.bounds``) to an ``Instance``: plain arrays (the quadratic(s),
the shift, the start), the sketch law, the step as a fraction of the claim's step limit and any
extra claim arguments (L-SVRDSG's ``p``, ``b``). Every instance is reproducible from its
``describe()`` output. Families know nothing about theorems.

Parametrisation of a quadratic ``f(x) = 1/2 x^T A x - b^T x`` in ``R^d``: eigenvalues
``L_f * exp(t_i)``, ``t_i`` in ``[log(1/kappa), 0]`` (one of them pinned to ``L_f = 1``), an
eigenbasis ``Q`` from Givens angles (``basis="free"``) or the identity (``"aligned"``), the
minimiser ``x*`` in a box (``b = A x*``); the shift ``v`` and the start ``x_0`` in the same box
(or pinned: ``"zero"``, ``"optimal"``). With ``snap > 0`` a slab of each such coordinate maps
onto its argued-attaining end (``kappa = 1``, the smallest sketch parameter, the step limit,
``v = x*``), so that the attaining instances have positive measure in the box.

``FiniteSumQuadraticFamily`` searches finite sums of quadratics under the tau-nice oracle
(Theorem 3), measured exactly; ``UnionFamily`` joins families (e.g. one client and two).
"""

from __future__ import annotations

import inspect
import itertools
import math
from dataclasses import dataclass, field, replace

import numpy as np

from .._validation import MissingCapability, as_generator, check_int, check_real
from ..distributed import DistributedProblem
from ..mast import MAST
from ..problems import LeastSquares, LogisticRegression, Quadratic
from ..sketches import Bernoulli, FiniteSketch, Partition, PermutationSketch, RandK
from ..theorems.claims import Guarantee
from .measure import expectation

LAWS = (
    "randk",
    "bernoulli",
    "bernoulli-uniform",
    "bernoulli-half",
    "partition",
    "near-identity",
    "near-scalar",
)
#: Horizon of a scaled family: ``T = HORIZON_DECADES * ln(10) / -ln(rate)`` steps (the bound's
#: transient falls by ``2 * HORIZON_DECADES / 2`` decades over the first half), capped by
#: ``max_steps``.
HORIZON_DECADES = 4.0
#: The shortest scaled horizon.
MIN_STEPS = 10


def givens(d: int, angles: np.ndarray) -> np.ndarray:
    """The orthogonal matrix ``prod_{i<j} G(i, j, angle)`` (``d(d-1)/2`` angles)."""
    Q = np.eye(d)
    k = 0
    for i in range(d):
        for j in range(i + 1, d):
            c, s = math.cos(angles[k]), math.sin(angles[k])
            Qi, Qj = Q[:, i].copy(), Q[:, j].copy()
            Q[:, i], Q[:, j] = c * Qi - s * Qj, s * Qi + c * Qj
            k += 1
    return Q


@dataclass(frozen=True, kw_only=True, repr=False)
class Instance:
    """One instance: quadratic(s) ``(A_i, b_i)``, sketch law, shift ``v``, start ``x0``, step
    fraction. With ``start_spread = m`` the start is resolved at the claim's step
    (``resolve_start``): ``x_0 = x* + m sqrt(s) u``, ``s`` the stationary ``E||x - x*||^2`` of
    the algorithm there and ``u`` the direction of ``x0 - x*``."""

    A: tuple
    b: tuple
    sketch: object
    v: np.ndarray
    x0: np.ndarray
    step_fraction: float
    claim_kwargs: dict = field(default_factory=dict)
    distributed: bool = False
    max_steps: int | None = None
    start_spread: float | None = None

    @property
    def d(self) -> int:
        return self.v.size

    def objective(self):
        """The ``MAST`` objective (one quadratic) or the ``DistributedProblem`` (several)."""
        problems = [Quadratic(A, b) for A, b in zip(self.A, self.b, strict=True)]
        if len(problems) == 1 and not self.distributed:
            return MAST(problems[0], self.sketch, shift=self.v)
        return DistributedProblem(problems, self.sketch, shift=self.v)

    def describe(self) -> dict:
        """Plain arrays and the law (``law_description``): enough to rebuild the instance."""
        return {
            "A": [a.tolist() for a in self.A],
            "b": [b.tolist() for b in self.b],
            "law": law_description(self.sketch),
            "v": self.v.tolist(),
            "x0": self.x0.tolist(),
            "step_fraction": self.step_fraction,
            "max_steps": self.max_steps,
            "distributed": self.distributed,
            "start_spread": self.start_spread,
            "claim_kwargs": {
                k: v.tolist() if hasattr(v, "tolist") else v  # numpy scalars and arrays
                for k, v in self.claim_kwargs.items()
            },
        }

    def __repr__(self) -> str:
        eig = np.linalg.eigvalsh(self.A[0])
        return (
            f"Instance(d={self.d}, clients={len(self.A)}, {self.sketch!r}, spectrum "
            f"[{eig[0]:.3g}, {eig[-1]:.3g}], ||v|| = {np.linalg.norm(self.v):.3g}, "
            f"step {self.step_fraction:.3g} gamma_max)"
        )


#: Laws of at most this many atoms are described by their atoms and weights.
DESCRIBED_ATOMS = 4096


def law_description(law):
    """A law as plain data: its ``repr``, its parameters (a Bernoulli law's keep probabilities
    ``p``, a random subset's ``k``) and, for a finite law of at most ``DESCRIBED_ATOMS`` atoms,
    its atoms and weights (``law.support()``: ``FiniteSketch(atoms, weights)`` rebuilds it); a
    list of laws (one per client) as a list.

    Examples
    --------
    >>> import mastref as mr
    >>> from mastref.verify.instances import law_description
    >>> law_description(mr.Bernoulli(2, [0.5, 0.25]))["p"]
    [0.5, 0.25]
    >>> law_description(mr.RandK(2, 1))["atoms"]
    [[2.0, 0.0], [0.0, 2.0]]
    """
    if isinstance(law, list | tuple):
        return [law_description(one) for one in law]
    out: dict = {"repr": repr(law)}
    for name in ("p", "k"):
        value = getattr(law, name, None)
        if isinstance(value, np.ndarray | float | int) and not isinstance(value, bool):
            out[name] = np.asarray(value).tolist()
    if getattr(law, "has_finite_support", False) and law.support_size <= DESCRIBED_ATOMS:
        atoms, weights = law.support()
        out["atoms"], out["weights"] = np.asarray(atoms).tolist(), np.asarray(weights).tolist()
    return out


def sketch_of(spec, params: np.ndarray, d: int):
    """The sketch of family ``spec`` (one of ``LAWS``, or a fixed sketch, returned as is) at
    parameters ``params`` in ``[0, 1]^d``."""
    if not isinstance(spec, str):
        return spec
    if spec == "randk":
        return RandK(d, 1 + min(int(params[0] * d), d - 1))
    if spec == "bernoulli":
        return Bernoulli(p=0.1 + 0.9 * params)
    if spec == "bernoulli-half":  # 2^d equally likely masks: a uniform finite law
        return Bernoulli(d, 0.5)
    if spec == "bernoulli-uniform":
        return Bernoulli(d, 0.1 + 0.9 * params[0])
    if spec == "near-identity":  # atoms 1 + eps sigma, sigma in {-1, 1}^d, uniform
        eps = 0.02 + 0.58 * params[0]
        signs = np.array(list(itertools.product((-1.0, 1.0), repeat=d)))
        return FiniteSketch(1.0 + eps * signs)
    if spec == "near-scalar":  # (1 - eps) I or (1 + eps) I, probability 1/2 each
        eps = 0.005 + 0.295 * params[0]
        return FiniteSketch(np.array([(1.0 - eps) * np.ones(d), (1.0 + eps) * np.ones(d)]))
    if spec == "partition":
        n_blocks = 1 + min(int(params[0] * d), d - 1)
        return Partition(blocks=[np.arange(j, d, n_blocks) for j in range(n_blocks)])
    raise ValueError(f"unknown law family {spec!r}; choose from {LAWS}")


class QuadraticFamily:
    """Quadratic instances of dimension ``d`` with a sketch from ``sketches`` (see the module
    docstring).

    Parameters
    ----------
    d : int
        Dimension (``d <= 8`` keeps the exact recursion fast).
    sketches : sequence of str or Sketch
        Sketch families (``LAWS``) or fixed sketches; the first parameter picks one.
    basis : {"free", "aligned"}
        Givens-parametrised eigenbasis, or the coordinate axes.
    kappa : float
        Largest condition number ``L_f / mu_f``.
    box : float
        Half-width of the box holding ``x*``, ``v`` and ``x_0``.
    shift : {"free", "zero", "optimal"}
        Whether ``v`` is searched in the box, 0, or ``x*`` (``Delta = 0``).
    start : {"free", "zero", "offset"}
        Whether ``x_0`` is searched in the box, 0, or ``x_D* + r u`` (the optimum of the MAST
        objective) with a searched distance ``r`` in ``[1e-4, box]`` (log scale) and direction
        ``u``.
    step_fraction : (float, float)
        Range of the step ``gamma`` as a fraction of the claim's step limit (equal ends: a
        fixed step; ``(1, 1)`` is the theorem's own step).
    step_scale : {"linear", "log"}
        How the step fraction is searched: uniformly, or log-uniformly (the coordinate is
        ``log10(gamma / gamma_max)``), which reaches steps decades below the limit.
    max_steps : int or None
        ``None``: the search's horizon ``T`` is used as given. An integer: the horizon is
        scaled with the step, ``T = HORIZON_DECADES ln(10) / -ln(rate)`` (``scaled_horizon``)
        capped at ``max_steps`` (a cost guard; ``rate = 1 - gamma mu`` for Theorem 1, so ``T ~ 1 /
        (gamma mu)``), so that late terms are reached at small steps; and a ratio below 1
        counts as a tightness only at steps where the bound has fallen by at least two
        decades from ``t = 0`` or is within 5 % of its floor (``Guarantee.floor``).
    clients : int
        Number of quadratic clients (``> 1``: a ``DistributedProblem``).
    joint : bool
        With clients: one permutation sketch instead of independent sketches.
    svrdsg : bool
        Also search L-SVRDSG's ``p`` (in ``[1/N, 1]``) and ``b`` (in ``[1, N]``).
    per_client_sketches : bool
        With clients: each client draws its own sketch (else one law for every client, drawn
        independently by each).
    snap : float
        Share in ``[0, 1)`` of a coordinate's range that maps onto its argued-attaining end, so
        that the attaining instances have positive measure in the box: a slab of each spectrum
        coordinate gives the eigenvalue ``L_f`` (``kappa = 1`` when all do), a slab of each
        law parameter the family's smallest one (``eps = 0.005`` for ``near-scalar``, ``k = 1``
        for ``randk``), a slab of the step coordinate the upper end of ``step_fraction``, and
        (``shift="free"``) a slab of an extra coordinate ``v_optimal`` puts ``v`` at the
        optimum (``Delta = 0``). ``0``: no slabs (every coordinate continuous).
    distributed : bool or None
        A one-client ``DistributedProblem`` instead of a ``MAST`` (``None``: only with
        ``clients > 1``); one client is ``M`` identical clients sharing one sketch draw.
    client_scale : float
        With clients: the largest ratio of two clients' curvatures. Client ``i >= 1`` has
        ``s_i A_i`` and ``s_i b_i`` (the same minimiser ``x_i*``) with ``s_i`` log-uniform in
        ``[1/client_scale, 1]`` (client 0 keeps ``L_f = 1``), and a slab (``snap``) at
        ``s_i = 1``; with two clients the maximum of a curvature constant over clients and
        its mean then differ up to ``2 / (1 + 1/client_scale)``-fold. ``1``: equal scales
        (no coordinate).
    identical_clients : bool
        With clients: every client is a copy of client 0 (its spectrum, basis, minimiser and,
        with ``per_client_sketches``, its law), each drawing its sketch independently; only
        client 0's coordinates are searched.
    coupled_clients : bool
        With clients (and ``snap > 0``): an extra coordinate ``coupled`` in ``[0, 1]`` whose
        slab (the top ``snap`` of its range) makes every client ``i >= 1`` a copy of client 0
        that differs only by its curvature scale ``s_i`` (``client_scale``) and, in the lower
        half of the slab, its minimiser: client ``i`` takes client 0's law and law
        parameters, spectrum and basis (so ``A_i = s_i A_0``), and in the upper half also its
        minimiser (``b_i = s_i b_0``); each client still draws its sketch independently.
        Below the slab the clients are independent, as without the coordinate. The coupled
        instances (e.g. two near-scalar clients at curvatures ``1`` and ``s``) then have
        positive measure through this one coordinate instead of the product of every
        client's slabs. Excludes ``identical_clients``; with one client it does nothing (as
        ``identical_clients``).
    claim_kwargs : dict or None
        Keyword arguments passed to the claim on every instance (e.g. ``strongly_convex``).

    Examples
    --------
    >>> from mastref.verify.instances import QuadraticFamily
    >>> fam = QuadraticFamily(d=2, sketches=("near-scalar",), step_fraction=(1e-3, 1),
    ...                       step_scale="log", max_steps=2000)
    >>> fam.bounds[-1]  # the searched log10 step fraction
    (-3.0, 0.0)
    >>> round(fam.build(fam.landmarks()[0]).step_fraction, 6)
    1.0
    """

    def __init__(
        self,
        d: int = 4,
        sketches=("randk",),
        *,
        basis: str = "free",
        kappa: float = 100.0,
        box: float = 3.0,
        shift: str = "free",
        start: str = "free",
        step_fraction=(0.05, 1.0),
        step_scale: str = "linear",
        max_steps: int | None = None,
        clients: int = 1,
        joint: bool = False,
        svrdsg: bool = False,
        per_client_sketches: bool = False,
        snap: float = 0.0,
        distributed: bool | None = None,
        claim_kwargs: dict | None = None,
        client_scale: float = 1.0,
        identical_clients: bool = False,
        coupled_clients: bool = False,
    ):
        self.d = check_int("d", d, 1)
        self.sketches = tuple([sketches] if isinstance(sketches, str) else sketches)
        if not self.sketches:
            raise ValueError(f"argument 'sketches' = {sketches!r} must name at least one sketch")
        for law in self.sketches:
            if isinstance(law, str):
                if law not in LAWS:
                    raise ValueError(
                        f"argument 'sketches': unknown sketch family {law!r}; choose from {LAWS}"
                    )
            elif getattr(law, "d", None) != self.d:
                raise ValueError(
                    f"argument 'sketches': {law!r} has d = {getattr(law, 'd', None)}, "
                    f"the family has d = {self.d}"
                )
        for name, value, allowed in (
            ("basis", basis, ("free", "aligned")),
            ("shift", shift, ("free", "zero", "optimal")),
            ("start", start, ("free", "zero", "offset")),
            ("step_scale", step_scale, ("linear", "log")),
        ):
            if value not in allowed:
                raise ValueError(f"argument '{name}' = {value!r} must be one of {allowed}")
        self.basis, self.shift, self.start = basis, shift, start
        self.kappa = check_real("kappa", kappa, positive=True)
        if self.kappa < 1:
            raise ValueError(f"argument 'kappa' = {kappa} must be >= 1 (a condition number)")
        self.box = check_real("box", box, positive=True)
        if (
            isinstance(step_fraction, (str, bytes))
            or np.ndim(step_fraction) != 1
            or len(step_fraction) != 2
        ):
            raise ValueError(
                f"argument 'step_fraction' = {step_fraction!r} must be a pair (low, high)"
            )
        lo, hi = (check_real("step_fraction", s, positive=True) for s in step_fraction)
        if lo > hi:
            raise ValueError(
                f"argument 'step_fraction' = {tuple(step_fraction)} must be (low, high) with "
                "low <= high"
            )
        self.step_fraction = (lo, hi)
        self.step_scale = step_scale
        self.max_steps = None if max_steps is None else check_int("max_steps", max_steps, 2)
        self.clients = check_int("clients", clients, 1)
        self.joint, self.svrdsg = bool(joint), bool(svrdsg)
        self.per_client_sketches = bool(per_client_sketches) and self.clients > 1
        self.snap = check_real("snap", snap, nonnegative=True)
        if self.snap >= 1:
            raise ValueError(f"argument 'snap' = {snap} must be in [0, 1) (a share of a range)")
        self.distributed = self.clients > 1 if distributed is None else bool(distributed)
        if self.clients > 1 and not self.distributed:
            raise ValueError(
                f"argument 'distributed' = {distributed!r}: {self.clients} clients are a "
                "DistributedProblem"
            )
        self.claim_kwargs = dict(claim_kwargs or {})
        self.client_scale = check_real("client_scale", client_scale, positive=True)
        if self.client_scale < 1:
            raise ValueError(
                f"argument 'client_scale' = {client_scale} must be >= 1 (a ratio of curvatures)"
            )
        if identical_clients and coupled_clients:
            raise ValueError(
                "arguments 'identical_clients' = True and 'coupled_clients' = True exclude each "
                "other (identical clients have no coordinates of their own to couple)"
            )
        self.identical_clients = bool(identical_clients) and self.clients > 1
        self.coupled_clients = bool(coupled_clients) and self.clients > 1
        if self.coupled_clients and self.snap == 0:
            raise ValueError(
                f"argument 'coupled_clients' = {coupled_clients!r} needs snap > 0 (its slab is "
                f"the coupling), got snap = {snap}"
            )
        d, M = self.d, self.clients
        grow = self.snap / (1.0 - self.snap)  # the snapping slab's length per unit of range
        searched = 1 if self.identical_clients else M  # clients with coordinates of their own
        n_laws = searched if self.per_client_sketches else 1
        blocks = []
        for i in range(n_laws):
            blocks.append((f"law{i}", [(0.0, len(self.sketches) - 1e-9)]))
            blocks.append((f"law_params{i}", [(-grow, 1.0)] * d))
        for i in range(searched):
            log_kappa = math.log(self.kappa)
            blocks.append((f"spectrum{i}", [(-log_kappa, grow * log_kappa)] * (d - 1)))
            if basis == "free":
                blocks.append((f"basis{i}", [(-math.pi, math.pi)] * (d * (d - 1) // 2)))
            blocks.append((f"x_star{i}", [(-self.box, self.box)] * d))
            if i > 0 and self.client_scale > 1:  # log10 s_i; the slab above 0 is s_i = 1
                low = -math.log10(self.client_scale)
                blocks.append((f"scale{i}", [(low, -grow * low)]))
        if self.coupled_clients:  # the slab above 1 - snap: clients i >= 1 copy client 0
            blocks.append(("coupled", [(0.0, 1.0)]))
        if shift == "free":
            blocks.append(("v", [(-self.box, self.box)] * d))
            if self.snap > 0:  # a slab of this coordinate puts v at the optimum (Delta = 0)
                blocks.append(("v_optimal", [(0.0, 1.0)]))
        if start == "free":
            blocks.append(("x0", [(-self.box, self.box)] * d))
        elif start == "offset":
            top = math.log10(self.box)
            self._start_low = -4.0 - grow * (top + 4.0)  # the slab below -4: stationary
            blocks.append(("x0", [(self._start_low, top)] + [(-1.0, 1.0)] * d))
        if self.step_fraction[0] < self.step_fraction[1]:
            a, b = (math.log10(lo), math.log10(hi)) if step_scale == "log" else (lo, hi)
            blocks.append(("step_fraction", [(a, b + grow * (b - a))]))
        if svrdsg:
            blocks.append(("svrdsg", [(0.0, 1.0), (0.0, 1.0)]))
        self._blocks = blocks
        self.bounds = [b for _, bs in blocks for b in bs]

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return len(self.bounds)

    def __repr__(self) -> str:
        laws = ", ".join(x if isinstance(x, str) else repr(x) for x in self.sketches)
        extra = f", {self.clients} clients" + (" (permutation)" if self.joint else "")
        if self.client_scale > 1:
            extra += f" (curvatures within {self.client_scale:g}x)"
        if self.identical_clients:
            extra += " (identical)"
        if self.coupled_clients:
            extra += " (coupling slab)"
        return (
            f"QuadraticFamily(d={self.d}, sketches=[{laws}], basis={self.basis}, "
            f"kappa={self.kappa:g}"
            f"{extra if self.clients > 1 else ''}, {self.dim} parameters)"
        )

    def _split(self, theta) -> dict:
        theta = np.clip(np.asarray(theta, float), *np.array(self.bounds).T)
        out, k = {}, 0
        for name, bs in self._blocks:
            out[name] = theta[k : k + len(bs)]
            k += len(bs)
        return out

    def _law(self, which: int, params: np.ndarray):
        return sketch_of(self.sketches[which], params, self.d)

    def build(self, theta) -> Instance:
        """The instance at ``theta``."""
        p = self._split(theta)
        d, M = self.d, self.clients
        shared = ()  # blocks that every client takes from client 0
        if self.identical_clients:
            shared = ("law", "law_params", "spectrum", "basis", "x_star")
        elif self.coupled_clients and p["coupled"][0] >= 1.0 - self.snap:
            shared = ("law", "law_params", "spectrum", "basis")
            if p["coupled"][0] >= 1.0 - self.snap / 2:  # the upper half: one minimiser
                shared += ("x_star",)
        p.update({f"{b}{i}": p[f"{b}0"] for b in shared for i in range(1, M) if f"{b}0" in p})
        As, bs, x_stars = [], [], []
        for i in range(M):  # a spectrum coordinate in the slab above 0 is an eigenvalue L_f
            eig = np.exp(np.concatenate([[0.0], np.minimum(p[f"spectrum{i}"], 0.0)]))
            Q = givens(d, p[f"basis{i}"]) if self.basis == "free" else np.eye(d)
            A = (Q * eig) @ Q.T
            A = 0.5 * (A + A.T)
            if f"scale{i}" in p:  # client i's curvature scale s_i <= 1
                A = 10.0 ** min(float(p[f"scale{i}"][0]), 0.0) * A
            x_star = p[f"x_star{i}"]
            As.append(A)
            bs.append(A @ x_star)
            x_stars.append(x_star)
        if self.joint and M > 1:
            law = PermutationSketch(d, M)
        else:
            laws = [  # a law parameter in the slab below 0 is the family's smallest (eps, k)
                self._law(int(p[f"law{i}"][0]), np.maximum(p[f"law_params{i}"], 0.0))
                for i in range(M if self.per_client_sketches else 1)
            ]
            law = laws[0] if M == 1 else (laws if self.per_client_sketches else [laws[0]] * M)
        optimal = self.shift == "optimal" or (
            "v_optimal" in p and p["v_optimal"][0] >= 1.0 - self.snap
        )
        if optimal:
            v = np.mean(x_stars, axis=0) if M == 1 else self._optimum(As, bs)
        elif self.shift == "free":
            v = p["v"]
        else:
            v = np.zeros(d)
        x0 = p["x0"] if self.start == "free" else np.zeros(d)
        kwargs = dict(self.claim_kwargs)
        if self.svrdsg:
            N = law.support_size
            a, c = p["svrdsg"]
            kwargs.update(p=1.0 / N + a * (1 - 1.0 / N), b=1 + min(int(c * N), N - 1))
        inst = Instance(
            A=tuple(As),
            b=tuple(bs),
            sketch=law,
            v=np.asarray(v, float),
            x0=np.asarray(x0, float),
            step_fraction=self._step(p),
            claim_kwargs=kwargs,
            distributed=self.distributed,
            max_steps=self.max_steps,
        )
        if self.start == "offset":  # x_0 = x_D* + 10^r u/||u||: starts at any distance
            inst = _offset(inst, p["x0"], self._start_low)
        return inst

    def _step(self, p: dict) -> float:
        if "step_fraction" not in p:
            return self.step_fraction[0]
        hi = self.step_fraction[1]  # the slab above the limit is the limit
        x = float(p["step_fraction"][0])
        return min(10.0**x, hi) if self.step_scale == "log" else min(x, hi)

    def landmarks(self) -> list[np.ndarray]:
        """Parameter vectors of the argued worst cases the family holds, one per sketch family,
        for seeding a search (``worst_case(..., seeds=family.landmarks())``).

        Each has ``A = I`` in every client (spectrum 0, basis angles 0), ``x* = (box/2) 1``,
        the smallest law parameter (``near-scalar``: ``eps = 0.005``, ``near-identity``:
        ``eps = 0.02``; ``randk``: ``k = 1``), the step at the limit, and ``x_0`` far from
        the optimum: ``v = 0`` for the near-scalar and near-identity sketches (the
        ``near_scalar`` instance, neighbourhood tight), ``v = x*`` for the others
        (``Delta = 0``: the transient of an isotropic RandK instance is tight).
        """
        out = []
        for k, spec in enumerate(self.sketches):
            theta = []
            noisy = spec in ("near-scalar", "near-identity")
            for name, bs in self._blocks:
                n = len(bs)
                if name.startswith("law_params"):
                    theta += [0.0] * n
                elif name.startswith("law"):
                    theta += [k + 0.5]
                elif name.startswith(("spectrum", "basis")):
                    theta += [0.0] * n
                elif name.startswith("scale"):  # equal scales
                    theta += [bs[0][1]]
                elif name.startswith("x_star"):
                    theta += [self.box / 2] * n
                elif name == "v":
                    theta += [0.0 if noisy else self.box / 2] * n
                elif name == "v_optimal":
                    theta += [0.0 if noisy else 1.0]
                elif name == "x0" and self.start == "free":
                    theta += [-self.box] * n
                elif name == "x0":  # offset: the largest distance
                    theta += [bs[0][1]] + [1.0] * (n - 1)
                elif name == "step_fraction":
                    theta += [bs[0][1]]
                else:
                    theta += [0.5 * (a + b) for a, b in bs]
            out.append(np.clip(np.array(theta), *np.array(self.bounds).T))
        return out

    @staticmethod
    def _optimum(As, bs) -> np.ndarray:
        return np.linalg.solve(sum(As), sum(bs))


#: Sketch families that attain the neighbourhood terms (argued worst cases, see ``near_scalar``).
ATTAINING = ("near-scalar", "near-identity")
#: Share of each snapping coordinate's range that maps onto its attaining end in the default
#: families (``QuadraticFamily(snap=...)``).
SNAP = 0.4


def default_family(
    d: int = 2,
    sketches=("randk", "bernoulli", "partition"),
    *,
    step_fraction=(1e-3, 1.0),
    max_steps: int = 2000,
    kappa: float = 10.0,
    snap: float | None = None,
    **kw,
) -> QuadraticFamily:
    """The default search family of the catalogue's theorems: ``sketches`` plus ``ATTAINING``,
    the step a searched coordinate, log-uniform over ``step_fraction`` (``(0, gamma_max]``
    down to ``1e-3 gamma_max``), the horizon scaled like ``1 / (gamma mu)`` up to
    ``max_steps`` (a cost guard; see ``QuadraticFamily``), and ``x_0`` at a searched distance
    ``[1e-4, box]`` from the optimum (``start="offset"``), so that both a start on the floor
    and a start two decades above it are reachable. The argued attaining instances have
    positive measure (``snap = SNAP`` of each snapping coordinate's range, see
    ``QuadraticFamily``): ``kappa = 1``, the smallest ``eps``, ``gamma = gamma_max`` and
    ``v = x*`` are each a slab of their coordinate, so that a search without seeding lands on
    ``near_scalar`` and on the isotropic RandK instance.

    A ratio below 1 counts as a tightness only where the bound has fallen two decades from
    ``t = 0`` or is within 5 % of its floor.

    Examples
    --------
    >>> from mastref.verify.instances import default_family
    >>> fam = default_family()
    >>> fam.sketches[-2:], fam.step_scale, fam.max_steps
    (('near-scalar', 'near-identity'), 'log', 2000)
    """
    sketches = tuple(sketches) + tuple(a for a in ATTAINING if a not in sketches)
    kw.setdefault("start", "offset")
    return QuadraticFamily(
        d=d,
        sketches=sketches,
        step_fraction=step_fraction,
        step_scale="log",
        max_steps=max_steps,
        kappa=kappa,
        snap=SNAP if snap is None else snap,
        **kw,
    )


class UnionFamily:
    """The union of instance families: the first parameter picks a member, the others are
    the unit cube mapped onto that member's box (its first ``members[k].dim`` of them).

    The members keep their own parametrisation (``build``, ``landmarks``). ``worst_case``
    searches each of the ``K`` members on its own with ``1/K`` of the budget (``split``,
    ``join``), so that a member where the ratio is lower is still searched, not abandoned
    for the member that leads.

    Parameters
    ----------
    members : sequence of families
        Each with ``bounds``, ``build`` and ``landmarks`` (``QuadraticFamily``,
        ``FiniteSumQuadraticFamily``, or a union).

    Examples
    --------
    >>> from mastref.verify.instances import UnionFamily, default_family
    >>> fam = UnionFamily([default_family(clients=1, distributed=True),
    ...                    default_family(clients=2, per_client_sketches=True)])
    >>> fam.dim == 1 + max(m.dim for m in fam.members)
    True
    >>> [len(fam.build(th).A) for th in fam.landmarks()[::5]]  # one client, then two
    [1, 2]
    """

    def __init__(self, members):
        self.members = tuple(members)
        if not self.members:
            raise ValueError("argument 'members' must hold at least one family")
        for k, m in enumerate(self.members):
            if not hasattr(m, "build") or not hasattr(m, "bounds"):
                raise TypeError(f"argument 'members'[{k}] = {m!r} is not an instance family")
        self.bounds = [(0.0, len(self.members) - 1e-9)] + [(0.0, 1.0)] * max(
            len(m.bounds) for m in self.members
        )

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return len(self.bounds)

    @property
    def sketches(self) -> tuple:
        """The members' sketch families (in order, without repeats)."""
        return tuple(dict.fromkeys(s for m in self.members for s in m.sketches))

    @property
    def step_scale(self) -> str:
        """The members' step scale (``"mixed"`` if they differ)."""
        scales = {m.step_scale for m in self.members}
        return scales.pop() if len(scales) == 1 else "mixed"

    @property
    def max_steps(self) -> int | None:
        """The largest horizon cap of the members (``None`` if one has none)."""
        caps = [m.max_steps for m in self.members]
        return None if None in caps else max(caps)

    def __repr__(self) -> str:
        return f"UnionFamily({', '.join(map(repr, self.members))})"

    def split(self, theta) -> tuple[int, np.ndarray]:
        """``(k, inner)``: the member ``k = int(theta[0])`` that ``theta`` picks and the
        parameters ``inner`` in that member's own box."""
        theta = np.clip(np.asarray(theta, float), *np.array(self.bounds).T)
        k = int(theta[0])
        lo, hi = np.array(self.members[k].bounds).T
        return k, lo + (hi - lo) * theta[1 : 1 + lo.size]

    def join(self, k: int, inner) -> np.ndarray:
        """The union's parameter vector of member ``k`` at its parameters ``inner`` (``split``
        undone: ``build(join(k, inner))`` is ``members[k].build(inner)``)."""
        lo, hi = np.array(self.members[k].bounds).T
        span = np.where(hi > lo, hi - lo, 1.0)
        unit = np.zeros(self.dim - 1)
        unit[: lo.size] = (np.asarray(inner, float) - lo) / span
        return np.concatenate([[k + 0.5], unit])

    def build(self, theta):
        """The instance at ``theta``: member ``int(theta[0])`` at the mapped parameters."""
        k, inner = self.split(theta)
        return self.members[k].build(inner)

    def landmarks(self) -> list[np.ndarray]:
        """Every member's landmarks, mapped into the union's box."""
        return [self.join(k, theta) for k, m in enumerate(self.members) for theta in m.landmarks()]


@dataclass(frozen=True, kw_only=True, repr=False)
class FiniteSumInstance(Instance):
    """A finite sum ``f = (1/n) sum_i f_i``, ``f_i(x) = 1/2 (a_i^T x - y_i)^2 + (lam/2)
    ||x||^2`` (``LeastSquares(X, y, lam)``), with its quadratic form in ``A``, ``b`` (``A =
    X^T X / n + lam I``, ``b = X^T y / n``); the claim gets the batch size in
    ``claim_kwargs``."""

    X: np.ndarray = None
    y: np.ndarray = None
    lam: float = 0.0

    def objective(self):
        """The ``MAST`` of ``LeastSquares(X, y, lam)``."""
        return MAST(LeastSquares(self.X, self.y, self.lam), self.sketch, shift=self.v)

    def describe(self) -> dict:
        """``Instance.describe()`` plus the samples ``X``, ``y`` and ``lam``."""
        return {
            **super().describe(),
            "X": self.X.tolist(),
            "y": self.y.tolist(),
            "lam": self.lam,
        }

    def __repr__(self) -> str:
        return (
            f"FiniteSumInstance(n={self.y.size}, d={self.d}, {self.sketch!r}, lam = "
            f"{self.lam:.3g}, {self.claim_kwargs}, step {self.step_fraction:.3g} of the limit)"
        )


class FiniteSumQuadraticFamily:
    """Finite sums of ``n`` quadratics ``f_i(x) = 1/2 (a_i^T x - y_i)^2 + (lam/2)||x||^2`` in
    ``R^d`` with a sketch and the tau-nice oracle (Algorithm 1-II), for Theorem 3.

    Searched: the sketch (``LAWS``; in ``d = 1`` ``randk`` is the identity), the rows ``a_i``
    in ``[-2, 2]^d``, the targets ``y_i`` in ``[-box, box]``, ``log10 lam`` in ``[-3, 0]``,
    the batch size ``tau`` in ``taus`` (default ``1 .. n-1``: a subsampled oracle), the claim's
    form in ``forms`` (dicts of claim arguments, e.g. ``strongly_convex``), the shift ``v``,
    ``x_0`` at a log-distance ``[1e-4, box]`` from the optimum, and the step (log-uniform over
    ``step_fraction`` of the claim's limit, horizon scaled as in ``QuadraticFamily``). The
    claim is called with ``batch_size=tau`` and the form's arguments; every expectation is
    exact (``expected_dsgd(..., oracle="minibatch")`` enumerates the (sketch atom, batch)
    pairs).

    ``snap`` (share of a range, as in ``QuadraticFamily``): slabs give the smallest law
    parameter, ``lam = 0``, the step limit, ``v = x*``, identical rows ``a_i = a_1`` (a slab
    of the ``homogeneity`` coordinate) and identical samples (half of that slab): the
    argued attaining finite sums of Theorem 3 (``catalogue.theorem3.FINITE_SUMS``).

    Examples
    --------
    >>> from mastref.verify.instances import FiniteSumQuadraticFamily
    >>> fam = FiniteSumQuadraticFamily(n=4, snap=0.4)
    >>> inst = fam.build(fam.landmarks()[0])
    >>> inst.X.ravel().tolist(), inst.lam, inst.claim_kwargs
    ([1.0, 1.0, 1.0, 1.0], 0.0, {'strongly_convex': True, 'batch_size': 1})
    """

    def __init__(
        self,
        d: int = 1,
        n: int = 4,
        sketches=("randk", "bernoulli", "near-scalar"),
        *,
        taus=None,
        forms=({"strongly_convex": True}, {"strongly_convex": False}),
        box: float = 3.0,
        step_fraction=(1e-3, 1.0),
        max_steps: int | None = 2000,
        snap: float = 0.0,
    ):
        self.d = check_int("d", d, 1)
        self.n = check_int("n", n, 2)
        self.sketches = tuple([sketches] if isinstance(sketches, str) else sketches)
        for law in self.sketches:
            if isinstance(law, str) and law not in LAWS:
                raise ValueError(
                    f"argument 'sketches': unknown sketch family {law!r}; choose from {LAWS}"
                )
        self.taus = tuple(range(1, self.n)) if taus is None else tuple(taus)
        for tau in self.taus:
            check_int("taus", tau, 1, self.n)
        self.forms = tuple(dict(f) for f in forms)
        if not self.sketches or not self.taus or not self.forms:
            raise ValueError("arguments 'sketches', 'taus' and 'forms' must each be non-empty")
        self.box = check_real("box", box, positive=True)
        lo, hi = (check_real("step_fraction", x, positive=True) for x in step_fraction)
        if lo > hi:
            raise ValueError(f"argument 'step_fraction' = {step_fraction} must have low <= high")
        self.step_fraction = (lo, hi)
        self.step_scale = "log"
        self.max_steps = None if max_steps is None else check_int("max_steps", max_steps, 2)
        self.snap = check_real("snap", snap, nonnegative=True)
        if self.snap >= 1:
            raise ValueError(f"argument 'snap' = {snap} must be in [0, 1) (a share of a range)")
        grow = self.snap / (1.0 - self.snap)
        d, n = self.d, self.n
        a, b = math.log10(lo), math.log10(hi)
        self._start_low = -4.0 - grow * (math.log10(self.box) + 4.0)  # below -4: stationary
        blocks = [
            ("law", [(0.0, len(self.sketches) - 1e-9)]),
            ("law_params", [(-grow, 1.0)] * d),
            ("rows", [(-2.0, 2.0)] * (n * d)),
            ("targets", [(-self.box, self.box)] * n),
            ("lam", [(-3.0 - 3.0 * grow, 0.0)]),
            ("tau", [(0.0, len(self.taus) - 1e-9)]),
            ("form", [(0.0, len(self.forms) - 1e-9)]),
            ("v", [(-self.box, self.box)] * d),
            ("x0", [(self._start_low, math.log10(self.box))] + [(-1.0, 1.0)] * d),
        ]
        if self.snap > 0:
            blocks += [("homogeneity", [(0.0, 1.0)]), ("v_optimal", [(0.0, 1.0)])]
        if lo < hi:
            blocks.append(("step_fraction", [(a, b + grow * (b - a))]))
        self._blocks = blocks
        self.bounds = [x for _, bs in blocks for x in bs]

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return len(self.bounds)

    def __repr__(self) -> str:
        laws = ", ".join(x if isinstance(x, str) else repr(x) for x in self.sketches)
        return (
            f"FiniteSumQuadraticFamily(d={self.d}, n={self.n}, sketches=[{laws}], taus="
            f"{list(self.taus)}, {len(self.forms)} forms, {self.dim} parameters)"
        )

    def _split(self, theta) -> dict:
        theta = np.clip(np.asarray(theta, float), *np.array(self.bounds).T)
        out, k = {}, 0
        for name, bs in self._blocks:
            out[name] = theta[k : k + len(bs)]
            k += len(bs)
        return out

    def build(self, theta) -> FiniteSumInstance:
        """The instance at ``theta``."""
        p = self._split(theta)
        d, n = self.d, self.n
        X = p["rows"].reshape(n, d).copy()
        y = p["targets"].copy()
        h = float(p["homogeneity"][0]) if "homogeneity" in p else 0.0
        if h >= 1.0 - self.snap:  # identical rows: only the targets differ
            X[:] = X[0]
        if h >= 1.0 - self.snap / 2:  # identical samples
            y[:] = y[0]
        lam = 0.0 if p["lam"][0] < -3.0 else float(10.0 ** p["lam"][0])
        law = sketch_of(self.sketches[int(p["law"][0])], np.maximum(p["law_params"], 0.0), d)
        A = X.T @ X / n + lam * np.eye(d)
        b = X.T @ y / n
        kwargs = {
            **self.forms[int(p["form"][0])],
            "batch_size": self.taus[int(p["tau"][0])],
        }
        if "v_optimal" in p and p["v_optimal"][0] >= 1.0 - self.snap:
            v = np.linalg.lstsq(A, b, rcond=None)[0]
        else:
            v = p["v"].copy()
        step = self.step_fraction[0]
        if "step_fraction" in p:
            step = min(10.0 ** float(p["step_fraction"][0]), self.step_fraction[1])
        inst = FiniteSumInstance(
            A=(A,),
            b=(b,),
            sketch=law,
            v=v,
            x0=np.zeros(d),
            step_fraction=step,
            claim_kwargs=kwargs,
            max_steps=self.max_steps,
            X=X,
            y=y,
            lam=lam,
        )
        return _offset(inst, p["x0"], self._start_low)

    def landmarks(self) -> list[np.ndarray]:
        """The argued attaining finite sums, one per sketch family and form: identical samples
        ``f_i = 1/2 (x - box/2)^2`` (rows 1, ``lam = 0``), the smallest law parameter, the
        first batch size ``tau``, the step limit, ``x_0`` at the largest distance; ``v = 0``
        for ``near-scalar`` and ``near-identity`` (the neighbourhood), ``v = x*`` for the
        others (the transient)."""
        out = []
        for k, spec in enumerate(self.sketches):
            for j in range(len(self.forms)):
                noisy = spec in ATTAINING
                theta = []
                for name, bs in self._blocks:
                    m = len(bs)
                    if name == "law":
                        theta += [k + 0.5]
                    elif name == "form":
                        theta += [j + 0.5]
                    elif name == "rows":
                        theta += [1.0] * m
                    elif name == "targets":
                        theta += [self.box / 2] * m
                    elif name in ("law_params", "v"):
                        theta += [0.0] * m
                    elif name == "lam":
                        theta += [bs[0][0]]
                    elif name == "tau":
                        theta += [0.5]
                    elif name == "x0":
                        theta += [bs[0][1]] + [1.0] * (m - 1)
                    elif name == "homogeneity":
                        theta += [1.0]
                    elif name == "v_optimal":
                        theta += [0.0 if noisy else 1.0]
                    else:  # the step
                        theta += [bs[0][1]]
                out.append(np.clip(np.array(theta), *np.array(self.bounds).T))
        return out


#: Start multiples ``m`` of the stationary root-mean-square distance covered by the start slab.
STATIONARY_STARTS = (1.0, 3.0)


def _offset(inst: Instance, params: np.ndarray, low: float) -> Instance:
    """``x_0 = x_D* + 10^r u/||u||`` (``r = params[0]`` in ``[-4, log10 box]``), or below
    ``r = -4`` (the slab down to ``low``) a stationary start ``m`` in ``STATIONARY_STARTS``,
    resolved at the claim's step (``resolve_start``)."""
    u = params[1:] / max(float(np.linalg.norm(params[1:])), 1e-12)
    x_D = inst.objective().argmin()
    r, spread = float(params[0]), None
    if r < -4.0:
        m0, m1 = STATIONARY_STARTS
        spread = m0 + (m1 - m0) * (-4.0 - r) / (-4.0 - low)
        r = -4.0  # a placeholder at the smallest distance, in the direction u
    return type(inst)(**{**inst.__dict__, "x0": x_D + 10.0**r * u, "start_spread": spread})


def resolve_start(claim, inst: Instance, n_steps: int) -> Instance:
    """``inst`` with its start resolved (unchanged without ``start_spread``): ``x_0 = x* + m
    sqrt(s) u``, where ``s`` is the stationary ``E||x - x*||^2`` of the claim's algorithm at
    the claim's step on this instance (its exact expectation from ``x*`` over ``~9.2 / (gamma
    mu)`` steps, capped at the instance's horizon cap), ``m = start_spread`` and ``u`` the
    direction of the placeholder ``x0 - x*``. A start on the stationary spread keeps a
    ``1/T`` bound's transient small while the measured curve stays at its floor. Without an
    exact expectation or a stationary spread (``mu = 0``, deterministic GD) the placeholder
    start is kept, and the start is never nearer to ``x*`` than the placeholder (round-off).

    Examples
    --------
    >>> import mastref as mr
    >>> from mastref.verify.instances import near_scalar, near_scalar_spread, resolve_start
    >>> inst = near_scalar(0.01, offset=1e-4)  # the placeholder: 1e-4 from x_D*
    >>> inst = Instance(**{**inst.__dict__, "start_spread": 1.0, "max_steps": 2000})
    >>> x = resolve_start(mr.theorem1, inst, 100).x0 - inst.objective().argmin()
    >>> gamma = mr.theorem1(inst.objective()).gamma
    >>> round(float(x @ x / (2 * near_scalar_spread(0.01, gamma))), 6)  # d = 2 coordinates
    1.0
    """
    if inst.start_spread is None:
        return inst
    obj, g = claim_at(claim, inst, n_steps)
    mu = getattr(obj, "mu_F", None) if isinstance(obj, DistributedProblem) else obj.mu
    x_star = obj.argmin()
    resolved = {**inst.__dict__, "start_spread": None}
    if not mu or mu <= 0 or not (0 < g.gamma * mu < 2):
        return type(inst)(**resolved)
    steps = max(MIN_STEPS, math.ceil(HORIZON_DECADES * math.log(10) / (g.gamma * mu)))
    steps = min(steps, inst.max_steps or steps)
    try:
        _, dist2 = expectation(replace(g, quantity="dist2"), obj, x_star, steps)
    except MissingCapability:
        return type(inst)(**resolved)
    s = float(dist2[-1])
    u = inst.x0 - x_star
    norm = float(np.linalg.norm(u))
    if not (s > 0 and norm > 0 and math.isfinite(s)):
        return type(inst)(**resolved)
    # never nearer than the placeholder (the family's smallest distance): below it x_0 - x*
    # would be round-off of x* (a noiseless instance has s ~ 1e-33)
    distance = max(inst.start_spread * math.sqrt(s), norm)
    resolved["x0"] = x_star + distance * u / norm
    return type(inst)(**resolved)


def claim_at(claim, inst: Instance, n_steps: int):
    """The claim on ``inst`` at its step: ``inst.step_fraction`` times the claim's step limit
    (or its default step when it has none). A claim that cannot take the call (``claim(obj, *,
    gamma, x0, n_steps, **inst.claim_kwargs)``) or returns no ``Guarantee`` is a
    ``TypeError`` that names it (``call_claim``)."""
    obj = inst.objective()
    base = call_claim(claim, obj, x0=inst.x0, n_steps=n_steps, **inst.claim_kwargs)
    limit = base.gamma_max if math.isfinite(base.gamma_max) and base.gamma_max > 0 else base.gamma
    if inst.step_fraction == 1.0:
        return obj, base
    g = call_claim(
        claim, obj, gamma=inst.step_fraction * limit, x0=inst.x0, n_steps=n_steps,
        **inst.claim_kwargs,
    )
    return obj, g


def call_claim(claim, obj, **kw) -> Guarantee:
    """``claim(obj, **kw)``, after checking that the claim accepts these arguments (a
    ``TypeError`` naming the claim and the call a claim must take, before it runs) and that it
    returns a ``Guarantee``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> mast = mr.MAST(mr.Quadratic(np.eye(2), np.ones(2)), mr.RandK(2, 1))
    >>> def no_keywords(mast):
    ...     return mr.theorem1(mast)
    >>> try:
    ...     call_claim(no_keywords, mast, x0=np.zeros(2), n_steps=10)
    ... except TypeError as err:
    ...     print(str(err)[:79])
    claim 'no_keywords' cannot be called as no_keywords(objective, x0=..., n_steps=
    """
    name = getattr(claim, "__name__", repr(claim))
    try:
        inspect.signature(claim).bind(obj, **kw)
    except TypeError as err:
        raise TypeError(
            f"claim {name!r} cannot be called as {name}(objective, "
            + ", ".join(f"{k}=..." for k in kw)
            + f"): {err}; a claim takes the objective and the keywords gamma, x0, n_steps and "
            "the instance's claim arguments (**kw)"
        ) from None
    except ValueError:  # no signature to inspect (a builtin): let the call decide
        pass
    g = claim(obj, **kw)
    if not isinstance(g, Guarantee):
        raise TypeError(
            f"claim {name!r} returned {type(g).__name__} {g!r:.60}, not a Guarantee "
            "(mastref.Guarantee)"
        )
    return g


def scaled_horizon(claim, inst: Instance, n_steps: int):
    """``(objective, guarantee, T)``: the claim on ``inst`` (``claim_at``) at the horizon ``T``.

    ``T = n_steps`` unless the instance has a ``max_steps`` (a scaled family): then ``T =
    max(MIN_STEPS, ceil(HORIZON_DECADES ln(10) / -ln(rate)))`` capped at ``max_steps``, where
    ``rate`` is the guarantee's contraction factor (``1 - gamma mu`` for Theorem 1: ``T ~ 1 /
    (gamma mu)``), so that the late window ``[T/2, T]`` starts two decades down whatever the
    step (a longer horizon would push a fast bound below the resolution); a claim without a
    rate in ``(0, 1)`` (a ``1/t`` bound) gets ``T = max(n_steps, 200)`` capped likewise, so
    that its transient has fallen two decades by ``T/2``.

    Examples
    --------
    >>> import mastref as mr
    >>> from mastref.verify.instances import near_scalar, scaled_horizon
    >>> inst = near_scalar(0.01)
    >>> inst = Instance(**{**inst.__dict__, "step_fraction": 0.01, "max_steps": 5000})
    >>> _, g, T = scaled_horizon(mr.theorem1, inst, 100)
    >>> T == math.ceil(4 * math.log(10) / -math.log(g.rate))  # about 9.2 / (gamma mu)
    True
    """
    obj, g = claim_at(claim, inst, n_steps)
    if inst.max_steps is None:
        return obj, g, n_steps
    if 0 < g.rate < 1:
        T = max(MIN_STEPS, math.ceil(HORIZON_DECADES * math.log(10) / -math.log(g.rate)))
    else:  # a 1/t transient falls HORIZON_DECADES / 2 decades by T / 2
        T = max(n_steps, 2 * math.ceil(10 ** (HORIZON_DECADES / 2)))
    T = int(min(inst.max_steps, T))
    if T != n_steps:
        obj, g = claim_at(claim, inst, T)
    return obj, g, T


def isotropic(
    d: int,
    law,
    *,
    scale: float = 1.0,
    shift: str = "optimal",
    rng: int | np.random.Generator | None = None,
) -> Instance:
    """``f = (scale/2)||x - x*||^2`` in ``R^d`` with a random ``x*``, the law, and ``v = x*``
    (``shift="optimal"``, ``Delta = 0``) or a random ``v``; a random ``x_0``. As an
    ``Instance`` at the theorem's own step.

    Examples
    --------
    >>> import mastref as mr
    >>> from mastref.verify.instances import isotropic
    >>> inst = isotropic(3, mr.RandK(3, 1), rng=0)
    >>> bool((inst.v == np.linalg.solve(inst.A[0], inst.b[0])).all())  # v = x*
    True
    """
    rng = as_generator(rng)
    x_star = rng.standard_normal(d)
    A = scale * np.eye(d)
    v = x_star.copy() if shift == "optimal" else rng.standard_normal(d)
    return Instance(
        A=(A,),
        b=(A @ x_star,),
        sketch=law,
        v=v,
        x0=x_star + rng.standard_normal(d),
        step_fraction=1.0,
    )


def near_scalar(eps: float = 0.01, d: int = 2, *, c: float = 3.0, offset: float | None = None):
    """Argued worst case of the neighbourhoods: ``f = 1/2 ||x - x*||^2``, ``x* = c 1``, ``v = 0``,
    and the law ``S = (1 - eps) I`` or ``(1 + eps) I`` with probability 1/2 each; ``x_0 =
    x_D* + offset 1/sqrt(d)`` (``x_D* = x* / (1 + eps^2)``), by default ``offset = c``: far
    from ``x_D*``, so that the bound falls by two decades onto its neighbourhood within a few
    steps and the measured curve follows it down. As an ``Instance`` at the theorem's own step.

    Every coordinate runs ``h+ = (1 - gamma s^2) h + gamma s c``: DSGD is a scalar linear
    recursion with fresh noise ``sigma*^2 = E[s^2 (s h* - c)^2] = c^2 eps^2 (1 + O(eps))`` per
    coordinate, and ``Delta = c^2 eps^2 / (2 (1 + eps^2))`` per coordinate, so ``sigma*^2 /
    (2 L_max Delta) -> 1`` (P8 is tight), ``L_max / mu -> 1`` and ``L_D -> 1`` as ``eps -> 0``.
    The stationary ``E||x - x_D*||^2 = gamma^2 sigma*^2 / (1 - E(1 - gamma s^2)^2)`` per
    coordinate: at ``gamma = 1/L_max`` it is ``1 - O(eps)`` of Theorem 1's neighbourhood
    ``2 gamma L_max Delta / mu`` (0.962 at ``eps = 0.01``).

    Examples
    --------
    >>> from mastref.verify.instances import near_scalar
    >>> inst = near_scalar(0.01)
    >>> mast = inst.objective()
    >>> round(mast.L_max / mast.mu, 6), round(float(mast.gap), 8)  # 1.0201/1.0001, 2 * 9e-4/2.0002
    (1.019998, 0.00089991)
    """
    ones = np.ones(d)
    law = FiniteSketch(np.array([(1.0 - eps) * ones, (1.0 + eps) * ones]))
    x_star = c * ones
    if offset is None:
        offset = c
    x0 = x_star / (1.0 + eps**2) + offset * ones / math.sqrt(d)
    return Instance(
        A=(np.eye(d),), b=(x_star,), sketch=law, v=np.zeros(d), x0=x0, step_fraction=1.0
    )


def near_scalar_spread(eps: float, gamma: float, c: float = 3.0) -> float:
    """Stationary ``E (x_i - x_D*_i)^2`` per coordinate of DSGD at step ``gamma`` on
    ``near_scalar(eps, c=c)``: ``gamma^2 sigma^2 / (1 - E(1 - gamma s^2)^2)``,
    ``sigma^2 = E[s^2 (s h* - c)^2]``, ``h* = c/(1 + eps^2)``, ``s = 1 +- eps``.

    Examples
    --------
    Against Theorem 1's neighbourhood per coordinate, ``2 Delta / mu = 9e-4 / 1.0001^2``:

    >>> from mastref.verify.instances import near_scalar_spread
    >>> round(near_scalar_spread(0.01, 1 / 1.01**2) / (9e-4 / 1.0001**2), 4)
    0.9615
    """
    s = np.array([1.0 - eps, 1.0 + eps])
    sigma2 = float(np.mean(s**2 * (s * c / (1.0 + eps**2) - c) ** 2))
    return gamma**2 * sigma2 / (1.0 - float(np.mean((1.0 - gamma * s**2) ** 2)))


def random_quadratic(
    d: int = 8, mu: float = 0.5, *, rng: int | np.random.Generator | None = None
) -> Quadratic:
    """``A = B B^T / d + mu I`` with ``B`` standard normal, ``b = A z`` (``z`` standard normal).

    Examples
    --------
    >>> from mastref.verify.instances import random_quadratic
    >>> q = random_quadratic(4, mu=0.5, rng=0)
    >>> bool(np.linalg.eigvalsh(q.A).min() >= 0.5)  # mu I plus a semidefinite part
    True
    """
    rng = as_generator(rng)
    B = rng.standard_normal((d, d))
    A = B @ B.T / d + mu * np.eye(d)
    return Quadratic(A, A @ rng.standard_normal(d))


def random_logistic(
    n: int = 200, d: int = 6, lam: float = 0.05, *, rng: int | np.random.Generator | None = None
) -> LogisticRegression:
    """Gaussian data ``(n, d)``, half the entries zeroed, random labels, ridge ``lam``.

    Examples
    --------
    >>> from mastref.verify.instances import random_logistic
    >>> random_logistic(50, 3, rng=0).n_samples
    50
    """
    rng = as_generator(rng)
    X = rng.standard_normal((n, d)) * (rng.random((n, d)) < 0.5)
    return LogisticRegression(X, np.where(rng.random(n) < 0.5, -1.0, 1.0), lam)
