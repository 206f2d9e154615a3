package io.instructembed.model;

import ai.onnxruntime.OrtException;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.common.CheckedFunction;
import org.opensearch.common.util.concurrent.AbstractRunnable;
import org.opensearch.core.concurrency.OpenSearchRejectedExecutionException;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.rest.RestStatus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * One model's queue of embedding jobs and the workers that drain it. A worker takes every job
 * waiting of one kind (up to a round's worth of texts), tokenises them, and cuts all their texts
 * together into length-sorted, token-budgeted batches: concurrent bulks, queries and _embed calls
 * share inference calls. Queries go first, and when the model may use several workers one is kept
 * for queries, so a query never waits behind a large ingest batch. Queues are bounded in texts: a
 * full queue rejects (HTTP 429) instead of piling up work. Each inference call reserves its estimated
 * activations in the instruct_embed circuit breaker while it runs. A batch whose inference fails is
 * run again in halves, so one bad text fails only its own job (or, for a grouped job, its own group),
 * never a neighbour's (see {@link #run}).
 */
final class BatchScheduler {
    private static final Logger logger = LogManager.getLogger(BatchScheduler.class);

    private final LoadedModel model;
    private final Executor executor;
    private final int maxWorkers;
    private final InferenceLimits limits;
    private final int maxTextsPerRound;
    private final int fullBatchRows;
    private final ModelMemory memory;

    private final ArrayDeque<Job> queries = new ArrayDeque<>();
    private final ArrayDeque<Job> documents = new ArrayDeque<>();
    private int queuedTexts;
    private int workers;
    private int documentWorkers;
    private int inFlightJobs;
    private boolean closed;
    /** Why this scheduler's work was given up (see {@link #failQueued(Exception)}), else null. */
    private Exception abandoned;

    /** How often a worker holding documents for more reads {@code batch.max_wait} again. */
    static final long RECHECK_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

    BatchScheduler(LoadedModel model, Executor executor, int maxWorkers, int maxQueuedTexts, int maxTextsPerRound) {
        this(model, executor, maxWorkers, maxQueuedTexts, maxTextsPerRound, 0, 1);
    }

    BatchScheduler(
        LoadedModel model,
        Executor executor,
        int maxWorkers,
        int maxQueuedTexts,
        int maxTextsPerRound,
        long maxWaitNanos,
        int fullBatchRows
    ) {
        this(model, executor, maxWorkers, new InferenceLimits(maxQueuedTexts, maxWaitNanos), maxTextsPerRound, fullBatchRows, ModelMemory.UNLIMITED);
    }

    /**
     * @param limits        queue size and how long a worker may wait for more documents when fewer
     *                      than {@code fullBatchRows} are queued (read at each use: they are dynamic)
     */
    BatchScheduler(
        LoadedModel model,
        Executor executor,
        int maxWorkers,
        InferenceLimits limits,
        int maxTextsPerRound,
        int fullBatchRows,
        ModelMemory memory
    ) {
        this.model = model;
        this.executor = executor;
        this.maxWorkers = Math.max(1, maxWorkers);
        this.limits = limits;
        this.maxTextsPerRound = maxTextsPerRound;
        this.fullBatchRows = fullBatchRows;
        this.memory = memory;
    }

    /**
     * One submission: its texts in groups (a caller's unit of success, e.g. one document's texts),
     * answered once with each group's vectors or that group's own error.
     */
    private static final class Job {
        final List<String> texts;
        /** Texts of each group, in order; they add up to {@code texts.size()}. */
        final int[] groupSizes;
        final WorkKind kind;
        final ActionListener<List<GroupResult>> listener;
        final long enqueuedNanos = System.nanoTime();

        Job(List<List<String>> groups, WorkKind kind, ActionListener<List<GroupResult>> listener) {
            List<String> all = new ArrayList<>();
            this.groupSizes = new int[groups.size()];
            for (int g = 0; g < groups.size(); g++) {
                all.addAll(groups.get(g));
                groupSizes[g] = groups.get(g).size();
            }
            this.texts = all;
            this.kind = kind;
            this.listener = listener;
        }
    }

    /** What one group of a grouped submission gets: its vectors in input order, or (else null) the error of a bad text of its own. */
    record GroupResult(List<Embedding> embeddings, Exception failure) {}

    /** Queues texts, or answers a refusal (429) when this scheduler is closed or its queue is full. */
    void submit(List<String> renderedTexts, WorkKind kind, ActionListener<List<Embedding>> listener) {
        if (trySubmit(renderedTexts, kind, listener) == false) {
            listener.onFailure(new OpenSearchRejectedExecutionException("model [" + model.manifest().id() + "] is being unloaded"));
        }
    }

    /**
     * Queues texts, or answers a refusal (429) when the queue is full. Returns false without
     * answering when this scheduler is closed, so the caller can keep the work for the next load.
     */
    boolean trySubmit(List<String> renderedTexts, WorkKind kind, ActionListener<List<Embedding>> listener) {
        return trySubmitGrouped(List.of(renderedTexts), kind, new ActionListener<>() {
            @Override
            public void onResponse(List<GroupResult> groups) {
                GroupResult only = groups.get(0);
                if (only.failure() != null) {
                    listener.onFailure(only.failure());
                } else {
                    listener.onResponse(only.embeddings());
                }
            }

            @Override
            public void onFailure(Exception e) {
                listener.onFailure(e);
            }
        });
    }

    /**
     * Queues texts in groups, as one job: a bad text fails only its own group (the others of the
     * job get their vectors), so one caller's texts of several documents share inference calls
     * without sharing a failure. Answers {@code onResponse} with one result per group, in order,
     * or {@code onFailure} when the whole job is refused (429, full queue). Returns false without
     * answering when this scheduler is closed, so the caller can keep the work for the next load.
     */
    boolean trySubmitGrouped(List<List<String>> renderedGroups, WorkKind kind, ActionListener<List<GroupResult>> listener) {
        Job job = new Job(renderedGroups, kind, listener);
        int size = job.texts.size();
        String refusal = null;
        synchronized (this) {
            int maxQueuedTexts = limits.maxQueuedTexts();
            if (closed) {
                return false;
            } else if (queuedTexts > 0 && queuedTexts + size > maxQueuedTexts) {
                refusal = "the inference queue of model [" + model.manifest().id() + "] is full (" + queuedTexts + " texts waiting, limit "
                    + maxQueuedTexts + "); retry later";
            } else {
                (kind == WorkKind.QUERY ? queries : documents).addLast(job);
                queuedTexts += size;
                inFlightJobs++;
                notifyAll();  // a worker waiting for a fuller batch
            }
        }
        (kind == WorkKind.QUERY ? model.counters().queryCalls : model.counters().documentCalls).increment();
        if (refusal != null) {
            listener.onFailure(new OpenSearchRejectedExecutionException(refusal));
            return true;
        }
        startWorkers();
        return true;
    }

    /**
     * Runs work that needs the model but no inference batch (tokenising texts to cut them into
     * chunks) on the pool, counted as in flight so that an unload waits for it. Returns false
     * without answering when this scheduler is closed.
     */
    <T> boolean tryExecute(CheckedFunction<LoadedModel, T, Exception> work, ActionListener<T> listener) {
        synchronized (this) {
            if (closed) {
                return false;
            }
            inFlightJobs++;
        }
        AbstractRunnable task = new AbstractRunnable() {
            private boolean answered;

            @Override
            protected void doRun() throws Exception {
                T result = work.apply(model);
                answered = true;  // a listener that throws must not be answered a second time
                listener.onResponse(result);
            }

            @Override
            public void onFailure(Exception e) {
                if (answered) {
                    logger.warn("a listener of model [" + model.manifest().id() + "] failed", e);
                } else {
                    listener.onFailure(e);
                }
            }

            @Override
            public void onAfter() {
                jobDone();
            }
        };
        try {
            executor.execute(task);
        } catch (RuntimeException e) {  // the pool refused it (429): doRun never runs, so answer and count here
            task.onFailure(e);
            task.onAfter();
        }
        return true;
    }

    private void startWorkers() {
        while (true) {
            WorkKind kind;
            synchronized (this) {
                kind = nextKindForNewWorker();
                if (kind == null) {
                    return;
                }
                workers++;
                if (kind == WorkKind.DOCUMENT) {
                    documentWorkers++;
                }
            }
            WorkKind workerKind = kind;
            try {
                executor.execute(() -> work(workerKind));
            } catch (RuntimeException e) {  // the pool itself refused: undo and fail what waits
                synchronized (this) {
                    workers--;
                    if (workerKind == WorkKind.DOCUMENT) {
                        documentWorkers--;
                    }
                }
                failQueued(workerKind, e);
                return;
            }
        }
    }

    /** Which kind a new worker would serve, or null when no worker should start. */
    private WorkKind nextKindForNewWorker() {
        if (workers >= maxWorkers) {
            return null;
        }
        if (queries.isEmpty() == false && busyWithQueries() < queries.size()) {
            return WorkKind.QUERY;
        }
        // keep one worker free for queries when the model may have several
        int documentLimit = maxWorkers > 1 ? maxWorkers - 1 : 1;
        if (documents.isEmpty() == false && documentWorkers < documentLimit) {
            return WorkKind.DOCUMENT;
        }
        return null;
    }

    private int busyWithQueries() {
        return workers - documentWorkers;
    }

    private void work(WorkKind kind) {
        try {
            while (true) {
                List<Job> round = take(kind);
                if (round.isEmpty()) {
                    return;
                }
                run(round);
            }
        } finally {
            synchronized (this) {
                workers--;
                if (kind == WorkKind.DOCUMENT) {
                    documentWorkers--;
                }
                notifyAll();
            }
            startWorkers();  // work may have arrived for a kind this worker did not serve
        }
    }

    /** Up to a round of waiting jobs: queries first; a document worker takes queries too when they wait. */
    private synchronized List<Job> take(WorkKind kind) {
        long maxWaitNanos = limits.maxWaitNanos();
        if (kind == WorkKind.DOCUMENT && maxWaitNanos > 0 && queries.isEmpty() && documents.isEmpty() == false) {
            long start = System.nanoTime();
            while (closed == false && queries.isEmpty() && documentTexts() < fullBatchRows) {
                // the setting is read again at every check, so a change (back to 0 too) applies to work already waiting
                long left = start + limits.maxWaitNanos() - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, RECHECK_WAIT_NANOS));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        ArrayDeque<Job> queue = queries.isEmpty() == false ? queries : (kind == WorkKind.DOCUMENT ? documents : queries);
        List<Job> round = new ArrayList<>();
        int texts = 0;
        while (queue.isEmpty() == false && (round.isEmpty() || texts + queue.peekFirst().texts.size() <= maxTextsPerRound)) {
            Job job = queue.pollFirst();
            round.add(job);
            texts += job.texts.size();
        }
        queuedTexts -= texts;
        return round;
    }

    /**
     * Runs a round: all its texts tokenised and cut into batches together. Between two batches of
     * documents, waiting queries run first, so a query waits for at most one batch (or one retry).
     *
     * <p>A failed batch fails only the groups that own its bad texts (a job submitted whole is one
     * group): {@link BatchSplitter} runs it again in halves, down to single texts, and each job is
     * answered once, at the end of the round, with each group's vectors in input order or with the
     * error of a bad text of its own. A failure that splitting cannot cure (see
     * {@link #worthSplitting}) fails every group of the round at once.
     */
    private void run(List<Job> round) {
        List<String> texts = new ArrayList<>();
        int[] owners = new int[countTexts(round)];
        int groups = 0;
        for (Job job : round) {
            int next = 0;
            for (int size : job.groupSizes) {
                for (int i = 0; i < size; i++) {
                    owners[texts.size()] = groups;
                    texts.add(job.texts.get(next++));
                }
                groups++;
            }
        }
        Embedding[] results = new Embedding[texts.size()];
        Exception[] failures = new Exception[groups];
        Exception roundFailure = null;
        try {
            List<TokenizedText> tokenized = model.tokenize(texts);
            Runnable queriesFirst = round.get(0).kind == WorkKind.DOCUMENT ? this::runWaitingQueries : () -> {};
            BatchSplitter splitter = new BatchSplitter(rows -> runBatch(tokenized, rows, results), this::worthSplitting, queriesFirst, owners, failures);
            for (int[] batch : model.plan(tokenized)) {
                queriesFirst.run();
                splitter.run(batch);
            }
        } catch (Exception e) {
            roundFailure = roundFailure(e);
        }
        int nextText = 0;
        int nextGroup = 0;
        for (Job job : round) {
            List<GroupResult> answer = new ArrayList<>(job.groupSizes.length);
            for (int size : job.groupSizes) {
                Exception failure = failures[nextGroup] != null ? failures[nextGroup] : roundFailure;
                List<Embedding> vectors = new ArrayList<>(size);
                for (int i = 0; i < size; i++) {
                    vectors.add(results[nextText++]);
                }
                answer.add(failure == null ? new GroupResult(vectors, null) : new GroupResult(null, failure));
                nextGroup++;
            }
            finish(job, answer, null);
        }
    }

    /**
     * Whether a failed inference call is worth running again in halves. Only ONNX Runtime failing to
     * run these rows ({@link OrtException}: an input the graph cannot take, or its allocator out of
     * memory for a batch this long) can be cured by running fewer of them. Everything else would
     * fail every half the same way, so it fails the round at once: a closed model (an unload that
     * stopped waiting freed the session under the call), a scheduler told to give up its work (the
     * node shutting down, or that unload), a circuit breaker trip (a 429 that asks the caller to
     * back off; smaller calls would only hide the memory pressure and trip again), and any other
     * exception (a pack that gives the wrong dimensions, a bug). Splitting is bounded, so a drain
     * that waits for it still ends.
     */
    private boolean worthSplitting(Exception e) {
        return e instanceof OrtException && model.isClosed() == false && abandonedBy() == null;
    }

    /** What the jobs of a round get when a failure could not be split: the reason when the model went away. */
    private Exception roundFailure(Exception e) {
        Exception abandoned = abandonedBy();
        if (abandoned != null) {
            return abandoned;
        }
        if (model.isClosed()) {
            return new OpenSearchStatusException(
                "model [{}] was unloaded while this work ran; retry",
                RestStatus.SERVICE_UNAVAILABLE,
                e,
                model.manifest().id()
            );
        }
        return e;
    }

    private synchronized Exception abandonedBy() {
        return abandoned;
    }

    private static int countTexts(List<Job> round) {
        int texts = 0;
        for (Job job : round) {
            texts += job.texts.size();
        }
        return texts;
    }

    /** One inference call, its estimated activations held in the circuit breaker while it runs. */
    private void runBatch(List<TokenizedText> tokenized, int[] batch, Embedding[] results) throws Exception {
        int longest = 0;
        for (int index : batch) {
            longest = Math.max(longest, tokenized.get(index).length());
        }
        long bytes = ModelMemory.activationBytes(batch.length, longest, model.manifest().dimensions());
        memory.reserve(bytes, "inference batch of model [" + model.manifest().id() + "]");
        try {
            model.runBatch(tokenized, batch, results);
        } finally {
            memory.release(bytes);
        }
    }

    private void runWaitingQueries() {
        List<Job> waiting;
        synchronized (this) {
            if (queries.isEmpty()) {
                return;
            }
            waiting = take(WorkKind.QUERY);
        }
        run(waiting);
    }

    private void finish(Job job, List<GroupResult> result, Exception failure) {
        model.counters().latency(job.kind).record(System.nanoTime() - job.enqueuedNanos);
        try {
            if (failure != null) {
                job.listener.onFailure(failure);
            } else {
                job.listener.onResponse(result);
            }
        } catch (RuntimeException e) {
            logger.warn("a listener of model [" + model.manifest().id() + "] failed", e);
        } finally {
            jobDone();
        }
    }

    private synchronized void jobDone() {
        inFlightJobs--;
        notifyAll();
    }

    /**
     * The model is going away (the node is shutting down, or an unload stopped waiting): fails every
     * queued job of both kinds, and keeps running rounds from retrying a failed batch in halves
     * (their jobs then get {@code e}); running rounds otherwise finish. Returns how many jobs failed.
     */
    int failQueued(Exception e) {
        synchronized (this) {
            if (abandoned == null) {
                abandoned = e;
            }
        }
        return failQueued(e, List.of(queries, documents));
    }

    private void failQueued(WorkKind kind, Exception e) {
        failQueued(e, List.of(kind == WorkKind.QUERY ? queries : documents));
    }

    private int failQueued(Exception e, List<ArrayDeque<Job>> queues) {
        List<Job> failed = new ArrayList<>();
        synchronized (this) {
            for (ArrayDeque<Job> queue : queues) {
                while (queue.isEmpty() == false) {
                    Job job = queue.pollFirst();
                    queuedTexts -= job.texts.size();
                    failed.add(job);
                }
            }
        }
        for (Job job : failed) {
            finish(job, null, e);
        }
        return failed.size();
    }

    private int documentTexts() {
        int texts = 0;
        for (Job job : documents) {
            texts += job.texts.size();
        }
        return texts;
    }

    synchronized int queuedTexts() {
        return queuedTexts;
    }

    /** Refuses new work, then waits (bounded) for queued and running work to finish. */
    boolean closeAndDrain(long timeout, TimeUnit unit) throws InterruptedException {
        long deadline = System.nanoTime() + unit.toNanos(timeout);
        synchronized (this) {
            closed = true;
            notifyAll();  // a worker waiting for a fuller batch stops waiting
            while (inFlightJobs > 0 || workers > 0) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
            return true;
        }
    }
}
