package io.instructembed.wire;

import org.opensearch.Version;
import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.core.common.bytes.BytesReference;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.common.io.stream.Writeable;
import org.opensearch.test.OpenSearchTestCase;
import org.opensearch.test.VersionUtils;

import java.io.IOException;

/**
 * How a field added after the baseline travels in a cluster that mixes a node of the baseline with
 * a node of a later plugin, shown on a message of this test: a baseline field and one that came
 * with a (made-up) later OpenSearch version. The plugin's own messages are all baseline today; see
 * {@link BaselineWireFormatTests}.
 */
public class WireVersionsTests extends OpenSearchTestCase {
    /** Far beyond any OpenSearch this plugin builds against, so that every real peer is older. */
    private static final Version ADDED = Version.fromString("3.99.0");

    /** A message as a later plugin has it: {@code added} is new; a node of the baseline neither sends nor reads it. */
    private record Message(String modelId, int added) implements Writeable {
        static final int DEFAULT = 7;

        static Message readFrom(StreamInput in) throws IOException {
            return new Message(in.readString(), WireVersions.receives(in, ADDED) ? in.readVInt() : DEFAULT);
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            out.writeString(modelId);
            if (WireVersions.sends(out, ADDED)) {
                out.writeVInt(added);
            }
        }
    }

    /** The same message as the baseline plugin has it. */
    private record BaselineMessage(String modelId) implements Writeable {
        static BaselineMessage readFrom(StreamInput in) throws IOException {
            return new BaselineMessage(in.readString());
        }

        @Override
        public void writeTo(StreamOutput out) throws IOException {
            out.writeString(modelId);
        }
    }

    private static Version olderPeer() {
        return VersionUtils.randomVersionBetween(random(), WireVersions.BASELINE, Version.CURRENT);
    }

    private static BytesReference write(Writeable value, Version version) throws IOException {
        try (BytesStreamOutput out = new BytesStreamOutput()) {
            out.setVersion(version);
            value.writeTo(out);
            return out.bytes();
        }
    }

    private static <T> T read(BytesReference bytes, Version version, Writeable.Reader<T> reader) throws IOException {
        try (StreamInput in = bytes.streamInput()) {
            in.setVersion(version);
            T value = reader.read(in);
            assertEquals("bytes left unread at " + version, 0, in.available());
            return value;
        }
    }

    public void testPeersThatKnowTheFieldExchangeIt() throws IOException {
        Message message = new Message(randomAlphaOfLength(8), randomIntBetween(0, 1000));
        Version version = randomBoolean() ? ADDED : Version.fromString("4.0.0");
        assertEquals(message, read(write(message, version), version, Message::readFrom));
    }

    /** To an older peer the field is left out: it reads exactly what a baseline node writes. */
    public void testOlderPeerGetsTheBaselineMessage() throws IOException {
        Message message = new Message(randomAlphaOfLength(8), randomIntBetween(0, 1000));
        Version version = olderPeer();
        BytesReference bytes = write(message, version);
        assertEquals(write(new BaselineMessage(message.modelId()), version), bytes);
        assertEquals(new BaselineMessage(message.modelId()), read(bytes, version, BaselineMessage::readFrom));
    }

    /** From an older peer the field is not there: the reader takes its default. */
    public void testMessageOfAnOlderPeerReadsWithTheDefault() throws IOException {
        String modelId = randomAlphaOfLength(8);
        Version version = olderPeer();
        assertEquals(new Message(modelId, Message.DEFAULT), read(write(new BaselineMessage(modelId), version), version, Message::readFrom));
    }

    /** A build for an OpenSearch older than the baseline would take its own peers for strangers. */
    public void testEveryBuildSpeaksTheBaseline() {
        assertTrue(Version.CURRENT.onOrAfter(WireVersions.BASELINE));
    }
}
