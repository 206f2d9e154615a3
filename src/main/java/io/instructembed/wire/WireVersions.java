package io.instructembed.wire;

import org.opensearch.Version;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;

/**
 * Which version of the plugin's wire formats each field came with: the one place where a reader
 * or a writer of the plugin's messages (transport requests and responses, the stats and status
 * they carry, the query builders inside search requests) asks whether the node at the other end
 * knows a field.
 *
 * <p><b>The scheme: fields are keyed on the OpenSearch version.</b> A stream tells a node only the
 * OpenSearch version of the other end ({@code out.getVersion()} and {@code in.getVersion()}, the
 * older of the two nodes'), never its plugin version. That is enough because a build of this
 * plugin installs into exactly one OpenSearch version, provided one rule holds: <em>the wire format
 * of the plugin for an OpenSearch version is fixed once a build for that version is released</em>.
 * A field added later is keyed to the first OpenSearch version that has no released build yet;
 * older peers never receive it (the writer leaves it out) and never send it (the reader takes the
 * default). This is the k-NN plugin's scheme ({@code KNNQueryBuilderParser}); its releases follow
 * OpenSearch's one for one, so its keys are OpenSearch's own {@code Version} constants.
 *
 * <p>Why not a plugin format number written first in each message: the baseline messages carry
 * none, so a newer reader could not tell such a number from a baseline peer's first field; and an
 * older node cannot skip fields it does not know: OpenSearch fails a transport message it did not
 * read to the end ("Message not fully read"), and a query builder inside a search request would
 * misread whatever follows it. The writer has to leave out what the reader does not know, so it
 * must know the reader's format from the stream, and the stream has only the OpenSearch version.
 *
 * <p>The same holds for values: enums travel by ordinal ({@code writeEnum}; new constants go at the
 * end) or by name ({@code LoadState}), and a new constant must not be sent to an older peer either.
 */
public final class WireVersions {
    /**
     * Every field on the wire in instruct-embed 0.1.0, whose builds for OpenSearch 3.2.0 to 3.6.0
     * all speak it: read and written without a check, for good. Guarded byte for byte by
     * {@code BaselineWireFormatTests}.
     */
    public static final Version BASELINE = Version.V_3_2_0;

    /*
     * Fields added since the baseline, one constant each, named after message and field, at the
     * OpenSearch version they came with; Version.fromString when that version is newer than some
     * OpenSearch this plugin still builds against. For example:
     *
     *     public static final Version EMBED_REQUEST_TRUNCATE = Version.fromString("3.7.0");
     *
     * written as    if (WireVersions.sends(out, EMBED_REQUEST_TRUNCATE)) { out.writeBoolean(truncate); }
     * and read as   truncate = WireVersions.receives(in, EMBED_REQUEST_TRUNCATE) ? in.readBoolean() : true;
     */

    private WireVersions() {}

    /** Whether the node this stream goes to knows a field that came with {@code since}. */
    public static boolean sends(StreamOutput out, Version since) {
        return out.getVersion().onOrAfter(since);
    }

    /** Whether the node this stream comes from wrote a field that came with {@code since}; when not, the reader takes the field's default. */
    public static boolean receives(StreamInput in, Version since) {
        return in.getVersion().onOrAfter(since);
    }
}
