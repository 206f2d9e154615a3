package io.instructembed.chunking;

import java.text.BreakIterator;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Where sentences and paragraphs of a text begin: the JDK's Unicode sentence rules (which end
 * sentences at . ! ? and at the CJK 。！？), plus a blank line as a paragraph end, plus the
 * full-width stops the JDK rules let run on in Japanese text (． and ｡ followed by another
 * character that is not a digit). Abbreviations such as "Dr." may still end a sentence: chunks
 * pack several sentences anyway, so a short false sentence costs nothing.
 */
final class SentenceBoundaries {
    private SentenceBoundaries() {}

    /** Offsets, in ascending order, where a sentence or paragraph starts; neither 0 nor the text's length. */
    static int[] of(String text) {
        TreeSet<Integer> starts = new TreeSet<>();
        BreakIterator sentences = BreakIterator.getSentenceInstance(Locale.ROOT);
        sentences.setText(text);
        for (int end = sentences.next(); end != BreakIterator.DONE; end = sentences.next()) {
            starts.add(end);
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                int next = i + 1;
                while (next < text.length() && (text.charAt(next) == ' ' || text.charAt(next) == '\t' || text.charAt(next) == '\r')) {
                    next++;
                }
                if (next < text.length() && text.charAt(next) == '\n') {
                    starts.add(next + 1);  // a blank line ends a paragraph
                }
            } else if ((c == '\uFF0E' || c == '\uFF61') && i + 1 < text.length() && Character.isDigit(text.charAt(i + 1)) == false) {
                int next = i + 1;
                while (next < text.length() && isClosing(text.charAt(next))) {
                    next++;
                }
                starts.add(next);
            }
        }
        starts.remove(0);
        starts.remove(text.length());
        return starts.stream().mapToInt(Integer::intValue).filter(offset -> offset > 0 && offset < text.length()).toArray();
    }

    private static boolean isClosing(char c) {
        int type = Character.getType(c);
        return type == Character.END_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION || c == '"' || c == '\'';
    }
}
