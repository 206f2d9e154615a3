package io.instructembed.support;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/** An executor that runs nothing until told: the test decides when workers run. */
public final class ManualExecutor implements Executor {
    private final ArrayDeque<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable command) {
        tasks.add(command);
    }

    /** Runs queued tasks, and the tasks they queue, until none is left. */
    public void runAll() {
        Runnable next;
        while ((next = poll()) != null) {
            next.run();
        }
    }

    /** Runs the oldest queued task, if any; returns whether one ran. */
    public boolean runNext() {
        Runnable next = poll();
        if (next == null) {
            return false;
        }
        next.run();
        return true;
    }

    public synchronized int queued() {
        return tasks.size();
    }

    private synchronized Runnable poll() {
        return tasks.poll();
    }
}
