package io.instructembed.rest;

import com.carrotsearch.randomizedtesting.annotations.Name;
import com.carrotsearch.randomizedtesting.annotations.ParametersFactory;
import org.opensearch.test.rest.yaml.ClientYamlTestCandidate;
import org.opensearch.test.rest.yaml.OpenSearchClientYamlSuiteTestCase;

/** Runs the YAML suites under {@code rest-api-spec/test} against the real test node. */
public class InstructEmbedClientYamlTestSuiteIT extends OpenSearchClientYamlSuiteTestCase {

    public InstructEmbedClientYamlTestSuiteIT(@Name("yaml") ClientYamlTestCandidate testCandidate) {
        super(testCandidate);
    }

    @ParametersFactory
    public static Iterable<Object[]> parameters() throws Exception {
        return createParameters();
    }

    /**
     * JSON bodies only. k-NN 3.5's derived-source support re-reads stored sources as JSON, so a
     * document bulk-indexed as YAML, CBOR or SMILE into a knn_vector index fails its shard (with or
     * without this plugin); the plugin's own endpoints accept every content type.
     */
    @Override
    protected boolean randomizeContentType() {
        return false;
    }
}
