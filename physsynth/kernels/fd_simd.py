"""Explicit-SIMD Kirchhoff plate kernel: the 13-point scheme of :func:`physsynth.kernels.fd.plate_steps`
with its loops written as LLVM IR (``numba.extending.intrinsic``), for float64 states.

Why: the plate update is core-bound (docs/fd-theory.md sec. 3.6). Written as Numba loops it
needs 13 loads and 2 stores per grid-point update (two passes through Z' = al Lap_h u^n +
be u^{n-1} + ga u^n), and LLVM keeps the three overlapping loads of each row's horizontal
neighbours. Here each row stream is loaded once, as ``<8 x double>`` vectors, and the
horizontal neighbours come from ``shufflevector`` of the carried registers (one ``vpermt2pd``
each); two output rows share one column loop with the Z' rows software-pipelined one vector
ahead, so 16 updates cost 9 loads and 4 stores; the whole row loop of a chunk is one
intrinsic call (Numba's per-row overhead, hundreds of instructions with spills, cost 30 % on
128-column rows). The last vector of a row is a masked load/store, never past the row's
storage. Measured on this machine (AMD EPYC Zen 4, one core): 1.75-1.8 G updates/s on a
2001 x 2001 grid at 16 steps per sweep (the Numba wavefront: 1.06-1.1), 1.86-2.03 G updates/s
in cache on the 251 x 125 plate-reverb grid (the in-cache Numba kernel: 1.13-1.37). Exact
against :func:`~physsynth.kernels.fd.plate_steps` to round-off (tests/test_fd.py).

Same wavefront as :func:`~physsynth.kernels.fd.plate_steps`: ``depth`` levels per sweep, level
s + 1 one chunk of rows behind level s, a ring of 4 Z' rows per level (flat, :func:`zring_size`);
force, edge/ghost rows and pickups applied to each chunk right after it is computed. Needs
ny >= 21 (the pair loop reads up to 23 elements past the start of a row's last vector, inside
the next rows); float64 only (float32 runs on the Numba kernels).
"""

from __future__ import annotations

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core import cgutils
from numba.extending import intrinsic

_FM = {"reassoc", "contract", "nsz", "arcp"}
_f64 = ir.DoubleType()
_i32 = ir.IntType(32)
_i64 = ir.IntType(64)
_V = ir.VectorType(_f64, 8)
_LEFT = ir.Constant(ir.VectorType(_i32, 8), [7, 8, 9, 10, 11, 12, 13, 14])  # x[j-1]
_RIGHT = ir.Constant(ir.VectorType(_i32, 8), [1, 2, 3, 4, 5, 6, 7, 8])  # x[j+1]
MIN_NY = 21


def _splat(builder, x):
    v = builder.insert_element(ir.Constant(_V, ir.Undefined), x, ir.Constant(_i32, 0))
    return builder.shuffle_vector(v, ir.Constant(_V, ir.Undefined), ir.Constant(ir.VectorType(_i32, 8), [0] * 8))


class _Tools:
    """What both intrinsics' code generators use: the three arrays' data pointers, the eight
    coefficients splat to vectors (ax, ay, lc, al, be, ga, g1, b0) and the ghost sign, the
    LLVM intrinsics (vector FMA, masked load/store, prefetch) and small IR helpers."""

    def __init__(self, context, builder, signature, args):
        self.builder = builder
        self.pc, self.pd, self.pz = (
            context.make_array(signature.args[q])(context, builder, value=args[q]).data for q in range(3)
        )
        self.coef = [_splat(builder, a) for a in args[9:17]]
        self.sg = args[17]
        mod = builder.module
        self.m1 = m1 = ir.VectorType(ir.IntType(1), 8)
        self.pty = pty = _V.as_pointer()
        self.i8p = i8p = ir.PointerType(ir.IntType(8))
        self.fmafn = cgutils.get_or_insert_function(mod, ir.FunctionType(_V, [_V, _V, _V]), "llvm.fma.v8f64")
        self.mst = cgutils.get_or_insert_function(
            mod, ir.FunctionType(ir.VoidType(), [_V, pty, _i32, m1]), "llvm.masked.store.v8f64.p0"
        )
        self.mld = cgutils.get_or_insert_function(
            mod, ir.FunctionType(_V, [pty, _i32, m1, _V]), "llvm.masked.load.v8f64.p0"
        )
        self.pff = cgutils.get_or_insert_function(
            mod, ir.FunctionType(ir.VoidType(), [i8p, _i32, _i32, _i32]), "llvm.prefetch.p0"
        )

    @staticmethod
    def c(v):
        return ir.Constant(_i64, v)

    def fma(self, a, b, cc):
        return self.builder.call(self.fmafn, [a, b, cc])

    def vp(self, base, idx):
        return self.builder.bitcast(self.builder.gep(base, [idx]), self.pty)

    def ld(self, base, idx):
        return self.builder.load(self.vp(base, idx), align=8)


def _make_rows(pf=True):
    @intrinsic
    def rows_fused(typingctx, fcur, fdst, zr, k0, k1, w, zs, zb, pfo, ax, ay, lc, al, be, ga, g1, b0, sg):
        sig = types.void(fcur, fdst, zr, *([types.int64] * 6), *([types.float64] * 9))

        def codegen(context, builder, signature, args):
            fcur_v, fdst_v, zr_v, k0_v, k1_v, w_v, zs_v, zb_v, pfo_v = args[:9]
            t = _Tools(context, builder, signature, args)
            axv, ayv, lcv, alv, bev, gav, g1v, b0v = t.coef
            sg_s, pc, pd, pz = t.sg, t.pc, t.pd, t.pz
            mst, mld, pff, i8p, c, m1 = t.mst, t.mld, t.pff, t.i8p, t.c, t.m1
            fma, vp, ld = t.fma, t.vp, t.ld

            eight = c(8)
            nvec = builder.sdiv(builder.add(w_v, c(7)), eight)
            nfull = builder.sub(nvec, c(1))
            rem = builder.sub(w_v, builder.mul(nfull, eight))
            bits = builder.sub(builder.shl(c(1), rem), c(1))
            mask = builder.bitcast(builder.trunc(bits, ir.IntType(8)), m1)
            vpC = cgutils.alloca_once(builder, _V)
            vcC = cgutils.alloca_once(builder, _V)
            vpZ = cgutils.alloca_once(builder, _V)
            vcZ = cgutils.alloca_once(builder, _V)
            dopf = builder.icmp_signed(">", pfo_v, c(0))
            ny = builder.sub(w_v, c(3))

            with cgutils.for_range_slice(builder, k0_v, k1_v, c(1)) as (k, _cnt):
                iu0 = builder.mul(k, w_v)
                iu1 = builder.add(iu0, w_v)
                iu2 = builder.add(iu1, w_v)
                z0 = builder.add(zb_v, builder.mul(builder.urem(builder.add(k, c(3)), c(4)), zs_v))
                z1 = builder.add(zb_v, builder.mul(builder.urem(k, c(4)), zs_v))
                z2 = builder.add(zb_v, builder.mul(builder.urem(builder.add(k, c(1)), c(4)), zs_v))

                def body(j, last, zonly):
                    jn = builder.add(j, eight)
                    pC = builder.load(vpC)
                    cC = builder.load(vcC)
                    nC = ld(pc, builder.add(iu1, jn))
                    if not zonly:
                        pZ = builder.load(vpZ)
                        cZ = builder.load(vcZ)
                        nZ = ld(pz, builder.add(z1, jn))
                    if pf and not last and not zonly:
                        with builder.if_then(dopf, likely=True):
                            for base, off in ((pc, iu2), (pd, iu1)):
                                a = builder.bitcast(builder.gep(base, [builder.add(builder.add(off, j), pfo_v)]), i8p)
                                builder.call(pff, [a, ir.Constant(_i32, 0), ir.Constant(_i32, 3), ir.Constant(_i32, 1)])
                    uUp = ld(pc, builder.add(iu0, j))
                    if last:
                        uDn = builder.call(
                            mld, [vp(pc, builder.add(iu2, j)), ir.Constant(_i32, 8), mask, ir.Constant(_V, None)]
                        )
                    else:
                        uDn = ld(pc, builder.add(iu2, j))
                    o1 = ld(pd, builder.add(iu1, j))
                    lC = builder.shuffle_vector(pC, cC, _LEFT)
                    rC = builder.shuffle_vector(cC, nC, _RIGHT)
                    lap = fma(axv, builder.fadd(uUp, uDn), fma(ayv, builder.fadd(lC, rC), builder.fmul(lcv, cC)))
                    znew = fma(alv, lap, fma(bev, o1, builder.fmul(gav, cC)))
                    builder.store(znew, vp(pz, builder.add(z2, j)), align=8)
                    builder.store(cC, vpC)
                    builder.store(nC, vcC)
                    if zonly:
                        return
                    zUp = ld(pz, builder.add(z0, j))
                    o0p = vp(pd, builder.add(iu0, j))
                    o0 = builder.load(o0p, align=8)
                    lZ = builder.shuffle_vector(pZ, cZ, _LEFT)
                    rZ = builder.shuffle_vector(cZ, nZ, _RIGHT)
                    lapz = fma(axv, builder.fadd(zUp, znew), fma(ayv, builder.fadd(lZ, rZ), builder.fmul(lcv, cZ)))
                    out = fma(g1v, uUp, fma(b0v, o0, lapz))
                    if last:
                        builder.call(mst, [out, o0p, ir.Constant(_i32, 8), mask])
                    else:
                        builder.store(out, o0p, align=8)
                    builder.store(cZ, vpZ)
                    builder.store(nZ, vcZ)

                builder.store(ld(pc, builder.sub(iu1, eight)), vpC)
                builder.store(ld(pc, iu1), vcC)
                builder.store(ld(pz, builder.sub(z1, eight)), vpZ)
                builder.store(ld(pz, z1), vcZ)
                with builder.if_else(builder.icmp_signed("<", k, c(2))) as (then, other):
                    with then:
                        with cgutils.for_range(builder, nfull) as lp:
                            body(builder.mul(lp.index, eight), False, True)
                        body(builder.mul(nfull, eight), True, True)
                    with other:
                        with cgutils.for_range(builder, nfull) as lp:
                            body(builder.mul(lp.index, eight), False, False)
                        body(builder.mul(nfull, eight), True, False)

                        # edge and ghost columns of u^{n+1} row k
                        def sp(idx):
                            return builder.gep(pd, [builder.add(iu0, idx)])

                        zero = ir.Constant(_f64, 0.0)
                        builder.store(zero, sp(c(1)))
                        builder.store(zero, sp(builder.add(ny, c(1))))
                        builder.store(builder.fmul(sg_s, builder.load(sp(c(2)))), sp(c(0)))
                        builder.store(builder.fmul(sg_s, builder.load(sp(ny))), sp(builder.add(ny, c(2))))
            return context.get_dummy_value()

        return sig, codegen

    return rows_fused


def _make_pair(pf=True):
    @intrinsic
    def pair_rows(typingctx, fcur, fdst, zr, kfirst, npair, w, zs, zb, pfo, ax, ay, lc, al, be, ga, g1, b0, sg):
        """Rows k, k+1 of u^{n+1} (k >= 2, k+1 <= nx) and Z' rows k+1, k+2 in one column loop
        (Z' software-pipelined one vector ahead): 9 loads + 4 stores per 16 updates."""
        sig = types.void(fcur, fdst, zr, *([types.int64] * 6), *([types.float64] * 9))

        def codegen(context, builder, signature, args):
            fcur_v, fdst_v, zr_v, kfirst_v, npair_v, w_v, zs_v, zb_v, pfo_v = args[:9]
            t = _Tools(context, builder, signature, args)
            axv, ayv, lcv, alv, bev, gav, g1v, b0v = t.coef
            sg_s, pc, pd, pz = t.sg, t.pc, t.pd, t.pz
            mst, mld, pff, i8p, c, m1 = t.mst, t.mld, t.pff, t.i8p, t.c, t.m1
            alax = builder.fmul(alv, axv)
            alay = builder.fmul(alv, ayv)
            cg = builder.fadd(builder.fmul(alv, lcv), gav)
            fma, vp, ld = t.fma, t.vp, t.ld

            def left(a, b):
                return builder.shuffle_vector(a, b, _LEFT)

            def right(a, b):
                return builder.shuffle_vector(a, b, _RIGHT)

            def zval(up, dn, l, r, cc, o):
                return fma(alax, builder.fadd(up, dn), fma(alay, builder.fadd(l, r), fma(cg, cc, builder.fmul(bev, o))))

            def outv(uc, o, zup, zdn, zl, zr_, zc):
                return fma(
                    g1v,
                    uc,
                    fma(
                        b0v, o, fma(axv, builder.fadd(zup, zdn), fma(ayv, builder.fadd(zl, zr_), builder.fmul(lcv, zc)))
                    ),
                )

            eight = c(8)
            nvec = builder.sdiv(builder.add(w_v, c(7)), eight)
            nfull = builder.sub(nvec, c(1))
            rem = builder.sub(w_v, builder.mul(nfull, eight))
            mask = builder.bitcast(builder.trunc(builder.sub(builder.shl(c(1), rem), c(1)), ir.IntType(8)), m1)
            # mask of columns j+8 .. j+15 < w in the last iteration (j = 8 nfull): rem - 8 lanes, clipped at 0
            rem2 = builder.sub(rem, eight)
            rem2 = builder.select(builder.icmp_signed("<", rem2, c(0)), c(0), rem2)
            mask2 = builder.bitcast(builder.trunc(builder.sub(builder.shl(c(1), rem2), c(1)), ir.IntType(8)), m1)
            with cgutils.for_range(builder, npair_v) as plp:
                k = builder.add(kfirst_v, builder.mul(plp.index, c(2)))
                i0 = builder.mul(k, w_v)
                i1 = builder.add(i0, w_v)
                i2 = builder.add(i1, w_v)
                i3 = builder.add(i2, w_v)

                def slot(q):
                    return builder.add(zb_v, builder.mul(builder.urem(q, c(4)), zs_v))

                zkm1 = slot(builder.add(k, c(3)))
                zk = slot(k)
                zp = slot(builder.add(k, c(1)))
                zq = slot(builder.add(k, c(2)))
                dopf = builder.icmp_signed(">", pfo_v, c(0))
                names = ["u1a", "u1b", "u2a", "u2b", "u0a", "o1a", "zka", "zkb", "pa", "pb", "qb"]
                st = {n: cgutils.alloca_once(builder, _V) for n in names}
                # prologue: P = Z'[k+1], Q = Z'[k+2] at column 0
                u1m, u10, u18 = ld(pc, builder.sub(i1, eight)), ld(pc, i1), ld(pc, builder.add(i1, eight))
                u2m, u20, u28 = ld(pc, builder.sub(i2, eight)), ld(pc, i2), ld(pc, builder.add(i2, eight))
                u00 = ld(pc, i0)
                o10 = ld(pd, i1)
                p0 = zval(u00, u20, left(u1m, u10), right(u10, u18), u10, o10)
                q0 = zval(u10, ld(pc, i3), left(u2m, u20), right(u20, u28), u20, ld(pd, i2))
                builder.store(p0, vp(pz, zp), align=8)
                builder.store(q0, vp(pz, zq), align=8)
                for n, v in (
                    ("u1a", u10),
                    ("u1b", u18),
                    ("u2a", u20),
                    ("u2b", u28),
                    ("u0a", u00),
                    ("o1a", o10),
                    ("zka", ld(pz, builder.sub(zk, eight))),
                    ("zkb", ld(pz, zk)),
                    ("pa", ld(pz, builder.sub(zp, eight))),
                    ("pb", p0),
                    ("qb", q0),
                ):
                    builder.store(v, st[n])

                def body(j, last):
                    g = {n: builder.load(st[n]) for n in names}
                    j8 = builder.add(j, eight)
                    j16 = builder.add(j8, eight)
                    if pf and not last:
                        with builder.if_then(dopf, likely=True):
                            for base, off in ((pc, i3), (pd, i2)):
                                a = builder.bitcast(builder.gep(base, [builder.add(builder.add(off, j), pfo_v)]), i8p)
                                builder.call(pff, [a, ir.Constant(_i32, 0), ir.Constant(_i32, 3), ir.Constant(_i32, 1)])
                    u1c = ld(pc, builder.add(i1, j16))
                    u2c = ld(pc, builder.add(i2, j16))
                    u0b = ld(pc, builder.add(i0, j8))
                    if last:
                        u3b = builder.call(
                            mld, [vp(pc, builder.add(i3, j8)), ir.Constant(_i32, 8), mask2, ir.Constant(_V, None)]
                        )
                    else:
                        u3b = ld(pc, builder.add(i3, j8))
                    o1b = ld(pd, builder.add(i1, j8))
                    o2b = ld(pd, builder.add(i2, j8))
                    zkc = ld(pz, builder.add(zk, j8))
                    zm = ld(pz, builder.add(zkm1, j))
                    o0p = vp(pd, builder.add(i0, j))
                    o0 = builder.load(o0p, align=8)
                    pn = zval(u0b, g["u2b"], left(g["u1a"], g["u1b"]), right(g["u1b"], u1c), g["u1b"], o1b)
                    qn = zval(g["u1b"], u3b, left(g["u2a"], g["u2b"]), right(g["u2b"], u2c), g["u2b"], o2b)
                    builder.store(pn, vp(pz, builder.add(zp, j8)), align=8)
                    builder.store(qn, vp(pz, builder.add(zq, j8)), align=8)
                    oa = outv(g["u0a"], o0, zm, g["pb"], left(g["zka"], g["zkb"]), right(g["zkb"], zkc), g["zkb"])
                    ob = outv(
                        g["u1a"], g["o1a"], g["zkb"], g["qb"], left(g["pa"], g["pb"]), right(g["pb"], pn), g["pb"]
                    )
                    o1p = vp(pd, builder.add(i1, j))
                    if last:
                        builder.call(mst, [oa, o0p, ir.Constant(_i32, 8), mask])
                        builder.call(mst, [ob, o1p, ir.Constant(_i32, 8), mask])
                    else:
                        builder.store(oa, o0p, align=8)
                        builder.store(ob, o1p, align=8)
                    for n, v in (
                        ("u1a", g["u1b"]),
                        ("u1b", u1c),
                        ("u2a", g["u2b"]),
                        ("u2b", u2c),
                        ("u0a", u0b),
                        ("o1a", o1b),
                        ("zka", g["zkb"]),
                        ("zkb", zkc),
                        ("pa", g["pb"]),
                        ("pb", pn),
                        ("qb", qn),
                    ):
                        builder.store(v, st[n])

                with cgutils.for_range(builder, nfull) as lp:
                    body(builder.mul(lp.index, eight), False)
                body(builder.mul(nfull, eight), True)
                ny = builder.sub(w_v, c(3))
                zero = ir.Constant(_f64, 0.0)
                for base in (i0, i1):

                    def sp(idx, base=base):
                        return builder.gep(pd, [builder.add(base, idx)])

                    builder.store(zero, sp(c(1)))
                    builder.store(zero, sp(builder.add(ny, c(1))))
                    builder.store(builder.fmul(sg_s, builder.load(sp(c(2)))), sp(c(0)))
                    builder.store(builder.fmul(sg_s, builder.load(sp(ny))), sp(builder.add(ny, c(2))))
            return context.get_dummy_value()

        return sig, codegen

    return pair_rows


def zring_size(w: int, depth: int) -> int:
    """Length of the flat Z' ring for rows of ``w`` values (ny + 3) and ``depth`` levels."""
    zs = ((w + 7) // 8) * 8 + 32
    return depth * 4 * zs + 32


def plate_simd_buffers(ny: int, depth: int = 1) -> np.ndarray:
    """Scratch for :func:`plate_steps_simd`."""
    return np.zeros(zring_size(ny + 3, max(1, int(depth))))


rows_fused = _make_rows(True)
pair_rows = _make_pair(True)


@njit(cache=True, fastmath=_FM)
def plate_steps_simd(
    u0, u1, c, zring, src_i, src_j, src_w, force, pk_i, pk_j, pk_w, velocity, inv_k, out, depth=1, chunk=2, pfo=0
):  # pragma: no cover - numba
    """Same contract as plate_steps (zring: flat, zring_size(w, depth)). Wavefront:
    ``depth`` levels, level s + 1 one chunk (``chunk`` >= 2 rows) behind level s;
    depth 1 with chunk >= nx + 1: one call per time step. ``pfo`` > 0: level 0
    prefetches u^n row k+2 and u^{n-1} row k+1 that many elements ahead."""
    nx = u1.shape[0] - 3
    ny = u1.shape[1] - 3
    w = ny + 3
    size = u1.shape[0] * w
    zs = ((w + 7) // 8) * 8 + 32
    n_steps = out.shape[1]
    nf = force.shape[0]
    npk = out.shape[0]
    ntap = pk_i.shape[1]
    ax = c[0]
    ay = c[1]
    lc = c[2]
    al = c[4] / ax
    be = c[8] / ax
    ga = c[3] - al * lc
    g1 = c[6]
    b0 = c[7] - be * lc
    sg = c[10]
    dmax = max(1, min(depth, (zring.shape[0] - 32) // (4 * zs)))
    R = max(2, chunk + (chunk % 2))
    nchunk = (nx + 1 + R - 1) // R  # rows 0 .. nx
    if w < 24:  # the pair loop reads up to 23 elements past a row (rows k+1, k+2)
        raise ValueError("plate_steps_simd needs ny >= 21 (use plate_steps)")
    t = 0
    while t < n_steps:
        nt = min(dmax, n_steps - t)
        f0 = u0.reshape(size)
        f1 = u1.reshape(size)
        for p in range(npk):
            for s in range(nt):
                out[p, t + s] = 0.0
        for i in range(nchunk + nt - 1):
            for s in range(nt):
                ci = i - s
                if ci < 0 or ci >= nchunk:
                    continue
                if s % 2 == 0:
                    fc = f1
                    fo = f0
                else:
                    fc = f0
                    fo = f1
                k0 = ci * R
                k1 = min(k0 + R, nx + 1)
                zb = 16 + s * 4 * zs
                if k0 == 0:  # Z'-only rows 0, 1 first, then the rest of the chunk as pairs
                    rows_fused(fc, fo, zring, 0, 2, w, zs, zb, 0, ax, ay, lc, al, be, ga, g1, b0, sg)
                    k0 = 2
                if k0 >= 2 and k1 - k0 == 2:
                    pair_rows(fc, fo, zring, k0, 1, w, zs, zb, pfo if s == 0 else 0, ax, ay, lc, al, be, ga, g1, b0, sg)
                elif k0 >= 2 and k1 - k0 > 2:
                    npr = (k1 - k0) // 2
                    pair_rows(
                        fc, fo, zring, k0, npr, w, zs, zb, pfo if s == 0 else 0, ax, ay, lc, al, be, ga, g1, b0, sg
                    )
                    if k0 + 2 * npr < k1:
                        rows_fused(
                            fc,
                            fo,
                            zring,
                            k0 + 2 * npr,
                            k1,
                            w,
                            zs,
                            zb,
                            pfo if s == 0 else 0,
                            ax,
                            ay,
                            lc,
                            al,
                            be,
                            ga,
                            g1,
                            b0,
                            sg,
                        )
                else:
                    rows_fused(
                        fc, fo, zring, k0, k1, w, zs, zb, pfo if s == 0 else 0, ax, ay, lc, al, be, ga, g1, b0, sg
                    )
                tt = t + s
                if tt < nf:
                    f = force[tt]
                    for kk in range(src_i.shape[0]):
                        r = src_i[kk]
                        if r >= k0 and r < k1:
                            jj = src_j[kk]
                            fo[r * w + jj] += src_w[kk] * f
                            if jj == 2:
                                fo[r * w] = sg * fo[r * w + 2]
                            if jj == ny:
                                fo[r * w + ny + 2] = sg * fo[r * w + ny]
                if k0 <= 2 and 2 < k1:
                    for j in range(w):
                        fo[j] = sg * fo[2 * w + j]
                if k0 <= nx and nx < k1:
                    for j in range(w):
                        fo[(nx + 2) * w + j] = sg * fo[nx * w + j]
                for p in range(npk):
                    for kk in range(ntap):
                        r = pk_i[p, kk]
                        if r >= k0 and r < k1:
                            jq = r * w + pk_j[p, kk]
                            if velocity:
                                out[p, tt] += pk_w[p, kk] * (fo[jq] - fc[jq]) * inv_k
                            else:
                                out[p, tt] += pk_w[p, kk] * fo[jq]
        if nt % 2 == 1:
            tmp = u0
            u0 = u1
            u1 = tmp
        t += nt
    return n_steps % 2
