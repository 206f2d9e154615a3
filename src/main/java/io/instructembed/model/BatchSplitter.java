package io.instructembed.model;

import java.util.Arrays;
import java.util.function.Predicate;

/**
 * Runs the planned batches of one round so that a bad text fails only the jobs that own it. Texts
 * of several jobs (a query, a bulk's documents, an {@code _embed} call) share each inference call;
 * when a call fails in a way that fewer rows can cure, each half of its rows runs again separately,
 * recursively, down to single texts. Every other text of the batch then gets its vector, and a text
 * that fails alone fails its job with that text's own error.
 *
 * <p>Bound: the calls for one batch of n rows form a binary tree whose leaves are at most its n
 * rows, so a batch costs at most 2n - 1 calls (with {@code batch.max_size} 32, at most 63), and one
 * bad text among n costs about 2 log2(n) more. Rows of a job that has already failed are left out
 * of later calls (the job fails at its first bad text, so its other texts need not run), which only
 * lowers that count. All calls run on the worker's inference thread, like any batch.
 */
final class BatchSplitter {
    /** One inference call over the named rows of the round, writing their results in place. */
    interface Call {
        void run(int[] rows) throws Exception;
    }

    private final Call call;
    private final Predicate<Exception> worthSplitting;
    private final Runnable betweenRetries;
    private final int[] owners;
    private final Exception[] failures;

    /**
     * @param worthSplitting whether a failed call should be run again in halves; when not, the
     *                       failure is thrown to the caller, which fails the whole round with it
     * @param betweenRetries runs before each retry (waiting queries, so they never wait for a whole bisection)
     * @param owners         the owner of each row of the round: its job, or its group within a grouped job
     * @param failures       per owner, the error of its first bad text; written here, null while it may succeed
     */
    BatchSplitter(Call call, Predicate<Exception> worthSplitting, Runnable betweenRetries, int[] owners, Exception[] failures) {
        this.call = call;
        this.worthSplitting = worthSplitting;
        this.betweenRetries = betweenRetries;
        this.owners = owners;
        this.failures = failures;
    }

    /** Runs {@code rows}, splitting on failure; throws only a failure not worth splitting. */
    void run(int[] rows) throws Exception {
        int[] live = withoutFailedJobs(rows);
        if (live.length == 0) {
            return;
        }
        try {
            call.run(live);
        } catch (Exception e) {
            if (worthSplitting.test(e) == false) {
                throw e;
            }
            if (live.length == 1) {
                int owner = owners[live[0]];
                if (failures[owner] == null) {
                    failures[owner] = e;
                }
                return;
            }
            // halves of a length-sorted batch: each stays about as well packed as the batch was
            int half = live.length / 2;
            betweenRetries.run();
            run(Arrays.copyOfRange(live, 0, half));
            betweenRetries.run();
            run(Arrays.copyOfRange(live, half, live.length));
        }
    }

    private int[] withoutFailedJobs(int[] rows) {
        int kept = 0;
        int[] live = new int[rows.length];
        for (int row : rows) {
            if (failures[owners[row]] == null) {
                live[kept++] = row;
            }
        }
        return kept == rows.length ? rows : Arrays.copyOf(live, kept);
    }
}
