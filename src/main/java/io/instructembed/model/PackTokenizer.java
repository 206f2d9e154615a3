package io.instructembed.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.jni.CharSpan;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import io.instructembed.chunking.TokenSpans;
import io.instructembed.pack.PackManifest;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A pack's HuggingFace tokenizer (DJL bindings): special tokens as the tokenizer defines them,
 * truncation at the pack's max tokens, and the EOS token appended where the pack asks for it
 * (decoder embedders pool the state of a final EOS that their tokenizers do not always add).
 */
public final class PackTokenizer implements Closeable {
    private final HuggingFaceTokenizer tokenizer;
    /** The same vocabulary without truncation or special tokens: whole texts for chunking. */
    private final HuggingFaceTokenizer spanTokenizer;
    private final long eosId;
    private final boolean appendEos;
    /** Tokens the truncating tokenizer keeps (special tokens included). */
    private final int maxLength;

    private PackTokenizer(HuggingFaceTokenizer tokenizer, HuggingFaceTokenizer spanTokenizer, boolean appendEos, long eosId, int maxLength) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
        this.spanTokenizer = spanTokenizer;
        this.appendEos = appendEos;
        this.eosId = eosId;
    }

    public static PackTokenizer load(Path tokenizerFile, PackManifest manifest) throws IOException {
        // Room for the EOS we may append ourselves.
        int maxLength = manifest.appendEos() ? manifest.maxTokens() - 1 : manifest.maxTokens();
        HuggingFaceTokenizer tokenizer = withPluginClassLoader(() -> {
            HuggingFaceTokenizer.Builder builder = HuggingFaceTokenizer.builder()
                .optTokenizerPath(tokenizerFile)
                .optAddSpecialTokens(true)
                .optTruncation(true)
                .optMaxLength(maxLength)
                .optPadding(false)
                .optWithOverflowingTokens(false);
            // DJL caps maxLength at modelMaxLength, 512 unless told: the pack decides, not DJL.
            builder.configure(java.util.Map.of("modelMaxLength", Integer.toString(maxLength)));
            return builder.build();
        });
        HuggingFaceTokenizer spanTokenizer;
        try {
            spanTokenizer = withPluginClassLoader(
                () -> HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerFile)
                    .optAddSpecialTokens(false)
                    .optTruncation(false)
                    .optPadding(false)
                    .optWithOverflowingTokens(false)
                    .build()
            );
        } catch (IOException | RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        long eosId = -1;
        if (manifest.appendEos()) {
            long[] ids = tokenizer.encode(manifest.eosToken(), false, false).getIds();
            if (ids.length != 1) {
                tokenizer.close();
                spanTokenizer.close();
                throw new IOException("[eos_token] [" + manifest.eosToken() + "] is not a single token of the pack's tokenizer");
            }
            eosId = ids[0];
        }
        return new PackTokenizer(tokenizer, spanTokenizer, manifest.appendEos(), eosId, maxLength);
    }

    /**
     * Where each token of {@code text} lies in it, without special tokens and without truncation:
     * the raw material of chunking, whose chunks are cut at token boundaries of the source text.
     */
    public TokenSpans spans(String text) {
        CharSpan[] spans = spanTokenizer.encode(WellFormedText.of(text), false, false).getCharTokenSpans();
        int[] starts = new int[spans.length];
        int[] ends = new int[spans.length];
        for (int i = 0; i < spans.length; i++) {
            starts[i] = spans[i].getStart();
            ends[i] = spans[i].getEnd();
        }
        return TokenSpans.ofCodePoints(text, starts, ends);
    }

    public TokenizedText tokenize(String text) {
        Encoding encoding = encodeKept(text);
        long[] ids = encoding.getIds();
        long[] typeIds = encoding.getTypeIds();
        if (appendEos && (ids.length == 0 || ids[ids.length - 1] != eosId)) {
            ids = Arrays.copyOf(ids, ids.length + 1);
            ids[ids.length - 1] = eosId;
            typeIds = Arrays.copyOf(typeIds, typeIds.length + 1);
        }
        return new TokenizedText(ids, typeIds, encoding.exceedMaxLength());
    }

    /**
     * The truncated encoding of {@code text}, tokenising only a prefix of a long text when that
     * gives the same kept tokens ({@link KeptPrefix}).
     */
    private Encoding encodeKept(String text) {
        for (int length = KeptPrefix.first(maxLength); length < text.length(); length = KeptPrefix.next(length)) {
            String prefix = WellFormedText.of(text.substring(0, KeptPrefix.cutAt(text, length)));
            Encoding encoding = tokenizer.encode(prefix);
            if (KeptPrefix.decides(encoding.exceedMaxLength(), lastTokenEnd(encoding), prefix.codePointCount(0, prefix.length()))) {
                return encoding;
            }
        }
        return tokenizer.encode(WellFormedText.of(text));
    }

    /** Where, in code points of the text, the last token that came from the text ends (special tokens have no place). */
    private static int lastTokenEnd(Encoding encoding) {
        int end = 0;
        for (CharSpan span : encoding.getCharTokenSpans()) {
            if (span != null) {
                end = Math.max(end, span.getEnd());
            }
        }
        return end;
    }

    @Override
    public void close() {
        try {
            tokenizer.close();
        } finally {
            spanTokenizer.close();
        }
    }

    interface IoSupplier<T> {
        T get() throws IOException;
    }

    /**
     * DJL finds its native library's properties through the thread context class loader, which
     * inside a node is not the plugin's loader.
     */
    static <T> T withPluginClassLoader(IoSupplier<T> action) throws IOException {
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(PackTokenizer.class.getClassLoader());
        try {
            return action.get();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }
}
