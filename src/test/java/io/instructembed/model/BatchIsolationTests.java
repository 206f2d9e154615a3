package io.instructembed.model;

import ai.onnxruntime.OrtException;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackRegistry;
import io.instructembed.support.ManualExecutor;
import io.instructembed.support.StandInEmbedder;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.common.breaker.CircuitBreaker;
import org.opensearch.core.common.breaker.CircuitBreakingException;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.common.settings.ClusterSettings;
import org.opensearch.common.settings.Settings;
import org.opensearch.indices.breaker.BreakerSettings;
import org.opensearch.indices.breaker.HierarchyCircuitBreakerService;
import org.opensearch.test.OpenSearchTestCase;
import org.junit.After;
import org.junit.BeforeClass;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A failed inference batch fails only the jobs that own its bad texts: the scheduler runs it again
 * in halves. On the real bge tokenizer with {@link StandInEmbedder}, a model in plain Java that fails
 * as ONNX Runtime does on token ids past its vocabulary (here 20,000: rare words) and on batches too
 * large for its memory.
 */
public class BatchIsolationTests extends OpenSearchTestCase {
    private static final long VOCABULARY = 20_000;
    private static ModelPack pack;

    private final List<LoadedModel> opened = new ArrayList<>();

    @BeforeClass
    public static void findPack() {
        NativeLibraries.configureDjl(Path.of(System.getProperty("java.io.tmpdir")));
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        pack = PackRegistry.scan(bundled.resolve("none"), bundled).get("bge-small-en-v1.5").orElseThrow();
    }

    @After
    public void closeModels() {
        for (LoadedModel model : opened) {
            if (model.isClosed() == false) {  // a test may have closed it, as an unload would
                model.close();
            }
        }
    }

    private LoadedModel model(StandInEmbedder embedder) throws Exception {
        PackTokenizer tokenizer = PackTokenizer.load(pack.tokenizerPath(), pack.manifest());
        LoadedModel model = new LoadedModel(pack.manifest(), tokenizer, embedder, new BatchPlanner(4096, 32), "cpu");
        opened.add(model);
        return model;
    }

    private static StandInEmbedder embedder() {
        return new StandInEmbedder(384, VOCABULARY, Long.MAX_VALUE);
    }

    /** What each text gives when embedded alone: a batch must change nothing. */
    private static List<float[]> alone(LoadedModel model, StandInEmbedder embedder, List<String> texts) throws OrtException {
        List<float[]> vectors = new ArrayList<>();
        for (String text : texts) {
            vectors.add(embedder.embed(List.of(model.tokenize(text)))[0]);
        }
        embedder.forgetCalls();
        return vectors;
    }

    /** A listener that records every answer, so a second one shows. */
    private static final class Answers implements ActionListener<List<Embedding>> {
        final List<List<Embedding>> responses = new ArrayList<>();
        final List<Exception> failures = new ArrayList<>();

        @Override
        public synchronized void onResponse(List<Embedding> embeddings) {
            responses.add(embeddings);
        }

        @Override
        public synchronized void onFailure(Exception e) {
            failures.add(e);
        }

        List<Embedding> vectors() {
            assertEquals("failures: " + failures, List.of(), failures);
            assertEquals(1, responses.size());
            return responses.get(0);
        }

        Exception failure() {
            assertEquals("responses: " + responses.size(), 0, responses.size());
            assertEquals(1, failures.size());
            return failures.get(0);
        }
    }

    private static void assertVectors(List<float[]> expected, List<Embedding> got) {
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals("text " + i, expected.get(i), got.get(i).vector(), 0f);
        }
    }

    public void testABadTextFailsOnlyItsOwnJobWithItsOwnError() throws Exception {
        StandInEmbedder embedder = embedder();
        LoadedModel model = model(embedder);
        List<String> good = List.of("the river runs over stones", "a cat sat on the mat", "quiet morning light");
        List<String> mixed = List.of("bright snow on the mountains", "a zeppelin over the river");
        long badId = model.tokenize(mixed.get(1)).ids()[2];
        assertTrue("the test needs a token past the stand-in's vocabulary", badId >= VOCABULARY);
        List<float[]> expected = alone(model, embedder, good);
        ModelCounters counters = model.counters();
        long tokensBefore = counters.tokens.sum();

        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 4096, 256);
        Answers first = new Answers();
        Answers second = new Answers();
        scheduler.submit(good, WorkKind.DOCUMENT, first);
        scheduler.submit(mixed, WorkKind.DOCUMENT, second);
        manual.runAll();

        assertVectors(expected, first.vectors());
        Exception e = second.failure();
        assertTrue(e.toString(), e instanceof OrtException);
        assertTrue(e.getMessage(), e.getMessage().contains("idx=" + badId + " must be within"));

        List<StandInEmbedder.Call> calls = embedder.calls();
        assertEquals("the five texts shared the first call", 5, calls.get(0).rows());
        assertFalse(calls.get(0).succeeded());
        assertTrue(calls.size() + " calls", calls.size() <= 2 * 5 - 1);
        // the stats count work done: a batch per call that gave vectors, the tokens of those rows
        long succeeded = calls.stream().filter(StandInEmbedder.Call::succeeded).count();
        assertEquals(succeeded, counters.batches.sum());
        assertEquals(1, counters.requests.sum());
        assertEquals(5, counters.texts.sum());
        long goodTokens = 0;
        for (String text : good) {
            goodTokens += model.tokenize(text).length();
        }
        long tokens = counters.tokens.sum() - tokensBefore;
        assertTrue(tokens + " tokens", tokens >= goodTokens && tokens <= goodTokens + model.tokenize(mixed.get(0)).length());
        assertEquals(0, scheduler.queuedTexts());
        assertTrue("every job was answered", scheduler.closeAndDrain(0, java.util.concurrent.TimeUnit.SECONDS));
    }

    public void testAJobWhoseMiddleTextIsBadFailsOnceAndItsNeighboursSucceed() throws Exception {
        StandInEmbedder embedder = embedder();
        LoadedModel model = model(embedder);
        List<String> before = List.of("the river runs over stones");
        List<String> three = List.of("a cat sat on the mat", "vigorously smeared", "quiet morning light");
        List<String> after = List.of("bright snow on the mountains", "the light falls");
        List<float[]> expectedBefore = alone(model, embedder, before);
        List<float[]> expectedAfter = alone(model, embedder, after);

        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 4096, 256);
        Answers a = new Answers();
        Answers b = new Answers();
        Answers c = new Answers();
        scheduler.submit(before, WorkKind.DOCUMENT, a);
        scheduler.submit(three, WorkKind.DOCUMENT, b);
        scheduler.submit(after, WorkKind.DOCUMENT, c);
        manual.runAll();

        assertVectors(expectedBefore, a.vectors());
        assertVectors(expectedAfter, c.vectors());
        Exception e = b.failure();  // exactly one answer, though only one of its three texts is bad
        assertTrue(e.getMessage(), e.getMessage().contains("indices element out of data bounds"));
        assertTrue(embedder.calls().size() <= 2 * 6 - 1);
    }

    public void testABatchTooLargeForMemoryRunsInHalvesAndEveryTextSucceeds() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            texts.add("the river number " + i + " runs over stones");
        }
        // room for four of these texts per call, not eight
        StandInEmbedder probe = embedder();
        LoadedModel sizing = model(probe);
        int length = sizing.tokenize(texts.get(0)).length();
        StandInEmbedder embedder = new StandInEmbedder(384, VOCABULARY, 4L * length);
        LoadedModel model = model(embedder);
        List<float[]> expected = alone(model, probe, texts);

        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 4096, 256);
        Answers first = new Answers();
        Answers second = new Answers();
        scheduler.submit(texts.subList(0, 5), WorkKind.DOCUMENT, first);
        scheduler.submit(texts.subList(5, 8), WorkKind.DOCUMENT, second);
        manual.runAll();

        assertVectors(expected.subList(0, 5), first.vectors());
        assertVectors(expected.subList(5, 8), second.vectors());
        assertEquals(List.of(new StandInEmbedder.Call(8, length, false), new StandInEmbedder.Call(4, length, true), new StandInEmbedder.Call(4, length, true)), embedder.calls());
        assertEquals(2, model.counters().batches.sum());
        assertEquals(8L * length, model.counters().tokens.sum());
    }

    public void testSplittingCostsAtMostTwoCallsPerTextLessOne() throws Exception {
        int n = 16;
        StandInEmbedder embedder = embedder();
        LoadedModel model = model(embedder);
        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 4096, 256);
        // the worst case: every text bad, each its own job, so no job's failure spares a call
        List<Answers> jobs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Answers job = new Answers();
            jobs.add(job);
            scheduler.submit(List.of("zeppelin " + i), WorkKind.DOCUMENT, job);
        }
        manual.runAll();
        for (Answers job : jobs) {
            assertTrue(job.failure().getMessage().contains("idx=22116"));
        }
        assertEquals(2 * n - 1, embedder.calls().size());
        assertEquals(0, model.counters().batches.sum());

        // one job owning all of them fails at its first bad text: the rest of its rows never run again
        embedder.forgetCalls();
        List<String> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add("zeppelin " + i);
        }
        Answers one = new Answers();
        scheduler.submit(all, WorkKind.DOCUMENT, one);
        manual.runAll();
        one.failure();
        assertEquals("16, 8, 4, 2, 1 rows", 5, embedder.calls().size());
    }

    public void testRandomBadTextsFailOnlyTheirJobsWithinTheBound() throws Exception {
        StandInEmbedder embedder = embedder();
        LoadedModel model = model(embedder);
        List<String> words = List.of("river", "stones", "cat", "mat", "morning", "light", "snow", "mountains");
        List<String> badWords = List.of("zeppelin", "vigorously", "smeared", "identifiable");
        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 4096, 256);
        int jobs = between(1, 8);
        List<List<String>> texts = new ArrayList<>();
        List<Answers> answers = new ArrayList<>();
        int total = 0;
        for (int j = 0; j < jobs; j++) {
            List<String> jobTexts = new ArrayList<>();
            for (int i = between(1, 6); i > 0; i--) {
                boolean bad = rarely();
                jobTexts.add("the " + randomFrom(words) + " " + (bad ? randomFrom(badWords) : randomFrom(words)) + " " + total++);
            }
            texts.add(jobTexts);
        }
        List<List<float[]>> expected = new ArrayList<>();
        for (List<String> jobTexts : texts) {
            expected.add(jobTexts.stream().anyMatch(t -> badWords.stream().anyMatch(t::contains)) ? null : alone(model, embedder, jobTexts));
        }
        for (List<String> jobTexts : texts) {
            Answers job = new Answers();
            answers.add(job);
            scheduler.submit(jobTexts, randomFrom(WorkKind.values()), job);
        }
        manual.runAll();
        for (int j = 0; j < jobs; j++) {
            if (expected.get(j) == null) {
                assertTrue(answers.get(j).failure() instanceof OrtException);
            } else {
                assertVectors(expected.get(j), answers.get(j).vectors());
            }
        }
        assertTrue(embedder.calls().size() + " calls for " + total + " texts", embedder.calls().size() <= 2 * total - 1);
    }

    public void testAModelClosedDuringTheCallFailsEveryJobAtOnce() throws Exception {
        StandInEmbedder embedder = embedder();
        LoadedModel model = model(embedder);
        // an unload that stopped waiting frees the model while its batch runs
        embedder.beforeEachCall(model::close);
        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 4096, 256);
        Answers first = new Answers();
        Answers second = new Answers();
        scheduler.submit(List.of("the river runs", "a zeppelin"), WorkKind.DOCUMENT, first);
        scheduler.submit(List.of("a cat sat"), WorkKind.DOCUMENT, second);
        manual.runAll();

        for (Answers job : List.of(first, second)) {
            OpenSearchStatusException e = (OpenSearchStatusException) job.failure();
            assertEquals(RestStatus.SERVICE_UNAVAILABLE, e.status());
            assertEquals("model [bge-small-en-v1.5] was unloaded while this work ran; retry", e.getMessage());
        }
        assertEquals("no retry on a closed model", 1, embedder.calls().size());
    }

    public void testAShutdownDuringTheCallStopsSplitting() throws Exception {
        StandInEmbedder embedder = embedder();
        LoadedModel model = model(embedder);
        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 4096, 256);
        OpenSearchStatusException shuttingDown = new OpenSearchStatusException("the node is shutting down", RestStatus.SERVICE_UNAVAILABLE);
        // what ModelSlot.close does while a batch runs: fail what waits, let what runs finish
        embedder.beforeEachCall(() -> scheduler.failQueued(shuttingDown));
        Answers first = new Answers();
        Answers second = new Answers();
        scheduler.submit(List.of("the river runs", "a zeppelin"), WorkKind.DOCUMENT, first);
        scheduler.submit(List.of("a cat sat"), WorkKind.DOCUMENT, second);
        manual.runAll();

        assertSame(shuttingDown, first.failure());
        assertSame(shuttingDown, second.failure());
        assertEquals(1, embedder.calls().size());
    }

    public void testACircuitBreakerTripFailsTheRoundWith429AndIsNotSplit() throws Exception {
        Settings settings = Settings.builder().put("indices.breaker.total.use_real_memory", false).build();
        HierarchyCircuitBreakerService breakers = new HierarchyCircuitBreakerService(
            settings,
            List.of(new BreakerSettings(ModelMemory.BREAKER, 1024, 1.0, CircuitBreaker.Type.MEMORY, CircuitBreaker.Durability.TRANSIENT)),
            new ClusterSettings(settings, ClusterSettings.BUILT_IN_CLUSTER_SETTINGS)
        );
        ModelMemory memory = new ModelMemory(breakers.getBreaker(ModelMemory.BREAKER));
        StandInEmbedder embedder = embedder();
        LoadedModel model = model(embedder);
        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, new InferenceLimits(4096, 0), 256, 1, memory);
        Answers first = new Answers();
        Answers second = new Answers();
        scheduler.submit(List.of("the river runs", "a cat sat"), WorkKind.DOCUMENT, first);
        scheduler.submit(List.of("quiet morning light"), WorkKind.DOCUMENT, second);
        manual.runAll();

        for (Answers job : List.of(first, second)) {
            CircuitBreakingException e = (CircuitBreakingException) job.failure();
            assertEquals(RestStatus.TOO_MANY_REQUESTS, e.status());
        }
        assertEquals("the breaker refused before any call", List.of(), embedder.calls());
        assertEquals(0, memory.used());
    }

    public void testAQueryWaitingBehindASplitBatchRunsBetweenRetries() throws Exception {
        StandInEmbedder embedder = embedder();
        LoadedModel model = model(embedder);
        ManualExecutor manual = new ManualExecutor();
        BatchScheduler scheduler = new BatchScheduler(model, manual, 1, 4096, 256);
        Answers query = new Answers();
        embedder.beforeEachCall(() -> {
            if (embedder.calls().isEmpty()) {  // the query arrives while the document batch runs
                scheduler.submit(List.of("how do rivers form?"), WorkKind.QUERY, query);
            }
        });
        Answers documents = new Answers();
        scheduler.submit(List.of("the river runs", "a zeppelin", "a cat sat", "quiet light"), WorkKind.DOCUMENT, documents);
        manual.runAll();

        assertEquals(1, query.vectors().size());
        documents.failure();
        List<StandInEmbedder.Call> calls = embedder.calls();
        assertEquals("the failed document batch, then the query before any retry", List.of(4, 1), List.of(calls.get(0).rows(), calls.get(1).rows()));
        assertTrue(calls.get(1).succeeded());
    }
}
