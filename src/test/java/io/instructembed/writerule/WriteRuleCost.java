package io.instructembed.writerule;

import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.XContentType;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.xcontent.XContentBuilder;

import java.util.List;
import java.util.Locale;

/**
 * What the write rule costs per document on the shard: parsing the document's {@code _source} and
 * judging its fields, for documents of an instruct_text field with 1, 4 and 16 chunks of 384-d
 * vectors. Prints microseconds per document; compare with the inference cost of the same
 * document (bge-small fp32 on this CPU: about 10 ms for a 12-token text, 84 ms for 194 tokens).
 *
 *     mvn -q test-compile && java -cp "$(mvn -q dependency:build-classpath -Dmdep.outputFile=/dev/stdout):target/classes:target/test-classes" \
 *         io.instructembed.writerule.WriteRuleCost
 */
public final class WriteRuleCost {
    public static void main(String[] args) throws Exception {
        CheckedField field = new CheckedField("body", "body_instruct.chunks", "body_instruct.chunks_fingerprint", "body_instruct", true);
        for (int chunks : new int[] { 1, 4, 16 }) {
            StringBuilder text = new StringBuilder();
            for (int i = 0; i < chunks; i++) {
                text.append("Neurons pass signals across synapses, and receptors on the next cell respond to the transmitter. ".repeat(4));
            }
            BytesReference source = document(text.toString(), chunks);
            int rounds = 20_000 / chunks;
            for (int warm = 0; warm < rounds; warm++) {
                check(source, field);
            }
            long start = System.nanoTime();
            for (int i = 0; i < rounds; i++) {
                if (check(source, field) != null) {
                    throw new IllegalStateException("the document should pass");
                }
            }
            double micros = (System.nanoTime() - start) / 1_000.0 / rounds;
            System.out.printf(Locale.ROOT, "%2d chunks (%,d bytes of _source): %.1f us per document%n", chunks, source.length(), micros);
        }
    }

    /** What the rule does per document: parse the whole source, then judge the field. */
    private static String check(BytesReference source, CheckedField field) {
        return WriteRuleFieldMapper.problem(XContentHelper.convertToMap(source, false, XContentType.JSON).v2(), field);
    }

    private static BytesReference document(String text, int chunks) throws Exception {
        XContentBuilder builder = JsonXContent.contentBuilder().startObject().field("body", text).startObject("body_instruct").startArray("chunks");
        int step = text.length() / chunks;
        for (int c = 0; c < chunks; c++) {
            builder.startObject().field("text", text.substring(c * step, (c + 1) * step)).array("offsets", c * step, (c + 1) * step);
            float[] vector = new float[384];
            for (int i = 0; i < vector.length; i++) {
                vector[i] = (float) Math.sin(i + c);
            }
            builder.array("vector", vector).endObject();
        }
        builder.endArray().field("chunks_fingerprint", "modelpart01." + TextDigest.of(List.of(text), false)).endObject().endObject();
        return BytesReference.bytes(builder);
    }
}
