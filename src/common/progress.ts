/** Progress events emitted by long-running drivers. Subscribe with the `onProgress` option. */
export type ProgressEvent =
  | {
      /** One Lloyd iteration of one K-Means run finished. */
      kind: 'iteration';
      k: number;
      /** 0-based index of the initialisation (run) among `nInit`. */
      run: number;
      nInit: number;
      /** 1-based iteration number. */
      iteration: number;
      maxIter: number;
      /** WCSS of the assignment made in this iteration (before the centre update). */
      wcss: number;
      /** Squared centre shift of this iteration (sum over centres). */
      shift: number;
      /** Rows that changed segment in this iteration. */
      changed: number;
    }
  | {
      /** A whole K-Means fit (best of nInit runs) finished. */
      kind: 'fit';
      k: number;
      wcss: number;
      iterations: number;
      converged: boolean;
      seconds: number;
    }
  | {
      /** The sweep finished one k. */
      kind: 'sweep-k';
      k: number;
      /** 1-based position of this k in the sweep, and the sweep's length. */
      index: number;
      total: number;
      wcss: number;
    }
  | {
      /** A named phase of a longer job (reading, scaling, merging…). */
      kind: 'phase';
      phase: string;
      detail?: string;
    };

/** A progress callback. It must not throw; it should return quickly. */
export type ProgressListener = (event: ProgressEvent) => void;
