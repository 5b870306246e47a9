"""Raw numba kernels of the sketched gradient ``grad f_S(x) = s * grad f(v + s*(x - v))``.

Private: no argument checks, for the algorithms' inner loops. ``mastref.kernels`` holds the
public, checked wrappers (same names), the NumPy references and the docs of every formula; the
kernel registry (``register_kernels``) is here because the jitted loops import it.

THEORY.md §2 ("Cost of a sketched gradient"). A diagonal sketch sample is passed as its support
``idx`` (``C``, int64) and the scales ``sc = s[C]``; every kernel returns the ``K = |C|`` gradient
entries on ``C``.

Layout, by access pattern. A column-sparse sketch touches ``nnz(X[:, C])`` stored entries: CSC
reaches them directly (scatter ``X[:, C] u`` into an ``n``-vector, one sigmoid per row that
meets ``C``, gather ``X[:, C]^T r``), in ``O(nnz(X[:, C]))``; CSR must read all ``nnz(X)``
entries to find them, but its random access goes to ``d``-vectors. The exact kernels of sparse
problems use CSC; the minibatch kernels, which read the rows of ``B``, use CSR; dense data is
row-major and read row by row. The sigmoid is branch-free (``_expit``), so that the residual
passes vectorise; the loops avoid ``fastmath`` except FMA contraction (``contract``), which
keeps NaN/inf semantics and only removes roundings.
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic, overload

from ._validation import MissingCapability


@njit(cache=True)
def floyd_subsets(d, sizes, u):
    """Uniform subsets of ``[d]`` of the given sizes by Floyd's algorithm, O(size) each.

    ``u``: ``(n, max size)`` uniforms on [0, 1); row ``r`` draws a ``sizes[r]``-subset.
    Returns the CSR pair ``(ptr, idx)``.
    """
    n = sizes.shape[0]
    ptr = np.zeros(n + 1, dtype=np.int64)
    for r in range(n):
        ptr[r + 1] = ptr[r] + sizes[r]
    idx = np.empty(ptr[n], dtype=np.int64)
    mark = np.zeros(d, dtype=np.bool_)
    for r in range(n):
        k = sizes[r]
        base = ptr[r]
        c = 0
        for j in range(d - k, d):
            t = min(int(u[r, c] * (j + 1)), j)
            if mark[t]:
                t = j
            mark[t] = True
            idx[base + c] = t
            c += 1
        for c in range(k):
            mark[idx[base + c]] = False
    return ptr, idx


# --------------------------------------------------------------------------------------------
# The logistic sigmoid, branch-free: exp by Cody-Waite reduction, a Taylor polynomial and an
# exponent built from bits, so that LLVM vectorises a loop of sigmoids (AVX2 and AVX-512 alike).
# --------------------------------------------------------------------------------------------


@intrinsic
def _bits(typingctx, x):
    """The IEEE-754 bits of a float64 as an int64 (a bitcast, no conversion)."""
    if x != types.float64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, b):
    """The float64 whose IEEE-754 bits are the int64 ``b`` (a bitcast)."""
    if b != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.DoubleType())

    return types.float64(types.int64), codegen


@intrinsic
def _trailing_zeros(typingctx, w):
    """The number of trailing zero bits of a nonzero int64 (LLVM ``cttz``)."""
    if w != types.int64:
        return None

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], ir.Constant(ir.IntType(1), 1))

    return types.int64(types.int64), codegen


_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01  # 32 significant bits: k * _LN2_HI is exact for |k| < 2^21
_LN2_LO = 1.90821492927058770002e-10
_ROUND = 6755399441055744.0  # 1.5 * 2^52: adding it rounds a |t| < 2^51 to an integer


@njit(cache=True, inline="always", error_model="numpy", fastmath={"contract"})
def _exp_nonpositive(x):
    """``exp(x)`` for ``x <= 0`` (``-inf`` gives 0, NaN propagates), within 1 ulp, branch-free.

    ``x = k ln2 + r`` with ``k = round(x / ln2)`` and ``|r| <= ln2/2`` (Cody-Waite: ``ln2`` in
    two parts), ``exp(r)`` by its Taylor polynomial of degree 13 (remainder below 2^-57), and
    ``exp(x) = exp(r) 2^k1 2^k2``, ``k1 = floor(k/2)``, ``k2 = k - k1``: two factors, each a
    normal number built from its exponent bits, so that results down to the subnormal 2^-1074
    round once. ``x`` is clamped at -746, where ``exp`` already rounds to 0.
    """
    xc = x if x > -746.0 else -746.0
    k = (xc * _LOG2E + _ROUND) - _ROUND
    r = (xc - k * _LN2_HI) - k * _LN2_LO
    p = 1.0 / 6227020800.0
    p = p * r + 1.0 / 479001600.0
    p = p * r + 1.0 / 39916800.0
    p = p * r + 1.0 / 3628800.0
    p = p * r + 1.0 / 362880.0
    p = p * r + 1.0 / 40320.0
    p = p * r + 1.0 / 5040.0
    p = p * r + 1.0 / 720.0
    p = p * r + 1.0 / 120.0
    p = p * r + 1.0 / 24.0
    p = p * r + 1.0 / 6.0
    p = p * r + 0.5
    p = p * r + 1.0
    p = p * r + 1.0
    k1 = np.floor(0.5 * k)
    # bits of 2^m for an integer -1022 <= m <= 0: the integer m + 1023 sits in the low
    # mantissa bits of m + 1023 + 1.5 * 2^52; shifting by 52 moves it into the exponent field.
    two_k1 = _from_bits(_bits(k1 + (_ROUND + 1023.0)) << 52)
    two_k2 = _from_bits(_bits((k - k1) + (_ROUND + 1023.0)) << 52)
    e = p * two_k1 * two_k2
    return e if x == x else x


@njit(cache=True, inline="always", error_model="numpy", fastmath={"contract"})
def _expit(z):
    """``sigma(z) = 1/(1 + exp(-z))``, branch-free: with ``e = exp(-|z|)``, ``1/(1 + e)`` for
    ``z >= 0`` and ``e/(1 + e)`` for ``z < 0`` (no overflow; a few ulp; NaN propagates)."""
    e = _exp_nonpositive(-abs(z))
    return (1.0 if z >= 0.0 else e) / (1.0 + e)


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def expit_into(z, out):
    """``out[i] = sigma(z[i])`` for every ``i``: the vectorised sigmoid of the kernels."""
    for i in range(z.shape[0]):
        out[i] = _expit(z[i])
    return out


@njit(cache=True, inline="always", error_model="numpy", fastmath={"contract"})
def _residual(y_i, margin, inv_n):
    """The logistic residual weight ``-y_i sigma(-y_i margin) / n`` (``inv_n = 1/n``)."""
    return -y_i * _expit(-y_i * margin) * inv_n


# --------------------------------------------------------------------------------------------
# The parts of a column-sparse kernel: scatter along the columns of C, the residual pass over
# rows, gather along the columns of C. Each is a plain loop; the benchmarks time them alone.
# --------------------------------------------------------------------------------------------

#: Rows per block of a residual pass: the margins of a block are gathered, the sigmoid runs
#: vectorised over the block, the residuals are scattered back; 64 rows of a row kernel stay
#: in L1 between its margin and gradient passes.
BLOCK = 64

#: The column-sparse logistic kernel runs its residual pass over all rows when
#: ``nnz(X[:, C]) >= DENSE_ROWS * n``: measured at n = 1e5 with 5, 20 and 50 entries per row,
#: the two paths cost the same near 0.3 n.
DENSE_ROWS = 0.3


@njit(cache=True, error_model="numpy")
def scatter_columns(indptr, indices, data, idx, u, dm):
    """``dm += X[:, C] u``: ``dm[i] += X[i, j] u_t`` for every stored entry of the columns
    ``j = idx[t]`` (CSC arrays), ``O(nnz(X[:, C]))``."""
    for t in range(idx.shape[0]):
        j = idx[t]
        u_t = u[t]
        for p in range(indptr[j], indptr[j + 1]):
            dm[indices[p]] += data[p] * u_t


@njit(cache=True, error_model="numpy")
def scatter_columns_marked(indptr, indices, data, idx, u, dm, touched):
    """``dm = X[:, C] u`` on the rows that meet ``C``, whatever ``dm`` held before: a row's first
    entry (its bit ``i & 63`` of ``touched[i >> 6]`` still clear) writes, the next ones add;
    every row met gets its bit set (the bitmap of touched rows: ``ceil(n/64)`` words,
    L1/L2-resident, all clear on entry)."""
    for t in range(idx.shape[0]):
        j = idx[t]
        u_t = u[t]
        for p in range(indptr[j], indptr[j + 1]):
            i = indices[p]
            w = i >> 6
            bit = np.int64(1) << (i & 63)
            word = touched[w]
            dm[i] = (dm[i] if word & bit else 0.0) + data[p] * u_t
            touched[w] = word | bit


@njit(cache=True, error_model="numpy")
def gather_columns(indptr, indices, data, idx, r, out):
    """``out = X[:, C]^T r``: ``out[t] = sum_p X[i_p, j] r[i_p]`` over the stored entries of
    column ``j = idx[t]``, ``O(nnz(X[:, C]))``."""
    for t in range(idx.shape[0]):
        j = idx[t]
        acc = 0.0
        for p in range(indptr[j], indptr[j + 1]):
            acc += data[p] * r[indices[p]]
        out[t] = acc


@njit(cache=True, error_model="numpy")
def touched_rows_sorted(touched, rows):
    """Write the rows whose bit is set in ``touched`` to ``rows`` in increasing order and clear
    the bitmap; return their number. ``O(n/64 + number of rows)``."""
    count = 0
    for w in range(touched.shape[0]):
        word = touched[w]
        if word != 0:
            touched[w] = 0
            base = w << 6
            while word != 0:
                rows[count] = base + _trailing_zeros(word)
                count += 1
                word &= word - 1
    return count


@njit(cache=True, error_model="numpy")
def touched_rows_in_order(indptr, indices, idx, touched, rows):
    """``touched_rows_sorted`` without the bitmap scan, for very sparse supports: walk the
    stored entries of ``X[:, C]`` and keep each row at its first visit (clearing its bit),
    ``O(nnz(X[:, C]))``, rows in order of first visit."""
    count = 0
    for t in range(idx.shape[0]):
        j = idx[t]
        for p in range(indptr[j], indptr[j + 1]):
            i = indices[p]
            w = i >> 6
            bit = np.int64(1) << (i & 63)
            word = touched[w]
            rows[count] = i
            count += (word & bit) != 0
            touched[w] = word & ~bit
    return count


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def residuals_all(y, Xv, dm, inv_n):
    """``dm[i] <- -y_i sigma(-y_i (Xv_i + dm_i)) / n`` for every row: one vectorised pass."""
    for i in range(dm.shape[0]):
        dm[i] = _residual(y[i], Xv[i] + dm[i], inv_n)


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def residuals_at(rows, count, y, Xv, dm, inv_n):
    """``residuals_all`` on ``rows[:count]`` only, by blocks of ``BLOCK`` rows: gather the
    margins, the sigmoid vectorised over the block, scatter the residuals."""
    z = np.empty(BLOCK)
    for start in range(0, count, BLOCK):
        size = min(BLOCK, count - start)
        for b in range(size):
            i = rows[start + b]
            z[b] = -y[i] * (Xv[i] + dm[i])
        for b in range(size):
            z[b] = _expit(z[b])
        for b in range(size):
            i = rows[start + b]
            dm[i] = -y[i] * z[b] * inv_n


# --------------------------------------------------------------------------------------------
# Logistic regression: f(x) = (1/n) sum_i log(1 + exp(-y_i a_i^T x)) + (lam/2) ||x||^2.
# --------------------------------------------------------------------------------------------


def csc_scratch(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Scratch of the column-sparse logistic kernel for ``n`` rows: ``dm`` (float64, ``n``),
    ``touched`` (int64 zeros, ``ceil(n/64)``; the kernel leaves it zero on return) and ``rows``
    (int64, ``n``)."""
    return np.empty(n), np.zeros((n + 63) // 64, dtype=np.int64), np.empty(n, dtype=np.int64)


@njit(cache=True, error_model="numpy")
def logistic_csc_scratch_kernel(
    indptr, indices, data, y, Xv, lam, v, x, idx, sc, dm, touched, rows
):
    """Sketched logistic gradient on ``C`` from the CSC arrays of ``X``, with caller's scratch.

    ``g_C = s_C * (X[:, C]^T r + lam (v_C + u))``, ``u = s_C * (x_C - v_C)``,
    ``r_i = -y_i sigma(-y_i (Xv_i + (X[:, C] u)_i)) / n``; ``r_i`` matters only for the rows
    that meet ``C``. Parts: scatter ``dm = X[:, C] u``, the residual pass, gather
    ``X[:, C]^T r``.

    Layout: cost(CSC) ~ 2 nnz_C random accesses to n-vectors + rows_C sigmoids, with
    rows_C <= min(n, nnz_C); cost(CSR) ~ 2 nnz(X) random accesses to d-vectors + n sigmoids,
    whatever C. Since nnz_C / nnz(X) ~ K/d, CSC is the layout of the exact oracle (measured by
    ``python -m benchmarks``: CSR costs about the full gradient, CSC less up to K/d = 0.5).

    Two paths, by ``nnz_C = nnz(X[:, C])``:

    * ``nnz_C < DENSE_ROWS * n``: the scatter marks touched rows in a bitmap (and writes rather
      than adds at a row's first entry, so ``dm`` needs no reset), the residual pass visits
      those rows alone (increasing order, blocks of ``BLOCK``): ``O(nnz_C + n/64)``, or
      ``O(nnz_C)`` when ``64 nnz_C < n`` (rows listed at first visit);
    * otherwise ``dm`` is zeroed by one fill and the residual pass runs over all ``n`` rows,
      contiguous and vectorised: ``O(nnz_C + n) = O(nnz_C)`` here, and faster than chasing
      rows, which by then share most cache lines.

    Scratch (``csc_scratch(n)``): ``dm`` float64 and ``rows`` int64 of length ``n`` (any
    content), ``touched`` int64 zeros of length ``ceil(n/64)``, left zero on return.
    """
    n = Xv.shape[0]
    K = idx.shape[0]
    u = np.empty(K)
    nnz_c = 0
    for t in range(K):
        j = idx[t]
        u[t] = sc[t] * (x[j] - v[j])
        nnz_c += indptr[j + 1] - indptr[j]
    inv_n = 1.0 / n
    out = np.empty(K)
    if nnz_c >= DENSE_ROWS * n:
        dm[:] = 0.0
        scatter_columns(indptr, indices, data, idx, u, dm)
        residuals_all(y, Xv, dm, inv_n)
    else:
        scatter_columns_marked(indptr, indices, data, idx, u, dm, touched)
        if 64 * nnz_c < n:
            count = touched_rows_in_order(indptr, indices, idx, touched, rows)
        else:
            count = touched_rows_sorted(touched, rows)
        residuals_at(rows, count, y, Xv, dm, inv_n)
    gather_columns(indptr, indices, data, idx, dm, out)
    for t in range(K):
        out[t] = sc[t] * (out[t] + lam * (v[idx[t]] + u[t]))
    return out


@njit(cache=True)
def logistic_csc_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc):
    """``logistic_csc_scratch_kernel`` with fresh scratch (an ``O(n)`` allocation per call;
    loops that call the kernel repeatedly should pass the scratch of ``csc_scratch``)."""
    n = Xv.shape[0]
    return logistic_csc_scratch_kernel(
        indptr,
        indices,
        data,
        y,
        Xv,
        lam,
        v,
        x,
        idx,
        sc,
        np.empty(n),
        np.zeros((n + 63) // 64, dtype=np.int64),
        np.empty(n, dtype=np.int64),
    )


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def logistic_csr_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc, d):
    """Sketched logistic gradient on ``C`` from CSR arrays, ``O(nnz(X) + n + d)``.

    Rows are the major axis, so every row is read: ``w = s * (x - v)`` (zero off ``C``) makes
    the margin a branch-free sparse dot product ``Xv_i + X[i, :] w``; the sigmoid runs
    vectorised over blocks of ``BLOCK`` rows; ``G += X[i, :]^T r_i`` for the block; ``g_C =
    G[C]``. Random access goes to ``d``-vectors (cache-resident), not ``n``-vectors.
    """
    n = Xv.shape[0]
    K = idx.shape[0]
    u = np.empty(K)
    w = np.zeros(d)
    for t in range(K):
        j = idx[t]
        u[t] = sc[t] * (x[j] - v[j])
        w[j] = u[t]
    G = np.zeros(d)
    z = np.empty(BLOCK)
    inv_n = 1.0 / n
    for start in range(0, n, BLOCK):
        size = min(BLOCK, n - start)
        for b in range(size):
            i = start + b
            m = Xv[i]
            for p in range(indptr[i], indptr[i + 1]):
                m += data[p] * w[indices[p]]
            z[b] = m
        for b in range(size):
            z[b] = _residual(y[start + b], z[b], inv_n)
        for b in range(size):
            i = start + b
            r = z[b]
            for p in range(indptr[i], indptr[i + 1]):
                G[indices[p]] += data[p] * r
    out = np.empty(K)
    for t in range(K):
        j = idx[t]
        out[t] = sc[t] * (G[j] + lam * (v[j] + u[t]))
    return out


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def logistic_dense_kernel(X, y, Xv, lam, v, x, idx, sc):
    """Sketched logistic gradient on ``C`` from a dense ``X``, ``O(n K)``: the minibatch kernel
    with every row (every row meets ``C``)."""
    return logistic_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, np.arange(X.shape[0]))


@njit(cache=True)
def quadratic_kernel(A, g_v, v, x, idx, sc):
    """Sketched quadratic gradient on ``C``: ``s_C * (g_v[C] + A[C, C] (s_C * h_C))``, O(K^2)."""
    K = idx.shape[0]
    u = np.empty(K)
    for t in range(K):
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    out = np.empty(K)
    for a in range(K):
        i = idx[a]
        acc = g_v[i]
        for c in range(K):
            acc += A[i, idx[c]] * u[c]
        out[a] = sc[a] * acc
    return out


# --------------------------------------------------------------------------------------------
# Minibatch (tau-nice) kernels: (1/|B|) sum_{i in B} grad f_i, sketched, on C.
# --------------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def logistic_csr_batch_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc, rows, pos):
    """Sketched minibatch logistic gradient on ``C`` from CSR arrays, ``O(nnz(X[B]) + K)``.

    ``rows`` are the batch's sample indices; ``pos`` is int64 scratch of length ``d`` filled with
    -1 (restored on return). The regulariser enters once: ``lam * y`` on ``C``. By blocks of
    ``BLOCK`` rows: the margins (the row's entries in ``C`` found through ``pos``; the test is
    rarely true when ``K << d``, so the branch predicts well and costs less than a branch-free
    sink slot, which would chain every entry through one accumulator), the sigmoid vectorised
    over the block, then ``g += X[i, C]^T r_i``.
    """
    K = idx.shape[0]
    tau = rows.shape[0]
    u = np.empty(K)
    for t in range(K):
        pos[idx[t]] = t
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    g = np.zeros(K)
    z = np.empty(BLOCK)
    inv_tau = 1.0 / tau
    for start in range(0, tau, BLOCK):
        size = min(BLOCK, tau - start)
        for b in range(size):
            i = rows[start + b]
            m = Xv[i]
            for p in range(indptr[i], indptr[i + 1]):
                t = pos[indices[p]]
                if t >= 0:
                    m += data[p] * u[t]
            z[b] = m
        for b in range(size):
            z[b] = _residual(y[rows[start + b]], z[b], inv_tau)
        for b in range(size):
            i = rows[start + b]
            r = z[b]
            for p in range(indptr[i], indptr[i + 1]):
                t = pos[indices[p]]
                if t >= 0:
                    g[t] += data[p] * r
    for t in range(K):
        j = idx[t]
        g[t] = sc[t] * (g[t] + lam * (v[j] + u[t]))
        pos[j] = -1
    return g


@njit(cache=True, error_model="numpy", fastmath={"contract"})
def logistic_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, rows):
    """Sketched minibatch logistic gradient on ``C`` from a dense ``X``, ``O(|B| K)``.

    Row-major ``X``: per block of ``BLOCK`` rows, the margins ``Xv_i + X[i, C] u`` (``K``
    reads in row ``i``), the vectorised sigmoid, then ``g += X[i, C]^T r_i`` (the same reads,
    now cached).
    """
    K = idx.shape[0]
    tau = rows.shape[0]
    u = np.empty(K)
    for t in range(K):
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    g = np.zeros(K)
    z = np.empty(BLOCK)
    inv_tau = 1.0 / tau
    for start in range(0, tau, BLOCK):
        size = min(BLOCK, tau - start)
        for b in range(size):
            i = rows[start + b]
            m = Xv[i]
            for t in range(K):
                m += X[i, idx[t]] * u[t]
            z[b] = m
        for b in range(size):
            z[b] = _residual(y[rows[start + b]], z[b], inv_tau)
        for b in range(size):
            i = rows[start + b]
            r = z[b]
            for t in range(K):
                g[t] += X[i, idx[t]] * r
    for t in range(K):
        j = idx[t]
        g[t] = sc[t] * (g[t] + lam * (v[j] + u[t]))
    return g


# --------------------------------------------------------------------------------------------
# Least squares: f(x) = 1/(2n) ||X x - y||^2 + (lam/2) ||x||^2, g0 = X^T (X v - y) cached.
# --------------------------------------------------------------------------------------------


@njit(cache=True, error_model="numpy")
def least_squares_csc_kernel(indptr, indices, data, g0, lam, n, v, x, idx, sc, dm):
    """Sketched least-squares gradient on ``C`` from CSC arrays, ``O(nnz(X[:, C]))``.

    ``grad_C = s_C * ((g0_C + X[:, C]^T X[:, C] u) / n + lam (v_C + u))``, ``u = s_C * h_C``,
    with ``g0 = X^T (X v - y)`` cached. The product is a scatter of ``X[:, C] u`` into the
    scratch ``dm`` (float64 zeros of length ``n``, restored on return) and a gather; ``dm`` is
    reset along the same entries, or by one fill when ``nnz(X[:, C]) >= DENSE_ROWS * n``.
    """
    K = idx.shape[0]
    u = np.empty(K)
    nnz_c = 0
    for t in range(K):
        j = idx[t]
        u[t] = sc[t] * (x[j] - v[j])
        nnz_c += indptr[j + 1] - indptr[j]
    scatter_columns(indptr, indices, data, idx, u, dm)
    out = np.empty(K)
    gather_columns(indptr, indices, data, idx, dm, out)
    if nnz_c >= DENSE_ROWS * dm.shape[0]:
        dm[:] = 0.0
    else:
        for t in range(K):
            j = idx[t]
            for p in range(indptr[j], indptr[j + 1]):
                dm[indices[p]] = 0.0
    for t in range(K):
        j = idx[t]
        out[t] = sc[t] * ((g0[j] + out[t]) / n + lam * (v[j] + u[t]))
    return out


@njit(cache=True, error_model="numpy")
def least_squares_dense_kernel(X, g0, lam, v, x, idx, sc):
    """Sketched least-squares gradient on ``C`` from a dense ``X``, ``O(n K)`` (formula above),
    row by row: ``m_i = X[i, C] u``, then ``acc += X[i, C]^T m_i`` (row-major reads only)."""
    n = X.shape[0]
    K = idx.shape[0]
    u = np.empty(K)
    for t in range(K):
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    acc = np.zeros(K)
    for i in range(n):
        m = 0.0
        for t in range(K):
            m += X[i, idx[t]] * u[t]
        for t in range(K):
            acc[t] += X[i, idx[t]] * m
    out = np.empty(K)
    for t in range(K):
        j = idx[t]
        out[t] = sc[t] * ((g0[j] + acc[t]) / n + lam * (v[j] + u[t]))
    return out


@njit(cache=True, error_model="numpy")
def least_squares_csr_batch_kernel(indptr, indices, data, y, Xv, lam, v, x, idx, sc, rows, pos):
    """Sketched minibatch least-squares gradient on ``C`` from CSR arrays, ``O(nnz(X[B]) + K)``.

    ``f_B = (1/|B|) sum_{i in B} [1/2 (a_i^T x - y_i)^2 + (lam/2)||x||^2]``; ``pos`` is int64
    scratch of length ``d`` filled with -1 (restored on return).
    """
    K = idx.shape[0]
    tau = rows.shape[0]
    u = np.empty(K)
    for t in range(K):
        pos[idx[t]] = t
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    g = np.zeros(K)
    inv_tau = 1.0 / tau
    for b in range(tau):
        i = rows[b]
        r = Xv[i] - y[i]
        for p in range(indptr[i], indptr[i + 1]):
            t = pos[indices[p]]
            if t >= 0:
                r += data[p] * u[t]
        r *= inv_tau
        for p in range(indptr[i], indptr[i + 1]):
            t = pos[indices[p]]
            if t >= 0:
                g[t] += data[p] * r
    for t in range(K):
        j = idx[t]
        g[t] = sc[t] * (g[t] + lam * (v[j] + u[t]))
        pos[j] = -1
    return g


@njit(cache=True, error_model="numpy")
def least_squares_dense_batch_kernel(X, y, Xv, lam, v, x, idx, sc, rows):
    """Sketched minibatch least-squares gradient on ``C`` from a dense ``X``, ``O(|B| K)``."""
    K = idx.shape[0]
    tau = rows.shape[0]
    u = np.empty(K)
    for t in range(K):
        u[t] = sc[t] * (x[idx[t]] - v[idx[t]])
    g = np.zeros(K)
    inv_tau = 1.0 / tau
    for b in range(tau):
        i = rows[b]
        r = Xv[i] - y[i]
        for t in range(K):
            r += X[i, idx[t]] * u[t]
        r *= inv_tau
        for t in range(K):
            g[t] += X[i, idx[t]] * r
    for t in range(K):
        j = idx[t]
        g[t] = sc[t] * (g[t] + lam * (v[j] + u[t]))
    return g


# --------------------------------------------------------------------------------------------
# The kernel registry: pack type -> jitted kernels (see the module docstring).
# --------------------------------------------------------------------------------------------

_EXACT: dict[type, object] = {}
_MINIBATCH: dict[type, object] = {}


def register_kernels(pack_type: type, *, exact, minibatch=None) -> None:
    """Tie a problem's pack type (a ``NamedTuple`` class) to its jitted kernels.

    ``exact(pack, x, idx, sc) -> g_C`` returns ``grad f_S(x)`` on the support ``C = idx``;
    ``minibatch(pack, x, idx, sc, rows, pos) -> g_C`` the same for ``f_B``, ``B = rows``
    (``pos``: int64 scratch of length ``d`` filled with -1, restored on return). Both must be
    ``numba.njit`` functions. Register before the first algorithm call with that pack type.

    Examples
    --------
    >>> from typing import NamedTuple
    >>> import numpy as np
    >>> from numba import njit
    >>> import mastref as mr
    >>> class ScaledPack(NamedTuple):  # f(x) = (c/2)||x||^2
    ...     c: float
    ...     v: np.ndarray
    >>> @njit
    ... def scaled_grad(pack, x, idx, sc):
    ...     return sc * pack.c * (pack.v[idx] + sc * (x[idx] - pack.v[idx]))
    >>> mr.kernels.register_kernels(ScaledPack, exact=scaled_grad)
    >>> pack = ScaledPack(2.0, np.zeros(3))
    >>> mr.kernels.sketched_grad_kernel(pack, np.ones(3), np.array([1]), np.array([3.0]))
    array([18.])
    """
    _EXACT[pack_type] = exact
    if minibatch is not None:
        _MINIBATCH[pack_type] = minibatch


def _lookup(table: dict, pack, what: str):
    try:
        return table[type(pack)]
    except KeyError:
        raise MissingCapability(
            f"no {what} kernel is registered for {type(pack).__name__}; call "
            "mastref.kernels.register_kernels"
        ) from None


def sketched_grad_kernel(pack, x, idx, sc):
    """``grad f_S(x)`` on ``C = idx`` by the kernel registered for ``type(pack)``.

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> pack = mr.Quadratic(np.eye(2), np.ones(2)).kernel_pack(np.zeros(2))
    >>> mr.kernels.sketched_grad_kernel(pack, np.ones(2), np.array([0]), np.array([2.0]))
    array([2.])
    """
    return _lookup(_EXACT, pack, "sketched-gradient")(pack, x, idx, sc)


def sketched_batch_grad_kernel(pack, x, idx, sc, rows, pos):
    """``grad f_{S,B}(x)`` on ``C = idx`` by the minibatch kernel registered for ``type(pack)``.

    ``pos``: int64 scratch of length ``d`` filled with -1 (restored on return).

    Examples
    --------
    >>> import numpy as np
    >>> import mastref as mr
    >>> pack = mr.LeastSquares(np.eye(2), np.ones(2)).kernel_pack(np.zeros(2))
    >>> mr.kernels.sketched_batch_grad_kernel(pack, np.ones(2), np.array([0]), np.array([2.0]),
    ...                               np.array([0]), np.full(2, -1))
    array([2.])
    """
    return _lookup(_MINIBATCH, pack, "minibatch")(pack, x, idx, sc, rows, pos)


@overload(sketched_grad_kernel)
def _sketched_grad_kernel_jit(pack, x, idx, sc):
    kernel = _EXACT.get(getattr(pack, "instance_class", None))
    if kernel is None:
        return None
    return lambda pack, x, idx, sc: kernel(pack, x, idx, sc)


@overload(sketched_batch_grad_kernel)
def _sketched_batch_grad_kernel_jit(pack, x, idx, sc, rows, pos):
    kernel = _MINIBATCH.get(getattr(pack, "instance_class", None))
    if kernel is None:
        return None
    return lambda pack, x, idx, sc, rows, pos: kernel(pack, x, idx, sc, rows, pos)
