// Test helper shared by the fuzz-style unit tests (not exported from the package).

/**
 * A reproducible pseudo-random source (the classic C rand LCG): each call returns an integer in
 * [0, n). The same seed gives the same sequence, so a failing fuzz input can be replayed.
 */
export function seededRandom(seed: number): (n: number) => number {
  let state = seed;
  return (n: number): number => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state % n;
  };
}
