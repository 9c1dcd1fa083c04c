/** `rows` deterministic unit vectors of `dimensions` (a linear congruential sequence from `seed`), so a failure repeats. */
export function unitVectors(rows: number, dimensions: number, seed: number): Float32Array {
  let state = seed;
  const next = () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648 - 0.5;
  };
  const out = new Float32Array(rows * dimensions);
  for (let row = 0; row < rows; row++) {
    const v = out.subarray(row * dimensions, (row + 1) * dimensions);
    for (let d = 0; d < dimensions; d++) v[d] = next();
    const norm = Math.hypot(...v);
    for (let d = 0; d < dimensions; d++) v[d]! /= norm;
  }
  return out;
}
