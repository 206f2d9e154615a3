package io.instructembed.query;

import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.MatchNoDocsQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.join.ScoreMode;
import org.opensearch.common.io.stream.BytesStreamOutput;
import org.opensearch.core.common.ParsingException;
import org.opensearch.core.common.io.stream.NamedWriteableAwareStreamInput;
import org.opensearch.core.common.io.stream.StreamInput;
import org.opensearch.core.common.io.stream.StreamOutput;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.core.xcontent.XContentParser;
import org.opensearch.index.mapper.ObjectMapper;
import org.opensearch.index.query.AbstractQueryBuilder;
import org.opensearch.index.query.InnerHitBuilder;
import org.opensearch.index.query.InnerHitContextBuilder;
import org.opensearch.index.query.NestedQueryBuilder;
import org.opensearch.index.query.QueryBuilder;
import org.opensearch.index.query.QueryBuilderVisitor;
import org.opensearch.index.query.QueryRewriteContext;
import org.opensearch.index.query.QueryShardContext;
import org.opensearch.search.fetch.subphase.InnerHitsContext;
import org.opensearch.search.internal.SearchContext;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What {@code instruct_knn} on a nested field of chunks (or of an array's texts) becomes once its
 * vector is known: k-NN's {@code knn} on the chunks' {@code vector}, scoring each document by its
 * best chunk and returning that chunk as an inner hit. Unlike a plain {@code nested} query, it
 * decides on the shard, where the nested scope is known, what it has to join:
 * <ul>
 *   <li>inside the user's own {@code nested} query on the same path the search is already at the
 *       chunk level, so it is just the {@code knn} (a second join on the same path would match the
 *       parent's own documents, which Lucene refuses);</li>
 *   <li>in an index that does not map the path it matches nothing when {@code ignore_unmapped} is
 *       set (the coordinating rewrite refuses such indices otherwise, naming them);</li>
 *   <li>elsewhere it is the {@code nested} join, with max score mode.</li>
 * </ul>
 * Its inner hits take a name of their own when several clauses search the same path (the second
 * is {@code <path>#2}), so that two {@code instruct_knn} clauses on one field can run together.
 */
public final class InstructKnnNestedQueryBuilder extends AbstractQueryBuilder<InstructKnnNestedQueryBuilder> {
    public static final String NAME = "instruct_knn_nested";
    private static final String PATH = "path";
    private static final String QUERY = "query";
    private static final String INNER_HITS = "inner_hits";
    private static final String IGNORE_UNMAPPED = "ignore_unmapped";

    private final String path;
    private final QueryBuilder knn;
    /** The inner hits as asked for; never changed here (several shards of one node share this builder), copied where named. */
    private final InnerHitBuilder innerHit;
    private final boolean ignoreUnmapped;

    public InstructKnnNestedQueryBuilder(String path, QueryBuilder knn, InnerHitBuilder innerHit, boolean ignoreUnmapped) {
        this.path = Objects.requireNonNull(path);
        this.knn = Objects.requireNonNull(knn);
        this.innerHit = Objects.requireNonNull(innerHit);
        this.ignoreUnmapped = ignoreUnmapped;
    }

    public InstructKnnNestedQueryBuilder(StreamInput in) throws IOException {
        super(in);
        path = in.readString();
        knn = in.readNamedWriteable(QueryBuilder.class);
        innerHit = new InnerHitBuilder(in);
        ignoreUnmapped = in.readBoolean();
    }

    @Override
    protected void doWriteTo(StreamOutput out) throws IOException {
        // The baseline wire format: a field added to it is written and read behind WireVersions (see there).
        out.writeString(path);
        out.writeNamedWriteable(knn);
        innerHit.writeTo(out);
        out.writeBoolean(ignoreUnmapped);
    }

    public static InstructKnnNestedQueryBuilder fromXContent(XContentParser parser) throws IOException {
        String path = null;
        QueryBuilder knn = null;
        InnerHitBuilder innerHit = new InnerHitBuilder();
        boolean ignoreUnmapped = false;
        float boost = DEFAULT_BOOST;
        String queryName = null;
        XContentParser.Token token;
        String option = null;
        while ((token = parser.nextToken()) != XContentParser.Token.END_OBJECT) {
            if (token == XContentParser.Token.FIELD_NAME) {
                option = parser.currentName();
            } else if (QUERY.equals(option) && token == XContentParser.Token.START_OBJECT) {
                knn = parseInnerQueryBuilder(parser);
            } else if (INNER_HITS.equals(option) && token == XContentParser.Token.START_OBJECT) {
                innerHit = InnerHitBuilder.fromXContent(parser);
            } else if (PATH.equals(option) && token.isValue()) {
                path = parser.text();
            } else if (IGNORE_UNMAPPED.equals(option) && token.isValue()) {
                ignoreUnmapped = parser.booleanValue();
            } else if (BOOST_FIELD.match(option, parser.getDeprecationHandler()) && token.isValue()) {
                boost = parser.floatValue();
            } else if (NAME_FIELD.match(option, parser.getDeprecationHandler()) && token.isValue()) {
                queryName = parser.text();
            } else {
                throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] does not take [" + option + "] as written");
            }
        }
        if (path == null || knn == null) {
            throw new ParsingException(parser.getTokenLocation(), "[" + NAME + "] needs [path] and [query]");
        }
        InstructKnnNestedQueryBuilder builder = new InstructKnnNestedQueryBuilder(path, knn, innerHit, ignoreUnmapped);
        builder.boost(boost);
        builder.queryName(queryName);
        return builder;
    }

    @Override
    protected void doXContent(XContentBuilder builder, Params params) throws IOException {
        builder.startObject(NAME);
        builder.field(PATH, path);
        builder.field(QUERY, knn);
        builder.field(INNER_HITS, innerHit, params);
        builder.field(IGNORE_UNMAPPED, ignoreUnmapped);
        printBoostAndQueryName(builder);
        builder.endObject();
    }

    @Override
    protected QueryBuilder doRewrite(QueryRewriteContext context) throws IOException {
        QueryBuilder rewritten = knn.rewrite(context);
        if (rewritten == knn) {
            return this;
        }
        InstructKnnNestedQueryBuilder copy = new InstructKnnNestedQueryBuilder(path, rewritten, innerHit, ignoreUnmapped);
        copy.boost(boost);
        copy.queryName(queryName);
        return copy;
    }

    @Override
    protected Query doToQuery(QueryShardContext context) throws IOException {
        ObjectMapper chunks = context.getObjectMapper(path);
        if (chunks == null || chunks.nested().isNested() == false) {
            if (ignoreUnmapped) {
                return new MatchNoDocsQuery("[" + InstructKnnQueryBuilder.NAME + "] index does not map [" + path + "] as nested chunks");
            }
            throw new IllegalArgumentException(
                "[" + InstructKnnQueryBuilder.NAME + "] field [" + path + "] is not a nested field of chunks in index [" + context.index().getName()
                    + "]: set [ignore_unmapped] to search only the indices that map it"
            );
        }
        if (insideOwnNestedScope(context, path)) {
            return knn.toQuery(context);
        }
        return new NestedQueryBuilder(path, knn, ScoreMode.Max).toQuery(context);
    }

    /** Whether the user's own {@code nested} query on this path encloses this one: the search is at the chunk level already. */
    static boolean insideOwnNestedScope(QueryShardContext context, String path) {
        ObjectMapper scope = context.nestedScope().getObjectMapper();
        return scope != null && path.equals(scope.fullPath());
    }

    @Override
    public void extractInnerHitBuilders(Map<String, InnerHitContextBuilder> innerHits) {
        String name = innerHit.getName();
        if (name == null) {
            name = path;
            for (int n = 2; innerHits.containsKey(name); n++) {
                name = path + "#" + n;
            }
        } else if (innerHits.containsKey(name)) {
            throw new IllegalArgumentException(
                "[" + InstructKnnQueryBuilder.NAME + "] [inner_hits] name [" + name + "] is taken by another clause of this search: give each "
                    + InstructKnnQueryBuilder.NAME + " clause on [" + path + "] an inner_hits [name] of its own, or leave [name] out"
            );
        }
        innerHits.put(name, new BestChunkInnerHits(path, name, knn, innerHit));
    }

    /** The best chunks of each hit, as the {@code nested} query's inner hits would give them, but only where this query joins. */
    private static final class BestChunkInnerHits extends InnerHitContextBuilder {
        private final String path;
        private final String name;

        BestChunkInnerHits(String path, String name, QueryBuilder knn, InnerHitBuilder innerHit) {
            super(knn, innerHit, Map.of());
            this.path = path;
            this.name = name;
        }

        @Override
        protected void doBuild(SearchContext parent, InnerHitsContext innerHits)
            throws IOException {
            QueryShardContext context = parent.getQueryShardContext();
            ObjectMapper chunks = context.getObjectMapper(path);
            if (insideOwnNestedScope(context, path) || chunks == null || chunks.nested().isNested() == false) {
                return;  // inside the user's nested query on this path its own inner hits are the chunks; or no chunks here
            }
            InnerHitBuilder named = copy(innerHitBuilder(), context).setName(name);
            HashMap<String, InnerHitContextBuilder> built = new HashMap<>();
            new NestedQueryBuilder(path, query, ScoreMode.Max).innerHit(named).extractInnerHitBuilders(built);
            built.get(name).build(parent, innerHits);
        }

        /** A copy to name: the original is shared by every shard that runs this query on the node. */
        private static InnerHitBuilder copy(InnerHitBuilder original, QueryShardContext context) throws IOException {
            try (BytesStreamOutput out = new BytesStreamOutput()) {
                original.writeTo(out);
                try (
                    StreamInput in = new NamedWriteableAwareStreamInput(
                        out.bytes().streamInput(),
                        context.getWriteableRegistry()
                    )
                ) {
                    return new InnerHitBuilder(in);
                }
            }
        }
    }

    @Override
    public void visit(QueryBuilderVisitor visitor) {
        visitor.accept(this);
        visitor.getChildVisitor(BooleanClause.Occur.MUST).accept(knn);
    }

    @Override
    protected boolean doEquals(InstructKnnNestedQueryBuilder other) {
        return path.equals(other.path) && knn.equals(other.knn) && innerHit.equals(other.innerHit) && ignoreUnmapped == other.ignoreUnmapped;
    }

    @Override
    protected int doHashCode() {
        return Objects.hash(path, knn, innerHit, ignoreUnmapped);
    }

    @Override
    public String getWriteableName() {
        return NAME;
    }

    public String path() {
        return path;
    }
}
