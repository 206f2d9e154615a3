package io.instructembed.model;

import org.opensearch.test.OpenSearchTestCase;

import java.util.Arrays;
import java.util.List;

public class BatchPlannerTests extends OpenSearchTestCase {

    private static void assertEveryIndexOnce(int n, List<int[]> batches) {
        int[] seen = new int[n];
        for (int[] batch : batches) {
            for (int i : batch) {
                seen[i]++;
            }
        }
        for (int i = 0; i < n; i++) {
            assertEquals("index " + i, 1, seen[i]);
        }
    }

    public void testRandomLengthsRespectBudgetAndSize() {
        for (int round = 0; round < 50; round++) {
            int budget = randomIntBetween(64, 4096);
            int maxSize = randomIntBetween(1, 64);
            int[] lengths = new int[randomIntBetween(0, 300)];
            for (int i = 0; i < lengths.length; i++) {
                lengths[i] = randomIntBetween(1, 512);
            }
            List<int[]> batches = new BatchPlanner(budget, maxSize).plan(lengths);
            assertEveryIndexOnce(lengths.length, batches);
            for (int[] batch : batches) {
                assertTrue(batch.length <= maxSize);
                int longest = Arrays.stream(batch).map(i -> lengths[i]).max().orElseThrow();
                assertTrue("batch over budget", batch.length == 1 || (long) longest * batch.length <= budget);
            }
        }
    }

    public void testOneLongTextDoesNotPadTheShortOnes() {
        int[] lengths = new int[17];
        Arrays.fill(lengths, 10);
        lengths[5] = 512;
        List<int[]> batches = new BatchPlanner(8192, 32).plan(lengths);
        assertEquals(2, batches.size());
        assertArrayEquals(new int[] { 5 }, batches.get(0));
        assertEquals(16, batches.get(1).length);
    }

    public void testEqualShortTextsShareOneBatch() {
        int[] lengths = new int[256];
        Arrays.fill(lengths, 20);
        // 256 x 20 padded tokens fit 8,192 twice over; only the row limit cuts
        assertEquals(8, new BatchPlanner(8192, 32).plan(lengths).size());
        assertEquals(1, new BatchPlanner(8192, 256).plan(lengths).size());
    }

    public void testATextLongerThanTheBudgetGetsItsOwnBatch() {
        List<int[]> batches = new BatchPlanner(100, 8).plan(new int[] { 300, 5, 5 });
        assertArrayEquals(new int[] { 0 }, batches.get(0));
        assertEquals(2, batches.get(1).length);
    }
}
