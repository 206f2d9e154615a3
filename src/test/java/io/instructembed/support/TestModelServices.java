package io.instructembed.support;

import io.instructembed.model.DevicePlan;
import io.instructembed.model.InferenceConfig;
import io.instructembed.model.ModelService;
import io.instructembed.model.NativeLibraries;
import io.instructembed.model.OnnxRuntimeCuda;
import io.instructembed.model.QueryEmbeddingCache;
import io.instructembed.model.SessionOpener;
import io.instructembed.pack.PackRegistry;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.util.concurrent.OpenSearchExecutors;
import org.opensearch.common.util.concurrent.ThreadContext;

import java.io.Closeable;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/** A model service over real packs and real ONNX Runtime, on its own small pool, for in-JVM tests. */
public final class TestModelServices implements Closeable {
    public final ExecutorService executor;
    public final ModelService service;
    public final PackRegistry packs;

    private TestModelServices(PackRegistry packs, int threads, String device, List<String> overrides, ModelService.SchedulerConfig scheduler) {
        NativeLibraries.configureDjl(Path.of(System.getProperty("java.io.tmpdir")));
        this.packs = packs;
        this.executor = OpenSearchExecutors.newFixed("test-inference", threads, 64, OpenSearchExecutors.daemonThreadFactory("test-inference"), new ThreadContext(Settings.EMPTY));
        InferenceConfig config = InferenceConfig.from(Settings.EMPTY);
        this.service = new ModelService(
            packs,
            executor,
            config,
            new SessionOpener(config, new OnnxRuntimeCuda(0, "kSameAsRequested")),
            DevicePlan.of(device, overrides),
            new QueryEmbeddingCache(0),
            scheduler
        );
    }

    /** The bundled packs (as built into target/model-packs), plus user packs from {@code userPacks}. */
    public static TestModelServices bundled(Path userPacks, String device, List<String> overrides, int threads, int workers) {
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        return bundled(userPacks, device, overrides, threads, new ModelService.SchedulerConfig(workers, 4096, 256));
    }

    public static TestModelServices bundled(Path userPacks, String device, List<String> overrides, int threads, ModelService.SchedulerConfig scheduler) {
        Path bundled = Path.of(System.getProperty("instruct_embed.test.packs"));
        return new TestModelServices(PackRegistry.scan(userPacks == null ? bundled.resolve("none") : userPacks, bundled), threads, device, overrides, scheduler);
    }

    public static TestModelServices bundled() {
        return bundled(null, "auto", List.of(), 1, 1);
    }

    @Override
    public void close() {
        service.close();
        executor.shutdown();
        try {
            executor.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
