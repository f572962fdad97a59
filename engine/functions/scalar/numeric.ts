import { compareSignedBytes } from '../../types/compare.js';
import { Decimal } from 'decimal.js';
import { FunctionError } from '../types.js';
import { BIGINT, DOUBLE, INTEGER } from '../../types/sql-type.js';
import type { SqlType } from '../../types/sql-type.js';
import { parseIsoTemporal } from './datetime.js';
import { ExactDecimal } from '../../types/decimal.js';
import { decimalArg, decimalType, defineScalar, int32, int64 } from './signature.js';
import type { BuildContext, BuiltinScalar, Variant } from './signature.js';

/** Numeric built-ins: ABS … TRUNC, with ksqlDB's overloads and Java semantics. */

const dbl = (fn: (x: number) => number): Variant => ({ params: ['DOUBLE'], returns: DOUBLE, fn });
const sameDecimal = (ctx: BuildContext): SqlType => ctx.types[0] ?? decimalType(10, 0);

/** Math.toRadians / toDegrees as Java computes them. */
const DEGREES_TO_RADIANS = 0.017453292519943295;
const RADIANS_TO_DEGREES = 57.29577951308232;

/** Java's Math.round(double) → long. */
export function javaRound(x: number): bigint {
  if (Number.isNaN(x)) return 0n;
  if (x >= 9.223372036854776e18) return 9223372036854775807n;
  if (x <= -9.223372036854776e18) return -9223372036854775808n;
  // JS Math.round rounds ties towards +Infinity, exactly like Java's
  return BigInt(Math.round(x));
}

/** ksqlDB rounds half up for positive and half down for negative values (Math.round's behaviour). */
function roundDecimal(v: Decimal, places: number): Decimal {
  return toPlaces(v, places, v.isNegative() ? Decimal.ROUND_HALF_DOWN : Decimal.ROUND_HALF_UP);
}

function truncDecimal(v: Decimal, places: number): Decimal {
  return toPlaces(v, places, Decimal.ROUND_DOWN);
}

/**
 * BigDecimal.setScale(places, mode): exact at any number of digits (negative places
 * round to tens, hundreds, ...), never through a double or a 20-digit context.
 */
function toPlaces(v: Decimal, places: number, mode: Decimal.Rounding): Decimal {
  if (places >= 0) return new Decimal(new ExactDecimal(v).toDecimalPlaces(places, mode));
  const f = new ExactDecimal(10).pow(-places);
  return new Decimal(new ExactDecimal(v).div(f).toDecimalPlaces(0, mode).times(f));
}

/** keep the declared scale of a DECIMAL result */
function atScale(v: Decimal, scale: number): Decimal {
  return v.toDecimalPlaces(scale, Decimal.ROUND_HALF_UP);
}

function doubleToDecimal(x: number): Decimal {
  return new Decimal(String(x));
}

function roundDouble(x: number, places: number): number {
  if (!Number.isFinite(x)) return x;
  return roundDecimal(doubleToDecimal(x), places).toNumber();
}

function truncDouble(x: number, places: number): number {
  if (!Number.isFinite(x)) return x;
  return truncDecimal(doubleToDecimal(x), places).toNumber();
}


// eslint-disable-next-line @typescript-eslint/no-explicit-any -- comparators are chosen by SQL type at resolve time
type Cmp = (a: any, b: any) => number;
const cmpNum: Cmp = (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0);
const cmpDec: Cmp = (a: Decimal, b: Decimal) => a.comparedTo(b);
const cmpStr: Cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function extreme(sign: 1 | -1, cmp: Cmp) {
  return (...vals: unknown[]): unknown => {
    let best: unknown = null;
    for (const v of vals) {
      if (v === null || v === undefined) continue;
      if (typeof v === 'number' && Number.isNaN(v)) continue;
      if (best === null || cmp(v, best) * sign > 0) best = v;
    }
    return best;
  };
}

function widestDecimal(ctx: BuildContext): SqlType {
  let intDigits = 1;
  let scale = 0;
  for (const t of ctx.types) {
    if (t && t.kind === 'DECIMAL') {
      intDigits = Math.max(intDigits, t.precision - t.scale);
      scale = Math.max(scale, t.scale);
    }
  }
  return decimalType(intDigits + scale, scale);
}

/**
 * ksqlDB coerces string literals to DATE / TIME / TIMESTAMP when compared with
 * such values (GREATEST(d1, d2, '2022-06-14')).
 */
function withTemporalLiterals(fn: BuiltinScalar): BuiltinScalar {
  return {
    ...fn,
    resolve: (args) => {
      const temporal = args.find((a) => a.type && (a.type.kind === 'DATE' || a.type.kind === 'TIME' || a.type.kind === 'TIMESTAMP'))?.type;
      const lits = args.map((a, i) => (a.type?.kind === 'STRING' && typeof a.literal === 'string' ? i : -1)).filter((i) => i >= 0);
      if (!temporal || lits.length === 0) return fn.resolve(args);
      const kind = temporal.kind as 'DATE' | 'TIME' | 'TIMESTAMP';
      const impl = fn.resolve(args.map((a, i) => (lits.includes(i) ? { ...a, type: temporal, literal: parseIsoTemporal(kind, a.literal as string) } : a)));
      return {
        ...impl,
        invoke: (...vals: unknown[]) => impl.invoke(...vals.map((v, i) => (lits.includes(i) && typeof v === 'string' ? parseIsoTemporal(kind, v) : v))),
      };
    },
  };
}

function greatestLeast(name: string, sign: 1 | -1): BuiltinScalar {
  const v = (param: string, returns: SqlType | ((c: BuildContext) => SqlType), cmp: Cmp, post?: (x: unknown, c: BuildContext) => unknown): Variant => ({
    params: [param],
    variadic: true,
    returns,
    nullSafe: true,
    build: (ctx) => {
      const f = extreme(sign, cmp);
      if (!post) return f;
      return (...xs: unknown[]) => {
        const r = f(...xs);
        return r === null ? null : post(r, ctx);
      };
    },
    accept: (ctx) => ctx.args.length > 0,
  });
  return withTemporalLiterals(defineScalar({
    name,
    description: `Returns the ${sign > 0 ? 'highest' : 'lowest'} non-null value among a variable number of comparable columns.`,
    variants: [
      v('INT', INTEGER, cmpNum),
      v('BIGINT', BIGINT, cmpNum),
      v('DOUBLE', DOUBLE, cmpNum),
      v('DECIMAL', widestDecimal, cmpDec, (x, c) => atScale(x as Decimal, (widestDecimal(c) as { scale: number }).scale)),
      v('STRING', { kind: 'STRING' }, cmpStr),
      v('BYTES', { kind: 'BYTES' }, compareSignedBytes as Cmp),
      v('DATE', { kind: 'DATE' }, cmpNum),
      v('TIME', { kind: 'TIME' }, cmpNum),
      v('TIMESTAMP', { kind: 'TIMESTAMP' }, cmpNum),
    ],
  }));
}

/** Math.toRadians as JDK 8 computes it (`deg / 180 * PI`), which ksqlDB's expected distances were produced with. */
function jdk8Radians(deg: number): number {
  return (deg / 180.0) * Math.PI;
}

/** ksqlDB's GeoDistance: haversine with asin; a null unit means kilometres, a null coordinate a null result. */
/**
 * Java's Math.log: V8's log is off by an ulp where Java's is correctly rounded
 * (ln 3), so finite positive arguments go through an exact logarithm.
 */
const LN_CONTEXT = Decimal.clone({ precision: 40 });
function javaLog(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return Math.log(x);
  return new LN_CONTEXT(x).ln().toNumber();
}

function geoDistance(lat1: number | null, lon1: number | null, lat2: number | null, lon2: number | null, units?: string | null): number | null {
  if (lat1 === null || lon1 === null || lat2 === null || lon2 === null) return null;
  let radius = 6371;
  if (units !== undefined && units !== null) {
    const u = units.toLowerCase();
    if (u.startsWith('mi')) radius = 3959;
    else if (u.startsWith('km')) radius = 6371;
    else throw new FunctionError("GeoDistance function units parameter must be one of 'MI', 'MILES', 'KM', 'KILOMETERS'");
  }
  for (const [lat, lon] of [
    [lat1, lon1],
    [lat2, lon2],
  ] as const) {
    if (lat < -90 || lat > 90) throw new FunctionError('valid latitude values for GeoDistance function are in the range of -90 to 90 decimal degrees');
    if (lon < -180 || lon > 180) throw new FunctionError('valid longitude values for GeoDistance function are in the range of -180 to +180 decimal degrees');
  }
  const dLat = jdk8Radians(lat2 - lat1);
  const dLon = jdk8Radians(lon2 - lon1);
  const a = Math.pow(Math.sin(dLat / 2), 2) + Math.pow(Math.sin(dLon / 2), 2) * Math.cos(jdk8Radians(lat1)) * Math.cos(jdk8Radians(lat2));
  return 2 * Math.asin(Math.sqrt(a)) * radius;
}

function seriesNumbers(start: number, end: number, step: number): number[] {
  if (step === 0) throw new FunctionError('GENERATE_SERIES step cannot be zero');
  const out: number[] = [];
  if (start <= end ? step < 0 : step > 0) {
    throw new FunctionError('GENERATE_SERIES step has wrong sign');
  }
  for (let x = start; step > 0 ? x <= end : x >= end; x += step) out.push(x);
  return out;
}

function seriesBig(start: bigint, end: bigint, step: bigint): bigint[] {
  if (step === 0n) throw new FunctionError('GENERATE_SERIES step cannot be zero');
  if (start <= end ? step < 0n : step > 0n) throw new FunctionError('GENERATE_SERIES step has wrong sign');
  const out: bigint[] = [];
  for (let x = start; step > 0n ? x <= end : x >= end; x += step) out.push(x);
  return out;
}

const signOf = (x: number | bigint | Decimal): number => {
  if (x instanceof Decimal) return x.isZero() ? 0 : x.isNegative() ? -1 : 1;
  if (typeof x === 'bigint') return x === 0n ? 0 : x < 0n ? -1 : 1;
  return Number.isNaN(x) ? 0 : x === 0 ? 0 : x < 0 ? -1 : 1;
};

export function numericFunctions(): BuiltinScalar[] {
  return [
    defineScalar({
      name: 'ABS',
      description: 'Returns the absolute value of its argument.',
      variants: [
        { params: ['INT'], returns: INTEGER, fn: (x: number) => int32(Math.abs(x)) },
        { params: ['BIGINT'], returns: BIGINT, fn: (x: bigint) => int64(x < 0n ? -x : x) },
        { params: ['DOUBLE'], returns: DOUBLE, fn: Math.abs },
        { params: ['DECIMAL'], returns: sameDecimal, fn: (x: Decimal) => x.abs() },
      ],
    }),
    defineScalar({ name: 'ACOS', description: 'Returns the inverse (arc) cosine of an INT, BIGINT, or DOUBLE value.', variants: [dbl(Math.acos)] }),
    defineScalar({ name: 'ASIN', description: 'Returns the inverse (arc) sine of an INT, BIGINT, or DOUBLE value.', variants: [dbl(Math.asin)] }),
    defineScalar({ name: 'ATAN', description: 'Returns the inverse (arc) tangent of an INT, BIGINT, or DOUBLE value.', variants: [dbl(Math.atan)] }),
    defineScalar({
      name: 'ATAN2',
      description: 'Returns the inverse (arc) tangent of y / x.',
      variants: [{ params: ['DOUBLE', 'DOUBLE'], returns: DOUBLE, fn: Math.atan2 }],
    }),
    defineScalar({ name: 'CBRT', description: 'Returns the cube root of an INT, BIGINT, or DOUBLE value.', variants: [dbl(Math.cbrt)] }),
    defineScalar({
      name: 'CEIL',
      description: 'Returns the smallest integer value that is greater than or equal to the argument.',
      variants: [
        { params: ['INT'], returns: INTEGER, fn: (x: number) => x },
        { params: ['BIGINT'], returns: BIGINT, fn: (x: bigint) => x },
        { params: ['DOUBLE'], returns: DOUBLE, fn: Math.ceil },
        { params: ['DECIMAL'], returns: sameDecimal, build: (c) => (x: Decimal) => atScale(x.toDecimalPlaces(0, Decimal.ROUND_CEIL), decimalArg(c, 0).scale) },
      ],
    }),
    defineScalar({ name: 'COS', description: 'Returns the cosine of an INT, BIGINT, or DOUBLE value.', variants: [dbl(Math.cos)] }),
    defineScalar({ name: 'COSH', description: 'Returns the hyperbolic cosine of an INT, BIGINT, or DOUBLE value.', variants: [dbl(Math.cosh)] }),
    defineScalar({ name: 'COT', description: 'Returns the cotangent of an INT, BIGINT, or DOUBLE value.', variants: [dbl((x) => 1 / Math.tan(x))] }),
    defineScalar({ name: 'DEGREES', description: 'Converts radians to degrees.', variants: [dbl((x) => x * RADIANS_TO_DEGREES)] }),
    defineScalar({ name: 'EXP', description: "Returns Euler's number e raised to the power of the argument.", variants: [dbl(Math.exp)] }),
    defineScalar({
      name: 'FLOOR',
      description: 'Returns the largest integer value that is less than or equal to the argument.',
      variants: [
        { params: ['INT'], returns: INTEGER, fn: (x: number) => x },
        { params: ['BIGINT'], returns: BIGINT, fn: (x: bigint) => x },
        { params: ['DOUBLE'], returns: DOUBLE, fn: Math.floor },
        { params: ['DECIMAL'], returns: sameDecimal, build: (c) => (x: Decimal) => atScale(x.toDecimalPlaces(0, Decimal.ROUND_FLOOR), decimalArg(c, 0).scale) },
      ],
    }),
    defineScalar({
      name: 'GENERATE_SERIES',
      description: 'Constructs an array of values between start and end (inclusive), with an optional step.',
      variants: [
        { params: ['INT', 'INT'], returns: { kind: 'ARRAY', element: INTEGER }, fn: (a: number, b: number) => seriesNumbers(a, b, a <= b ? 1 : -1) },
        { params: ['INT', 'INT', 'INT'], returns: { kind: 'ARRAY', element: INTEGER }, fn: seriesNumbers },
        { params: ['BIGINT', 'BIGINT'], returns: { kind: 'ARRAY', element: BIGINT }, fn: (a: bigint, b: bigint) => seriesBig(a, b, a <= b ? 1n : -1n) },
        { params: ['BIGINT', 'BIGINT', 'INT'], returns: { kind: 'ARRAY', element: BIGINT }, fn: (a: bigint, b: bigint, s: number) => seriesBig(a, b, BigInt(s)) },
      ],
    }),
    defineScalar({
      name: 'GEO_DISTANCE',
      description: 'Computes the great-circle distance between two lat-long points, in kilometers (default) or miles.',
      variants: [
        { params: ['DOUBLE', 'DOUBLE', 'DOUBLE', 'DOUBLE'], returns: DOUBLE, fn: geoDistance },
        { params: ['DOUBLE', 'DOUBLE', 'DOUBLE', 'DOUBLE', 'STRING'], returns: DOUBLE, fn: geoDistance, nullSafe: true },
      ],
    }),
    greatestLeast('GREATEST', 1),
    greatestLeast('LEAST', -1),
    defineScalar({ name: 'LN', description: 'Returns the natural logarithm of the argument.', variants: [dbl(javaLog)] }),
    defineScalar({
      name: 'LOG',
      description: 'Returns the natural logarithm of the value, or the logarithm in the given base.',
      variants: [
        dbl(javaLog),
        {
          params: ['DOUBLE', 'DOUBLE'],
          returns: DOUBLE,
          fn: (base: number, value: number) => {
            if (base <= 0 || base === 1 || Number.isNaN(base) || value < 0 || Number.isNaN(value)) return NaN;
            if (value === 0) return -Infinity;
            return Math.log(value) / Math.log(base);
          },
        },
      ],
    }),
    defineScalar({ name: 'PI', description: 'Returns the value of pi.', variants: [{ params: [], returns: DOUBLE, fn: () => Math.PI }] }),
    defineScalar({
      name: 'POWER',
      description: 'Returns the base raised to the power of the exponent.',
      variants: [{ params: ['DOUBLE', 'DOUBLE'], returns: DOUBLE, fn: Math.pow }],
    }),
    defineScalar({ name: 'RADIANS', description: 'Converts degrees to radians.', variants: [dbl((x) => x * DEGREES_TO_RADIANS)] }),
    defineScalar({
      name: 'RANDOM',
      description: 'Returns a random DOUBLE value between 0.0 and 1.0.',
      variants: [{ params: [], returns: DOUBLE, fn: () => Math.random(), volatile: true }],
    }),
    defineScalar({
      name: 'ROUND',
      description: 'Rounds a value to the given number of decimal places (default 0), rounding half up.',
      variants: [
        { params: ['INT'], returns: INTEGER, fn: (x: number) => x },
        { params: ['BIGINT'], returns: BIGINT, fn: (x: bigint) => x },
        { params: ['DOUBLE'], returns: BIGINT, fn: javaRound },
        { params: ['DOUBLE', 'INT'], returns: DOUBLE, fn: roundDouble },
        {
          params: ['DECIMAL'],
          returns: (c) => decimalType(decimalArg(c, 0).precision - decimalArg(c, 0).scale, 0),
          fn: (x: Decimal) => roundDecimal(x, 0),
        },
        {
          params: ['DECIMAL', 'INT'],
          returns: sameDecimal,
          build: (c) => (x: Decimal, n: number) => atScale(roundDecimal(x, n), decimalArg(c, 0).scale),
        },
      ],
    }),
    defineScalar({
      name: 'SIGN',
      description: 'Returns the sign of the argument: -1 if negative, 0 if zero, 1 if positive.',
      variants: ['INT', 'BIGINT', 'DOUBLE', 'DECIMAL'].map((p) => ({ params: [p], returns: INTEGER, fn: signOf })),
    }),
    defineScalar({ name: 'SIN', description: 'Returns the sine of an INT, BIGINT, or DOUBLE value.', variants: [dbl(Math.sin)] }),
    defineScalar({ name: 'SINH', description: 'Returns the hyperbolic sine of an INT, BIGINT, or DOUBLE value.', variants: [dbl(Math.sinh)] }),
    defineScalar({ name: 'SQRT', description: 'Returns the square root of the argument.', variants: [dbl(Math.sqrt)] }),
    defineScalar({ name: 'TAN', description: 'Returns the tangent of an INT, BIGINT, or DOUBLE value.', variants: [dbl(Math.tan)] }),
    defineScalar({ name: 'TANH', description: 'Returns the hyperbolic tangent of an INT, BIGINT, or DOUBLE value.', variants: [dbl(Math.tanh)] }),
    defineScalar({
      name: 'TRUNC',
      description: 'Truncates a value to the given number of decimal places (default 0).',
      variants: [
        { params: ['INT'], returns: INTEGER, fn: (x: number) => x },
        { params: ['BIGINT'], returns: BIGINT, fn: (x: bigint) => x },
        { params: ['DOUBLE'], returns: BIGINT, fn: (x: number) => (Number.isFinite(x) ? BigInt(Math.trunc(x)) : javaRound(x)) },
        { params: ['DOUBLE', 'INT'], returns: DOUBLE, fn: truncDouble },
        {
          params: ['DECIMAL'],
          returns: (c) => decimalType(decimalArg(c, 0).precision - decimalArg(c, 0).scale, 0),
          fn: (x: Decimal) => truncDecimal(x, 0),
        },
        {
          params: ['DECIMAL', 'INT'],
          returns: sameDecimal,
          build: (c) => (x: Decimal, n: number) => atScale(truncDecimal(x, n), decimalArg(c, 0).scale),
        },
      ],
    }),
  ];
}
