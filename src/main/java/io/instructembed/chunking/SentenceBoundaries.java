package io.instructembed.chunking;

import java.text.BreakIterator;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Where sentences and paragraphs of a text begin: the JDK's Unicode sentence rules (which end
 * sentences at . ! ? and at the CJK 。！？ and their runs such as ？！), plus a blank line as a
 * paragraph end, plus the full-width marks the JDK rules let run on in Chinese and Japanese text:
 * the stops ． and ｡ followed by a character that is not a digit (not a decimal point such as
 * 3．5), and the full-width semicolon ；, which in Chinese ends a clause as long as a sentence.
 * Closing brackets and quotes after any of them stay with the sentence they close. Abbreviations
 * such as "Dr." may still end a sentence: chunks pack several sentences anyway, so a short false
 * sentence costs nothing.
 */
final class SentenceBoundaries {
    private static final char FULLWIDTH_FULL_STOP = '\uFF0E';
    private static final char HALFWIDTH_IDEOGRAPHIC_FULL_STOP = '\uFF61';
    private static final char FULLWIDTH_SEMICOLON = '\uFF1B';

    private SentenceBoundaries() {}

    /** Offsets, in ascending order, where a paragraph (text after a blank line) starts; neither 0 nor the text's length. */
    static int[] paragraphs(String text) {
        TreeSet<Integer> starts = new TreeSet<>();
        for (int i = 0; i < text.length(); i++) {
            if (text.charAt(i) == '\n') {
                int next = blankLineEnd(text, i);
                if (next > 0) {
                    starts.add(next);
                }
            }
        }
        return inside(starts, text);
    }

    /** The offset after a blank line that starts at the newline {@code at}, or -1 when none does. */
    private static int blankLineEnd(String text, int at) {
        int next = at + 1;
        while (next < text.length() && (text.charAt(next) == ' ' || text.charAt(next) == '\t' || text.charAt(next) == '\r')) {
            next++;
        }
        return next < text.length() && text.charAt(next) == '\n' ? next + 1 : -1;
    }

    private static int[] inside(TreeSet<Integer> starts, String text) {
        return starts.stream().mapToInt(Integer::intValue).filter(offset -> offset > 0 && offset < text.length()).toArray();
    }

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
                int next = blankLineEnd(text, i);
                if (next > 0) {
                    starts.add(next);  // a blank line ends a paragraph
                }
            } else if (endsSentenceWithinText(text, i)) {
                int next = i + 1;
                while (next < text.length() && isClosing(text.charAt(next))) {
                    next++;
                }
                starts.add(next);
            }
        }
        return inside(starts, text);
    }

    /** A full-width stop or semicolon at {@code at} that the JDK's rules do not end a sentence at. */
    private static boolean endsSentenceWithinText(String text, int at) {
        char c = text.charAt(at);
        if (c == FULLWIDTH_SEMICOLON) {
            return true;
        }
        boolean stop = c == FULLWIDTH_FULL_STOP || c == HALFWIDTH_IDEOGRAPHIC_FULL_STOP;
        return stop && at + 1 < text.length() && Character.isDigit(text.charAt(at + 1)) == false;
    }

    private static boolean isClosing(char c) {
        int type = Character.getType(c);
        return type == Character.END_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION || c == '"' || c == '\'';
    }
}
