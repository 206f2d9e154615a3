package io.instructembed.model;

import io.instructembed.support.ManualExecutor;
import io.instructembed.support.TestModelServices;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.core.concurrency.OpenSearchRejectedExecutionException;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.test.OpenSearchTestCase;
import org.junit.AfterClass;
import org.junit.BeforeClass;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One model's lifecycle: not loaded, loading, loaded, draining, failed, and what happens to work
 * in each. The host here opens nothing: the test decides when a load ends, and work runs on a
 * manual executor, so every interleaving is pinned down.
 */
public class ModelSlotTests extends OpenSearchTestCase {
    private static TestModelServices models;
    private static LoadedModel model;

    @BeforeClass
    public static void loadModel() {
        models = TestModelServices.bundled();
        model = models.service.loaded(models.packs.get("bge-small-en-v1.5").orElseThrow());
    }

    @AfterClass
    public static void closeModel() {
        models.close();
        models = null;
        model = null;
    }

    /** Counts loads asked for and models released; never closes the shared model. */
    private static final class Host implements ModelSlot.Host {
        final AtomicInteger loads = new AtomicInteger();
        final AtomicInteger releases = new AtomicInteger();

        @Override
        public void startLoad(ModelSlot slot) {
            loads.incrementAndGet();
        }

        @Override
        public void release(ModelState unloaded) {
            releases.incrementAndGet();
        }
    }


    /** Texts to embed, as the service hands them to a slot. */
    private record Work(List<String> batch, PlainActionFuture<List<Embedding>> result) implements ModelWork {
        Work(String text) {
            this(List.of(text), new PlainActionFuture<>());
        }

        @Override
        public int texts() {
            return batch.size();
        }

        @Override
        public boolean offer(BatchScheduler scheduler) {
            return scheduler.trySubmit(batch, WorkKind.DOCUMENT, result);
        }

        @Override
        public void fail(Exception e) {
            result.onFailure(e);
        }
    }

    private final ManualExecutor executor = new ManualExecutor();

    private ModelState loadedState() {
        return ModelState.loaded(model, new BatchScheduler(model, executor, 1, 4096, 256), 1, 5);
    }

    public void testFirstWorkStartsOneLoadAndWorkArrivingMeanwhileWaitsForIt() {
        Host host = new Host();
        ModelSlot slot = new ModelSlot("bge-small-en-v1.5", host, () -> 100);
        Work first = new Work("first");
        Work second = new Work("second");
        slot.submit(first);
        assertEquals(LoadState.LOADING, slot.state().phase());
        slot.submit(second);
        assertEquals("one load for both", 1, host.loads.get());
        assertEquals(2, slot.waitingTexts());

        slot.loaded(loadedState());
        assertEquals(LoadState.LOADED, slot.state().phase());
        assertEquals(0, slot.waitingTexts());
        executor.runAll();
        assertEquals(384, first.result().actionGet().get(0).vector().length);
        assertEquals(384, second.result().actionGet().get(0).vector().length);
    }

    public void testWorkDuringADrainWaitsAndTheModelLoadsAgainForIt() throws Exception {
        Host host = new Host();
        ModelSlot slot = new ModelSlot("bge-small-en-v1.5", host, () -> 100);
        slot.submit(new Work("starts the load"));
        slot.loaded(loadedState());
        executor.runAll();
        Work queued = new Work("queued before the unload");
        slot.submit(queued);  // sits in the scheduler's queue until the executor runs

        CompletableFuture<Boolean> unload = CompletableFuture.supplyAsync(() -> {
            try {
                return slot.unload(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        assertBusy(() -> assertEquals(LoadState.DRAINING, slot.state().phase()));
        Work duringDrain = new Work("arrives while draining");
        slot.submit(duringDrain);
        assertFalse("work that arrives during a drain waits, it is not refused", duringDrain.result().isDone());
        assertEquals(1, slot.waitingTexts());
        assertFalse("the drain waits for queued work", unload.isDone());

        executor.runAll();  // the queued work runs, so the drain can end
        assertTrue(unload.get(30, TimeUnit.SECONDS));
        assertEquals(384, queued.result().actionGet().get(0).vector().length);
        assertEquals(1, host.releases.get());
        assertEquals("the waiting work asks for a new load", LoadState.LOADING, slot.state().phase());
        assertEquals(2, host.loads.get());

        slot.loaded(loadedState());
        executor.runAll();
        assertEquals(384, duringDrain.result().actionGet().get(0).vector().length);
    }

    public void testUnloadWithoutWaitingWorkLeavesTheModelNotLoaded() throws Exception {
        Host host = new Host();
        ModelSlot slot = new ModelSlot("bge-small-en-v1.5", host, () -> 100);
        assertTrue("unloading a model that is not loaded is a no-op", slot.unload(1, TimeUnit.SECONDS));
        assertEquals(0, host.releases.get());
        slot.submit(new Work("x"));
        slot.loaded(loadedState());
        executor.runAll();
        assertTrue(slot.unload(10, TimeUnit.SECONDS));
        assertEquals(LoadState.NOT_LOADED, slot.state().phase());
        assertNull(slot.state().model());
        assertNull(slot.state().scheduler());
        assertEquals(1, host.releases.get());
        assertEquals(1, host.loads.get());
    }

    public void testAFailedLoadFailsTheWaitingWorkAndTheNextWorkTriesAgain() {
        Host host = new Host();
        ModelSlot slot = new ModelSlot("bge-small-en-v1.5", host, () -> 100);
        Work waiting = new Work("x");
        slot.submit(waiting);
        OpenSearchStatusException cause = new OpenSearchStatusException("model [bge-small-en-v1.5] failed to load: bad graph", RestStatus.INTERNAL_SERVER_ERROR);
        slot.loadFailed(ModelState.failed("bad graph"), cause);
        assertSame(cause, expectThrows(OpenSearchStatusException.class, () -> waiting.result().actionGet()));
        assertEquals(LoadState.FAILED, slot.state().phase());
        assertEquals("bad graph", slot.state().error());

        slot.submit(new Work("y"));
        assertEquals(LoadState.LOADING, slot.state().phase());
        assertEquals(2, host.loads.get());
    }

    public void testTooMuchWaitingWorkIsRefusedWith429() {
        ModelSlot slot = new ModelSlot("bge-small-en-v1.5", new Host(), () -> 3);
        slot.submit(new Work(List.of("a", "b"), new PlainActionFuture<>()));
        Work over = new Work(List.of("c", "d"), new PlainActionFuture<>());
        slot.submit(over);
        OpenSearchRejectedExecutionException e = expectThrows(OpenSearchRejectedExecutionException.class, () -> over.result().actionGet());
        assertTrue(e.getMessage(), e.getMessage().contains("model [bge-small-en-v1.5] is loading and 2 texts already wait for it (limit 3)"));
    }

    public void testClosingAnswersWaitingAndQueuedWorkAndRefusesMore() throws Exception {
        Host host = new Host();
        ModelSlot slot = new ModelSlot("bge-small-en-v1.5", host, () -> 100);
        slot.submit(new Work("x"));
        slot.loaded(loadedState());
        executor.runAll();
        Work queued = new Work("queued");
        slot.submit(queued);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(() -> {
            try {
                slot.close(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        });
        // the manual executor runs nothing until close has failed the queued job, so the worker
        // cannot take the job first (the race a loaded machine showed)
        while (queued.result().isDone() == false) {
            Thread.sleep(5);
        }
        while (closing.isDone() == false) {
            executor.runAll();  // the worker started for the queued job finds its queue emptied and ends
            Thread.sleep(10);
        }
        closing.get(1, TimeUnit.SECONDS);
        OpenSearchStatusException e = expectThrows(OpenSearchStatusException.class, () -> queued.result().actionGet());
        assertEquals(RestStatus.SERVICE_UNAVAILABLE, e.status());
        assertEquals(1, host.releases.get());
        Work late = new Work("late");
        slot.submit(late);
        assertEquals(RestStatus.SERVICE_UNAVAILABLE, expectThrows(OpenSearchStatusException.class, () -> late.result().actionGet()).status());
        assertEquals("closing never starts a load", 1, host.loads.get());
    }

    public void testAStateHoldsAModelAndSchedulerExactlyWhenLoadedOrDraining() {
        expectThrows(IllegalArgumentException.class, () -> new ModelState(LoadState.LOADED, null, null, 0, null, 0));
        expectThrows(IllegalArgumentException.class, () -> new ModelState(LoadState.LOADING, model, null, 0, null, 0));
        ModelState loaded = loadedState();
        assertEquals(LoadState.DRAINING, loaded.draining().phase());
        assertSame(loaded.scheduler(), loaded.draining().scheduler());
    }
}
