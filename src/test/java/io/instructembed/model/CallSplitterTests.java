package io.instructembed.model;

import org.opensearch.test.OpenSearchTestCase;

import java.util.List;

public class CallSplitterTests extends OpenSearchTestCase {

    public void testSplittingIntoCallsKeepsOrderAndDocumentsWholeAndGivesNoCallForNothing() {
        assertEquals(List.of(), CallSplitter.split(List.<Integer>of(), n -> n, 4));
        assertEquals(
            List.of(List.of(1, 2), List.of(3), List.of(9), List.of(1, 1, 1)),
            CallSplitter.split(List.of(1, 2, 3, 9, 1, 1, 1), n -> n, 4)
        );
    }

    public void testACallHoldsAtMostTheMaximumOrTheQueueShare() {
        assertEquals(CallSplitter.MAX_TEXTS_PER_CALL, CallSplitter.textsPerCall(1024));
        assertEquals(32, CallSplitter.textsPerCall(32));
        assertEquals(1, CallSplitter.textsPerCall(1));
    }
}
