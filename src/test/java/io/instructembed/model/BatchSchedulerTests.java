package io.instructembed.model;

import io.instructembed.support.ManualExecutor;
import io.instructembed.support.TestModelServices;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.concurrency.OpenSearchRejectedExecutionException;
import org.opensearch.test.OpenSearchTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** The per-model scheduler on the real bge model: sharing, priority, back-pressure, draining. */
public class BatchSchedulerTests extends OpenSearchTestCase {
    private static TestModelServices models;
    private static ExecutorService executor;
    private static LoadedModel model;

    @BeforeClass
    public static void loadModel() throws Exception {
        models = TestModelServices.bundled(null, "auto", List.of(), 4, 2);
        executor = models.executor;
        model = models.service.loaded(models.packs.get("bge-small-en-v1.5").orElseThrow());
    }

    @AfterClass
    public static void close() {
        models.close();
        models = null;
        executor = null;
        model = null;
    }

    public void testConcurrentCallersShareBatchesAndGetTheirOwnVectors() throws Exception {
        BatchScheduler scheduler = new BatchScheduler(model, executor, 1, 4096, 256);
        int callers = 8;
        int jobsEach = 6;
        long batchesBefore = model.counters().batches.sum();
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < callers * jobsEach; i++) {
            texts.add("text number " + i + " about " + (i % 2 == 0 ? "rivers" : "mountains"));
        }
        List<float[]> expected = model.embed(texts).stream().map(Embedding::vector).toList();
        batchesBefore = model.counters().batches.sum();
        List<Thread> threads = new ArrayList<>();
        float[][] got = new float[texts.size()][];
        CountDownLatch done = new CountDownLatch(texts.size());
        for (int c = 0; c < callers; c++) {
            int caller = c;
            threads.add(new Thread(() -> {
                for (int j = 0; j < jobsEach; j++) {
                    int index = caller * jobsEach + j;
                    scheduler.submit(List.of(texts.get(index)), WorkKind.DOCUMENT, ActionListener.wrap(r -> {
                        got[index] = r.get(0).vector();
                        done.countDown();
                    }, e -> fail(e.toString())));
                }
            }));
        }
        threads.forEach(Thread::start);
        assertTrue(done.await(60, TimeUnit.SECONDS));
        for (int i = 0; i < texts.size(); i++) {
            // fp32: batching changes nothing beyond float rounding, so a mixed-up row would show
            double cosine = io.instructembed.support.GoldenVectors.cosine(expected.get(i), got[i]);
            assertTrue("text " + i + " cosine " + cosine, cosine >= 0.99999);
        }
        long batches = model.counters().batches.sum() - batchesBefore;
        assertTrue("48 single-text calls took " + batches + " inference batches", batches < texts.size());
    }


    public void testQueriesGoBeforeWaitingDocuments() {
        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 4096, 1);
        List<String> order = Collections.synchronizedList(new ArrayList<>());
        for (int i = 0; i < 3; i++) {
            String name = "document-" + i;
            scheduler.submit(List.of("a document " + i), WorkKind.DOCUMENT, ActionListener.wrap(r -> order.add(name), e -> fail(e.toString())));
        }
        scheduler.submit(List.of("a query"), WorkKind.QUERY, ActionListener.wrap(r -> order.add("query"), e -> fail(e.toString())));
        manual.runAll();
        assertEquals(List.of("query", "document-0", "document-1", "document-2"), order);
    }

    public void testAFullQueueRejectsWith429() {
        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 3, 256);
        PlainActionFuture<List<Embedding>> accepted = new PlainActionFuture<>();
        scheduler.submit(List.of("one", "two"), WorkKind.DOCUMENT, accepted);
        PlainActionFuture<List<Embedding>> refused = new PlainActionFuture<>();
        scheduler.submit(List.of("three", "four"), WorkKind.DOCUMENT, refused);
        OpenSearchRejectedExecutionException e = expectThrows(OpenSearchRejectedExecutionException.class, refused::actionGet);
        assertTrue(e.getMessage(), e.getMessage().contains("queue of model [bge-small-en-v1.5] is full (2 texts waiting, limit 3)"));
        assertEquals(2, scheduler.queuedTexts());
        manual.runAll();
        assertEquals(2, accepted.actionGet().size());
        assertEquals(0, scheduler.queuedTexts());
    }

    public void testOneCallLargerThanTheQueueStillRunsWhenTheQueueIsEmpty() {
        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 2, 256);
        PlainActionFuture<List<Embedding>> big = new PlainActionFuture<>();
        scheduler.submit(List.of("a", "b", "c", "d"), WorkKind.DOCUMENT, big);
        manual.runAll();
        assertEquals(4, big.actionGet().size());
    }

    public void testCloseWaitsForQueuedWorkThenRefusesMore() throws Exception {
        BatchScheduler scheduler = new BatchScheduler(model, executor, 1, 4096, 256);
        List<PlainActionFuture<List<Embedding>>> queued = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
            scheduler.submit(List.of("queued text " + i), WorkKind.DOCUMENT, future);
            queued.add(future);
        }
        assertTrue(scheduler.closeAndDrain(60, TimeUnit.SECONDS));
        for (PlainActionFuture<List<Embedding>> future : queued) {
            assertTrue(future.isDone());
            assertEquals(384, future.actionGet().get(0).vector().length);
        }
        PlainActionFuture<List<Embedding>> late = new PlainActionFuture<>();
        scheduler.submit(List.of("too late"), WorkKind.DOCUMENT, late);
        OpenSearchRejectedExecutionException e = expectThrows(OpenSearchRejectedExecutionException.class, late::actionGet);
        assertTrue(e.getMessage(), e.getMessage().contains("is being unloaded"));
    }

    public void testAWorkerMayWaitForAFullerBatch() throws Exception {
        BatchScheduler scheduler = new BatchScheduler(model, executor, 1, 4096, 256, TimeUnit.SECONDS.toNanos(20), 4);
        long batchesBefore = model.counters().batches.sum();
        List<PlainActionFuture<List<Embedding>>> futures = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            PlainActionFuture<List<Embedding>> future = new PlainActionFuture<>();
            scheduler.submit(List.of("short text " + i), WorkKind.DOCUMENT, future);
            futures.add(future);
        }
        for (PlainActionFuture<List<Embedding>> future : futures) {
            assertEquals(384, future.actionGet(30, TimeUnit.SECONDS).get(0).vector().length);
        }
        // the first call waited for the other three (it did not wait out the 20 s), and all four shared one call
        assertEquals(1, model.counters().batches.sum() - batchesBefore);
    }

    public void testLoweringMaxWaitReleasesDocumentsAlreadyWaiting() throws Exception {
        InferenceLimits limits = new InferenceLimits(4096, TimeUnit.SECONDS.toNanos(60));
        BatchScheduler scheduler = new BatchScheduler(model, executor, 1, limits, 256, 4, ModelMemory.UNLIMITED);
        PlainActionFuture<List<Embedding>> lone = new PlainActionFuture<>();
        scheduler.submit(List.of("a lone document"), WorkKind.DOCUMENT, lone);
        Thread.sleep(200);
        assertFalse("the worker holds the lone document for more", lone.isDone());
        // setting batch.max_wait back to 0 applies to the document already held, not only to later ones
        limits.setMaxWaitNanos(0);
        assertEquals(384, lone.actionGet(10, TimeUnit.SECONDS).get(0).vector().length);
    }
}
