package io.instructembed.field;

import org.opensearch.action.ActionRequest;
import org.opensearch.action.get.GetAction;
import org.opensearch.action.get.GetRequest;
import org.opensearch.action.get.MultiGetAction;
import org.opensearch.action.get.MultiGetRequest;
import org.opensearch.action.search.MultiSearchAction;
import org.opensearch.action.search.MultiSearchRequest;
import org.opensearch.action.search.SearchAction;
import org.opensearch.action.search.SearchRequest;
import org.opensearch.action.support.ActionFilter;
import org.opensearch.action.support.ActionFilterChain;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexAbstraction;
import org.opensearch.cluster.metadata.IndexMetadata;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.core.action.ActionResponse;
import org.opensearch.search.builder.SearchSourceBuilder;
import org.opensearch.search.fetch.subphase.FetchSourceContext;
import org.opensearch.tasks.Task;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Leaves the vectors of {@code instruct_text} fields out of the {@code _source} that searches and
 * gets return (a 4,096-d vector is 16 KB of JSON per chunk), unless the request asks for them by
 * naming the field's {@code <field>_instruct} object in its {@code _source} includes. Requests that
 * another action sends as part of its work (the scroll of {@code _reindex} or
 * {@code _update_by_query}, which have a parent task) are left alone, so that copying documents
 * keeps their vectors. Only the response is filtered: the stored {@code _source} is complete.
 */
public final class InstructTextSourceFilter implements ActionFilter {
    private final Supplier<ClusterService> clusterService;
    private final InstructTextMappings mappings;

    public InstructTextSourceFilter(Supplier<ClusterService> clusterService, InstructTextMappings mappings) {
        this.clusterService = clusterService;
        this.mappings = mappings;
    }

    @Override
    public int order() {
        // after security plugins (which use low orders) have decided who may read what
        return 1000;
    }

    @Override
    @SuppressWarnings("removal")
    public <Request extends ActionRequest, Response extends ActionResponse> void apply(
        Task task,
        String action,
        Request request,
        ActionListener<Response> listener,
        ActionFilterChain<Request, Response> chain
    ) {
        try {
            if (request.getParentTask().isSet() == false) {
                if (SearchAction.NAME.equals(action) && request instanceof SearchRequest search) {
                    filter(search);
                } else if (MultiSearchAction.NAME.equals(action) && request instanceof MultiSearchRequest multiSearch) {
                    // its searches run as child tasks, which are left alone below: filter each one here
                    for (SearchRequest search : multiSearch.requests()) {
                        filter(search);
                    }
                } else if (GetAction.NAME.equals(action) && request instanceof GetRequest get) {
                    get.fetchSourceContext(filter(get.fetchSourceContext(), vectorPaths(get.index())));
                } else if (MultiGetAction.NAME.equals(action) && request instanceof MultiGetRequest multiGet) {
                    for (MultiGetRequest.Item item : multiGet.getItems()) {
                        item.fetchSourceContext(filter(item.fetchSourceContext(), vectorPaths(item.index())));
                    }
                }
            }
        } catch (RuntimeException e) {
            // an index that does not resolve: the action itself reports that, with its usual error
        }
        chain.proceed(task, action, request, listener);
    }

    private void filter(SearchRequest search) {
        List<String> paths = vectorPaths(search.indices());
        if (paths.isEmpty()) {
            return;
        }
        SearchSourceBuilder source = search.source();
        if (source == null) {
            source = new SearchSourceBuilder();
            search.source(source);
        }
        source.fetchSource(withVectorsSpelledOut(filter(source.fetchSource(), paths), paths));
    }

    /** The fetch-source context with the vector paths excluded; as it was when the caller wants no source or asked for the vectors. */
    static FetchSourceContext filter(FetchSourceContext context, List<String> vectorPaths) {
        if (vectorPaths.isEmpty() || (context != null && context.fetchSource() == false)) {
            return context;
        }
        String[] includes = context == null ? new String[0] : context.includes();
        String[] excludes = context == null ? new String[0] : context.excludes();
        Set<String> excluded = new LinkedHashSet<>(Arrays.asList(excludes));
        for (String path : vectorPaths) {
            if (asksFor(includes, path) == false) {
                excluded.add(path);
            }
        }
        if (excluded.size() == excludes.length) {
            return context;
        }
        return new FetchSourceContext(true, includes, excluded.toArray(String[]::new));
    }

    /**
     * A search that asks for the vectors' object by name ({@code "_source": ["body_instruct"]}, as
     * documented) gets its fields: k-NN's derived source, which puts stored vectors back into a
     * fetched {@code _source}, answers an include of the object with {@code "vector": 1} for nested
     * vectors, and the object's fields ({@code body_instruct.*}) with the vectors themselves.
     */
    static FetchSourceContext withVectorsSpelledOut(FetchSourceContext context, List<String> vectorPaths) {
        if (context == null || context.fetchSource() == false || context.includes().length == 0) {
            return context;
        }
        Set<String> siblings = new LinkedHashSet<>();
        for (String path : vectorPaths) {
            siblings.add(siblingOf(path));
        }
        String[] includes = context.includes().clone();
        boolean changed = false;
        for (int i = 0; i < includes.length; i++) {
            if (siblings.contains(includes[i])) {
                includes[i] = includes[i] + ".*";
                changed = true;
            }
        }
        return changed ? new FetchSourceContext(true, includes, context.excludes()) : context;
    }

    private static String siblingOf(String vectorPath) {
        return vectorPath.substring(0, vectorPath.indexOf(InstructTextSpec.SIBLING_SUFFIX) + InstructTextSpec.SIBLING_SUFFIX.length());
    }

    /** Whether an include names the vectors' object (or a path inside it) explicitly; a bare wildcard does not. */
    static boolean asksFor(String[] includes, String vectorPath) {
        String sibling = siblingOf(vectorPath);
        for (String include : includes) {
            if (include.equals(sibling) || include.startsWith(sibling + ".")) {
                return true;
            }
        }
        return false;
    }

    private List<String> vectorPaths(String... expressions) {
        ClusterState state = clusterService.get().state();
        Set<String> paths = new LinkedHashSet<>();
        for (IndexMetadata index : indices(state, expressions)) {
            paths.addAll(vectorPathsOf(index));
        }
        return new ArrayList<>(paths);
    }

    /**
     * The indices a request names: concrete names, aliases and wildcards (none: every index). Only
     * indices that exist count; whatever does not resolve is left for the action to report.
     */
    private static List<IndexMetadata> indices(ClusterState state, String[] expressions) {
        List<IndexMetadata> indices = new ArrayList<>();
        String[] names = expressions == null || expressions.length == 0 ? new String[] { "*" } : expressions;
        for (String name : names) {
            if (name == null) {
                continue;
            }
            if (name.contains("*") || name.equals("_all")) {
                for (IndexMetadata index : state.metadata()) {
                    if (org.opensearch.common.regex.Regex.simpleMatch(name.equals("_all") ? "*" : name, index.getIndex().getName())) {
                        indices.add(index);
                    }
                }
                continue;
            }
            IndexAbstraction abstraction = state.metadata().getIndicesLookup().get(name);
            if (abstraction != null) {
                indices.addAll(abstraction.getIndices());
            }
        }
        return indices;
    }

    private List<String> vectorPathsOf(IndexMetadata index) {
        return mappings.of(index).stream().map(InstructTextSpec::vectorPath).toList();
    }
}
