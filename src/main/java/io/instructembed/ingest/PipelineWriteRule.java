package io.instructembed.ingest;

import io.instructembed.writerule.CheckedField;
import io.instructembed.writerule.CheckedFieldsSource;
import org.opensearch.index.IndexSettings;
import org.opensearch.index.mapper.ParseContext;
import org.opensearch.ingest.IngestService;
import org.opensearch.ingest.Pipeline;
import org.opensearch.ingest.Processor;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The targets of an index's embedding pipelines that the write rule checks: every
 * {@code instruct_embedding} processor of its default and final pipelines (not those under an
 * {@code if}), source and target. The rule checks a document only where it carries a fingerprint
 * (written when the target's {@code <target>_fingerprint} is mapped, or with skip_existing), so
 * documents embedded before, or before the pipeline was set, keep being writable.
 */
public final class PipelineWriteRule implements CheckedFieldsSource {
    private record Answer(Pipeline defaultPipeline, Pipeline finalPipeline, List<CheckedField> fields) {}

    private final Supplier<IngestService> ingestService;
    private volatile Answer last;

    public PipelineWriteRule(Supplier<IngestService> ingestService) {
        this.ingestService = ingestService;
    }

    @Override
    public List<CheckedField> fieldsOf(ParseContext context) {
        IndexSettings settings = context.indexSettings();
        IngestService ingest = ingestService.get();
        if (ingest == null) {
            return List.of();
        }
        Pipeline defaultPipeline = pipeline(ingest, settings.getDefaultPipeline());
        Pipeline finalPipeline = pipeline(ingest, settings.getRequiredPipeline());
        if (defaultPipeline == null && finalPipeline == null) {
            return List.of();
        }
        Answer answer = last;
        if (answer == null || answer.defaultPipeline() != defaultPipeline || answer.finalPipeline() != finalPipeline) {
            List<CheckedField> fields = new ArrayList<>();
            for (InstructEmbeddingProcessor processor : embedders(defaultPipeline, finalPipeline)) {
                for (Map.Entry<String, String> entry : processor.fieldMap().entrySet()) {
                    String target = entry.getValue();
                    fields.add(new CheckedField(entry.getKey(), target, EmbeddingFingerprint.fieldFor(target), target, false));
                }
            }
            answer = new Answer(defaultPipeline, finalPipeline, List.copyOf(fields));
            last = answer;
        }
        return answer.fields();
    }

    /** The instruct_embedding processors of the pipelines, in the order they run (conditional ones left out: a condition cannot be judged here). */
    static List<InstructEmbeddingProcessor> embedders(Pipeline... pipelines) {
        List<InstructEmbeddingProcessor> found = new ArrayList<>();
        for (Pipeline pipeline : pipelines) {
            if (pipeline == null) {
                continue;
            }
            for (Processor processor : pipeline.getCompoundProcessor().flattenProcessors()) {
                if (processor instanceof InstructEmbeddingProcessor embedding) {
                    found.add(embedding);
                }
            }
        }
        return found;
    }

    static Pipeline pipeline(IngestService ingest, String id) {
        if (id == null || id.isEmpty() || IngestService.NOOP_PIPELINE_NAME.equals(id)) {
            return null;
        }
        return ingest.getPipeline(id);
    }
}
