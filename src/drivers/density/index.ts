/**
 * Density-based clustering: DBSCAN with scikit-learn's labels (grid or
 * pairwise-kernel neighbour search), HDBSCAN with the Python `hdbscan`
 * package's clusters and GLOSH outlier scores, and the k-distance curve that
 * helps choose DBSCAN's eps.
 */
export { fitDbscan, validateDensityRadius, GRID_MAX_DIMS } from './dbscan.js';
export type { DbscanOptions, DbscanResult, NeighbourSearch } from './dbscan.js';
export { fitHdbscan, numpyArgsort } from './hdbscan.js';
export type { HdbscanOptions, HdbscanResult, CondensedTree } from './hdbscan.js';
export { kDistanceCurve, kthNeighbourDistances } from './k-distance.js';
export type { KDistanceOptions, KDistanceCurve } from './k-distance.js';
