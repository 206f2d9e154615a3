package io.instructembed.support;

import org.apache.hc.core5.http.HttpHost;
import org.junit.AfterClass;
import org.opensearch.client.RestClient;
import org.opensearch.test.rest.OpenSearchRestTestCase;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * A REST test over a {@link TestCluster} that the test class starts in its own {@code @BeforeClass}
 * (assigning {@link #cluster}) and that stops with the class: one REST client per member, by name,
 * so that a call goes to exactly the node the test means (a test about which node serves must
 * never let the client pick one).
 */
public abstract class ClusterRestTestCase extends OpenSearchRestTestCase {
    /** Set by the subclass's {@code @BeforeClass}; stopped and cleared after the class. */
    protected static TestCluster cluster;
    private static final Map<String, RestClient> clients = new TreeMap<>();

    @AfterClass
    public static void stopCluster() throws Exception {
        for (RestClient client : clients.values()) {
            client.close();
        }
        clients.clear();
        if (cluster != null) {
            cluster.stopAll();
            cluster = null;
        }
    }

    @Override
    protected String getTestRestCluster() {
        return cluster.restCluster();
    }

    @Override
    protected boolean preserveClusterUponCompletion() {
        return true;  // the cluster goes with the class; its nodes stop in stopCluster
    }

    /** A client of member {@code name} alone. */
    protected RestClient node(String name) throws IOException {
        RestClient client = clients.get(name);
        if (client == null) {
            client = buildClient(restClientSettings(), new HttpHost[] { cluster.host(name) });
            clients.put(name, client);
        }
        return client;
    }

    /** Stops member {@code name}, closing its client first (a restarted member gets a new one). */
    protected void stopMember(String name) throws IOException, InterruptedException {
        RestClient client = clients.remove(name);
        if (client != null) {
            client.close();
        }
        cluster.stop(name);
    }
}
