// This module imports no tfjs.
// deno-fmt-ignore-file: AssemblyScript, whose @inline decorators and <f32>casts deno fmt would rewrite.
// The engine's WebAssembly kernels, in AssemblyScript (compiled by `deno task build:wasm`).
//
// Every kernel computes exactly what `lib/engine/reference.ts` defines, bit for bit: the same
// float32 operations in the same order (wasm float32 arithmetic is IEEE, with no fused
// multiply-add), integer sums that are exact whatever their order, and the own exp/tanh/rsqrt of
// `lib/engine/f32_math.ts`. SIMD only ever runs independent lanes, or integer sums; no float
// reduction is split over lanes. `tests/engine/` compares each kernel with the reference.
//
// Memory is owned by the caller (lib/engine/kernels.ts): every argument is a byte address in the
// imported memory. Versions: v1 of each kernel (the numbered history is in lib/engine/README.md).

// ---- float32 math: lib/engine/f32_math.ts, scalar and four lanes at a time ----

const LOG2E: f32 = <f32>1.4426950408889634;
const LN2_HI: f32 = <f32>0.693359375;
// Derived constants are written as the exact float32 values that f32_math.ts computes (a constant
// expression here would be folded in float32, not in float64 as there).
const LN2_LO: f32 = <f32>-2.1219444170128554e-4; // f32(ln 2 − LN2_HI)
const EXP_C2: f32 = <f32>0.5;
const EXP_C3: f32 = <f32>0.1666666716337204; // f32(1/6)
const EXP_C4: f32 = <f32>0.0416666679084301; // f32(1/24)
const EXP_C5: f32 = <f32>0.008333333767950535; // f32(1/120)
const EXP_C6: f32 = <f32>0.0013888889225199819; // f32(1/720)
const EXP_MIN: f32 = <f32>-87.0;
const GELU_A: f32 = <f32>0.044715;
const GELU_C: f32 = <f32>0.7978845608028654;
const RMS_EPS: f32 = <f32>1e-5;

// @ts-ignore: decorator
@inline function expf(x: f32): f32 {
  if (!(x >= EXP_MIN)) return 0;
  if (x > 0) x = 0;
  const t = nearest<f32>(x * LOG2E);
  const r = (x - t * LN2_HI) - t * LN2_LO;
  let p = EXP_C6;
  p = p * r + EXP_C5;
  p = p * r + EXP_C4;
  p = p * r + EXP_C3;
  p = p * r + EXP_C2;
  p = p * r + <f32>1;
  p = p * r + <f32>1;
  return p * reinterpret<f32>((<i32>t + 127) << 23);
}

// @ts-ignore: decorator
@inline function expv(x: v128): v128 {
  const zero = f32x4.splat(0);
  const ok = f32x4.ge(x, f32x4.splat(EXP_MIN));
  x = v128.bitselect(zero, x, f32x4.gt(x, zero));
  const t = f32x4.nearest(f32x4.mul(x, f32x4.splat(LOG2E)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(t, f32x4.splat(LN2_HI))), f32x4.mul(t, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(EXP_C6);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_C5));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_C4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_C3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(EXP_C2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1));
  const pow = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(t), i32x4.splat(127)), 23);
  return v128.and(f32x4.mul(p, pow), ok);
}

// @ts-ignore: decorator
@inline function tanhf(u: f32): f32 {
  const e = expf(abs<f32>(u) * <f32>-2);
  const t = (<f32>1 - e) / (<f32>1 + e);
  return u < 0 ? -t : t;
}

// @ts-ignore: decorator
@inline function tanhv(u: v128): v128 {
  const one = f32x4.splat(1);
  const e = expv(f32x4.mul(f32x4.abs(u), f32x4.splat(-2)));
  const t = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  return v128.bitselect(f32x4.neg(t), t, f32x4.lt(u, f32x4.splat(0)));
}

// @ts-ignore: decorator
@inline function geluf(z: f32): f32 {
  const z3 = (z * z) * z;
  const u = GELU_C * (z + GELU_A * z3);
  return (<f32>0.5 * z) * (<f32>1 + tanhf(u));
}

// @ts-ignore: decorator
@inline function geluv(z: v128): v128 {
  const z3 = f32x4.mul(f32x4.mul(z, z), z);
  const u = f32x4.mul(f32x4.splat(GELU_C), f32x4.add(z, f32x4.mul(f32x4.splat(GELU_A), z3)));
  return f32x4.mul(f32x4.mul(f32x4.splat(0.5), z), f32x4.add(f32x4.splat(1), tanhv(u)));
}

// @ts-ignore: decorator
@inline function rsqrtf(y: f32): f32 {
  let z = reinterpret<f32>(0x5f3759df - (reinterpret<i32>(y) >> 1));
  const h = <f32>0.5 * y;
  z = z * (<f32>1.5 - (h * z) * z);
  z = z * (<f32>1.5 - (h * z) * z);
  z = z * (<f32>1.5 - (h * z) * z);
  return z;
}

/** Test hook: `out[i] = op(x[i])` for n values; op 0 exp, 1 tanh, 2 gelu, 3 rsqrt; lanes of 4, scalar tail. */
export function map_f32(op: i32, x: usize, n: i32, out: usize): void {
  let i = 0;
  if (op < 3) {
    for (; i + 4 <= n; i += 4) {
      const v = v128.load(x + (<usize>i << 2));
      v128.store(out + (<usize>i << 2), op === 0 ? expv(v) : op === 1 ? tanhv(v) : geluv(v));
    }
  }
  for (; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    store<f32>(out + (<usize>i << 2), op === 0 ? expf(v) : op === 1 ? tanhf(v) : op === 2 ? geluf(v) : rsqrtf(v));
  }
}

// ---- RMSNorm ----

/** RMSNorm of m rows of d floats (row strides xs, os in floats) with gain g: reference.rmsnormRow. */
export function rmsnorm(x: usize, xs: i32, m: i32, d: i32, g: usize, out: usize, os: i32): void {
  for (let r = 0; r < m; r++) {
    const xr = x + ((<usize>r * <usize>xs) << 2);
    const or = out + ((<usize>r * <usize>os) << 2);
    let ss: f32 = 0;
    for (let i = 0; i < d; i++) {
      const v = load<f32>(xr + (<usize>i << 2));
      ss = ss + v * v;
    }
    const rv = rsqrtf(ss / <f32>d + RMS_EPS);
    const rs = f32x4.splat(rv);
    let i = 0;
    for (; i + 4 <= d; i += 4) {
      const o = <usize>i << 2;
      v128.store(or + o, f32x4.mul(f32x4.mul(v128.load(xr + o), rs), v128.load(g + o)));
    }
    for (; i < d; i++) {
      const o = <usize>i << 2;
      store<f32>(or + o, (load<f32>(xr + o) * rv) * load<f32>(g + o));
    }
  }
}

// ---- quantization of activation rows ----

/**
 * Quantizes m rows of k floats (row stride xs floats) to int16 rows of kp entries (kp ≥ k, even;
 * the entries past k are 0) at aq, and writes each row's scale at sc: reference.quantizeRow.
 */
export function quantize(x: usize, xs: i32, m: i32, k: i32, kp: i32, qa: f32, aq: usize, sc: usize): void {
  for (let r = 0; r < m; r++) {
    const xr = x + ((<usize>r * <usize>xs) << 2);
    const qr = aq + ((<usize>r * <usize>kp) << 1);
    let mv = f32x4.splat(0);
    let i = 0;
    for (; i + 4 <= k; i += 4) mv = f32x4.max(mv, f32x4.abs(v128.load(xr + (<usize>i << 2))));
    let top: f32 = max<f32>(
      max<f32>(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
      max<f32>(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)),
    );
    for (; i < k; i++) {
      const a = abs<f32>(load<f32>(xr + (<usize>i << 2)));
      if (a > top) top = a;
    }
    if (top == 0) {
      memory.fill(qr, 0, <usize>kp << 1);
      store<f32>(sc + (<usize>r << 2), 0);
      continue;
    }
    const inv = qa / top;
    const iv = f32x4.splat(inv);
    const hi = f32x4.splat(qa);
    const lo = f32x4.splat(-qa);
    i = 0;
    for (; i + 8 <= k; i += 8) {
      const o = <usize>i << 2;
      const a = f32x4.min(f32x4.max(f32x4.nearest(f32x4.mul(v128.load(xr + o), iv)), lo), hi);
      const b = f32x4.min(f32x4.max(f32x4.nearest(f32x4.mul(v128.load(xr + o, 16), iv)), lo), hi);
      v128.store(qr + (<usize>i << 1), i16x8.narrow_i32x4_s(i32x4.trunc_sat_f32x4_s(a), i32x4.trunc_sat_f32x4_s(b)));
    }
    for (; i < k; i++) {
      let v = nearest<f32>(load<f32>(xr + (<usize>i << 2)) * inv);
      if (v > qa) v = qa;
      if (v < -qa) v = -qa;
      store<i16>(qr + (<usize>i << 1), <i16><i32>v);
    }
    for (; i < kp; i++) store<i16>(qr + (<usize>i << 1), 0);
    store<f32>(sc + (<usize>r << 2), top / qa);
  }
}

// ---- integer matrix product with a float32 epilogue ----
//
// Weights are packed in panels of 8 columns: panel p (columns 8p..8p+7) holds, for each pair of
// rows (2i, 2i+1), 16 values: for columns c = 0..7, (W[2i][8p+c], W[2i+1][8p+c]); that is, as
// int16, two v128, columns 0-3 then 4-7, ready for i32x4.dot_i16x8_s against a splat of the
// activation pair (x[2i], x[2i+1]). A panel is kp·16 bytes (int16) or kp·8 bytes (int8, widened
// to int16 on load). Column scales are padded to a multiple of 8.

// @ts-ignore: decorator
@inline function epilogue(acc: v128, ws: v128, as: v128, out: usize, res: usize, mode: i32, cols: i32): void {
  let y = f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(acc), ws), as);
  if (mode == 1) {
    if (cols >= 4) {
      y = f32x4.add(v128.load(res), y);
    } else {
      // Partial vector: add the residual lane by lane below.
      const t = memory.data(16, 16);
      v128.store(t, y);
      for (let c = 0; c < cols; c++) {
        const o = <usize>c << 2;
        store<f32>(out + o, load<f32>(res + o) + load<f32>(t + o));
      }
      return;
    }
  } else if (mode == 2) {
    y = geluv(y);
  }
  if (cols >= 4) {
    v128.store(out, y);
  } else {
    const t = memory.data(16, 16);
    v128.store(t, y);
    for (let c = 0; c < cols; c++) store<f32>(out + (<usize>c << 2), load<f32>(t + (<usize>c << 2)));
  }
}

// @ts-ignore: decorator
@inline function qmatmulImpl<W>(
  aq: usize, as: usize, m: i32, kp: i32, w: usize, ws: usize, n: i32,
  out: usize, os: i32, res: usize, rs: i32, mode: i32,
): void {
  const kpairs = kp >> 1;
  const arow = <usize>kp << 1;
  const panel = (<usize>kp << 3) * sizeof<W>(); // kp/2 row pairs × 8 columns × 2 rows
  const ostep = <usize>os << 2;
  const rstep = <usize>rs << 2;
  for (let p = 0; p < n; p += 8) {
    const wp = w + <usize>(p >> 3) * panel;
    const ws0 = v128.load(ws + (<usize>p << 2));
    const ws1 = v128.load(ws + (<usize>p << 2), 16);
    const cols0 = min<i32>(4, n - p);
    const cols1 = min<i32>(4, n - p - 4);
    let r = 0;
    for (; r + 4 <= m; r += 4) {
      const a0 = aq + <usize>r * arow;
      const a1 = a0 + arow;
      const a2 = a1 + arow;
      const a3 = a2 + arow;
      let c00 = i32x4.splat(0), c01 = i32x4.splat(0), c10 = i32x4.splat(0), c11 = i32x4.splat(0);
      let c20 = i32x4.splat(0), c21 = i32x4.splat(0), c30 = i32x4.splat(0), c31 = i32x4.splat(0);
      let wq = wp;
      for (let k = 0; k < kpairs; k++) {
        let w0: v128, w1: v128;
        if (sizeof<W>() == 2) {
          w0 = v128.load(wq);
          w1 = v128.load(wq, 16);
        } else {
          const raw = v128.load(wq);
          w0 = i16x8.extend_low_i8x16_s(raw);
          w1 = i16x8.extend_high_i8x16_s(raw);
        }
        const o = <usize>k << 2;
        const x0 = i32x4.splat(load<i32>(a0 + o));
        c00 = i32x4.add(c00, i32x4.dot_i16x8_s(x0, w0));
        c01 = i32x4.add(c01, i32x4.dot_i16x8_s(x0, w1));
        const x1 = i32x4.splat(load<i32>(a1 + o));
        c10 = i32x4.add(c10, i32x4.dot_i16x8_s(x1, w0));
        c11 = i32x4.add(c11, i32x4.dot_i16x8_s(x1, w1));
        const x2 = i32x4.splat(load<i32>(a2 + o));
        c20 = i32x4.add(c20, i32x4.dot_i16x8_s(x2, w0));
        c21 = i32x4.add(c21, i32x4.dot_i16x8_s(x2, w1));
        const x3 = i32x4.splat(load<i32>(a3 + o));
        c30 = i32x4.add(c30, i32x4.dot_i16x8_s(x3, w0));
        c31 = i32x4.add(c31, i32x4.dot_i16x8_s(x3, w1));
        wq += 16 * sizeof<W>();
      }
      const o0 = out + <usize>r * ostep + (<usize>p << 2);
      const r0 = res + <usize>r * rstep + (<usize>p << 2);
      const s0 = f32x4.splat(load<f32>(as + (<usize>r << 2)));
      const s1 = f32x4.splat(load<f32>(as + (<usize>r << 2), 4));
      const s2 = f32x4.splat(load<f32>(as + (<usize>r << 2), 8));
      const s3 = f32x4.splat(load<f32>(as + (<usize>r << 2), 12));
      epilogue(c00, ws0, s0, o0, r0, mode, cols0);
      if (cols1 > 0) epilogue(c01, ws1, s0, o0 + 16, r0 + 16, mode, cols1);
      epilogue(c10, ws0, s1, o0 + ostep, r0 + rstep, mode, cols0);
      if (cols1 > 0) epilogue(c11, ws1, s1, o0 + ostep + 16, r0 + rstep + 16, mode, cols1);
      epilogue(c20, ws0, s2, o0 + 2 * ostep, r0 + 2 * rstep, mode, cols0);
      if (cols1 > 0) epilogue(c21, ws1, s2, o0 + 2 * ostep + 16, r0 + 2 * rstep + 16, mode, cols1);
      epilogue(c30, ws0, s3, o0 + 3 * ostep, r0 + 3 * rstep, mode, cols0);
      if (cols1 > 0) epilogue(c31, ws1, s3, o0 + 3 * ostep + 16, r0 + 3 * rstep + 16, mode, cols1);
    }
    for (; r < m; r++) {
      // One row: even and odd row pairs in separate accumulators for more independent chains.
      const a0 = aq + <usize>r * arow;
      let e0 = i32x4.splat(0), e1 = i32x4.splat(0), d0 = i32x4.splat(0), d1 = i32x4.splat(0);
      let wq = wp;
      let k = 0;
      for (; k + 2 <= kpairs; k += 2) {
        const o = <usize>k << 2;
        const x0 = i32x4.splat(load<i32>(a0 + o));
        const x1 = i32x4.splat(load<i32>(a0 + o, 4));
        if (sizeof<W>() == 2) {
          e0 = i32x4.add(e0, i32x4.dot_i16x8_s(x0, v128.load(wq)));
          e1 = i32x4.add(e1, i32x4.dot_i16x8_s(x0, v128.load(wq, 16)));
          d0 = i32x4.add(d0, i32x4.dot_i16x8_s(x1, v128.load(wq, 32)));
          d1 = i32x4.add(d1, i32x4.dot_i16x8_s(x1, v128.load(wq, 48)));
        } else {
          const r0 = v128.load(wq);
          const r1 = v128.load(wq, 16);
          e0 = i32x4.add(e0, i32x4.dot_i16x8_s(x0, i16x8.extend_low_i8x16_s(r0)));
          e1 = i32x4.add(e1, i32x4.dot_i16x8_s(x0, i16x8.extend_high_i8x16_s(r0)));
          d0 = i32x4.add(d0, i32x4.dot_i16x8_s(x1, i16x8.extend_low_i8x16_s(r1)));
          d1 = i32x4.add(d1, i32x4.dot_i16x8_s(x1, i16x8.extend_high_i8x16_s(r1)));
        }
        wq += 32 * sizeof<W>();
      }
      if (k < kpairs) {
        const x0 = i32x4.splat(load<i32>(a0 + (<usize>k << 2)));
        if (sizeof<W>() == 2) {
          e0 = i32x4.add(e0, i32x4.dot_i16x8_s(x0, v128.load(wq)));
          e1 = i32x4.add(e1, i32x4.dot_i16x8_s(x0, v128.load(wq, 16)));
        } else {
          const r0 = v128.load(wq);
          e0 = i32x4.add(e0, i32x4.dot_i16x8_s(x0, i16x8.extend_low_i8x16_s(r0)));
          e1 = i32x4.add(e1, i32x4.dot_i16x8_s(x0, i16x8.extend_high_i8x16_s(r0)));
        }
      }
      const o0 = out + <usize>r * ostep + (<usize>p << 2);
      const r0 = res + <usize>r * rstep + (<usize>p << 2);
      const s0 = f32x4.splat(load<f32>(as + (<usize>r << 2)));
      epilogue(i32x4.add(e0, d0), ws0, s0, o0, r0, mode, cols0);
      if (cols1 > 0) epilogue(i32x4.add(e1, d1), ws1, s0, o0 + 16, r0 + 16, mode, cols1);
    }
  }
}

/**
 * out[m×n] = epilogue(dequant(aq[m×kp] @ W[kp×n])): `y = f32(f32(f32(acc)·ws[j])·as[r])`; mode 0
 * stores y, mode 1 stores `res + y` (res may equal out), mode 2 stores GELU(y). Row strides os and
 * rs are in floats. reference.qmatmulRow, for every row. Weights in int16 panels.
 */
export function qmatmul(
  aq: usize, as: usize, m: i32, kp: i32, w: usize, ws: usize, n: i32,
  out: usize, os: i32, res: usize, rs: i32, mode: i32,
): void {
  qmatmulImpl<i16>(aq, as, m, kp, w, ws, n, out, os, res, rs, mode);
}

/**
 * `qmatmul` with weights in int8 panels (the same element order, one byte each; for matrices
 * whose integers fit −127..127, such as a model file's int8 tensors): half the memory to read.
 */
export function qmatmul8(
  aq: usize, as: usize, m: i32, kp: i32, w: usize, ws: usize, n: i32,
  out: usize, os: i32, res: usize, rs: i32, mode: i32,
): void {
  qmatmulImpl<i8>(aq, as, m, kp, w, ws, n, out, os, res, rs, mode);
}

// ---- attention with key/value caches ----
//
// The caches hold integers: each position's key and value, per head, quantized like an activation
// row (max|x| → ±range): keys to int16 (range qk), values to int16 (range 511), with one float32
// scale per position and head. Scores and weighted sums are then exact int32 sums
// (reference.attendRow). Layout of one sequence, one layer (cap positions, a multiple of 16; hsp =
// hs rounded up to even, the extra dimension 0), every pass reading memory front to back:
//   keys        int16 [head][cap / 16][hsp / 2][16 positions][2 dims]
//   key scales  f32   [head][cap]
//   values      int16 [head][cap / 2][hs][2 positions]
//   value scales f32  [head][cap]

/** Largest |value| in the value cache. */
const V_RANGE: f32 = 511;

/** Bytes of one sequence's cache for one layer (reference: kernels.ts kvCacheBytes). */
// @ts-ignore: decorator
@inline function kvBytes(heads: i32, hs: i32, cap: i32): usize {
  const hsp = hs + (hs & 1);
  return <usize>heads * <usize>cap * (<usize>hsp * 2 + 4 + <usize>hs * 2 + 4);
}

/**
 * Quantizes n floats at x (reference.quantizeRow with range q): writes integer i at
 * dst + (i >> 1)·pairStep + (i & 1)·elem, as int16 (wide) or int8; returns the scale.
 */
// @ts-ignore: decorator
@inline function quantizeTo(x: usize, n: i32, q: f32, dst: usize, pairStep: usize, elem: usize, wide: bool): f32 {
  let top: f32 = 0;
  for (let i = 0; i < n; i++) {
    const a = abs<f32>(load<f32>(x + (<usize>i << 2)));
    if (a > top) top = a;
  }
  const inv = top == 0 ? <f32>0 : q / top;
  for (let i = 0; i < n; i++) {
    let v = nearest<f32>(load<f32>(x + (<usize>i << 2)) * inv);
    if (v > q) v = q;
    if (v < -q) v = -q;
    const at = dst + (<usize>(i >> 1)) * pairStep + <usize>(i & 1) * elem;
    if (wide) store<i16>(at, <i16><i32>v);
    else store<i8>(at, <i8><i32>v);
  }
  return top == 0 ? <f32>0 : top / q;
}

/**
 * Causal attention for nb sequences of nr new rows each (row b·nr + i at position pos0 + i).
 * qkv rows hold [q | k | v] of width w = heads·hs each (row stride qs floats); out rows (stride os
 * floats) receive the concatenated heads. Sequence b's cache starts at kv + b·kvBytes. First the
 * new rows' keys and values are quantized into the cache, then every new row attends to positions
 * 0..its own: reference.attendRow per (row, head), with qk, qq = quantLevels(hs).qw, .qa.
 * sc: scratch of cap·4 + (cap + 16)·2 + hsp·2 + 16 bytes.
 */
export function attention(
  qkv: usize, qs: i32, nb: i32, nr: i32, heads: i32, hs: i32,
  kv: usize, cap: i32, pos0: i32, out: usize, os: i32, sc: usize, qk: f32, qq: f32,
): void {
  const w = heads * hs;
  const hsp = hs + (hs & 1);
  const seqB = kvBytes(heads, hs, cap);
  const kHeadB = <usize>cap * <usize>hsp * 2; // int16 keys of one head
  const blockB = <usize>hsp << 5; // one block of 16 positions: hsp·16 int16
  const ksOff = <usize>heads * kHeadB;
  const vOff = ksOff + (<usize>heads * <usize>cap << 2);
  const vHeadB = <usize>cap * <usize>hs * 2; // int16 values of one head
  const vsOff = vOff + <usize>heads * vHeadB;
  const wq = sc + (<usize>cap << 2); // quantized softmax weights, int16
  const qp = wq + ((<usize>cap + 16) << 1); // quantized query, int16 (hsp)
  for (let b = 0; b < nb; b++) {
    const base = kv + <usize>b * seqB;
    // 1. Store: quantize each new row's key and value of every head into the cache.
    for (let i = 0; i < nr; i++) {
      const row = qkv + ((<usize>(b * nr + i) * <usize>qs) << 2);
      const j = <usize>(pos0 + i);
      for (let h = 0; h < heads; h++) {
        const kd = base + <usize>h * kHeadB + (j >> 4) * blockB + ((j & 15) << 2);
        const ks = quantizeTo(row + (<usize>(w + h * hs) << 2), hs, qk, kd, 64, 2, true);
        if (hs & 1) store<i16>(kd + (<usize>(hs >> 1)) * 64 + 2, 0);
        store<f32>(base + ksOff + ((<usize>h * <usize>cap + j) << 2), ks);
        const vd = base + vOff + <usize>h * vHeadB + (j >> 1) * (<usize>hs << 2) + ((j & 1) << 1);
        const vs = quantizeTo(row + (<usize>(2 * w + h * hs) << 2), hs, V_RANGE, vd, 8, 4, true);
        store<f32>(base + vsOff + ((<usize>h * <usize>cap + j) << 2), vs);
      }
    }
    for (let i = 0; i < nr; i++) {
      const row = qkv + ((<usize>(b * nr + i) * <usize>qs) << 2);
      const orow = out + ((<usize>(b * nr + i) * <usize>os) << 2);
      const n = pos0 + i + 1;
      for (let h = 0; h < heads; h++) {
        // 2. Scores: s[j] = f32(f32(f32(Σ_d qq[d]·kq[j][d]) · ks[j]) · sq), 16 positions per pass
        //    (the last pass also scores positions ≥ n of its block, never used).
        const sq = quantizeTo(row + (<usize>(h * hs) << 2), hs, qq, qp, 4, 2, true);
        if (hs & 1) store<i16>(qp + (<usize>hs << 1), 0);
        const sqv = f32x4.splat(sq);
        const ksh = base + ksOff + ((<usize>h * <usize>cap) << 2);
        let kp = base + <usize>h * kHeadB;
        const pairs = hsp >> 1;
        for (let j = 0; j < n; j += 16) {
          let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
          for (let dp = 0; dp < pairs; dp++) {
            const x = i32x4.splat(load<i32>(qp + (<usize>dp << 2)));
            a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x, v128.load(kp)));
            a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x, v128.load(kp, 16)));
            a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x, v128.load(kp, 32)));
            a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x, v128.load(kp, 48)));
            kp += 64;
          }
          const so = sc + (<usize>j << 2);
          const ko = ksh + (<usize>j << 2);
          v128.store(so, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a0), v128.load(ko)), sqv));
          v128.store(so, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a1), v128.load(ko, 16)), sqv), 16);
          v128.store(so, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a2), v128.load(ko, 32)), sqv), 32);
          v128.store(so, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a3), v128.load(ko, 48)), sqv), 48);
        }
        // 3. Softmax: e[j] = expf(s[j] − max), S = Σ e[j] (j from 0 up), then the weights
        //    w[j] = f32(e[j] · vs[j]), quantized to int16 (range qw(n)) with scale sw.
        let m = load<f32>(sc);
        for (let j = 1; j < n; j++) {
          const s = load<f32>(sc + (<usize>j << 2));
          if (s > m) m = s;
        }
        const mv = f32x4.splat(m);
        const vsh = base + vsOff + ((<usize>h * <usize>cap) << 2);
        let j = 0;
        for (; j + 4 <= n; j += 4) {
          const o = sc + (<usize>j << 2);
          v128.store(o, expv(f32x4.sub(v128.load(o), mv)));
        }
        for (; j < n; j++) {
          const o = sc + (<usize>j << 2);
          store<f32>(o, expf(load<f32>(o) - m));
        }
        let sum: f32 = 0;
        for (j = 0; j < n; j++) sum = sum + load<f32>(sc + (<usize>j << 2));
        const inv = <f32>1 / sum;
        for (j = 0; j + 4 <= n; j += 4) {
          const o = sc + (<usize>j << 2);
          v128.store(o, f32x4.mul(v128.load(o), v128.load(vsh + (<usize>j << 2))));
        }
        for (; j < n; j++) {
          const o = sc + (<usize>j << 2);
          store<f32>(o, load<f32>(o) * load<f32>(vsh + (<usize>j << 2)));
        }
        const qw = <f32>min<i32>(32767, <i32>(2147483647 / (<u32>n * 511)));
        const sw = quantizeTo(sc, n, qw, wq, 4, 2, true);
        store<i16>(wq + (<usize>n << 1), 0); // the pair partner of an odd last position
        const swv = f32x4.splat(sw);
        const iv = f32x4.splat(inv);
        // 4. out[d] = f32(f32(f32(Σ_j wq[j]·vq[j][d]) · sw) · (1/S)), 32, 8 then 1 dims per pass.
        const vh = base + vOff + <usize>h * vHeadB;
        const oh = orow + (<usize>(h * hs) << 2);
        const npairs = (n + 1) >> 1;
        const pairB = <usize>hs << 2;
        let d = 0;
        for (; d + 32 <= hs; d += 32) {
          let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
          let a4 = i32x4.splat(0), a5 = i32x4.splat(0), a6 = i32x4.splat(0), a7 = i32x4.splat(0);
          let vp = vh + (<usize>d << 2);
          for (let p = 0; p < npairs; p++) {
            const x = i32x4.splat(load<i32>(wq + (<usize>p << 2)));
            a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x, v128.load(vp)));
            a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x, v128.load(vp, 16)));
            a2 = i32x4.add(a2, i32x4.dot_i16x8_s(x, v128.load(vp, 32)));
            a3 = i32x4.add(a3, i32x4.dot_i16x8_s(x, v128.load(vp, 48)));
            a4 = i32x4.add(a4, i32x4.dot_i16x8_s(x, v128.load(vp, 64)));
            a5 = i32x4.add(a5, i32x4.dot_i16x8_s(x, v128.load(vp, 80)));
            a6 = i32x4.add(a6, i32x4.dot_i16x8_s(x, v128.load(vp, 96)));
            a7 = i32x4.add(a7, i32x4.dot_i16x8_s(x, v128.load(vp, 112)));
            vp += pairB;
          }
          const o = oh + (<usize>d << 2);
          v128.store(o, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a0), swv), iv));
          v128.store(o, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a1), swv), iv), 16);
          v128.store(o, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a2), swv), iv), 32);
          v128.store(o, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a3), swv), iv), 48);
          v128.store(o, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a4), swv), iv), 64);
          v128.store(o, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a5), swv), iv), 80);
          v128.store(o, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a6), swv), iv), 96);
          v128.store(o, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a7), swv), iv), 112);
        }
        for (; d + 8 <= hs; d += 8) {
          let a0 = i32x4.splat(0), a1 = i32x4.splat(0);
          let vp = vh + (<usize>d << 2);
          for (let p = 0; p < npairs; p++) {
            const x = i32x4.splat(load<i32>(wq + (<usize>p << 2)));
            a0 = i32x4.add(a0, i32x4.dot_i16x8_s(x, v128.load(vp)));
            a1 = i32x4.add(a1, i32x4.dot_i16x8_s(x, v128.load(vp, 16)));
            vp += pairB;
          }
          const o = oh + (<usize>d << 2);
          v128.store(o, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a0), swv), iv));
          v128.store(o, f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(a1), swv), iv), 16);
        }
        for (; d < hs; d++) {
          let a: i32 = 0;
          let vp = vh + (<usize>d << 2);
          for (j = 0; j < n; j++) {
            a += <i32>load<i16>(wq + (<usize>j << 1)) * <i32>load<i16>(vp + (<usize>(j >> 1)) * pairB + (<usize>(j & 1) << 1));
          }
          store<f32>(oh + (<usize>d << 2), (<f32>a * sw) * inv);
        }
      }
    }
  }
}

// ---- logits to frequency tables (lib/engine/FREQS.md) ----

/** For m rows of 256 logits at x, writes m tables of 256 u32 at out: reference.freqsFromLogits. */
export function freqs(x: usize, m: i32, out: usize): void {
  const u = memory.data(1024, 16);
  for (let r = 0; r < m; r++) {
    const xr = x + (<usize>r << 10);
    const orow = out + (<usize>r << 10);
    let mx = load<f32>(xr);
    for (let v = 1; v < 256; v++) {
      const l = load<f32>(xr + (<usize>v << 2));
      if (l > mx) mx = l;
    }
    const mv = f32x4.splat(mx);
    const scale = f32x4.splat(<f32>4194304); // 2^22
    let tv = i32x4.splat(0);
    for (let v = 0; v < 256; v += 4) {
      const o = <usize>v << 2;
      const e = expv(f32x4.sub(v128.load(xr + o), mv));
      const q = i32x4.trunc_sat_f32x4_s(f32x4.mul(e, scale));
      v128.store(u + o, q);
      tv = i32x4.add(tv, q);
    }
    const total = <u64>(i32x4.extract_lane(tv, 0) + i32x4.extract_lane(tv, 1) + i32x4.extract_lane(tv, 2) + i32x4.extract_lane(tv, 3));
    let best = 0;
    let bestU = load<i32>(u);
    let sum: u32 = 0;
    for (let v = 0; v < 256; v++) {
      const uv = load<i32>(u + (<usize>v << 2));
      if (uv > bestU) {
        bestU = uv;
        best = v;
      }
      const fv = <u32>1 + <u32>((<u64>uv * 65280) / total);
      store<u32>(orow + (<usize>v << 2), fv);
      sum += fv;
    }
    const bo = orow + (<usize>best << 2);
    store<u32>(bo, load<u32>(bo) + (<u32>65536 - sum));
  }
}
