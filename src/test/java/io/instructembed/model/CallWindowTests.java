package io.instructembed.model;

import io.instructembed.support.ManualExecutor;
import org.opensearch.test.OpenSearchTestCase;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Flow control of one batch's model calls (issue #20, item 6): at most the window's texts in
 * flight, the next call started as an earlier one finishes, a call larger than the window alone,
 * and the batch answered once, after its last call. Calls finish on a manual executor, so the test
 * decides when each one answers.
 */
public class CallWindowTests extends OpenSearchTestCase {
    private final ManualExecutor model = new ManualExecutor();
    private final List<String> started = Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger answered = new AtomicInteger();

    /** A call that starts now and answers when the manual executor runs it. */
    private CallWindow.Call call(String name) {
        return done -> {
            started.add(name);
            model.execute(done);
        };
    }

    private CallWindow window(int maxInFlight) {
        return new CallWindow(() -> maxInFlight, answered::incrementAndGet);
    }

    public void testAtMostTheWindowIsInFlightAndTheNextStartsAsOneFinishes() {
        CallWindow window = window(10);
        for (int i = 0; i < 5; i++) {
            window.add(4, call("c" + i));
        }
        window.close();
        assertEquals(List.of("c0", "c1"), started);
        assertEquals(8, window.inFlightTexts());
        assertEquals(3, window.waitingCalls());

        assertTrue(model.runNext());  // c0 answers: room for c2
        assertEquals(List.of("c0", "c1", "c2"), started);
        assertEquals(8, window.inFlightTexts());
        assertTrue(model.runNext());
        assertTrue(model.runNext());
        assertEquals(List.of("c0", "c1", "c2", "c3", "c4"), started);
        assertEquals(0, answered.get());
        model.runAll();
        assertEquals(0, window.inFlightTexts());
        assertEquals("the batch is answered once, after its last call", 1, answered.get());
    }

    public void testACallLargerThanTheWindowStartsAloneOnceNothingIsInFlight() {
        CallWindow window = window(3);
        window.add(2, call("small"));
        window.add(10, call("large"));
        window.add(1, call("after"));
        window.close();
        assertEquals(List.of("small"), started);
        model.runNext();
        assertEquals(List.of("small", "large"), started);
        assertEquals(10, window.inFlightTexts());
        model.runNext();
        assertEquals(List.of("small", "large", "after"), started);
        model.runAll();
        assertEquals(1, answered.get());
    }

    public void testTheLimitIsReadEachTimeACallCouldStart() {
        AtomicInteger limit = new AtomicInteger(4);
        CallWindow window = new CallWindow(limit::get, answered::incrementAndGet);
        for (int i = 0; i < 6; i++) {
            window.add(2, call("c" + i));
        }
        window.close();
        assertEquals(2, started.size());
        limit.set(8);  // the setting was raised: the next start sees it
        model.runNext();
        assertEquals(5, started.size());
        assertEquals(8, window.inFlightTexts());
        limit.set(2);  // lowered: nothing more starts until in-flight work is under it
        model.runNext();
        model.runNext();
        model.runNext();
        assertEquals(5, started.size());
        model.runNext();  // nothing in flight: the last call starts
        assertEquals(6, started.size());
        model.runAll();
        assertEquals(1, answered.get());
    }

    public void testCallsAddedByARunningCallRunBeforeTheBatchIsAnswered() {
        CallWindow window = window(4);
        // as chunking does: the chunk call adds its embedding calls and the next chunk call, then reports done
        window.add(4, done -> {
            started.add("chunk0");
            model.execute(() -> {
                window.add(3, call("embed0a"));
                window.add(1, call("embed0b"));
                window.add(4, call("chunk1"));
                done.run();
            });
        });
        window.close();
        assertEquals(List.of("chunk0"), started);
        model.runNext();
        assertEquals(List.of("chunk0", "embed0a", "embed0b"), started);
        assertEquals(0, answered.get());
        model.runNext();
        model.runNext();
        assertEquals(List.of("chunk0", "embed0a", "embed0b", "chunk1"), started);
        assertEquals(0, answered.get());
        model.runAll();
        assertEquals(1, answered.get());
    }

    public void testTheBatchIsAnsweredOnlyOnceClosed() {
        CallWindow window = window(4);
        window.add(1, call("only"));
        model.runAll();
        assertEquals("calls may still be added before close", 0, answered.get());
        window.close();
        assertEquals(1, answered.get());
        expectThrows(IllegalStateException.class, () -> window.add(1, call("late")));
    }

    public void testABatchWithoutCallsIsAnsweredAtClose() {
        CallWindow window = window(4);
        window.close();
        assertEquals(1, answered.get());
        assertTrue(started.isEmpty());
    }

    public void testCallsThatAnswerAtOnceStartInOrderWithoutRecursing() {
        List<Integer> order = new ArrayList<>();
        CallWindow window = window(1);
        int calls = 20_000;  // deep enough to overflow the stack if each answer started the next inside it
        for (int i = 0; i < calls; i++) {
            int id = i;
            window.add(1, done -> {
                order.add(id);
                done.run();
            });
        }
        window.close();
        assertEquals(calls, order.size());
        for (int i = 0; i < calls; i++) {
            assertEquals(i, (int) order.get(i));
        }
        assertEquals(1, answered.get());
    }

    public void testACallReportingDoneTwiceIsRefused() {
        CallWindow window = window(4);
        List<Runnable> dones = new ArrayList<>();
        window.add(1, dones::add);
        dones.get(0).run();
        expectThrows(IllegalStateException.class, () -> dones.get(0).run());
    }

    public void testNegativeSizesAreRefused() {
        expectThrows(IllegalArgumentException.class, () -> window(4).add(-1, call("bad")));
    }

    public void testCallsAnsweringOnOtherThreadsKeepTheBound() throws Exception {
        int limit = 7;
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        CountDownLatch batchAnswered = new CountDownLatch(1);
        AtomicInteger answers = new AtomicInteger();
        CallWindow window = new CallWindow(() -> limit, () -> {
            answers.incrementAndGet();
            batchAnswered.countDown();
        });
        ExecutorService threads = Executors.newFixedThreadPool(4);
        try {
            for (int i = 0; i < 500; i++) {
                int texts = 1 + i % 3;
                window.add(texts, done -> {
                    most.accumulateAndGet(inFlight.addAndGet(texts), Math::max);
                    threads.execute(() -> {
                        inFlight.addAndGet(-texts);
                        done.run();
                    });
                });
            }
            window.close();
            assertTrue(batchAnswered.await(30, TimeUnit.SECONDS));
        } finally {
            threads.shutdown();
            assertTrue(threads.awaitTermination(10, TimeUnit.SECONDS));
        }
        assertEquals(1, answers.get());
        assertTrue("at most " + limit + " texts in flight, saw " + most.get(), most.get() <= limit);
        assertEquals(0, window.inFlightTexts());
    }

    public void testABatchMayHoldHalfTheQueueAndAtLeastOneText() {
        assertEquals(1024, CallWindow.shareOfQueue(2048));
        assertEquals(32, CallWindow.shareOfQueue(64));
        assertEquals(1, CallWindow.shareOfQueue(3));
        assertEquals(1, CallWindow.shareOfQueue(1));
    }
}
