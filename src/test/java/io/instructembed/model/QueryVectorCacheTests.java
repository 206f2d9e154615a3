package io.instructembed.model;

import org.opensearch.test.OpenSearchTestCase;

public class QueryVectorCacheTests extends OpenSearchTestCase {

    private static Embedding embedding(float value) {
        return new Embedding(new float[] { value }, 3, false);
    }

    public void testLeastRecentlyUsedGoesFirst() {
        QueryVectorCache cache = new QueryVectorCache(2);
        cache.put("m", "a", embedding(1));
        cache.put("m", "b", embedding(2));
        assertNotNull(cache.get("m", "a", true));   // a is now the most recent
        cache.put("m", "c", embedding(3));          // evicts b
        assertNull(cache.get("m", "b", true));
        assertNotNull(cache.get("m", "a", true));
        assertNotNull(cache.get("m", "c", true));
        assertEquals(2, cache.size());
        assertEquals(3, cache.hits("m"));
        assertEquals(1, cache.misses("m"));
    }

    public void testKeysAreModelAndRenderedText() {
        QueryVectorCache cache = new QueryVectorCache(10);
        cache.put("m1", "text", embedding(1));
        assertNull(cache.get("m2", "text", false));
        assertEquals(0, cache.misses("m2"));  // a peek that misses is not counted
        assertEquals(1f, cache.get("m1", "text", true).vector()[0], 0f);
        cache.invalidate("m1");
        assertNull(cache.get("m1", "text", true));
    }

    public void testSizeZeroTurnsTheCacheOff() {
        QueryVectorCache cache = new QueryVectorCache(0);
        cache.put("m", "a", embedding(1));
        assertNull(cache.get("m", "a", true));
        assertEquals(0, cache.size());
        assertEquals(1, cache.misses("m"));
    }
}
