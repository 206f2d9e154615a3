package io.instructembed.ingest;

import io.instructembed.model.Embedding;
import io.instructembed.mapping.VectorFieldMappings;
import io.instructembed.model.ModelService;
import io.instructembed.pack.InputType;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.core.action.ActionListener;
import org.opensearch.ingest.AbstractProcessor;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.ingest.IngestDocumentWrapper;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Ingest processor {@code instruct_embedding}: embeds the mapped source fields of documents with
 * the model's document-side prompt and writes the vectors to the target fields. A lone string
 * becomes a vector; an array of strings becomes an array of {@code {text, vector}} objects (map it
 * as {@code nested}). Runs asynchronously, and a bulk becomes a few model calls rather than one per
 * document: every text of the batch goes to the model service together, which cuts them into
 * length-sorted inference batches. A bad document fails alone, with a reason naming the field.
 */
public final class InstructEmbeddingProcessor extends AbstractProcessor {
    public static final String TYPE = "instruct_embedding";

    /**
     * Texts per model-service call. A big bulk is split into several calls, so that other work
     * queued on the inference pool (queries, smaller bulks) gets a turn between them.
     */
    static final int MAX_TEXTS_PER_CALL = 256;

    private final String modelId;
    private final Map<String, String> fieldMap;
    private final String task;
    private final boolean truncate;
    private final boolean ignoreMissing;
    private final int dimensions;
    private final ModelService models;
    private final ClusterService clusterService;

    InstructEmbeddingProcessor(
        String tag,
        String description,
        String modelId,
        Map<String, String> fieldMap,
        String task,
        boolean truncate,
        boolean ignoreMissing,
        int dimensions,
        ModelService models,
        ClusterService clusterService
    ) {
        super(tag, description);
        this.modelId = modelId;
        this.fieldMap = new LinkedHashMap<>(fieldMap);
        this.task = task;
        this.truncate = truncate;
        this.ignoreMissing = ignoreMissing;
        this.dimensions = dimensions;
        this.models = models;
        this.clusterService = clusterService;
    }

    @Override
    public String getType() {
        return TYPE;
    }

    public String modelId() {
        return modelId;
    }

    public Map<String, String> fieldMap() {
        return fieldMap;
    }

    @Override
    public IngestDocument execute(IngestDocument document) {
        // The ingest service calls the asynchronous form; inference must never block its thread.
        throw new IllegalStateException("[" + TYPE + "] runs asynchronously only");
    }

    @Override
    public void execute(IngestDocument document, BiConsumer<IngestDocument, Exception> handler) {
        IngestDocumentWrapper wrapper = new IngestDocumentWrapper(0, 0, document, null);
        batchExecute(List.of(wrapper), done -> handler.accept(wrapper.getException() == null ? document : null, wrapper.getException()));
    }

    @Override
    public void batchExecute(List<IngestDocumentWrapper> wrappers, Consumer<List<IngestDocumentWrapper>> handler) {
        List<Pending> pending = new ArrayList<>(wrappers.size());
        Map<String, VectorFieldMappings> mappings = new HashMap<>();
        for (IngestDocumentWrapper wrapper : wrappers) {
            if (wrapper.getException() != null || wrapper.getIngestDocument() == null) {
                continue;
            }
            IngestDocument document = wrapper.getIngestDocument();
            try {
                List<FieldTexts.Field> fields = FieldTexts.read(document, fieldMap, ignoreMissing);
                String index = document.getFieldValue(IngestDocument.Metadata.INDEX.getFieldName(), String.class, true);
                VectorFieldMappings targets = mappings.computeIfAbsent(String.valueOf(index), i -> VectorFieldMappings.of(clusterService, index));
                for (FieldTexts.Field field : fields) {
                    String problem = targets.check(field.target(), field.array(), dimensions, modelId);
                    if (problem != null) {
                        throw new IllegalArgumentException(problem);
                    }
                }
                if (fields.isEmpty() == false) {
                    pending.add(new Pending(wrapper, fields));
                }
            } catch (RuntimeException e) {
                fail(wrapper, e);
            }
        }
        if (pending.isEmpty()) {
            handler.accept(wrappers);
            return;
        }
        List<List<Pending>> calls = splitIntoCalls(pending);
        AtomicInteger remaining = new AtomicInteger(calls.size());
        for (List<Pending> call : calls) {
            embed(call, () -> {
                if (remaining.decrementAndGet() == 0) {
                    handler.accept(wrappers);
                }
            });
        }
    }

    private static List<List<Pending>> splitIntoCalls(List<Pending> pending) {
        List<List<Pending>> calls = new ArrayList<>();
        List<Pending> current = new ArrayList<>();
        int texts = 0;
        for (Pending document : pending) {
            if (current.isEmpty() == false && texts + document.textCount() > MAX_TEXTS_PER_CALL) {
                calls.add(current);
                current = new ArrayList<>();
                texts = 0;
            }
            current.add(document);
            texts += document.textCount();
        }
        calls.add(current);
        return calls;
    }

    private void embed(List<Pending> documents, Runnable done) {
        List<String> texts = new ArrayList<>();
        for (Pending document : documents) {
            for (FieldTexts.Field field : document.fields()) {
                texts.addAll(field.texts());
            }
        }
        models.embed(new ModelService.EmbedCall(modelId, texts, InputType.DOCUMENT, task, null), ActionListener.wrap(embeddings -> {
            int next = 0;
            for (Pending document : documents) {
                int count = document.textCount();
                write(document, embeddings.subList(next, next + count));
                next += count;
            }
            done.run();
        }, e -> {
            for (Pending document : documents) {
                fail(document.wrapper(), e);
            }
            done.run();
        }));
    }

    /** Writes a document's vectors, all of them or (when a text is too long) none. */
    private void write(Pending document, List<Embedding> embeddings) {
        if (truncate == false) {
            int next = 0;
            for (FieldTexts.Field field : document.fields()) {
                for (int i = 0; i < field.texts().size(); i++) {
                    Embedding embedding = embeddings.get(next++);
                    if (embedding.truncated()) {
                        String where = field.array() ? field.source() + "][" + i : field.source();
                        fail(
                            document.wrapper(),
                            new IllegalArgumentException(
                                "field [" + where + "] is longer than the " + embedding.tokens() + " tokens model [" + modelId
                                    + "] takes, and truncate is false"
                            )
                        );
                        return;
                    }
                }
            }
        }
        IngestDocument ingestDocument = document.wrapper().getIngestDocument();
        int next = 0;
        for (FieldTexts.Field field : document.fields()) {
            if (field.array()) {
                List<Map<String, Object>> objects = new ArrayList<>(field.texts().size());
                for (String text : field.texts()) {
                    Map<String, Object> object = new LinkedHashMap<>();
                    object.put(VectorFieldMappings.ARRAY_TEXT, text);
                    object.put(VectorFieldMappings.ARRAY_VECTOR, asList(embeddings.get(next++).vector()));
                    objects.add(object);
                }
                ingestDocument.setFieldValue(field.target(), objects);
            } else {
                ingestDocument.setFieldValue(field.target(), asList(embeddings.get(next++).vector()));
            }
        }
    }

    private void fail(IngestDocumentWrapper wrapper, Exception e) {
        Exception reason = e instanceof IllegalArgumentException
            ? new IllegalArgumentException("[" + TYPE + "] " + e.getMessage(), e.getCause())
            : e;
        wrapper.update(wrapper.getIngestDocument(), reason);
    }

    private static List<Float> asList(float[] vector) {
        List<Float> list = new ArrayList<>(vector.length);
        for (float v : vector) {
            list.add(v);
        }
        return list;
    }

    private record Pending(IngestDocumentWrapper wrapper, List<FieldTexts.Field> fields) {
        int textCount() {
            int count = 0;
            for (FieldTexts.Field field : fields) {
                count += field.texts().size();
            }
            return count;
        }
    }
}
