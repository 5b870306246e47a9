"""Overhead of MAST's training-loop step over a plain jitted SGD step (JAX, CPU, float32).

``python -m benchmarks.jax_overhead [--rounds R]``

Two MLPs (tanh, softmax cross-entropy), batch 32: 64-256-256-10 (85 002 parameters, small
enough that the sketch's cost shows) and 784-1024-256-10 (1 068 810 parameters). The plain step
is ``x <- x - lr * grad f_B(x)`` (``jax.value_and_grad``); the MAST step is the same update with
``mastref.jax.mast_value_and_grad`` (a fresh sketch drawn in JAX, ``y = v + S(x - v)``,
``S^T grad f_B(y)``), each wrapped in one ``jax.jit``. One round times every contender over
``n`` steps back to back, in a shuffled order. Two ratios are reported: the median over rounds
of MAST / plain (the same round, so the same load), and the best MAST round over the best plain
round (the minimum is the least disturbed by other processes), with the load average before and
after. Each size is run twice: plain ``jax.jit`` steps, and steps that donate the parameters
(``donate_argnums=0``, for the plain and the MAST step alike: XLA may then reuse their buffers
for the update instead of allocating new ones). JAX, numba and BLAS are held to one thread
(``mastref.jax.single_thread_env``), so the default clock is this process's CPU time
(``time.process_time``), which does not count the time the process waits for a core on a shared
machine; ``--clock wall`` uses ``time.perf_counter``.
"""

from __future__ import annotations

import os

from mastref.jax import single_thread_env

os.environ.update(single_thread_env())

import argparse  # noqa: E402
import functools  # noqa: E402
import time  # noqa: E402

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402

import mastref as mr  # noqa: E402
from mastref.jax import mast_value_and_grad, rng_key  # noqa: E402

LR = 0.01


def mlp_params(sizes, seed=0):
    rng = np.random.default_rng(seed)
    return [
        (
            jnp.asarray(rng.standard_normal((a, b)) / np.sqrt(a), jnp.float32),
            jnp.zeros(b, jnp.float32),
        )
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    ]


def loss(params, batch):
    h = batch[0]
    for W, b in params[:-1]:
        h = jnp.tanh(h @ W + b)
    logits = h @ params[-1][0] + params[-1][1]
    return jnp.mean(
        jax.nn.logsumexp(logits, axis=1)
        - jnp.take_along_axis(logits, batch[1][:, None], axis=1)[:, 0]
    )


def timed(step, params, batch, n, keyed, clock=time.process_time):
    key = rng_key(0)
    p = jax.block_until_ready(jax.tree_util.tree_map(jnp.copy, params))  # a step may donate it
    t0 = clock()
    for _ in range(n):
        if keyed:
            p, key = step(p, batch, key)
        else:
            p = step(p, batch)
    jax.block_until_ready(p)
    return (clock() - t0) / n


def bench(sizes, rounds: int, n: int, clock=time.process_time, donate: bool = False) -> dict:
    params = mlp_params(sizes)
    d = sum(a.size for a in jax.tree_util.tree_leaves(params))
    rng = np.random.default_rng(1)
    batch = (
        jnp.asarray(rng.standard_normal((32, sizes[0])), jnp.float32),
        jnp.asarray(rng.integers(sizes[-1], size=32)),
    )

    jit = functools.partial(jax.jit, donate_argnums=0 if donate else ())

    @jit
    def plain(p, b):
        g = jax.grad(loss)(p, b)
        return jax.tree_util.tree_map(lambda x, gi: x - LR * gi, p, g)

    def mast_step(law):
        vg = mast_value_and_grad(loss, law, v=params)

        @jit
        def step(p, b, key):
            key, sub = jax.random.split(key)
            _, g = vg(p, b, sub)
            return jax.tree_util.tree_map(lambda x, gi: x - LR * gi, p, g), key

        return step

    laws = {
        "Bernoulli(0.5)": mr.Bernoulli(d, 0.5),
        "RandK(d/2)": mr.RandK(d, d // 2),
        "Partition(4)": mr.Partition(d, 4, rng=0),
    }
    steps = {name: mast_step(law) for name, law in laws.items()}
    timed(plain, params, batch, 3, False)  # compile
    for s in steps.values():
        timed(s, params, batch, 3, True)
    times = {"plain": [], **{k: [] for k in steps}}
    contenders = [("plain", plain, False)] + [(k, s, True) for k, s in steps.items()]
    order = np.random.default_rng(2)
    for _ in range(rounds):
        for i in order.permutation(len(contenders)):
            name, step, keyed = contenders[i]
            times[name].append(timed(step, params, batch, n, keyed, clock))
    plain_t = np.array(times["plain"])
    out = {"d": d, "plain_ms": 1e3 * float(np.median(plain_t))}
    for k in steps:
        out[k] = float(np.median(np.array(times[k]) / plain_t))
        out[k, "best"] = float(np.min(times[k]) / np.min(plain_t))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--clock", choices=("cpu", "wall"), default="cpu")
    args = ap.parse_args(argv)
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    print(f"jax {jax.__version__}, {jax.devices()[0].platform}, one thread, float32, batch 32")
    print(f"clock: {args.clock} time")
    print(f"load average before: {os.getloadavg()[0]:.2f}; {args.rounds} rounds")
    laws = ("Bernoulli(0.5)", "RandK(d/2)", "Partition(4)")
    print("cells: median over rounds of MAST / plain; best MAST round / best plain round")
    print("| MLP | d | params donated | plain step (ms) | " + " | ".join(laws) + " |")
    print("|---|---|---|---|---|---|---|")
    for sizes, n in (((64, 256, 256, 10), 200), ((784, 1024, 256, 10), 20)):
        for donate in (False, True):
            r = bench(sizes, args.rounds, n, clock, donate)
            cells = " | ".join(f"{r[k]:.2f}x; {r[k, 'best']:.2f}x" for k in laws)
            print(
                f"| {'-'.join(map(str, sizes))} | {r['d']} | {'yes' if donate else 'no'} "
                f"| {r['plain_ms']:.3g} | {cells} |"
            )
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
