package io.instructembed.model;

import org.opensearch.test.OpenSearchTestCase;

/** The query-embedding cache: weighed in bytes, least recently used out, per-model invalidation. */
public class QueryEmbeddingCacheTests extends OpenSearchTestCase {

    private static Embedding vector(int dimensions) {
        return new Embedding(new float[dimensions], 3, false);
    }

    public void testA4096DimensionVectorWeighsSixteenKilobytes() {
        long weight = QueryEmbeddingCache.weigh("q", vector(4096));
        assertTrue(weight + " bytes", weight >= 16 * 1024 && weight < 16 * 1024 + 256);
        long small = QueryEmbeddingCache.weigh("q", vector(384));
        assertTrue(small + " bytes", small >= 1536 && small < 1536 + 256);
        assertEquals("text counts too", small + 2 * 99, QueryEmbeddingCache.weigh("q" + "x".repeat(99), vector(384)));
    }

    public void testTheLimitIsInBytesSoWideVectorsTakeMoreRoom() {
        QueryEmbeddingCache cache = new QueryEmbeddingCache(64 * 1024);
        for (int i = 0; i < 10; i++) {
            cache.put("sfr", "query " + i, vector(4096));
        }
        assertTrue("at most three 16 KB vectors fit in 64 KB, " + cache.size() + " kept", cache.size() <= 3);
        assertTrue(cache.bytes() <= 64 * 1024);
        // the most recent one is kept, the oldest went
        assertNotNull(cache.get("sfr", "query 9", true));
        assertNull(cache.get("sfr", "query 0", true));

        QueryEmbeddingCache narrow = new QueryEmbeddingCache(64 * 1024);
        for (int i = 0; i < 30; i++) {
            narrow.put("bge", "query " + i, vector(384));
        }
        assertEquals("thirty 1.5 KB vectors fit in 64 KB", 30, narrow.size());
    }

    public void testHitsAndMissesAreCountedPerModel() {
        QueryEmbeddingCache cache = new QueryEmbeddingCache(1 << 20);
        cache.put("bge", "q", vector(384));
        assertNotNull(cache.get("bge", "q", true));
        assertNull(cache.get("other", "q", true));
        assertNull(cache.get("other", "q", false));
        assertEquals(1, cache.hits("bge"));
        assertEquals(0, cache.misses("bge"));
        assertEquals(1, cache.misses("other"));
    }

    public void testInvalidateDropsOnlyThatModel() {
        QueryEmbeddingCache cache = new QueryEmbeddingCache(1 << 20);
        cache.put("a", "q1", vector(8));
        cache.put("a", "q2", vector(8));
        cache.put("b", "q1", vector(8));
        cache.invalidate("a");
        assertNull(cache.get("a", "q1", false));
        assertNull(cache.get("a", "q2", false));
        assertNotNull(cache.get("b", "q1", false));
    }

    public void testZeroTurnsItOffAndAResizeAppliesAtOnce() {
        QueryEmbeddingCache off = new QueryEmbeddingCache(0);
        off.put("a", "q", vector(8));
        assertNull(off.get("a", "q", true));
        assertEquals(0, off.size());

        QueryEmbeddingCache cache = new QueryEmbeddingCache(1 << 20);
        cache.put("a", "q", vector(8));
        cache.setMaxBytes(0);
        assertNull(cache.get("a", "q", false));
        assertEquals(0, cache.size());
        cache.setMaxBytes(1 << 20);
        cache.put("a", "q", vector(8));
        assertNotNull(cache.get("a", "q", false));
    }
}
