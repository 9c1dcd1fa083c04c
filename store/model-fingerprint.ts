import type { ModelFingerprint } from './manifest.js';

/**
 * What says which weights made an index's vectors. `dtype` is not among them: it only chooses
 * which ONNX file is loaded, and that file's sha256 is compared.
 */
const IDENTITY = ['id', 'dimensions', 'fileSha256'] as const;
type IdentityField = (typeof IDENTITY)[number];

/** What is known of a model now; a field not known yet (no model loaded, file not hashed) is not compared. */
export type KnownModel = Partial<Pick<ModelFingerprint, IdentityField>>;

/** One way the model that built an index differs from the model known now. */
export type FingerprintDifference = { [F in IdentityField]: { field: F; built: ModelFingerprint[F]; current: ModelFingerprint[F] } }[IdentityField];

/**
 * The one comparison of model fingerprints: how `current` differs from `built`, in a fixed order
 * (id, dimensions, file sha256); empty when they agree on every field `current` knows.
 */
export function fingerprintDifferences(built: ModelFingerprint, current: KnownModel): FingerprintDifference[] {
  const differences: FingerprintDifference[] = [];
  for (const field of IDENTITY) {
    const now = current[field];
    if (now !== undefined && now !== built[field]) differences.push({ field, built: built[field], current: now } as FingerprintDifference);
  }
  return differences;
}

/** Whether two indexes' vectors came from the same model; two lexical-only indexes (null) agree. */
export function sameModel(a: ModelFingerprint | null, b: ModelFingerprint | null): boolean {
  if (!a || !b) return a === b;
  return fingerprintDifferences(a, b).length === 0;
}

/** A difference as the refusal to serve an index says it (ManifestMismatchError). */
export function describeDifference(difference: FingerprintDifference): string {
  switch (difference.field) {
    case 'id':
      return `model ${difference.built} in the index, ${difference.current} configured`;
    case 'dimensions':
      return `${difference.built} dimensions in the index, ${difference.current} from the model`;
    case 'fileSha256':
      return `model file sha256 ${difference.built.slice(0, 12)}… in the index, ${difference.current.slice(0, 12)}… on disk`;
  }
}
