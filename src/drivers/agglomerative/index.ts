/**
 * Agglomerative clustering: exact (NN-chain / MST over the backends'
 * pairwise-distance kernel) and two-stage (K-Means micro-clusters + weighted
 * linkage), with scipy-style merge trees, flat cuts and dendrogram tops.
 */
export { fitAgglomerative, weightedCentroidDistances, WARD_MATRIX_MAX_ROWS } from './fit-agglomerative.js';
export type { ExactMethod, AgglomerativeMode, AgglomerativeOptions, AgglomerativeResult, AgglomerativeSettings, MicroClusters } from './fit-agglomerative.js';
export { LINKAGES, parseLinkage, cutTree, clustersAtThreshold, dendrogramTop, linkageRows, sortAndRelabel, relabelMerges } from './linkage-tree.js';
export type { Linkage, LinkageTree, MergeStep, DendrogramTop, DendrogramLeaf } from './linkage-tree.js';
export { nnChainMerges, mstSingleMerges } from './merge-algorithms.js';
export type { MergeLoopOptions } from './merge-algorithms.js';
export { matrixFreeMerges } from './matrix-free-linkage.js';
export type { MatrixFreeLinkage } from './matrix-free-linkage.js';
export { computeCondensedDistances, condensedIndex, condensedLength, condensedBytes } from './condensed-distances.js';
export { compareClusterings } from './compare-clusterings.js';
export type { ClusteringComparison, MethodComparison } from './compare-clusterings.js';
