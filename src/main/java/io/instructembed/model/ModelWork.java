package io.instructembed.model;

/**
 * Work for one model that may have to wait for it to be loaded: an embedding job, a chunking job,
 * or an explicit load. A {@link ModelSlot} hands it to the loaded model's scheduler, or keeps it
 * until the model is loaded, or fails it; it is answered exactly once either way.
 */
interface ModelWork {
    /** Texts it carries, counted against the queue limit while it waits. */
    int texts();

    /**
     * Hands the work to a loaded model's scheduler. False, without answering, when that scheduler
     * no longer takes work (the model started draining): the slot then keeps it for the next load.
     */
    boolean offer(BatchScheduler scheduler);

    /** Answers the work with a failure. */
    void fail(Exception e);
}
