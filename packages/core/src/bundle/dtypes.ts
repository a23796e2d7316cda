/**
 * TensorFlow `DataType` values (tensorflow/core/framework/types.proto) and the facts the bundle
 * format needs about them: the name, and the bytes per element of the types stored raw.
 */

/** `[enum value, name, bytes per element or 0 when not stored raw]`. */
const TABLE: ReadonlyArray<readonly [number, string, number]> = [
  [0, 'DT_INVALID', 0],
  [1, 'DT_FLOAT', 4],
  [2, 'DT_DOUBLE', 8],
  [3, 'DT_INT32', 4],
  [4, 'DT_UINT8', 1],
  [5, 'DT_INT16', 2],
  [6, 'DT_INT8', 1],
  [7, 'DT_STRING', 0],
  [8, 'DT_COMPLEX64', 8],
  [9, 'DT_INT64', 8],
  [10, 'DT_BOOL', 1],
  [11, 'DT_QINT8', 1],
  [12, 'DT_QUINT8', 1],
  [13, 'DT_QINT32', 4],
  [14, 'DT_BFLOAT16', 2],
  [15, 'DT_QINT16', 2],
  [16, 'DT_QUINT16', 2],
  [17, 'DT_UINT16', 2],
  [18, 'DT_COMPLEX128', 16],
  [19, 'DT_HALF', 2],
  [20, 'DT_RESOURCE', 0],
  [21, 'DT_VARIANT', 0],
  [22, 'DT_UINT32', 4],
  [23, 'DT_UINT64', 8],
  [24, 'DT_FLOAT8_E5M2', 1],
  [25, 'DT_FLOAT8_E4M3FN', 1],
  [26, 'DT_FLOAT8_E4M3FNUZ', 1],
  [27, 'DT_FLOAT8_E4M3B11FNUZ', 1],
  [28, 'DT_FLOAT8_E5M2FNUZ', 1],
  // Sub-byte types: packing differs between TensorFlow versions, so no size is claimed.
  [29, 'DT_INT4', 0],
  [30, 'DT_UINT4', 0],
  [31, 'DT_INT2', 0],
  [32, 'DT_UINT2', 0],
];

const BY_VALUE = new Map<number, { name: string; size: number }>();
const BY_NAME = new Map<string, number>();
for (const [value, name, size] of TABLE) {
  BY_VALUE.set(value, { name, size });
  BY_NAME.set(name, value);
  if (value > 0) {
    // The *_REF variants (value + 100) of TF1 reference variables have the same layout.
    BY_VALUE.set(value + 100, { name: `${name}_REF`, size });
    BY_NAME.set(`${name}_REF`, value + 100);
  }
}

export const DT_STRING = 7;
export const DT_VARIANT = 21;

/** The enum name (`DT_FLOAT`, ...); unknown values render as `DT_UNKNOWN_<n>` so nothing is lost. */
export function dtypeName(value: number): string {
  return BY_VALUE.get(value)?.name ?? `DT_UNKNOWN_${value}`;
}

/** The enum value of a name as {@link dtypeName} returns it, or `undefined` for an unknown name. */
export function dtypeValue(name: string): number | undefined {
  const known = BY_NAME.get(name);
  if (known !== undefined) return known;
  const m = /^DT_UNKNOWN_(\d+)$/.exec(name);
  return m ? Number(m[1]) : undefined;
}

/** The base type of a `*_REF` type (value - 100); other values unchanged. */
export function baseDtype(value: number): number {
  return value > 100 && value <= 200 ? value - 100 : value;
}

/**
 * Bytes per element for types TensorFlow stores as raw memory (numbers, bool, half, bfloat16,
 * complex, quantized, float8), or `undefined` for strings, variants, resources, sub-byte and
 * unknown types.
 */
export function dtypeSize(value: number): number | undefined {
  const size = BY_VALUE.get(value)?.size;
  return size === undefined || size === 0 ? undefined : size;
}

/** How a tensor of this type is laid out in a data shard (format doc §4.3). */
export function dtypeLayout(value: number): 'raw' | 'string' | 'variant' {
  const base = baseDtype(value);
  if (base === DT_STRING) return 'string';
  if (base === DT_VARIANT) return 'variant';
  return 'raw';
}
