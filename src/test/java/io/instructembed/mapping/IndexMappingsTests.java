package io.instructembed.mapping;

import org.opensearch.Version;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.common.settings.Settings;
import org.opensearch.test.OpenSearchTestCase;

import java.util.Map;

/** A mapping is read once per index and mapping version, and read afresh when it changes (issue #21 item 10). */
public class IndexMappingsTests extends OpenSearchTestCase {

    private static IndexMetadata index(String uuid, long mappingVersion, String mapping) throws Exception {
        return IndexMetadata.builder("i")
            .settings(Settings.builder().put(IndexMetadata.SETTING_VERSION_CREATED, Version.CURRENT).put(IndexMetadata.SETTING_INDEX_UUID, uuid))
            .numberOfShards(1)
            .numberOfReplicas(0)
            .mappingVersion(mappingVersion)
            .putMapping(mapping)
            .build();
    }

    public void testOneReadPerMappingVersion() throws Exception {
        IndexMappings mappings = new IndexMappings();
        String vec = "{\"properties\":{\"vec\":{\"type\":\"knn_vector\",\"dimension\":384}},\"_meta\":{\"a\":1}}";
        VectorFieldMappings first = mappings.of(index("u1", 1, vec));
        assertSame("the same mapping version is not parsed again", first, mappings.of(index("u1", 1, vec)));
        assertTrue(first.isMapped("vec"));
        assertEquals(Map.of("a", 1), mappings.meta(index("u1", 1, vec)));

        VectorFieldMappings changed = mappings.of(index("u1", 2, "{\"properties\":{\"title\":{\"type\":\"text\"}}}"));
        assertNotSame(first, changed);
        assertFalse("a new mapping version is read afresh", changed.isMapped("vec"));
        assertEquals(Map.of(), mappings.meta(index("u1", 2, "{\"properties\":{\"title\":{\"type\":\"text\"}}}")));
        // another index (a deleted and recreated one) under the same name and version
        assertNotSame(first, mappings.of(index("u2", 1, vec)));
    }
}
