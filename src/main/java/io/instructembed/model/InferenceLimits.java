package io.instructembed.model;

/**
 * The scheduling limits that may change while models run (dynamic cluster settings): schedulers
 * and slots read them at each use, so an update applies to the next job without a reload.
 */
public final class InferenceLimits {
    private volatile int maxQueuedTexts;
    private volatile long maxWaitNanos;

    /**
     * @param maxQueuedTexts texts that may wait in one model's queue (and, separately, for its load)
     * @param maxWaitNanos   how long a worker may hold a small batch of documents for more (0: never)
     */
    public InferenceLimits(int maxQueuedTexts, long maxWaitNanos) {
        this.maxQueuedTexts = maxQueuedTexts;
        this.maxWaitNanos = maxWaitNanos;
    }

    public int maxQueuedTexts() {
        return maxQueuedTexts;
    }

    public long maxWaitNanos() {
        return maxWaitNanos;
    }

    public void setMaxQueuedTexts(int maxQueuedTexts) {
        this.maxQueuedTexts = maxQueuedTexts;
    }

    public void setMaxWaitNanos(long maxWaitNanos) {
        this.maxWaitNanos = maxWaitNanos;
    }
}
