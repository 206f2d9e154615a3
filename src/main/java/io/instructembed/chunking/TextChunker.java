package io.instructembed.chunking;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts a text into chunks at token boundaries, counting tokens with the pack's own tokenizer (the
 * {@link TokenSpans} it produced). A chunk is always an exact substring of the source text, from
 * the start of its first token to the end of its last: never a re-joined token string.
 *
 * <p>Counting a chunk's tokens inside the whole text and on its own can differ by a token or two
 * (a word cut in two, a character that is several byte tokens, the prompt merging with the first
 * word). The {@link Fit} check renders each chunk with the prompt as the model will see it, and a
 * chunk that would be truncated gives up tokens at its end until it fits, so no chunk is ever cut
 * by the model.
 */
public final class TextChunker {
    private TextChunker() {}

    /** One chunk: the characters {@code [start, end)} of the source text. */
    public record Chunk(int start, int end) {
        public String text(String source) {
            return source.substring(start, end);
        }
    }

    /** Whether the characters {@code [start, end)} of the text, rendered with the prompt, fit the model whole. */
    @FunctionalInterface
    public interface Fit {
        boolean fits(int start, int end);
    }

    /**
     * @param options resolved options ({@link ChunkingOptions#maxTokens()} set)
     */
    public static List<Chunk> chunk(String text, TokenSpans tokens, ChunkingOptions options, Fit fit) {
        if (options.maxTokens() == null) {
            throw new IllegalArgumentException("chunking options must be resolved against the pack first");
        }
        List<Chunk> chunks = new ArrayList<>();
        if (tokens.size() == 0) {
            return chunks;
        }
        Emitter emitter = new Emitter(tokens, fit, chunks);
        if (options.method() == ChunkingMethod.TOKENS) {
            windows(emitter, 0, tokens.size(), options.maxTokens(), options.overlapTokens());
        } else {
            sentences(emitter, text, tokens, options.maxTokens(), options.overlapTokens());
        }
        return chunks;
    }

    /** Windows of {@code max} tokens over the tokens {@code [from, to)}, each repeating {@code overlap} of the previous. */
    private static void windows(Emitter emitter, int from, int to, int max, int overlap) {
        int start = from;
        while (start < to) {
            int end = emitter.emit(start, Math.min(start + max, to));
            if (end >= to) {
                return;
            }
            start = Math.max(end - overlap, start + 1);
        }
    }

    /**
     * Paragraphs (text between blank lines) packed whole into chunks while they fit; a paragraph
     * longer than a chunk is packed by its sentences on its own. A chunk thus never joins the end
     * of one paragraph to the start of the next, where the topic often changes.
     */
    private static void sentences(Emitter emitter, String text, TokenSpans tokens, int max, int overlap) {
        List<int[]> paragraphs = units(tokens, SentenceBoundaries.paragraphs(text), 0, tokens.size());
        int[] sentenceStarts = SentenceBoundaries.of(text);
        int next = 0;
        while (next < paragraphs.size()) {
            int[] paragraph = paragraphs.get(next);
            if (paragraph[1] - paragraph[0] > max) {
                packSentences(emitter, units(tokens, sentenceStarts, paragraph[0], paragraph[1]), max, overlap);
                next++;
                continue;
            }
            int start = paragraph[0];
            int last = next;
            while (last + 1 < paragraphs.size() && paragraphs.get(last + 1)[1] - start <= max) {
                last++;
            }
            int wanted = paragraphs.get(last)[1];
            int end = emitter.emit(start, wanted);
            if (end < wanted) {
                // the chunk gave up tokens to fit the model: the rest of its last paragraph comes next
                while (paragraphs.get(last)[0] >= end) {
                    last--;
                }
                paragraphs.set(last, new int[] { end, paragraphs.get(last)[1] });
                next = last;
            } else {
                next = last + 1;
            }
        }
    }

    /**
     * Whole sentences packed into chunks of at most {@code max} tokens; the next chunk repeats the
     * previous chunk's last whole sentences that together take at most {@code overlap} tokens.
     */
    private static void packSentences(Emitter emitter, List<int[]> units, int max, int overlap) {
        int next = 0;
        int carried = -1;  // first unit of the overlap to repeat, or -1
        while (next < units.size()) {
            int[] unit = units.get(next);
            if (unit[1] - unit[0] > max) {
                // a sentence longer than a chunk: token windows over it alone
                windows(emitter, unit[0], unit[1], max, overlap);
                next++;
                carried = -1;
                continue;
            }
            int first = carried >= 0 && unit[1] - units.get(carried)[0] <= max ? carried : next;
            int start = units.get(first)[0];
            int last = next;
            while (last + 1 < units.size() && units.get(last + 1)[1] - start <= max) {
                last++;
            }
            int wanted = units.get(last)[1];
            int end = emitter.emit(start, wanted);
            if (end < wanted) {
                // the chunk gave up tokens to fit the model: the rest of its last sentence comes next
                int[] cut = units.get(last);
                while (cut[0] >= end) {
                    last--;  // a whole sentence given up
                    cut = units.get(last);
                }
                units.set(last, new int[] { cut[0], end });
                units.add(last + 1, new int[] { end, cut[1] });
            }
            next = last + 1;
            carried = overlapStart(units, first, last, overlap);
        }
    }

    /** The first of the chunk's last whole sentences that fit in {@code overlap} tokens, never its first sentence; -1 when none. */
    private static int overlapStart(List<int[]> units, int first, int last, int overlap) {
        int start = -1;
        int tokens = 0;
        for (int i = last; i > first; i--) {
            tokens += units.get(i)[1] - units.get(i)[0];
            if (tokens > overlap) {
                break;
            }
            start = i;
        }
        return start;
    }

    /**
     * The tokens {@code [from, to)} cut into ranges where the text's units (sentences, paragraphs)
     * start; a token that straddles a boundary stays with the unit it starts in.
     */
    private static List<int[]> units(TokenSpans tokens, int[] unitStarts, int from, int to) {
        List<int[]> units = new ArrayList<>();
        int start = from;
        for (int offset : unitStarts) {
            int token = tokens.firstTokenAtOrAfter(offset);
            if (token > start && token < to) {
                units.add(new int[] { start, token });
                start = token;
            }
        }
        units.add(new int[] { start, to });
        return units;
    }

    /** Emits chunks of token ranges, giving up end tokens until the rendered chunk fits the model. */
    private record Emitter(TokenSpans tokens, Fit fit, List<Chunk> chunks) {
        /** Emits {@code [start, end)} or a shorter prefix of it; returns the end token actually used. */
        int emit(int start, int end) {
            while (end - start > 1 && fit.fits(charStart(start), charEnd(start, end)) == false) {
                end--;
            }
            chunks.add(new Chunk(charStart(start), charEnd(start, end)));
            return end;
        }

        private int charStart(int start) {
            return tokens.start(start);
        }

        private int charEnd(int start, int end) {
            return Math.max(tokens.start(start), tokens.end(end - 1));
        }
    }
}
