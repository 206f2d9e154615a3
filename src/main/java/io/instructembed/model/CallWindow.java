package io.instructembed.model;

import java.util.ArrayDeque;
import java.util.function.IntSupplier;

/**
 * Flow control of one batch's model calls: starts them in the order they are added, keeping at
 * most {@code maxInFlightTexts} texts in calls that have started and not yet finished, and starts
 * further calls as earlier ones finish. The limit is read each time a call could start (it follows
 * a dynamic setting). A call larger than the limit still starts once nothing else is in flight, so
 * every call runs. Calls may add further calls (chunking adds the embedding of its chunks) before
 * they report done. Once {@link #close()} has been called and every added call has finished,
 * {@code whenDone} runs, exactly once.
 * <p>
 * Holds only the calls of its own batch, whose documents are in memory already; never blocks: a
 * call starts on the thread that added it or on the thread whose call just finished, and a call
 * that finishes at once does not recurse into the next (one thread drains at a time).
 */
final class CallWindow {

    /** One model call: starts the work and runs {@code done} once when it has answered, however it ends. */
    interface Call {
        void start(Runnable done);
    }

    private record Waiting(int texts, Call call) {}

    private final IntSupplier maxInFlightTexts;
    private final Runnable whenDone;
    private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
    private int inFlightTexts;
    private int inFlightCalls;
    private boolean closed;
    private boolean finished;
    /** A thread is starting calls; others leave the starting to it. */
    private boolean draining;

    CallWindow(IntSupplier maxInFlightTexts, Runnable whenDone) {
        this.maxInFlightTexts = maxInFlightTexts;
        this.whenDone = whenDone;
    }

    /** Adds a call of {@code texts} texts; it starts now if the window has room. */
    void add(int texts, Call call) {
        if (texts < 0) {
            throw new IllegalArgumentException("a call has no negative size: " + texts);
        }
        synchronized (this) {
            if (finished) {
                throw new IllegalStateException("the batch's calls have all finished; no call may be added");
            }
            waiting.addLast(new Waiting(texts, call));
        }
        drain();
    }

    /** No call will be added from outside a running call any more; {@code whenDone} runs once all have finished. */
    void close() {
        synchronized (this) {
            closed = true;
        }
        drain();
    }

    /**
     * The share of a model's queue one batch may hold in flight: half of
     * {@code instruct_embed.queue.max_texts}, at least one text, so that one bulk on an idle node
     * never fills the queue by itself and leaves room for queries and other bulks.
     */
    static int shareOfQueue(int maxQueuedTexts) {
        return Math.max(1, maxQueuedTexts / 2);
    }

    synchronized int inFlightTexts() {
        return inFlightTexts;
    }

    synchronized int waitingCalls() {
        return waiting.size();
    }

    private void drain() {
        synchronized (this) {
            if (draining) {
                return;
            }
            draining = true;
        }
        while (true) {
            Waiting next;
            boolean done = false;
            synchronized (this) {
                next = waiting.peekFirst();
                if (next != null && (inFlightCalls == 0 || inFlightTexts + next.texts <= maxInFlightTexts.getAsInt())) {
                    waiting.removeFirst();
                    inFlightTexts += next.texts;
                    inFlightCalls++;
                } else {
                    next = null;
                    draining = false;
                    if (closed && inFlightCalls == 0 && waiting.isEmpty() && finished == false) {
                        finished = true;
                        done = true;
                    }
                }
            }
            if (next == null) {
                if (done) {
                    whenDone.run();
                }
                return;
            }
            start(next);
        }
    }

    private void start(Waiting call) {
        Runnable done = new Runnable() {
            private boolean ran;

            @Override
            public void run() {
                synchronized (CallWindow.this) {
                    if (ran) {
                        throw new IllegalStateException("a call reported done twice");
                    }
                    ran = true;
                    inFlightTexts -= call.texts;
                    inFlightCalls--;
                }
                drain();
            }
        };
        try {
            call.call.start(done);
        } catch (RuntimeException e) {
            // a call answers through done; one that throws must not leave the window unable to start others
            synchronized (this) {
                draining = false;
            }
            throw e;
        }
    }
}
