package io.instructembed.model;

import io.instructembed.chunking.ChunkingOptions;
import io.instructembed.pack.InputType;
import io.instructembed.pack.ModelPack;
import io.instructembed.pack.PackDescription;
import io.instructembed.support.TestModelServices;
import org.opensearch.OpenSearchStatusException;
import org.opensearch.action.support.PlainActionFuture;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.test.OpenSearchTestCase;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The model service under traffic while its model is unloaded and loaded again: every call is
 * answered, none fails, and the per-model totals keep counting across reloads. Before models had
 * one lifecycle state, calls that arrived during an unload's drain failed with a
 * NullPointerException on the null scheduler.
 */
public class ModelServiceLifecycleTests extends OpenSearchTestCase {
    private static final String BGE = "bge-small-en-v1.5";

    public void testCallsFromSeveralThreadsWhileTheModelIsUnloadedAndLoadedAgainAllSucceed() throws Exception {
        try (TestModelServices models = TestModelServices.bundled(null, "cpu", List.of(), 2, 2)) {
            ModelService service = models.service;
            PlainActionFuture<ModelStatus> first = new PlainActionFuture<>();
            service.load(BGE, first);
            assertEquals(LoadState.LOADED, first.actionGet(60, TimeUnit.SECONDS).state());

            AtomicBoolean running = new AtomicBoolean(true);
            AtomicLong embeddedTexts = new AtomicLong();
            ConcurrentLinkedQueue<PlainActionFuture<?>> calls = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<PlainActionFuture<List<DocumentResult>>> documentCalls = new ConcurrentLinkedQueue<>();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < 4; c++) {
                int client = c;
                Thread thread = new Thread(() -> {
                    for (int i = 0; running.get(); i++) {
                        String text = "client " + client + " call " + i + " about rivers, hills and the sea";
                        PlainActionFuture<List<Embedding>> embed = new PlainActionFuture<>();
                        InputType side = i % 2 == 0 ? InputType.DOCUMENT : InputType.QUERY;
                        service.embed(new ModelService.EmbedCall(BGE, List.of(text, text + " again"), side, null, null), embed);
                        embeddedTexts.addAndGet(2);
                        calls.add(embed);
                        PlainActionFuture<List<DocumentResult>> chunked = new PlainActionFuture<>();
                        DocumentCall.Document document = new DocumentCall.Document(List.of(new DocumentCall.Field("body", false, List.of(text))));
                        service.embedDocuments(
                            new DocumentCall(BGE, null, new ChunkingOptions(io.instructembed.chunking.ChunkingMethod.TOKENS, 8, 2), 100, true, List.of(document)),
                            chunked
                        );
                        documentCalls.add(chunked);
                        calls.add(chunked);
                        embed.actionGet(120, TimeUnit.SECONDS);  // a failure ends the client; the check below reports it
                    }
                });
                thread.start();
                clients.add(thread);
            }
            List<String> phases = new ArrayList<>();
            for (int cycle = 0; cycle < 5; cycle++) {
                Thread.sleep(300);
                phases.add(service.unload(BGE, 60, TimeUnit.SECONDS).state().jsonName());
                Thread.sleep(100);
                PlainActionFuture<ModelStatus> load = new PlainActionFuture<>();
                service.load(BGE, load);
                assertEquals(LoadState.LOADED, load.actionGet(60, TimeUnit.SECONDS).state());
            }
            running.set(false);
            for (Thread client : clients) {
                client.join(TimeUnit.MINUTES.toMillis(2));
                assertFalse("a client hung", client.isAlive());
            }
            List<String> failures = new ArrayList<>();
            for (PlainActionFuture<?> call : calls) {
                try {
                    call.actionGet(60, TimeUnit.SECONDS);
                } catch (Exception e) {
                    failures.add(e.toString());
                }
            }
            long chunksEmbedded = 0;
            for (PlainActionFuture<List<DocumentResult>> call : documentCalls) {
                DocumentResult result = call.actionGet(60, TimeUnit.SECONDS).get(0);
                if (result.failed()) {
                    failures.add(result.failure().toString());
                } else {
                    chunksEmbedded += result.texts().get(0).size();
                }
            }
            assertEquals("every call succeeds across " + phases, List.of(), failures);
            assertTrue("traffic ran through the reloads: " + calls.size() + " calls", calls.size() > 20);
            ModelCounters totals = service.counters(BGE);
            assertEquals("texts counted across every reload (the query cache is off)", embeddedTexts.get() + chunksEmbedded, totals.texts.sum());
            assertEquals(0, totals.errors.sum());
            assertEquals(0, totals.rejections.sum());
            assertEquals(0, service.queuedTexts(BGE));
        }
    }

    public void testStatsSurviveUnloadAndReload() throws Exception {
        try (TestModelServices models = TestModelServices.bundled()) {
            ModelService service = models.service;
            PlainActionFuture<List<Embedding>> call = new PlainActionFuture<>();
            service.embed(new ModelService.EmbedCall(BGE, List.of("one", "two"), InputType.DOCUMENT, null, null), call);
            call.actionGet(60, TimeUnit.SECONDS);
            long texts = service.counters(BGE).texts.sum();
            long batches = service.counters(BGE).batches.sum();
            assertEquals(2, texts);
            assertEquals(LoadState.NOT_LOADED, service.unload(BGE, 10, TimeUnit.SECONDS).state());
            assertEquals("unloading keeps the totals", texts, service.counters(BGE).texts.sum());

            PlainActionFuture<List<Embedding>> again = new PlainActionFuture<>();
            service.embed(new ModelService.EmbedCall(BGE, List.of("three"), InputType.DOCUMENT, null, null), again);
            again.actionGet(60, TimeUnit.SECONDS);
            assertEquals("the reload counts on from the old totals", 3, service.counters(BGE).texts.sum());
            assertEquals(batches + 1, service.counters(BGE).batches.sum());
        }
    }

    public void testAFailedLoadIsCountedAsAnErrorAndShowsNoAbsolutePath() throws Exception {
        Path userPacks = createTempDir();
        Files.createDirectories(userPacks.resolve(BGE));
        Files.writeString(userPacks.resolve(BGE).resolve(BGE + ".onnx"), "not an onnx graph");
        try (TestModelServices models = TestModelServices.bundled(userPacks, "cpu", List.of(), 1, 1)) {
            ModelService service = models.service;
            PlainActionFuture<List<Embedding>> call = new PlainActionFuture<>();
            service.embed(new ModelService.EmbedCall(BGE, List.of("x"), InputType.DOCUMENT, null, null), call);
            OpenSearchStatusException e = expectThrows(OpenSearchStatusException.class, () -> call.actionGet(60, TimeUnit.SECONDS));
            assertEquals(RestStatus.INTERNAL_SERVER_ERROR, e.status());
            assertTrue(e.getMessage(), e.getMessage().startsWith("model [bge-small-en-v1.5] failed to load: "));
            assertNull("the cause (with the node's paths) is logged, not sent", e.getCause());
            String root = userPacks.toAbsolutePath().toString();
            assertFalse(e.getMessage(), e.getMessage().contains(root));
            ModelStatus status = service.status(BGE);
            assertEquals(LoadState.FAILED, status.state());
            assertFalse(status.error(), status.error().contains(root));
            assertEquals(1, service.counters(BGE).errors.sum());
        }
    }

    public void testPackPathsAreShownRelativeToTheNodesDirectories() {
        try (TestModelServices models = TestModelServices.bundled()) {
            ModelPack missing = models.packs.get("sfr-embedding-mistral").orElseThrow();
            Map<String, Object> described = PackDescription.describe(missing, models.packs.paths());
            assertEquals("config/instruct-embed/packs/sfr-embedding-mistral", described.get("install_dir"));
            OpenSearchStatusException e = expectThrows(OpenSearchStatusException.class, () -> models.service.usablePack("sfr-embedding-mistral"));
            assertTrue(e.getMessage(), e.getMessage().contains("put them in [config/instruct-embed/packs/sfr-embedding-mistral]"));
            assertFalse(e.getMessage(), e.getMessage().contains(models.packs.paths().configRoot().toString()));
        }
    }
}
