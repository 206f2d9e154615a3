package io.instructembed.support;

import org.opensearch.Version;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.node.DiscoveryNodeRole;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.ClusterSettings;
import org.opensearch.common.settings.Setting;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.xcontent.NamedXContentRegistry;
import org.opensearch.env.TestEnvironment;
import org.opensearch.plugins.Plugin;
import org.opensearch.test.ClusterServiceUtils;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.threadpool.ExecutorBuilder;
import org.opensearch.threadpool.TestThreadPool;
import org.opensearch.threadpool.ThreadPool;

import java.io.Closeable;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The k-NN plugin's node components, started the way a node starts them
 * ({@code KNNPlugin#createComponents}) on a test cluster service and thread pool. In-JVM tests
 * that build k-NN's field types and queries outside a node need them: k-NN keeps its model DAO,
 * settings and cluster view in static singletons that only {@code createComponents} fills.
 */
public final class KnnNodeComponents implements Closeable {
    public final ThreadPool threadPool;
    public final ClusterService clusterService;

    private KnnNodeComponents(ThreadPool threadPool, ClusterService clusterService) {
        this.threadPool = threadPool;
        this.clusterService = clusterService;
    }

    /**
     * k-NN's plugin class. k-NN is published only as a plugin zip, so the build unpacks its jars
     * beside the test classpath (pom.xml, knn-test-classpath) and tests reach it by name.
     */
    @SuppressWarnings("unchecked")
    public static Class<? extends Plugin> pluginClass() {
        try {
            return (Class<? extends Plugin>) Class.forName("org.opensearch.knn.plugin.KNNPlugin");
        } catch (ClassNotFoundException e) {
            throw new AssertionError("k-NN's jar is not on the test classpath (see knn-test-classpath in pom.xml)", e);
        }
    }

    /** Starts k-NN's components; {@code home} becomes the node's path.home. */
    public static KnnNodeComponents start(Path home) throws ReflectiveOperationException {
        Plugin knn = pluginClass().getDeclaredConstructor().newInstance();
        Set<Setting<?>> clusterSettings = new HashSet<>(ClusterSettings.BUILT_IN_CLUSTER_SETTINGS);
        for (Setting<?> setting : knn.getSettings()) {
            if (setting.hasNodeScope()) {
                clusterSettings.add(setting);
            }
        }
        // and this plugin's, as a node registers every plugin's settings (text limits are read in the rewrite)
        for (Setting<?> setting : io.instructembed.settings.InstructEmbedSettings.all()) {
            if (setting.hasNodeScope()) {
                clusterSettings.add(setting);
            }
        }
        ThreadPool threadPool = new TestThreadPool("knn-node", knn.getExecutorBuilders(Settings.EMPTY).toArray(new ExecutorBuilder<?>[0]));
        ClusterService clusterService = ClusterServiceUtils.createClusterService(
            threadPool,
            new DiscoveryNode("node", OpenSearchTestCase.buildNewFakeTransportAddress(), Map.of(), DiscoveryNodeRole.BUILT_IN_ROLES, Version.CURRENT),
            new ClusterSettings(Settings.EMPTY, clusterSettings)
        );
        // No client: nothing these tests run (mappings, knn queries on lucene fields) calls it.
        knn.createComponents(
            null,
            clusterService,
            threadPool,
            null,
            null,
            NamedXContentRegistry.EMPTY,
            TestEnvironment.newEnvironment(Settings.builder().put("path.home", home.toString()).build()),
            null,
            null,
            null,
            () -> null
        );
        return new KnnNodeComponents(threadPool, clusterService);
    }

    @Override
    public void close() {
        clusterService.close();
        ThreadPool.terminate(threadPool, 10, TimeUnit.SECONDS);
    }
}
