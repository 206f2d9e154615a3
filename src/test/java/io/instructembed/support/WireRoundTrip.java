package io.instructembed.support;

import org.opensearch.Version;
import org.opensearch.cluster.node.DiscoveryNode;
import org.opensearch.cluster.node.DiscoveryNodeRole;
import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.common.xcontent.XContentHelper;
import org.opensearch.common.xcontent.json.JsonXContent;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.core.xcontent.ToXContent;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.test.VersionUtils;

import java.io.IOException;
import java.util.Map;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;

/**
 * Sends a request or response through a transport stream and reads it back, as two nodes do: at
 * this version or a random older wire-compatible one on both ends, and checking that the reader
 * consumed exactly what the writer wrote (a field written but not read, or read but not written,
 * shows here even when the object looks equal). What a baseline peer sends is pinned byte for byte
 * in {@code BaselineWireFormatTests}.
 */
public final class WireRoundTrip {
    private WireRoundTrip() {}

    public static <T extends Writeable> T copy(T value, Writeable.Reader<T> reader) throws IOException {
        Version version = OpenSearchTestCase.randomBoolean()
            ? Version.CURRENT
            : VersionUtils.randomCompatibleVersion(OpenSearchTestCase.random(), Version.CURRENT);
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            out.setVersion(version);
            value.writeTo(out);
            try (StreamInput in = out.bytes().streamInput()) {
                in.setVersion(version);
                T copy = reader.read(in);
                assertEquals(value.getClass().getSimpleName() + " over " + version + ": bytes left unread", 0, in.available());
                assertNotSame(value, copy);
                return copy;
            }
        }
    }

    /** What a REST caller would see: the object's JSON, as a map (fragments are wrapped in an object). */
    public static Map<String, Object> json(ToXContent value) throws IOException {
        XContentBuilder builder = JsonXContent.contentBuilder();
        if (value.isFragment()) {
            builder.startObject();
        }
        value.toXContent(builder, ToXContent.EMPTY_PARAMS);
        if (value.isFragment()) {
            builder.endObject();
        }
        return XContentHelper.convertToMap(BytesReference.bytes(builder), true, builder.contentType()).v2();
    }

    public static DiscoveryNode randomNode() {
        return new DiscoveryNode(
            OpenSearchTestCase.randomAlphaOfLength(6),
            OpenSearchTestCase.randomAlphaOfLength(10),
            OpenSearchTestCase.buildNewFakeTransportAddress(),
            Map.of(),
            DiscoveryNodeRole.BUILT_IN_ROLES,
            Version.CURRENT
        );
    }
}
