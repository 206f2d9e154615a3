package io.instructembed.mapping;

import org.opensearch.Version;
import org.opensearch.cluster.ClusterName;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.metadata.Metadata;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.Settings;
import org.opensearch.test.OpenSearchTestCase;

import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/** An unmapped target would be mapped as floats by dynamic mapping (issue #14, defect 5). */
public class VectorFieldMappingsTests extends OpenSearchTestCase {

    private static VectorFieldMappings of(String mapping) throws Exception {
        IndexMetadata.Builder index = IndexMetadata.builder("i")
            .settings(Settings.builder().put(IndexMetadata.SETTING_VERSION_CREATED, Version.CURRENT))
            .numberOfShards(1)
            .numberOfReplicas(0);
        if (mapping != null) {
            index.putMapping(mapping);
        }
        ClusterState state = ClusterState.builder(ClusterName.DEFAULT).metadata(Metadata.builder().put(index)).build();
        ClusterService clusterService = mock(ClusterService.class);
        when(clusterService.state()).thenReturn(state);
        return VectorFieldMappings.of(clusterService, "i");
    }

    public void testAnUnmappedTargetIsRefusedWithTheMappingToAdd() throws Exception {
        VectorFieldMappings mappings = of("{\"properties\":{\"title\":{\"type\":\"text\"}}}");
        assertEquals(
            "target field [vec] is not mapped: map it as [knn_vector] with dimension [384] before indexing; dynamic mapping would make the vector plain floats that k-NN cannot search",
            mappings.checkMapped("vec", false, 384)
        );
        String nested = mappings.checkMapped("chunks", true, 384);
        assertTrue(nested, nested.contains("map it as [nested] with a [vector] property of type [knn_vector] and dimension [384]"));
        // an index created without any mapping is the same case
        assertNotNull(of(null).checkMapped("vec", false, 384));
    }

    public void testMappedTargetsPass() throws Exception {
        VectorFieldMappings mappings = of(
            "{\"properties\":{\"vec\":{\"type\":\"knn_vector\",\"dimension\":384},"
                + "\"chunks\":{\"type\":\"nested\",\"properties\":{\"vector\":{\"type\":\"knn_vector\",\"dimension\":384}}}}}"
        );
        assertNull(mappings.checkMapped("vec", false, 384));
        assertNull(mappings.checkMapped("chunks", true, 384));
    }

    public void testDynamicTemplatesAndIndicesNotCreatedYetMayStillMapIt() throws Exception {
        assertNull(of("{\"dynamic_templates\":[{\"vectors\":{\"match\":\"*_vec\",\"mapping\":{\"type\":\"knn_vector\",\"dimension\":384}}}]}").checkMapped("a_vec", false, 384));
        ClusterService clusterService = mock(ClusterService.class);
        when(clusterService.state()).thenReturn(ClusterState.builder(ClusterName.DEFAULT).build());
        assertNull(VectorFieldMappings.of(clusterService, "not-created").checkMapped("vec", false, 384));
    }
}
