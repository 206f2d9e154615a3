package io.instructembed.model;

/** Queries (search-time, latency-bound) go before documents (ingest, throughput-bound). */
public enum WorkKind {
    QUERY,
    DOCUMENT
}
