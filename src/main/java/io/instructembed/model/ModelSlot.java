package io.instructembed.model;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.core.concurrency.OpenSearchRejectedExecutionException;
import org.opensearch.core.rest.RestStatus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.IntSupplier;

/**
 * One model's place on this node: its lifecycle state and the work waiting for it, behind one lock.
 * Work that finds the model loaded goes straight to its scheduler; work that finds it loading or
 * draining waits here (bounded by the queue limit) and goes to the next loaded scheduler; work that
 * finds it not loaded (or failed) starts a load. Nothing is answered with a half-built state.
 */
final class ModelSlot {
    private static final Logger logger = LogManager.getLogger(ModelSlot.class);

    /** What the service does for a slot: open a model off the caller's thread, and free one. */
    interface Host {
        /** Starts loading on the inference pool; ends in {@link #loaded} or {@link #loadFailed}. */
        void startLoad(ModelSlot slot);

        /** Closes an unloaded model and gives its memory back to the circuit breaker. */
        void release(ModelState unloaded);
    }

    private final String modelId;
    private final Host host;
    private final IntSupplier maxWaitingTexts;

    /** Written only under {@code this}; volatile so status reads need no lock. */
    private volatile ModelState state = ModelState.NOT_LOADED;
    private final ArrayDeque<ModelWork> waiting = new ArrayDeque<>();
    private int waitingTexts;
    private boolean closed;

    ModelSlot(String modelId, Host host, IntSupplier maxWaitingTexts) {
        this.modelId = modelId;
        this.host = host;
        this.maxWaitingTexts = maxWaitingTexts;
    }

    String modelId() {
        return modelId;
    }

    ModelState state() {
        return state;
    }

    /** Texts waiting for the model to be loaded (not yet in a scheduler's queue). */
    synchronized int waitingTexts() {
        return waitingTexts;
    }

    /** Runs {@code work} on the loaded model, loading it first when needed; answers it exactly once. */
    void submit(ModelWork work) {
        while (true) {
            BatchScheduler target = null;
            Exception refusal = null;
            boolean load = false;
            synchronized (this) {
                ModelState current = state;
                if (closed) {
                    refusal = shuttingDown();
                } else if (current.phase() == LoadState.LOADED) {
                    target = current.scheduler();
                } else if (waitingTexts > 0 && waitingTexts + work.texts() > maxWaitingTexts.getAsInt()) {
                    refusal = new OpenSearchRejectedExecutionException(
                        "model [" + modelId + "] is " + current.phase().jsonName() + " and " + waitingTexts + " texts already wait for it (limit "
                            + maxWaitingTexts.getAsInt() + "); retry later"
                    );
                } else {
                    waiting.addLast(work);
                    waitingTexts += work.texts();
                    if (current.phase() == LoadState.NOT_LOADED || current.phase() == LoadState.FAILED) {
                        state = ModelState.LOADING;
                        load = true;
                    }
                }
            }
            if (refusal != null) {
                work.fail(refusal);
                return;
            }
            if (target == null) {
                if (load) {
                    host.startLoad(this);
                }
                return;
            }
            if (work.offer(target)) {
                return;
            }
            // the scheduler closed between our read and the offer: the slot is draining now, so the
            // next round keeps the work for the reload
        }
    }

    /** A load finished: publish the model, then hand it the work that waited. */
    void loaded(ModelState loaded) {
        List<ModelWork> ready;
        synchronized (this) {
            if (closed) {
                ready = null;
            } else {
                state = loaded;
                ready = takeWaiting();
                notifyAll();
            }
        }
        if (ready == null) {  // the service closed while the model loaded: nothing may use it
            host.release(loaded);
            return;
        }
        logger.info("loaded model [{}] on {} in {} ms", modelId, loaded.model().device(), loaded.loadMillis());
        for (ModelWork work : ready) {
            if (work.offer(loaded.scheduler()) == false) {
                submit(work);  // an unload already started: wait for the next load
            }
        }
    }

    /** A load failed or was refused: record why, and fail the work that waited for it. */
    void loadFailed(ModelState failed, Exception cause) {
        List<ModelWork> failedWork;
        synchronized (this) {
            state = failed;
            failedWork = takeWaiting();
            notifyAll();
        }
        for (ModelWork work : failedWork) {
            work.fail(cause);
        }
    }

    /**
     * Unloads the model once its queued and running work is done; work arriving meanwhile waits for
     * the next load (which starts as soon as the drain ends if any work waits). Waits for a load or
     * another unload in progress first. Blocks up to {@code timeout}: call from a thread that may wait.
     *
     * @return false when a load or another unload did not end in time (nothing was changed then)
     */
    boolean unload(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        ModelState draining;
        synchronized (this) {
            while (state.phase() == LoadState.LOADING || state.phase() == LoadState.DRAINING) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            if (state.phase() != LoadState.LOADED || closed) {
                return true;
            }
            draining = state.draining();
            state = draining;
        }
        long left = Math.max(0, deadline - System.nanoTime());
        if (draining.scheduler().closeAndDrain(left, TimeUnit.NANOSECONDS) == false) {
            int failed = draining.scheduler().failQueued(
                new OpenSearchStatusException("model [{}] was unloaded before this work could run", RestStatus.SERVICE_UNAVAILABLE, modelId)
            );
            logger.warn("model [{}] still had work after {} {}: failed {} queued jobs, unloading anyway", modelId, timeout, unit, failed);
        }
        host.release(draining);
        boolean reload;
        synchronized (this) {
            reload = waiting.isEmpty() == false && closed == false;
            state = reload ? ModelState.LOADING : ModelState.NOT_LOADED;
            notifyAll();
        }
        logger.info("unloaded model [{}]{}", modelId, reload ? "; loading it again for the work that arrived meanwhile" : "");
        if (reload) {
            host.startLoad(this);
        }
        return true;
    }

    /**
     * The node is closing: fails waiting and queued work (every listener is answered), lets a
     * running batch finish for up to {@code timeout}, then frees the model.
     */
    void close(long timeout, TimeUnit unit) throws InterruptedException {
        List<ModelWork> dropped;
        ModelState closing = null;
        synchronized (this) {
            closed = true;
            dropped = takeWaiting();
            if (state.phase() == LoadState.LOADED) {
                closing = state.draining();
                state = closing;
            }
            notifyAll();
        }
        for (ModelWork work : dropped) {
            work.fail(shuttingDown());
        }
        if (closing != null) {
            closing.scheduler().failQueued(shuttingDown());
            closing.scheduler().closeAndDrain(timeout, unit);
            host.release(closing);
            synchronized (this) {
                state = ModelState.NOT_LOADED;
                notifyAll();
            }
        }
        // a load in progress frees its model when it finishes (see loaded); a drain in progress
        // frees it when the drain ends (see unload)
    }

    private List<ModelWork> takeWaiting() {
        List<ModelWork> taken = new ArrayList<>(waiting);
        waiting.clear();
        waitingTexts = 0;
        return taken;
    }

    private OpenSearchStatusException shuttingDown() {
        return new OpenSearchStatusException("model [{}] is not available: the node is shutting down", RestStatus.SERVICE_UNAVAILABLE, modelId);
    }
}
