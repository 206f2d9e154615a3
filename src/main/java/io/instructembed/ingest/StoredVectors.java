package io.instructembed.ingest;

import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.opensearch.action.get.MultiGetItemResponse;
import org.opensearch.action.get.MultiGetRequest;
import org.opensearch.action.get.MultiGetResponse;
import org.opensearch.core.action.ActionListener;
import org.opensearch.ingest.IngestDocument;
import org.opensearch.search.fetch.subphase.FetchSourceContext;
import org.opensearch.transport.client.Client;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * skip_existing: one multi-get of a batch's stored documents; a field whose stored fingerprint
 * equals the fingerprint of its new text (same model, prompt, chunking and text) keeps its stored
 * vectors instead of being embedded. Reads run as the caller, so a caller who may not read the
 * index simply gets every field embedded; reuse is an optimisation, so a failed read embeds all.
 */
final class StoredVectors {
    private static final Logger logger = LogManager.getLogger(StoredVectors.class);

    private final Supplier<Client> client;
    private final EmbeddingFingerprint fingerprint;
    /** Each target and its fingerprint: all a stored document is read for. */
    private final String[] includes;

    StoredVectors(Supplier<Client> client, EmbeddingFingerprint fingerprint, Collection<String> targets) {
        this.client = client;
        this.fingerprint = fingerprint;
        this.includes = targets.stream().flatMap(target -> Stream.of(target, EmbeddingFingerprint.fieldFor(target))).toArray(String[]::new);
    }

    /** Marks in each document the fields that keep their stored vectors, then runs {@code then} (once, whatever the read gave). */
    void reuse(List<BatchDocument> documents, Runnable then) {
        MultiGetRequest request = new MultiGetRequest().realtime(true);
        List<BatchDocument> asked = new ArrayList<>();
        for (BatchDocument document : documents) {
            IngestDocument ingest = document.wrapper.getIngestDocument();
            String index = ingest.getFieldValue(IngestDocument.Metadata.INDEX.getFieldName(), String.class, true);
            String id = ingest.getFieldValue(IngestDocument.Metadata.ID.getFieldName(), String.class, true);
            List<String> fingerprints = new ArrayList<>(document.fields.size());
            for (FieldTexts.Field field : document.fields) {
                fingerprints.add(fingerprint.of(field.texts(), field.array()));
            }
            document.fingerprints(fingerprints);
            if (index != null && id != null) {
                String routing = ingest.getFieldValue(IngestDocument.Metadata.ROUTING.getFieldName(), String.class, true);
                request.add(new MultiGetRequest.Item(index, id).routing(routing).fetchSourceContext(new FetchSourceContext(true, includes, null)));
                asked.add(document);
            }
        }
        if (asked.isEmpty()) {
            then.run();
            return;
        }
        // Not ActionListener.wrap: an exception thrown while embedding must not run the batch a second time.
        client.get().multiGet(request, new ActionListener<>() {
            @Override
            public void onResponse(MultiGetResponse response) {
                try {
                    MultiGetItemResponse[] items = response.getResponses();
                    for (int i = 0; i < items.length; i++) {
                        if (items[i].isFailed() == false && items[i].getResponse().isExists()) {
                            asked.get(i).reuseFrom(items[i].getResponse().getSourceAsMap());
                        }
                    }
                } catch (RuntimeException e) {
                    logger.debug("reading the stored vectors failed; embedding the rest of the batch", e);
                }
                then.run();
            }

            @Override
            public void onFailure(Exception e) {
                logger.debug("looking up stored vectors failed; embedding the whole batch", e);
                then.run();
            }
        });
    }
}
